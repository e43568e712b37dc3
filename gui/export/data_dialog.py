""""Export trajectories...": the recording of the run on screen, as an .npz (the main
simulation under the names ``main.py simulate`` writes, the partner beside it under
``partner_``) or as one long CSV (:func:`memscape.engine.trajectory_io.save_csv`).

Nothing is simulated here: the run's recording is the one source
(:func:`memscape.engine.run.trajectory_arrays`). The file is written atomically in a plain
Python thread; its end reaches the GUI thread as a queued Qt signal, so the window never
waits or polls. Cancel lets the thread finish its temporary file and then discards it.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PyQt6 import QtCore, QtWidgets

from memscape.engine.run import Snapshot, trajectory_arrays
from memscape.gui.export.runner import report_outcome

FILTERS = {"npz": "Trajectory, as simulate writes it (*.npz)",
           "csv": "CSV table, one row per simulation, step and particle (*.csv)"}


class _Cancelled(Exception):
    pass


def write_trajectory(snapshot: Snapshot, path: str | Path, fmt: str, cancelled=lambda: False) -> None:
    """Write the recording to ``path`` as ``fmt`` ("npz" or "csv"); raises _Cancelled (and
    writes nothing) when ``cancelled()`` says so once the data are ready."""
    from memscape.engine.atomic_files import atomic_path
    from memscape.engine.trajectory_io import save_csv, save_npz

    arrays = trajectory_arrays(snapshot)
    with atomic_path(path) as tmp:  # the rename waits for the cancel check
        (save_csv if fmt == "csv" else save_npz)(tmp, arrays)
        if cancelled():
            raise _Cancelled


class TrajectoryExport(QtCore.QObject):
    """One trajectory export in a thread; ``finished(ok, message)`` once, in the GUI thread."""

    finished = QtCore.pyqtSignal(bool, str)
    _done = QtCore.pyqtSignal(bool, str)  #: from the writing thread (queued to this object's thread)

    def __init__(self, snapshot: Snapshot, path: Path, fmt: str, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.path, self.result = Path(path), None
        self._cancel = threading.Event()
        self._done.connect(self._finish, QtCore.Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._write, args=(snapshot, fmt), name="memscape-trajectory",
                                        daemon=True)

    def start(self) -> "TrajectoryExport":
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self.result is None

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self) -> None:
        """Block until the writing thread ends (tests, and closing the app)."""
        self._thread.join()

    def _write(self, snapshot: Snapshot, fmt: str) -> None:
        try:
            write_trajectory(snapshot, self.path, fmt, self._cancel.is_set)
        except _Cancelled:
            self._done.emit(False, "cancelled")
        except Exception as exc:  # one line: OSError and the rest
            self._done.emit(False, str(exc) or type(exc).__name__)
        else:
            self._done.emit(True, f"wrote {self.path}")

    def _finish(self, ok: bool, message: str) -> None:
        self.result = (ok, message)
        self.finished.emit(ok, message)


def ask_path(name: str, parent: QtWidgets.QWidget) -> tuple[Path, str] | None:
    """Ask for a file (.npz or .csv); None when the user cancels."""
    folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
    start = str(Path(folder or Path.home()) / f"{Path(name).stem}.npz")
    path, chosen = QtWidgets.QFileDialog.getSaveFileName(parent, "Export trajectories", start,
                                                         ";;".join(FILTERS.values()))
    if not path:
        return None
    fmt = "csv" if chosen == FILTERS["csv"] or path.lower().endswith(".csv") else "npz"
    if not path.lower().endswith(f".{fmt}"):
        path += f".{fmt}"
    return Path(path), fmt


def start_trajectory_export(snapshot: Snapshot, path: Path, fmt: str,
                            parent: QtWidgets.QWidget | None = None) -> TrajectoryExport:
    """Write ``snapshot`` to ``path``; a main window as parent is told the outcome."""
    job = TrajectoryExport(snapshot, path, fmt, parent)
    if isinstance(parent, QtWidgets.QMainWindow):
        job.finished.connect(lambda ok, msg: report_outcome(parent, ok, msg))
    return job.start()
