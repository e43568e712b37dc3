"""Autosave, and the offer to recover after a crash.

While a window runs, its session (:mod:`memscape.gui.session`) is written every
:data:`AUTOSAVE_S` seconds and when the window closes, to ``session.json`` (and its .npz) in
:func:`memscape.engine.user_folder.autosave_folder`; a marker file ``running-PID`` says that
this process has not closed cleanly. At the next start a marker whose process no longer
runs means the app ended without closing (a crash, a kill, a power cut), and the window
offers to restore the autosaved session.
"""
from __future__ import annotations

import os
from pathlib import Path

from PyQt6 import QtCore

from memscape.engine.atomic_files import pid_alive
from memscape.engine.user_folder import autosave_folder
from memscape.gui.session import write_session

AUTOSAVE_S = 30  #: seconds between two autosaves


class Autosave(QtCore.QObject):
    """The autosave of ``window`` (a MainWindow: ``session()``, ``statusBar()``)."""

    def __init__(self, window, folder: Path | None = None):
        super().__init__(window)
        self.window = window
        self.folder = Path(folder) if folder is not None else autosave_folder()
        self.path = self.folder / "session.json"
        self.marker = self.folder / f"running-{os.getpid()}"
        self.failed = ""  #: why the last autosave failed ("" when it did not)
        self._timer = QtCore.QTimer(self, interval=AUTOSAVE_S * 1000)
        self._timer.timeout.connect(self.save)

    def unclean_exit(self) -> bool:
        """Whether an earlier process ended without closing and left a session to recover;
        its markers are removed (the offer is made once)."""
        stale = [m for m in self.folder.glob("running-*")
                 if m.name.removeprefix("running-").isdigit() and not pid_alive(int(m.name.removeprefix("running-")))]
        for marker in stale:
            marker.unlink(missing_ok=True)
        return bool(stale) and self.path.is_file()

    def start(self) -> None:
        """Mark this process as running and autosave from now on."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.marker.write_text(str(os.getpid()))
        except OSError as exc:
            self._report(exc)
            return
        self._timer.start()

    def save(self) -> bool:
        """Write the window's session now; a failure is said once in the status bar."""
        try:
            write_session(self.path, self.window.session())
        except OSError as exc:
            self._report(exc)
            return False
        self.failed = ""
        return True

    def stop(self) -> None:
        """The window closes cleanly: a last save, and no marker left."""
        self._timer.stop()
        if self.window.session_ready():
            self.save()
        self.marker.unlink(missing_ok=True)

    def _report(self, exc: OSError) -> None:
        message = f"autosave failed: {exc}"
        if message != self.failed:
            self.failed = message
            self.window.statusBar().showMessage(message, 10000)
