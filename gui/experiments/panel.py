"""The experiments in the app: :class:`ExperimentPanel`, a dock of the main window.

Choose an experiment, edit its settings (a field per setting of its Settings dataclass, with
the setting's help as tooltip; lists comma-separated, as ``experiment --set`` takes them),
Run: the engine function (:func:`memscape.engine.experiments.runner.execute`) runs in a plain
Python thread and every finished item reaches the GUI thread as a queued signal, so the
progress bar moves and the plot (the same drawing function as ``experiment --plot``,
:data:`memscape.gui.experiments.plots.DRAW`) fills in while the app stays live. Cancel stops
between two items; Export writes the CSV (:func:`memscape.engine.experiments.runner.write_csv`)
or the plot (:func:`memscape.gui.experiments.render.render_png`). No science here.
"""
from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PyQt6 import QtCore, QtWidgets

from memscape.engine.backend import get_backend
from memscape.engine.experiments import EXPERIMENTS
from memscape.engine.experiments.runner import Result, SettingError, execute, make_settings, settings_fields, \
    write_csv
from memscape.engine.params import ParamError
from memscape.gui import theme
from memscape.gui.experiments.plots import DRAW


def field_text(value: Any) -> str:
    """A setting's value as its field shows it (and ``--set`` reads it back)."""
    if isinstance(value, tuple):
        return ",".join(field_text(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


class ExperimentPanel(QtWidgets.QWidget):
    """See the module docstring. ``backend``: the array backend's name (the app's)."""

    progressed = QtCore.pyqtSignal(object)  #: a copy of the Result after each finished item
    finished = QtCore.pyqtSignal(object, str)  #: the last Result and "done", "cancelled" or the error
    _from_thread = QtCore.pyqtSignal(object, str)  #: the worker thread's news (queued into the GUI thread)

    def __init__(self, backend: str = "auto", parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.backend_name = backend
        self.result: Result | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._shut = False  #: shut down (its window closed): news still queued is not drawn
        self._from_thread.connect(self._on_thread, QtCore.Qt.ConnectionType.QueuedConnection)

        self.choice = QtWidgets.QComboBox()
        for name, module in EXPERIMENTS.items():
            self.choice.addItem(name, name)
            self.choice.setItemData(self.choice.count() - 1, module.SUMMARY, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.choice.setToolTip("the experiment to run; each reproduces a result of the field (README, Experiments)")
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.form_box = QtWidgets.QWidget()
        self.form = QtWidgets.QFormLayout(self.form_box)
        self.fields: dict[str, QtWidgets.QLineEdit] = {}
        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setToolTip("run the experiment with these settings; the plot fills in as items finish")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setToolTip("stop after the item that is running")
        self.cancel_button.setEnabled(False)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setFormat("%v of %m items")
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        self.csv_button = QtWidgets.QPushButton("Export CSV...")
        self.png_button = QtWidgets.QPushButton("Export plot...")
        for b in (self.csv_button, self.png_button):
            b.setEnabled(False)
        self.csv_button.setToolTip("the experiment's table (its columns are in the README)")
        self.png_button.setToolTip("the plot as a PNG, as `experiment --plot` draws it")
        self.plot = pg.PlotWidget(background=theme.plot_background(False))

        side = QtWidgets.QVBoxLayout()
        side.addWidget(self.choice)
        side.addWidget(self.summary)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_box)
        side.addWidget(scroll, 1)
        buttons = QtWidgets.QGridLayout()
        buttons.addWidget(self.run_button, 0, 0)
        buttons.addWidget(self.cancel_button, 0, 1)
        buttons.addWidget(self.csv_button, 1, 0)
        buttons.addWidget(self.png_button, 1, 1)
        side.addLayout(buttons)
        side.addWidget(self.progress)
        side.addWidget(self.status)
        layout = QtWidgets.QHBoxLayout(self)
        holder = QtWidgets.QWidget()
        holder.setLayout(side)
        holder.setMaximumWidth(360)
        layout.addWidget(holder)
        layout.addWidget(self.plot, 1)

        self.choice.currentIndexChanged.connect(self._show_settings)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.csv_button.clicked.connect(lambda: self._export("csv"))
        self.png_button.clicked.connect(lambda: self._export("png"))
        self._show_settings()

    # -- settings ------------------------------------------------------------------
    @property
    def module(self):
        return EXPERIMENTS[self.choice.currentData()]

    def _show_settings(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        module = self.module
        self.summary.setText(module.SUMMARY)
        defaults = module.Settings()
        for name, (f, _) in settings_fields(module.Settings).items():
            edit = QtWidgets.QLineEdit(field_text(getattr(defaults, name)))
            edit.setToolTip(f.metadata.get("help", ""))
            edit.returnPressed.connect(self.start)
            self.fields[name] = edit
            self.form.addRow(name, edit)
        if not self.running:  # the figure's axes and title, empty until the experiment runs
            DRAW[module.NAME](self.plot.getPlotItem(), Result(module.NAME, tuple(module.COLUMNS), defaults))

    def settings(self):
        """The experiment's Settings from the fields (only the ones changed from the default);
        a bad value raises SettingError naming it."""
        defaults = self.module.Settings()
        changed = [f"{name}={edit.text()}" for name, edit in self.fields.items()
                   if edit.text().strip() != field_text(getattr(defaults, name))]
        return make_settings(self.module, changed)

    # -- running ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        try:
            settings = self.settings()
            backend = get_backend(self.backend_name, "float64" if self.backend_name == "numpy" else "float32")
        except (SettingError, ParamError) as exc:
            self.status.setText(str(exc))
            return
        except Exception as exc:  # an unusable backend: one line
            self.status.setText(f"cannot run: {exc}")
            return
        self._stop.clear()
        self.result = None
        self.progress.setRange(0, 0)
        self.status.setText(f"running {self.module.NAME}...")
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.plot.getPlotItem().clear()
        module = self.module
        self._thread = threading.Thread(target=self._work, args=(module, settings, backend),
                                        name="memscape-experiment", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        """Join the experiment's thread (tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def shutdown(self) -> None:
        """For good, as the window closes: cancel, join the thread, and draw none of the news
        it left queued (drawn into a closing window, the figure's items were laid out while
        Python was already collecting them)."""
        self.cancel()
        self.wait()
        self._shut = True

    def _work(self, module, settings, backend) -> None:
        """In the experiment's thread: every update goes to the GUI thread as a copy."""
        def on_update(result, _update):
            self._from_thread.emit(copy.deepcopy(result), "")

        try:
            result = execute(module, settings, backend, on_update=on_update, should_stop=self._stop.is_set)
        except Exception as exc:  # one line for the user, whatever failed
            self._from_thread.emit(None, f"failed: {type(exc).__name__}: {exc}")
            return
        self._from_thread.emit(result, "cancelled" if self._stop.is_set() and not result.complete else "done")

    def _on_thread(self, result: Result | None, outcome: str) -> None:
        if self._shut:
            return
        if result is not None:
            self.result = result
            self.progress.setRange(0, max(result.total, 1))
            self.progress.setValue(result.done)
            DRAW[result.name](self.plot.getPlotItem(), result)
            self.csv_button.setEnabled(True)
            self.png_button.setEnabled(True)
        if not outcome:
            self.progressed.emit(result)
            return
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
        done = self.result.done if self.result is not None else 0
        self.status.setText({"done": f"{self.module.NAME}: done", "cancelled": f"cancelled after {done} items"}.get(
            outcome, outcome))
        self.finished.emit(self.result, outcome)

    # -- export --------------------------------------------------------------------------
    def _export(self, kind: str) -> None:
        if self.result is None:
            return
        suffix = {"csv": "csv", "png": "png"}[kind]
        folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.DocumentsLocation)
        start = str(Path(folder or Path.home()) / f"{self.result.name}.{suffix}")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export {kind.upper()}", start, f"*.{suffix}")
        if path:
            self.export(kind, path)

    def export(self, kind: str, path: str | Path) -> bool:
        """Write the result so far as a CSV or a PNG; the outcome is said in the status line."""
        from memscape.gui.experiments.render import render_png

        try:
            write_csv(path, self.result) if kind == "csv" else render_png(self.result, path)
        except OSError as exc:
            self.status.setText(str(exc))
            return False
        self.status.setText(f"wrote {path}")
        return True
