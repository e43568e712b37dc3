"""Drive an export job (a generator of :class:`Progress`) from the GUI's event loop.

Each timer tick advances the job for at most :data:`TICK_SECONDS`, so the app keeps
drawing and answering the mouse while a video is rendered (rendering uses the views'
widgets, which live in the GUI thread). A progress dialog shows how far it is; its
Cancel closes the generator, which makes the writer remove its temporary output.
"""
from __future__ import annotations

import time
from typing import Iterator

from PyQt6 import QtCore, QtWidgets

from memscape.gui.export.settings import Progress

TICK_SECONDS = 0.03


class ExportRunner(QtCore.QObject):
    """Runs ``job`` to its end; emits ``finished(ok, message)`` once (message: what was
    written, the error, or "cancelled")."""

    finished = QtCore.pyqtSignal(bool, str)
    progressed = QtCore.pyqtSignal(str, int, int)  #: phase, done, total

    def __init__(self, job: Iterator[Progress], label: str, done_message: str,
                 parent: QtWidgets.QWidget | None = None, show_dialog: bool = True):
        super().__init__(parent)
        self._job = job
        self._done_message = done_message
        self.result: tuple[bool, str] | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)
        self.dialog: QtWidgets.QProgressDialog | None = None
        if show_dialog:
            self.dialog = QtWidgets.QProgressDialog(label, "Cancel", 0, 0, parent)
            self.dialog.setWindowTitle("Exporting")
            self.dialog.setWindowModality(QtCore.Qt.WindowModality.NonModal)
            self.dialog.setAutoClose(False)
            self.dialog.setAutoReset(False)
            self.dialog.setMinimumDuration(0)
            self.dialog.canceled.connect(self.cancel)

    def start(self) -> None:
        if self.dialog is not None:
            self.dialog.show()
        QtWidgets.QApplication.instance().aboutToQuit.connect(self.cancel)  # quitting removes the partial file
        self._timer.start()

    @property
    def running(self) -> bool:
        return self.result is None

    def _tick(self) -> None:
        end = time.monotonic() + TICK_SECONDS
        try:
            progress = next(self._job)
            while time.monotonic() < end:
                progress = next(self._job)
        except StopIteration:
            self._finish(True, self._done_message)
            return
        except Exception as exc:  # any failure ends the export with its one-line message
            self._finish(False, str(exc) or type(exc).__name__)
            return
        self.progressed.emit(*progress)
        if self.dialog is not None:
            phase, done, total = progress
            self.dialog.setLabelText(f"{phase.capitalize()}... {done}/{total}" if total else f"{phase.capitalize()}...")
            self.dialog.setMaximum(total)
            self.dialog.setValue(done)

    def cancel(self) -> None:
        """Stop now; the job's ``finally`` blocks remove its partial output."""
        if self.running:
            self._job.close()
            self._finish(False, "cancelled")

    def _finish(self, ok: bool, message: str) -> None:
        self._timer.stop()
        self.result = (ok, message)
        if self.dialog is not None:
            with QtCore.QSignalBlocker(self.dialog):
                self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self.finished.emit(ok, message)


def report_outcome(window: QtWidgets.QMainWindow, ok: bool, message: str) -> None:
    """Say how an export ended: in the status bar, and in a (non-blocking) message box when it
    failed for a reason other than the user's Cancel."""
    failed = not ok and message != "cancelled"
    text = message if ok else f"export failed: {message}" if failed else "export cancelled"
    window.statusBar().showMessage(text, 10000)
    if failed:
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Warning, "Export failed", message,
                                    QtWidgets.QMessageBox.StandardButton.Ok, window)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


class RunCompletion(QtCore.QObject):
    """Before an export: let the window's worker step the run to its end (in its thread, at
    full speed), with a progress dialog whose Cancel stops that, then call
    ``then(snapshot, meta)`` with the finished recording. A run already finished goes on at once."""

    def __init__(self, window, then):
        super().__init__(window)
        self.window, self.then = window, then
        self.dialog: QtWidgets.QProgressDialog | None = None

    def start(self) -> None:
        shown = self.window.run_snapshot()
        if shown is None:
            return
        update = self.window.update_
        if update.view().done:
            self._done(update)
            return
        worker = self.window.worker
        worker.finished_run.connect(self._done)
        worker.finishing.connect(self._progress)
        self.dialog = QtWidgets.QProgressDialog("Simulating the rest of the run...", "Cancel", 0, 0, self.window)
        self.dialog.setWindowTitle("Exporting")
        self.dialog.setMinimumDuration(300)
        self.dialog.canceled.connect(self._cancel)
        worker.send("finish")

    def _progress(self, done: int, total: int) -> None:
        if self.dialog is not None:
            self.dialog.setMaximum(total)
            self.dialog.setValue(done)

    def _cancel(self) -> None:
        self.window.worker.send("play", False)  # any command stops the worker's stepping to the end
        self._disconnect()

    def _done(self, update) -> None:
        self._disconnect()
        self.then(update.snapshot, update.meta)

    def _disconnect(self) -> None:
        worker = self.window.worker
        for signal, slot in ((worker.finished_run, self._done), (worker.finishing, self._progress)):
            try:
                signal.disconnect(slot)
            except TypeError:  # not connected (a run that was finished already)
                pass
        if self.dialog is not None:
            with QtCore.QSignalBlocker(self.dialog):
                self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self.deleteLater()
