"""The "Export video..." dialog and the record button.

The dialog collects a :class:`RenderSettings` (format, resolution, frames per second,
length, view, camera orbit, overlays) and a target path, then runs
:func:`memscape.gui.export.frame_renderer.export_job` on the recording of the run on screen,
the very code ``main.py export`` runs, through an :class:`ExportRunner` (progress dialog with
Cancel; the app stays live). :func:`install` adds "Export video...", "Export
trajectories..." and an "Export video..." button to the status bar; both exports first let
the window's worker thread step the run to its end (:class:`RunCompletion`). The dialog opens
on the view the window shows and remembers its other choices (format, resolution, frame
rate, length, camera orbit, overlays and folder) in the app's settings.
"""
from __future__ import annotations

import functools
from pathlib import Path

from PyQt6 import QtCore, QtGui, QtWidgets

from memscape.engine.limits import LimitError, check_video
from memscape.engine.run import Snapshot
from memscape.gui.export.frame_renderer import export_job, gl_available
from memscape.gui.export.settings import OVERLAYS, RESOLUTIONS, RenderSettings
from memscape.gui.export.runner import ExportRunner, RunCompletion, report_outcome
from memscape.gui.export.video_writer import ExportError, check_frame_folder
from memscape.gui.settings import Settings
from memscape.gui.theme import ALERT_COLOR

FORMAT_LABELS = {"mp4": "MP4 video (H.264)", "gif": "Animated GIF", "png": "PNG sequence (folder)"}
VIEW_LABELS = {"2d": "2D landscape", "3d": "3D landscape", "side-by-side": "Side by side (AM vs diffusion)"}
OVERLAY_LABELS = {"title": "Title", "params": "Parameter readout", "step": "Step and sigma"}
FPS_RANGE = (1, 120)
SECONDS_RANGE = (0.1, 600.0)
ORBIT_RANGE = (-360.0, 360.0)


def target_for(folder: Path, stem: str, fmt: str) -> Path:
    """The default output path for a format: stem.mp4, stem.gif, or the folder stem_frames."""
    return folder / (f"{stem}_frames" if fmt == "png" else f"{stem}.{fmt}")


class ExportVideoDialog(QtWidgets.QDialog):
    """Settings for one video export of a recorded run (``snapshot`` and the run's ``meta``);
    :meth:`start_export` runs it. ``view``: the view to film first (the one on screen);
    ``settings``: where the last export's choices are read from and the next one's kept."""

    def __init__(self, snapshot: Snapshot, meta: dict, name: str = "memscape", folder: Path | None = None,
                 presenter: bool = False, view: str = "2d", parent: QtWidgets.QWidget | None = None,
                 framing: dict | None = None, settings: Settings | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export video")
        self.snapshot, self.meta = snapshot, meta  #: the recorded run to film
        self.presenter, self._stem = presenter, name
        #: the window's framing per view ("2d", "side-by-side": x and y range; "3d": camera)
        self.framing = framing or {}
        self.runner: ExportRunner | None = None
        self.store = settings
        last = self._last_choices()
        folder = folder or last.get("folder") or Path(QtCore.QStandardPaths.writableLocation(
            QtCore.QStandardPaths.StandardLocation.MoviesLocation) or Path.home())

        self.format = QtWidgets.QComboBox()
        for key, label in FORMAT_LABELS.items():
            self.format.addItem(label, key)
        self.format.setCurrentIndex(list(FORMAT_LABELS).index(last.get("format", "mp4")))
        self.path = QtWidgets.QLineEdit(str(target_for(folder, name, self.fmt())))
        browse = QtWidgets.QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        path_row = QtWidgets.QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.resolution = QtWidgets.QComboBox()
        for key, (w, h) in RESOLUTIONS.items():
            self.resolution.addItem(f"{key} ({w}x{h})", key)
        self.resolution.setCurrentIndex(list(RESOLUTIONS).index(last.get("resolution", "720p")))
        self.fps = QtWidgets.QSpinBox()
        self.fps.setRange(*FPS_RANGE)
        self.fps.setValue(last.get("fps", 30))
        self.fps.setSuffix(" fps")
        self.seconds = QtWidgets.QDoubleSpinBox()
        self.seconds.setRange(*SECONDS_RANGE)
        self.seconds.setValue(last.get("seconds", 5.0))
        self.seconds.setSuffix(" s")
        self.view = QtWidgets.QComboBox()
        for key, label in VIEW_LABELS.items():
            self.view.addItem(label, key)
        self.view.setCurrentIndex(list(VIEW_LABELS).index(view))
        self.orbit = QtWidgets.QDoubleSpinBox()
        self.orbit.setRange(*ORBIT_RANGE)
        self.orbit.setValue(last.get("orbit", 0.0))
        self.orbit.setSuffix(" °/s")
        self.title = QtWidgets.QLineEdit(name)
        self.overlay_boxes = {key: QtWidgets.QCheckBox(label) for key, label in OVERLAY_LABELS.items()}
        overlay_row = QtWidgets.QHBoxLayout()
        for key, box in self.overlay_boxes.items():
            box.setChecked(last.get(f"overlay/{key}", True))
            overlay_row.addWidget(box)

        form = QtWidgets.QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Save to", path_row)
        form.addRow("Resolution", self.resolution)
        form.addRow("Frame rate", self.fps)
        form.addRow("Length", self.seconds)
        form.addRow("View", self.view)
        form.addRow("3D camera orbit", self.orbit)
        form.addRow("Title", self.title)
        form.addRow("Overlays", overlay_row)
        self.frames_label = QtWidgets.QLabel()
        form.addRow("", self.frames_label)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.start_export)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

        self.format.currentIndexChanged.connect(self._format_changed)
        self.view.currentIndexChanged.connect(self._update_enabled)
        for w in (self.fps, self.seconds):
            w.valueChanged.connect(self._update_enabled)
        self._update_enabled()

    # -- remembered choices ---------------------------------------------------------
    def _last_choices(self) -> dict:
        """What the last export chose, each value checked (a bad one is left out)."""
        store = self.store
        if store is None:
            return {}
        out = {"fps": store.value("export/fps", 30, int, *FPS_RANGE),
               "seconds": store.value("export/seconds", 5.0, float, *SECONDS_RANGE),
               "orbit": store.value("export/orbit", 0.0, float, *ORBIT_RANGE)}
        for key, choices in (("format", FORMAT_LABELS), ("resolution", RESOLUTIONS)):
            value = store.value(f"export/{key}", "", str)
            if value in choices:
                out[key] = value
        for key in OVERLAY_LABELS:
            out[f"overlay/{key}"] = store.value(f"export/overlay/{key}", True, bool)
        folder = store.value("export/folder", "", str)
        if folder and Path(folder).is_dir():
            out["folder"] = Path(folder)
        return out

    def _remember(self) -> None:
        """Keep this export's choices for the next dialog (the view follows the screen)."""
        store = self.store
        if store is None:
            return
        store.set_value("export/format", self.fmt())
        store.set_value("export/resolution", self.resolution.currentData())
        store.set_value("export/fps", self.fps.value())
        store.set_value("export/seconds", self.seconds.value())
        store.set_value("export/orbit", self.orbit.value())
        for key, box in self.overlay_boxes.items():
            store.set_value(f"export/overlay/{key}", box.isChecked())
        store.set_value("export/folder", str(Path(self.path.text()).expanduser().parent))  # written on quit

    # -- fields -----------------------------------------------------------------
    def fmt(self) -> str:
        return self.format.currentData()

    def settings(self) -> RenderSettings:
        overlays = tuple(key for key in OVERLAYS if self.overlay_boxes[key].isChecked())
        return RenderSettings(view=self.view.currentData(), size=RESOLUTIONS[self.resolution.currentData()],
                              fps=float(self.fps.value()), seconds=self.seconds.value(),
                              title=self.title.text(), overlays=overlays, orbit=self.orbit.value(),
                              presenter=self.presenter, **self._framing_of(self.view.currentData()))

    def _framing_of(self, view: str) -> dict:
        """The RenderSettings fields that film ``view`` as the window shows it."""
        if view not in self.framing:
            return {}
        return {"camera": self.framing[view]} if view == "3d" else {"view_range": self.framing[view]}

    def _format_changed(self) -> None:
        """Keep the file name in step with the format: clip.mp4 <-> clip.gif <-> clip_frames."""
        current = Path(self.path.text())
        stem = current.stem.removesuffix("_frames") if current.suffix else current.name.removesuffix("_frames")
        self.path.setText(str(target_for(current.parent, stem or self._stem, self.fmt())))

    def _update_enabled(self) -> None:
        self.orbit.setEnabled(self.view.currentData() == "3d")
        self.frames_label.setText(f"{self.settings().frame_count} frames")

    def _browse(self) -> None:
        current = self.path.text()
        if self.fmt() == "png":
            chosen = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder for the PNG frames",
                                                                str(Path(current).parent))
            chosen = str(Path(chosen) / Path(current).name) if chosen else ""
        else:
            chosen, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export video", current,
                                                              f"{FORMAT_LABELS[self.fmt()]} (*.{self.fmt()})")
        if chosen:
            self.path.setText(chosen)

    # -- running ------------------------------------------------------------------
    def start_export(self, show_progress: bool = True) -> ExportRunner | None:
        """Check the settings, close the dialog and start the export; None if a setting is
        refused (the reason is shown). The runner's ``finished`` reports the outcome."""
        settings = self.settings()
        if settings.view == "3d" and not gl_available():
            self._refuse("The 3D view needs OpenGL, which is not available here. Choose the 2D view.")
            return None
        try:  # the frames and pixels the limits allow (engine/limits.py), in the dialog's words
            check_video(settings.frame_count, settings.size)
        except LimitError as exc:
            words = {"--size": "resolution", "--seconds": "length", "--fps": "frame rate"}
            self._refuse(functools.reduce(lambda text, kv: text.replace(*kv), words.items(), str(exc)))
            return None
        path = Path(self.path.text()).expanduser()
        force = False
        if self.fmt() == "png":
            try:
                check_frame_folder(path)
            except ExportError as exc:
                answer = QtWidgets.QMessageBox.question(
                    self, "Export video", f"{exc}.\n\nWrite the frames into this folder anyway? "
                    "Its other files stay as they are; only files named frame_NNNNN.png are replaced.")
                if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                    return None
                force = True
        job = export_job(self.snapshot, self.meta, settings, path, self.fmt(), force=force)
        self._remember()
        self.runner = ExportRunner(job, f"Exporting {path.name}...", f"wrote {path}",
                                   self.parentWidget(), show_dialog=show_progress)
        self.accept()
        self.runner.start()
        return self.runner

    def _refuse(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Export video", message)


def install(window) -> None:
    """Add "Export video..." (Ctrl+E), "Export trajectories..." and an "Export video..." button
    in the status bar to ``window`` (a MainWindow: ``file_menu``, ``worker``, ``preset``,
    ``presenter``, ``settings``, ``run_snapshot()``, ``framing()``, ``view_on_screen()``).
    Both export the run on screen (a dropped cluster, memory edits and live changes included),
    completed to its end first."""
    from memscape.gui.export.data_dialog import ask_path, start_trajectory_export

    def export_video(snapshot, meta) -> None:
        dialog = ExportVideoDialog(snapshot, meta, name=Path(window.preset).stem, presenter=window.presenter,
                                   view=window.view_on_screen(), parent=window, framing=window.framing(),
                                   settings=window.settings)
        dialog.finished.connect(dialog.deleteLater)
        dialog.accepted.connect(lambda: dialog.runner.finished.connect(
            lambda ok, msg: report_outcome(window, ok, msg)))
        dialog.open()
        window.export_dialog = dialog

    def export_data(snapshot, meta) -> None:
        chosen = ask_path(window.preset, window)
        if chosen is not None:
            window.trajectory_export = start_trajectory_export(snapshot, *chosen, window)

    def completed(then):
        return lambda: RunCompletion(window, then).start()

    first = window.file_menu.actions()[0] if window.file_menu.actions() else None
    video = QtGui.QAction("Export video...", window)
    video.setShortcut(QtGui.QKeySequence("Ctrl+E"))
    video.triggered.connect(completed(export_video))
    data = QtGui.QAction("Export trajectories...", window)
    data.triggered.connect(completed(export_data))
    window.file_menu.insertActions(first, [video, data])
    record = QtWidgets.QToolButton()
    record.setText("\u25cf Export video...")
    record.setToolTip("Export a video of the run on screen, completed to its end (Ctrl+E); "
                      "the dialog opens on the view shown and remembers its other choices")
    palette = record.palette()
    palette.setColor(QtGui.QPalette.ColorRole.ButtonText, QtGui.QColor(*ALERT_COLOR))
    record.setPalette(palette)  # a palette and a weight, not a style sheet: the size follows the theme
    bold = QtGui.QFont()
    bold.setBold(True)
    record.setFont(bold)
    record.clicked.connect(completed(export_video))
    window.statusBar().insertPermanentWidget(0, record)
    window.export_actions = {"video": video, "data": data, "record": record}
