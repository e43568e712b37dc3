"""Settings for the whole suite. Imports no Qt: the engine tests must run without it.

The GUI tests run under pytest-xvfb's Xvfb display (``--xvfb-backend xvfb`` in
pyproject.toml, so a missing Xvfb is an error rather than a silent skip) and with Mesa's
software OpenGL, so that a machine with a GPU draws what CI draws. Subprocesses that
tests start (main.py smoke and CLI tests) inherit both.
"""
import os
import tempfile

import main  # noqa: F401  (main.py makes the checkout the memscape package, as when installed)

os.environ["LIBGL_ALWAYS_SOFTWARE"] = "1"
# CI runs as root with no login session: without a runtime directory Qt warns when asked for
# one, and Qt warnings fail tests.
if not os.environ.get("XDG_RUNTIME_DIR"):
    os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="memscape-runtime-")  # mode 0700
