""""Export trajectories...": the same .npz that ``main.py simulate`` writes, or CSV on request.

The run is :func:`engine.simulation.run` of the current parameters (the seed makes it the
run the app shows), computed in a plain Python thread (the engine has no Qt) while an
:class:`ExportRunner` keeps the app live; the file is written atomically by
:mod:`engine.trajectory_io`. Cancel stops the thread at its next step and writes nothing.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

from PyQt6 import QtCore, QtWidgets

from memscape.engine.params import Params
from memscape.gui.export.settings import Progress
from memscape.gui.export.runner import ExportRunner, report_outcome

FILTERS = {"npz": "Trajectory, as simulate writes it (*.npz)", "csv": "CSV table, one row per step and particle (*.csv)"}
POLL_SECONDS = 0.005


class _Cancelled(Exception):
    pass


def write_trajectory(params: Params, path: str | Path, fmt: str, step_done=None, init=None) -> None:
    """Simulate ``params`` (from the initial states ``init`` (N, D) when given) and write
    positions, energy, memories, sigma and params to ``path``: an .npz (fmt "npz", exactly
    simulate's file) or the long CSV of engine.trajectory_io.save_csv. ``step_done(frame)``
    is called after every step (it may raise to cancel)."""
    from memscape.engine.simulation import run
    from memscape.engine.trajectory_io import save_csv, save_npz

    arrays = run(params, init=init, callback=step_done)
    if fmt == "csv":
        save_csv(path, arrays["positions"], arrays["energy"], arrays.get("sigma"))
    else:
        save_npz(path, arrays)


def trajectory_job(params: Params, path: str | Path, fmt: str, init=None) -> Iterator[Progress]:
    """:func:`write_trajectory` in a worker thread, as a job the ExportRunner drives.
    Closing the job (Cancel) makes the thread stop at its next step."""
    stop = threading.Event()
    state = {"step": 0}

    def step_done(frame) -> None:
        if stop.is_set():
            raise _Cancelled
        state["step"] = int(frame["step"])

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memscape-trajectory")
    future = pool.submit(write_trajectory, params, path, fmt, step_done, init)
    try:
        while not future.done():
            time.sleep(POLL_SECONDS)
            yield Progress("simulating", state["step"], 0)
        future.result()  # re-raises the thread's error (one line: OSError, DivergenceError...)
    finally:
        stop.set()
        pool.shutdown(wait=True)


def export_trajectories(params: Params, name: str, parent: QtWidgets.QWidget, init=None) -> ExportRunner | None:
    """Ask for a file (.npz or .csv) and export the run (from ``init`` when given) to it;
    None when the user cancels."""
    folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
    start = str(Path(folder or Path.home()) / f"{Path(name).stem}.npz")
    path, chosen = QtWidgets.QFileDialog.getSaveFileName(parent, "Export trajectories", start,
                                                         ";;".join(FILTERS.values()))
    if not path:
        return None
    fmt = "csv" if chosen == FILTERS["csv"] or path.lower().endswith(".csv") else "npz"
    if not path.lower().endswith(f".{fmt}"):
        path += f".{fmt}"
    return start_trajectory_export(params, Path(path), fmt, parent, init=init)


def start_trajectory_export(params: Params, path: Path, fmt: str, parent: QtWidgets.QWidget | None,
                            show_progress: bool = True, init=None) -> ExportRunner:
    """Run :func:`trajectory_job`; a main window as parent is told the outcome (:func:`report_outcome`)."""
    runner = ExportRunner(trajectory_job(params, path, fmt, init), f"Exporting {path.name}...", f"wrote {path}",
                          parent, show_dialog=show_progress)
    if isinstance(parent, QtWidgets.QMainWindow):
        runner.finished.connect(lambda ok, msg: report_outcome(parent, ok, msg))
    runner.start()
    return runner
