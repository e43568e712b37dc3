"""``run_app(args)``: the QApplication (OpenGL surface format first) and the main window.

``args`` is main.py's namespace: ``preset`` (name or path; default: the last preset used,
then two-wells), ``backend`` (auto|numpy|cupy) and ``quit_after`` (seconds, smoke tests).
"""
from __future__ import annotations

import sys
from importlib import resources

from PyQt6 import QtCore, QtGui, QtWidgets

from memscape.engine.backend import BackendError, get_backend
from memscape.engine.params import ParamError
from memscape.engine.presets import DEFAULT_PRESET, load_preset


def _configure_gl() -> None:
    """The GL engineer's default QSurfaceFormat, which must precede the QApplication."""
    try:
        from memscape.gui.gl.surface_format import configure_default_format
    except ImportError:
        return
    configure_default_format()


def collect_garbage_in_gui_thread():
    """Python's cycle collector runs in whichever thread happens to allocate. Collecting a cycle
    that holds Qt objects in the simulation thread would delete them there, which Qt does not
    allow (a crash far from the cause). pyqtgraph's GarbageCollector turns automatic collection
    off and collects on a timer in the GUI thread instead (call it from the GUI thread, with
    the QApplication made; keep what it returns as long as the app runs)."""
    from pyqtgraph.util.garbage_collector import GarbageCollector

    return GarbageCollector(interval=1.0)


_collector = None  #: the app's GarbageCollector, made once
#: The window icon: package data of the installed ``memscape`` package (packaging/memscape.png).
ICON = resources.files("memscape") / "packaging" / "memscape.png"
#: The desktop entry's name (packaging/memscape.desktop): desktops match the window to it for
#: its icon and name in docks and task switchers (on Wayland it is the window's app id).
DESKTOP_FILE_NAME = "memscape"


def make_application(argv: list[str]) -> QtWidgets.QApplication:
    """The QApplication for a window (the app, bench's frame-rate probe): the OpenGL surface
    format first (it counts only before the QApplication exists), names for QStandardPaths,
    the window icon and desktop entry name, and garbage collection in the GUI thread
    (:func:`collect_garbage_in_gui_thread`)."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        _configure_gl()
        app = QtWidgets.QApplication(argv)
    app.setApplicationName("Memscape")
    app.setOrganizationName("Memscape")
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(QtGui.QIcon(str(ICON)))
    global _collector
    if _collector is None:
        _collector = collect_garbage_in_gui_thread()
    return app


def run_app(args) -> int:
    """Open the window and run until it closes; 2 for a bad --preset or --backend."""
    if args.backend:
        try:
            get_backend(args.backend)
        except BackendError as exc:
            print(f"memscape: --backend {args.backend}: {exc}", file=sys.stderr)
            return 2
    app = make_application(sys.argv[:1])
    from memscape.gui.main_window import MainWindow  # after the QApplication: pyqtgraph reads its config
    from memscape.gui.settings import Settings

    settings = Settings()
    last_preset, last_params = settings.last_run()
    preset = args.preset or last_preset or DEFAULT_PRESET
    try:
        params = load_preset(preset)
    except ParamError as exc:
        if args.preset:
            print(f"memscape: {exc}", file=sys.stderr)
            return 2
        preset, params = DEFAULT_PRESET, load_preset(DEFAULT_PRESET)
    if not args.preset and last_params is not None and preset == last_preset:
        params = last_params  # the slider values of the last session
    ended = close_on_signals()  # before the window: a signal while it builds closes it once built
    window = MainWindow(preset, params, backend=args.backend, settings=settings)
    ended["window"] = window
    window.show()
    if args.quit_after is not None:
        QtCore.QTimer.singleShot(int(args.quit_after * 1000), window.close)
    if "code" in ended:
        QtCore.QTimer.singleShot(0, window.close)
    code = app.exec()
    return ended.get("code", code)


def close_on_signals() -> dict:
    """SIGINT, SIGTERM and SIGHUP close the window (the returned dict's "window", once it is
    there) as its Quit does (the settings saved, a last autosave, the worker stopped, no crash
    marker left); the app then exits with 128 + the signal's number, which the dict's "code"
    holds. Qt's event loop runs in C++, where Python's handlers cannot run: a timer wakes the
    interpreter five times a second so that they do."""
    import signal

    from memscape.engine.interrupts import SIGNALS

    ended: dict = {}

    def handler(signum, _frame):
        if "code" not in ended:
            ended["code"] = 128 + signum
            print(f"memscape: {signal.Signals(signum).name}: closing the window", file=sys.stderr, flush=True)
            if "window" in ended:
                QtCore.QTimer.singleShot(0, ended["window"].close)

    for signum in SIGNALS:
        signal.signal(signum, handler)
    wake = QtCore.QTimer(QtWidgets.QApplication.instance(), interval=200)
    wake.timeout.connect(lambda: None)
    wake.start()
    return ended
