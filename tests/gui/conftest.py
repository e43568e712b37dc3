"""GUI test fixtures (shared by the app and GL tests).

Tests run headless: under Xvfb through pytest-xvfb (GL needs it), with software GL so a
machine with a GPU behaves the same. Settings go to a temporary .ini and screenshots to
Qt's test-mode folders, never the user's. Windows are built hidden; at teardown every
window is closed, its worker thread must have finished and no top-level window may be left
alive (leaked widgets fail the test).
"""
from __future__ import annotations

import gc
import os
import threading

import pytest

os.environ.setdefault("LIBGL_ALWAYS_SOFTWARE", "1")


def pytest_configure(config):
    """The app's OpenGL surface format must be the default before pytest-qt makes the
    QApplication (Qt reads it only then)."""
    from memscape.gui.gl.surface_format import configure_default_format

    configure_default_format()


@pytest.fixture(scope="module", autouse=True)
def _garbage_collected_in_the_gui_thread(qapp):
    """As in the app (gui.app.make_application): the cycle collector runs only in the GUI
    thread, never in a simulation thread that happens to allocate."""
    from memscape.gui.app import collect_garbage_in_gui_thread

    collector = collect_garbage_in_gui_thread()
    yield
    collector.timer.stop()
    gc.enable()
    gc.collect()


@pytest.fixture(autouse=True)
def _collect_after_each_test():
    """What a test dropped is collected before the next test builds widgets (see make_window)."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Settings, saved presets and the autosave in folders of each test's own, beside (not in)
    its tmp_path, which tests check is left as they expect."""
    from PyQt6 import QtCore

    monkeypatch.setenv("MEMSCAPE_SETTINGS", str(tmp_path_factory.mktemp("settings") / "settings.json"))
    monkeypatch.setenv("MEMSCAPE_HOME", str(tmp_path_factory.mktemp("home")))
    QtCore.QStandardPaths.setTestModeEnabled(True)
    yield
    QtCore.QStandardPaths.setTestModeEnabled(False)


@pytest.fixture
def make_window(qtbot):
    """make_window(preset="two-wells", autoplay=False, **param_overrides) -> a hidden MainWindow
    on the NumPy backend. Closed at teardown; fails if its worker or a window leaks."""
    from PyQt6 import QtCore, QtWidgets

    from memscape.engine.presets import load_preset
    from memscape.gui.main_window import MainWindow

    app = QtWidgets.QApplication.instance()
    before = {id(w) for w in app.topLevelWidgets()}
    threads_before = set(_python_threads())
    windows = []

    def make(preset: str = "two-wells", autoplay: bool = False, **overrides):
        params = load_preset(preset)
        if overrides:
            params = params.replace(**overrides)
        window = MainWindow(preset, params, backend="numpy", autoplay=autoplay)
        window.resize(1400, 900)
        windows.append(window)
        qtbot.waitUntil(lambda: window.shown is not None, timeout=20000)
        return window

    yield make
    for window in windows:
        window.close()
        assert window.worker.isFinished(), "the simulation thread outlived its window"
    window = None
    # Python lets go of the windows first, here in the GUI thread, so their C++ objects are
    # deleted with them. Deleting the C++ side first (deleteLater) while the windows' Python
    # objects wait in reference cycles for the garbage collector leaves wrappers of deleted
    # Qt objects registered; a new widget allocated at the same address is then handed such
    # a stale wrapper (pyqtgraph's WidgetGroup.acceptsType crashed on one, about one GUI
    # test run in five).
    windows.clear()
    gc.collect()
    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)
    app.processEvents()
    leaked = [w for w in app.topLevelWidgets()
              if id(w) not in before and isinstance(w, QtWidgets.QMainWindow)]
    assert not leaked, f"windows left alive after the test: {leaked}"
    alive = [o for o in gc.get_objects() if isinstance(o, MainWindow)]
    assert not alive, f"{len(alive)} MainWindow object(s) still referenced after the test"
    assert set(_python_threads()) <= threads_before, "a Python thread outlived the test"


def _python_threads():
    """Threads started from Python (QThreads appear only as dummy entries, checked above),
    less the engine's kernel pool, which lives as long as the process by design."""
    return [t for t in threading.enumerate() if t.is_alive() and not isinstance(t, threading._DummyThread)
            and not t.name.startswith("memscape-kernels")]


@pytest.fixture
def wait_frames(qtbot):
    """wait_frames(window, count): until the window shows the newest of at least ``count``
    recorded entries."""
    def wait(window, count: int, timeout: int = 20000) -> None:
        qtbot.waitUntil(lambda: window.shown is not None and window.shown.length >= count
                        and window.index == window.shown.length - 1, timeout=timeout)
    return wait
