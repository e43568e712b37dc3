"""Settings for the whole suite. Imports no Qt: the engine tests must run without it.

The GUI tests run under pytest-xvfb's Xvfb display and with Mesa's software OpenGL, so that
a machine with a GPU draws what CI draws. Subprocesses that tests start (main.py smoke and
CLI tests) inherit both. Where Xvfb is missing, the engine tests still run: on Linux CI
(``CI`` set) that is an error, as pytest-xvfb is asked for Xvfb by name; elsewhere on Linux
with no display the tests that need one are skipped, saying so; macOS and Windows have a
display of their own.
"""
import atexit
import os
import shutil
import sys
import tempfile

import pytest

import main  # noqa: F401  (main.py makes the checkout the memscape package, as when installed)

os.environ["LIBGL_ALWAYS_SOFTWARE"] = "1"
# CI runs as root with no login session: without a runtime directory Qt warns when asked for
# one, and Qt warnings fail tests.
# Saved presets and the autosave go to a folder of the test run's, never the user's.
os.environ["MEMSCAPE_HOME"] = tempfile.mkdtemp(prefix="memscape-home-")
atexit.register(shutil.rmtree, os.environ["MEMSCAPE_HOME"], True)
if not os.environ.get("XDG_RUNTIME_DIR"):
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="memscape-runtime-")  # mode 0700
    atexit.register(shutil.rmtree, os.environ["XDG_RUNTIME_DIR"], True)


def _linux_without_display() -> bool:
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Before pytest-xvfb starts its display: on Linux CI ask it for Xvfb by name, so that a
    missing Xvfb stops the run with pytest-xvfb's error instead of skipping the GUI tests."""
    if (sys.platform.startswith("linux") and os.environ.get("CI") and config.pluginmanager.hasplugin("xvfb")
            and not config.getoption("--no-xvfb") and config.getoption("--xvfb-backend") is None):
        config.option.xvfb_backend = "xvfb"


def pytest_collection_modifyitems(config, items):
    """With no display on Linux (no Xvfb started, none given), skip the tests that need one:
    those using pytest-qt's QApplication (every test in tests/gui) and those marked
    ``display``. Creating a QApplication there would abort the whole run."""
    if not _linux_without_display():
        return
    skip = pytest.mark.skip(reason="needs a display: install Xvfb (Debian: apt-get install xvfb) or run under one")
    for item in items:
        if "qapp" in getattr(item, "fixturenames", ()) or item.get_closest_marker("display"):
            item.add_marker(skip)
