"""GUI test fixtures (shared by the app and GL tests).

Tests run headless: under Xvfb through pytest-xvfb (GL needs it), with software GL so a
machine with a GPU behaves the same. Settings go to a temporary .ini and screenshots to
Qt's test-mode folders, never the user's. Windows are built hidden; at teardown every
window is closed, its worker thread must have finished and no top-level window may be left
alive (leaked widgets fail the test).
"""
from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("LIBGL_ALWAYS_SOFTWARE", "1")


def pytest_configure(config):
    """The app's OpenGL surface format must be the default before pytest-qt makes the
    QApplication (Qt reads it only then)."""
    from gui.gl.surface_format import configure_default_format

    configure_default_format()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    from PyQt6 import QtCore

    monkeypatch.setenv("MEMSCAPE_SETTINGS", str(tmp_path / "settings.json"))
    QtCore.QStandardPaths.setTestModeEnabled(True)
    yield
    QtCore.QStandardPaths.setTestModeEnabled(False)


@pytest.fixture
def make_window(qtbot):
    """make_window(preset="two-wells", autoplay=False, **param_overrides) -> a hidden MainWindow
    on the NumPy backend. Closed at teardown; fails if its worker or a window leaks."""
    from PyQt6 import QtCore, QtWidgets

    from engine.presets import load_preset
    from gui.main_window import MainWindow

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
        qtbot.waitUntil(lambda: window.recording is not None, timeout=20000)
        return window

    yield make
    for window in windows:
        window.close()
        assert window.worker.isFinished(), "the simulation thread outlived its window"
        window.deleteLater()
    app.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)
    app.processEvents()
    leaked = [w for w in app.topLevelWidgets()
              if id(w) not in before and isinstance(w, QtWidgets.QMainWindow)]
    assert not leaked, f"windows left alive after the test: {leaked}"
    assert set(_python_threads()) <= threads_before, "a Python thread outlived the test"


def _python_threads():
    """Threads started from Python (QThreads appear only as dummy entries, checked above)."""
    return [t for t in threading.enumerate() if t.is_alive() and not isinstance(t, threading._DummyThread)]


@pytest.fixture
def wait_frames(qtbot):
    """wait_frames(window, count): until the window shows the newest of at least ``count``
    recorded frames."""
    def wait(window, count: int, timeout: int = 20000) -> None:
        qtbot.waitUntil(lambda: window.recording is not None and len(window.recording) >= count
                        and window.index == len(window.recording) - 1, timeout=timeout)
    return wait
