"""The main window: dockable views fed by the simulation worker, the controls, menus,
keys for live demos and the status bar.

Data flows one way: the controls change ``self.params`` -> the worker applies them to the
run (memscape.engine.run.Run) -> its recording -> :meth:`MainWindow.show_frame` draws one
recorded entry into the views in sight with :func:`memscape.gui.draw_step.draw_step`, the
function the video export draws with too. The File menu (``file_menu``) is the hook the
export dialog fills, and every view has ``render_image(width, height) -> QImage``.
"""
from __future__ import annotations

import base64
import binascii
import time
from pathlib import Path

import numpy as np
from PyQt6 import QtCore, QtGui, QtWidgets

from memscape.engine.params import ParamError, Params
from memscape.engine.presets import list_presets, load_preset, save_user_preset
from memscape.gui import help as help_menu
from memscape.gui import render_path, theme
from memscape.gui.autosave import Autosave
from memscape.gui.controls import DEFAULT_SPEED, SPEED_RANGE, ControlsPanel, FittedLabel
from memscape.gui.energy_trace import EnergyTracePlot
from memscape.gui.experiments.panel import ExperimentPanel
from memscape.gui.explanation import ExplanationStrip
from memscape.gui.export.dialog import install as install_export
from memscape.gui.draw_step import Views, draw_step
from memscape.gui.image_grid import ImageGridView
from memscape.gui.schedule_plot import SchedulePlot
from memscape.gui.session import Session, SessionError, arrays_path, read_session, write_session
from memscape.gui.settings import LAYOUT_VERSION, Settings
from memscape.gui.side_by_side import SideBySideView
from memscape.gui.view_2d import LAYERS, Landscape2DView
from memscape.gui.worker import SimulationWorker, Update

# dock name -> title; the order is the View menu's
DOCKS = {"controls": "Controls", "side": "Side by side: AM vs diffusion", "view2d": "Landscape 2D",
         "view3d": "Landscape 3D", "energy": "Energy trace", "schedule": "Noise schedule",
         "images": "Images", "experiments": "Experiments", "explanation": "What you see (Table 1)"}
# layout key (its shortcut) -> title; see _apply_layout
LAYOUTS = {1: "Figure 1: side by side", 2: "Explore: 2D landscape", 3: "3D landscape"}
ORBIT_TICK_MS = 40
ORBIT_DEGREES_PER_TICK = 0.6  #: 15 degrees a second
FPS_WINDOW_S = 1.0  #: the frame-rate reading counts the frames drawn in the last second
FPS_TICK_MS = 500  #: ... and is refreshed this often (empty once nothing is drawn)
SPEED_FACTOR = 2.0  #: the keys - and + divide and multiply the speed by this
EXPLANATION_LINES = 3  #: the explanation strip shows this many lines of text, and scrolls
#: the presenter theme hides the controls of a window narrower than this (C shows them)
PRESENTER_CONTROLS_WIDTH = 1280
#: the dock that shows each view the video export can film
EXPORT_VIEWS = {"side": "side-by-side", "view2d": "2d", "view3d": "3d"}


def _make_3d_view() -> QtWidgets.QWidget:
    """The OpenGL landscape, or a label that says why there is none."""
    try:
        from memscape.gui.view_3d import Landscape3DView
        return Landscape3DView()
    except Exception as exc:  # no OpenGL here, or the GL module missing: the rest still works
        label = QtWidgets.QLabel(f"3D view unavailable: {exc}")
        label.setWordWrap(True)
        label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        return label


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, preset: str, params: Params, backend: str | None = None,
                 settings: Settings | None = None, presenter: bool | None = None, autoplay: bool = True):
        super().__init__()
        self.setWindowTitle("Memscape: memories in plain sight")
        self.settings = settings or Settings()
        self.preset, self.params = preset, params
        self.presenter = False  #: the presenter theme is on (see _set_presenter)
        self._normal_layout: QtCore.QByteArray | None = None  #: the docks before the presenter theme
        self.live = True  #: False while the user scrubs through the recording
        self.update_: Update | None = None  #: the newest update from the worker
        self.recording = None  #: the Recording on screen (a new one means a new run)
        self.index = 0
        self.shown = None  #: the StepView on screen
        self._noted = None  #: the recording whose retrieval note the alert shows
        self._draw_times: list[float] = []
        self._fps_timer = QtCore.QTimer(self, interval=FPS_TICK_MS)
        self._fps_timer.timeout.connect(self._show_fps)
        self._fps_timer.start()
        self.playing = False  #: as the worker last reported
        self._in_sight: dict[str, bool] = {}
        self._redraw = QtCore.QTimer(self, singleShot=True, interval=0)
        self._redraw.timeout.connect(self._draw_again)
        self._orbit = QtCore.QTimer(self, interval=ORBIT_TICK_MS)
        self._orbit.timeout.connect(self._orbit_step)
        self._azimuth = 45.0

        self.controls = ControlsPanel(list_presets())
        self.view2d = Landscape2DView("")
        self.view3d = _make_3d_view()
        self.energy = EnergyTracePlot()
        self.schedule = SchedulePlot()
        self.side = SideBySideView()
        self.images = ImageGridView()
        self.experiments = ExperimentPanel(backend or params.backend)
        self.explanation = ExplanationStrip()
        # the strip wraps its sentences and scrolls when they need more lines than it shows
        self.explanation_area = QtWidgets.QScrollArea()
        self.explanation_area.setWidgetResizable(True)
        self.explanation_area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.explanation_area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.explanation_area.setWidget(self.explanation)
        self.explanation.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        policy = self.explanation.sizePolicy()
        policy.setHeightForWidth(True)  # so the scroll area gives it the height its lines need
        self.explanation.setSizePolicy(policy)
        self.explanation.setToolTip("which row of the paper's Table 1 this run shows, in plain words")
        widgets = {"controls": self.controls, "side": self.side, "view2d": self.view2d,
                   "view3d": self.view3d, "energy": self.energy, "schedule": self.schedule,
                   "images": self.images, "experiments": self.experiments, "explanation": self.explanation_area}
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self.setDockNestingEnabled(True)
        self.setCorner(QtCore.Qt.Corner.BottomLeftCorner, QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        for name, title in DOCKS.items():
            dock = QtWidgets.QDockWidget(title, self)
            dock.setObjectName(f"dock-{name}")
            dock.setWidget(widgets[name])
            dock.visibilityChanged.connect(lambda visible, n=name: self._on_dock_shown(n, visible))
            self.docks[name] = dock
        self._build_menus()
        self._build_status_bar()
        install_export(self)  # "Export video...", "Export trajectories..." and the status-bar button
        help_menu.install(self)
        self.statusBar().addWidget(self.alert_label)  # after: the export puts its button at index 0
        self._apply_layout(1)
        self.resize(1500, 920)
        self.settings.restore_window(self)  # the user's last size and layout, if any (saved in the normal theme)
        self._connect()
        self.controls.set_preset(preset)
        self.controls.set_params(params)
        speed = self.settings.value("run/speed", DEFAULT_SPEED, float, *SPEED_RANGE)
        self.controls.sliders["speed"].setValue(speed)
        self._show_speed(speed)
        for name in LAYERS:  # toggling the box shows or hides the layer
            self.controls.layers[name].setChecked(self.settings.value(f"layers/{name}", True, bool))
        self._set_presenter(self.settings.value("view/presenter", False, bool) if presenter is None else presenter)
        if self.settings.problems:  # what the settings file held that could not be used
            self._on_failed("; ".join(self.settings.problems))

        self.worker = SimulationWorker(params, backend, label=Path(preset).stem)
        # a new frame is taken in the timer phase of the event loop, not while posted events are
        # delivered: a stream of frames then never starves painting, input and the loop's return
        self._frame_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._frame_timer.timeout.connect(self._on_frame_ready)
        self.worker.frame_ready.connect(self._frame_timer.start)
        self.worker.failed.connect(self._on_failed)
        self.worker.said.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.worker.playing_changed.connect(self._on_playing_changed)
        self.worker.params_changed.connect(self._on_params_changed)
        self.worker.finished_run.connect(self._on_finished_run)
        self.worker.send("speed", speed)
        self.worker.start()
        if autoplay:
            self.worker.send("play", True)
        self.autosave = Autosave(self)
        if self.autosave.unclean_exit():
            QtCore.QTimer.singleShot(0, self._offer_recovery)
        self.autosave.start()

    # -- construction ----------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")  #: the export dialog adds its actions here
        self.menu_actions: dict[str, QtGui.QAction] = {}

        def action(menu, key, text, slot, shortcut=None, checkable=False):
            a = QtGui.QAction(text, self)
            if shortcut:
                keys = shortcut if isinstance(shortcut, list) else [shortcut]
                a.setShortcuts([QtGui.QKeySequence(k) for k in keys])
                a.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            a.setCheckable(checkable)
            (a.toggled if checkable else a.triggered).connect(slot)
            menu.addAction(a)
            self.menu_actions[key] = a
            return a

        action(self.file_menu, "open_session", "Open session...", self._open_session, QtGui.QKeySequence.StandardKey.Open)
        action(self.file_menu, "save_session", "Save session...", self._save_session, QtGui.QKeySequence.StandardKey.Save)
        action(self.file_menu, "save_preset", "Save preset as...", self._save_preset)
        self.file_menu.addSeparator()
        action(self.file_menu, "screenshot", "Screenshot to Pictures", self.screenshot, "S")
        self.file_menu.addSeparator()
        action(self.file_menu, "quit", "Quit", self.close, QtGui.QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        action(edit, "undo", "Undo memory edit", lambda: self._edit_memories("undo"), "Ctrl+Z")
        action(edit, "redo", "Redo memory edit", lambda: self._edit_memories("redo"), ["Ctrl+Shift+Z", "Ctrl+Y"])
        action(edit, "delete_memory", "Delete the memory under the mouse", self._delete_hovered_memory, "Delete")
        run = bar.addMenu("&Run")
        action(run, "play", "Play / pause", lambda: self._on_action("play"), "Space")
        action(run, "step", "Single step", lambda: self._on_action("step"), "N")
        action(run, "reset", "Reset (after the end: replay)", lambda: self._on_action("reset"), "R")
        action(run, "loop", "Loop: replay each run on its own", self._set_looping, "L", checkable=True)
        action(run, "slower", "Slower (half the speed)", lambda: self._change_speed(1 / SPEED_FACTOR), "-")
        action(run, "faster", "Faster (double the speed)", lambda: self._change_speed(SPEED_FACTOR), ["+", "="])
        action(run, "reseed", "Reseed", lambda: self._on_action("reseed"))
        view = bar.addMenu("&View")
        for key, title in LAYOUTS.items():
            action(view, f"layout{key}", f"Layout {key}: {title}", lambda _=False, k=key: self._apply_layout(k), str(key))
        view.addSeparator()
        action(view, "fit", "Fit the views to the particles", self.fit_views, "A")
        action(view, "fullscreen", "Full screen", self._toggle_fullscreen, "F")
        leave = action(view, "leave_fullscreen", "Leave full screen", self.showNormal, "Escape")
        leave.setEnabled(False)  # only in full screen: elsewhere Escape is a field's
        action(view, "orbit", "Orbit the 3D camera", self._set_orbiting, "O", checkable=True)
        action(view, "presenter", "Presenter theme (high contrast, large fonts)", self._set_presenter, "T",
               checkable=True)
        view.addSeparator()
        for name, dock in self.docks.items():
            toggle = dock.toggleViewAction()
            if name == "controls":  # hide them and the views get the width
                toggle.setText("Controls (show or hide)")
                toggle.setShortcut(QtGui.QKeySequence("C"))
                toggle.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
                self.menu_actions["controls"] = toggle
            view.addAction(toggle)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        # as wide as their widest reading, so the bar does not jump as they change
        self.device_label = QtWidgets.QLabel("starting...")
        self.device_label.setToolTip("the array backend the engine runs on")
        self.fps_label = FittedLabel("888 fps")
        self.fps_label.setToolTip("frames the window drew in the last second (empty when idle)")
        self.step_label = FittedLabel("step 1000   sigma 0.01234")
        self.step_label.setToolTip("the step on screen and, for diffusion, its noise level sigma")
        self.speed_label = FittedLabel("120 steps/s")
        self.speed_label.setToolTip("simulation speed (keys - and + halve and double it)")
        self.drawing = render_path.current()  #: the path the views made above draw with (the About box says it too)
        self.drawing_label = QtWidgets.QLabel(self.drawing.label())
        self.drawing_label.setToolTip(f"{self.drawing.label(full=True)}: how the 2D views draw particles and trails "
                                      f"(the environment variable {render_path.ENV}=raster|gl overrides the choice)")
        self.alert_label = QtWidgets.QLabel("")
        self.alert_label.setForegroundRole(QtGui.QPalette.ColorRole.BrightText)
        alert = self.alert_label.palette()
        alert.setColor(QtGui.QPalette.ColorRole.BrightText, QtGui.QColor(*theme.ALERT_COLOR))
        self.alert_label.setPalette(alert)
        bold = QtGui.QFont()
        bold.setBold(True)  # only the weight: the size follows the theme
        self.alert_label.setFont(bold)
        self.alert_label.setMaximumWidth(520)
        self.alert_label.hide()
        for label in (self.step_label, self.speed_label, self.fps_label, self.device_label, self.drawing_label):
            label.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(label)

    def _connect(self) -> None:
        c = self.controls
        c.changed.connect(self._on_changed)
        c.preset_chosen.connect(self.load_preset)
        c.speed_changed.connect(self._on_speed)
        c.action.connect(self._on_action)
        c.loop_toggled.connect(self.menu_actions["loop"].setChecked)
        c.scrubbed.connect(self._on_scrubbed)
        c.layer_toggled.connect(self._set_layer)
        for v in (self.view2d, *self.side.views()):  # the side-by-side pair takes the same mouse
            v.drop_requested.connect(self._on_drop)
            v.memory_added.connect(self._on_memory_added)
            v.memory_moved.connect(self._on_memory_moved)
            v.memory_delete_requested.connect(self._on_memory_deleted)
        self.view2d.hovered.connect(self._set_highlight)
        self.side.hovered.connect(self._set_highlight)

    # -- layouts and theme -------------------------------------------------------
    def _apply_layout(self, key: int) -> None:
        """1: Figure 1 (side by side first), 2: the 2D landscape first, 3: the 3D landscape first."""
        d = self.docks
        controls_hidden = d["controls"].isHidden() and self.isVisible()  # C hid them: a layout keeps that
        for dock in d.values():
            self.removeDockWidget(dock)
        L, R, B = (QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, QtCore.Qt.DockWidgetArea.RightDockWidgetArea,
                   QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        H, V = QtCore.Qt.Orientation.Horizontal, QtCore.Qt.Orientation.Vertical
        big = {1: "side", 2: "view2d", 3: "view3d"}[key]
        self._big_view = big
        second = {1: "view3d", 2: "view3d", 3: "view2d"}[key]
        self.addDockWidget(L, d["controls"])
        self.addDockWidget(R, d[big])
        self.splitDockWidget(d[big], d[second], H)
        self.addDockWidget(B, d["explanation"])
        self.splitDockWidget(d[second], d["energy"], V)
        self.splitDockWidget(d["energy"], d["schedule"], V)
        rest = [n for n in ("side", "view2d", "view3d") if n not in (big, second)]
        for name in rest:
            self.tabifyDockWidget(d[big], d[name])
        self.tabifyDockWidget(d[big], d["images"])
        self.tabifyDockWidget(d[big], d["experiments"])
        for name, dock in d.items():
            dock.setVisible(not (name == "controls" and controls_hidden))
        d[big].raise_()
        self.resizeDocks([d["controls"], d[big], d[second]], [300, 900, 420], H)
        self.resizeDocks([d[second], d["energy"], d["schedule"]], [400, 260, 180], V)
        self.resizeDocks([d["explanation"]], [80], V)

    def _apply_theme(self) -> None:
        app = QtWidgets.QApplication.instance()
        theme.apply_theme(app, self.presenter)
        plots = (self.view2d, self.energy, self.schedule, *self.side.views(), self.side.am_energy, self.side.dm_energy)
        for plot in plots:
            plot.setBackground(theme.plot_background(self.presenter))
            theme.style_plot(plot.getPlotItem(), self.presenter)
        #: fitted again after each drawn step (a trace's label changes with the model)
        self._label_fitters = [theme.axis_label_fitter(plot.getPlotItem()) for plot in plots]
        for view in (self.view2d, *self.side.views()):
            view.setTitle(view.title())  # fitted again at the theme's title size
        self.images.setBackground(theme.plot_background(self.presenter))
        status = QtGui.QFont()
        status.setPointSizeF(theme.fonts(self.presenter).status)  # only the size: the rest follows the theme
        self.statusBar().setFont(status)
        # the presenter theme's large font leaves the status bar no room for it (the About box says it)
        self.drawing_label.setVisible(not self.presenter)
        lines = QtGui.QFontMetrics(app.font()).lineSpacing() * EXPLANATION_LINES
        self.explanation_area.setFixedHeight(lines + self.explanation.contentsMargins().top() + 2)  # whole lines
        with QtCore.QSignalBlocker(self.menu_actions["presenter"]):
            self.menu_actions["presenter"].setChecked(self.presenter)

    def _set_presenter(self, on: bool) -> None:
        """The presenter theme on or off. Off restores exactly the docks' sizes from before it
        went on (the larger fonts widen the controls), so nothing of it lingers."""
        on = bool(on)
        if on and not self.presenter:
            self._normal_layout = self.saveState()
        was = self.presenter
        self.presenter = on
        self._apply_theme()
        if on and not was:
            QtWidgets.QApplication.sendPostedEvents()  # the new fonts' size hints
            controls = self.docks["controls"]
            if self.width() < PRESENTER_CONTROLS_WIDTH and not controls.isHidden():
                controls.hide()  # on a small projector the views need the width
                self.statusBar().showMessage("Controls hidden to give the views room: C shows them.", 10000)
            else:
                self.resizeDocks([controls], [controls.widget().minimumSizeHint().width()],
                                 QtCore.Qt.Orientation.Horizontal)
        elif was and not on and self._normal_layout is not None:
            state, self._normal_layout = self._normal_layout, None
            QtWidgets.QApplication.sendPostedEvents()  # the smaller fonts' size hints first
            self.controls.widget().layout().activate()
            self.controls.updateGeometry()
            QtWidgets.QApplication.sendPostedEvents()
            self.restoreState(state)

    def _set_orbiting(self, on: bool) -> None:
        """Turn the 3D camera slowly around the landscape (for demos), or stop."""
        if on and hasattr(self.view3d, "set_orbit"):
            self._orbit.start()
        else:
            self._orbit.stop()

    def _orbit_step(self) -> None:
        self._azimuth = (self._azimuth + ORBIT_DEGREES_PER_TICK) % 360.0
        self.view3d.set_orbit(self._azimuth)

    def _toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        if event.type() == QtCore.QEvent.Type.WindowStateChange:
            self.menu_actions["leave_fullscreen"].setEnabled(self.isFullScreen())
        super().changeEvent(event)

    def _set_layer(self, name: str, on: bool) -> None:
        self.view2d.set_layer_visible(name, on)
        self.side.set_layer_visible(name, on)
        if hasattr(self.view3d, "set_layer_visible"):
            self.view3d.set_layer_visible(name, on)

    # -- user actions -------------------------------------------------------------
    def _on_changed(self, changes: dict) -> None:
        try:
            params = self.params.replace(**changes)
        except ParamError as exc:
            self.statusBar().showMessage(str(exc), 8000)
            self.controls.set_params(self.params)
            return
        self.set_params(params)

    def set_params(self, params: Params) -> None:
        """Apply new parameters: the worker takes them before its next step."""
        self.params = params
        self.controls.set_params(params)
        self.worker.send("params", params)

    def load_preset(self, name: str) -> None:
        try:
            params = load_preset(name)
        except ParamError as exc:
            self.statusBar().showMessage(str(exc), 10000)
            self.controls.set_preset(self.preset)
            return
        self.preset, self.params = name, params
        self.worker.set_label(Path(name).stem)
        self.controls.set_preset(name)
        self.controls.set_params(params)
        self.live = True
        self.worker.send("rebuild", params)
        self.worker.send("play", True)

    def _on_action(self, name: str) -> None:
        self.alert_label.hide()
        if name == "play":
            if not self.playing and not self.live and self.shown is not None \
                    and self.index < self.shown.length - 1:
                self.worker.send("seek", self.index)  # play on from the step on screen
            self.live = True
            self.worker.send("play", not self.playing)
        elif name == "reseed":
            self.params = self.params.replace(seed=self.params.seed + 1)
            self.live = True
            self.worker.send("rebuild", self.params)
            self.worker.send("play", True)
        else:
            self.live = True
            self.worker.send(name)

    def _on_speed(self, speed: float) -> None:
        self.worker.send("speed", speed)
        self._show_speed(speed)

    def _show_speed(self, speed: float) -> None:
        self.speed_label.setText(f"{speed:.3g} steps/s" if speed >= 1 else f"a step every {1 / speed:.3g} s")

    def _change_speed(self, factor: float) -> None:
        """Keys - and +: half or double the speed, within the slider's range."""
        slider = self.controls.sliders["speed"]
        speed = min(max(slider.value() * factor, SPEED_RANGE[0]), SPEED_RANGE[1])
        slider.setValue(speed)
        self._on_speed(speed)

    def _set_looping(self, on: bool) -> None:
        self.controls.set_looping(on)
        self.worker.send("loop", on)
        if self.shown is not None and self.shown.done and not self.playing:
            self._on_finished_run(None)  # the message says what comes next

    def _on_finished_run(self, _update) -> None:
        """The run reached its end: say so, and what to press."""
        looping = self.menu_actions["loop"].isChecked()
        self.statusBar().showMessage("Finished: " + ("it replays itself, L stops" if looping else "R replays, L loops"))

    def _on_drop(self, x: float, y: float, replace: bool) -> None:
        self.live = True
        self.worker.send("drop", (x, y, replace))
        self.worker.send("play", True)

    def _memories_editable(self) -> bool:
        """Memories can be added and moved only for 2D data (else a message says so)."""
        if self.shown is None or self.shown.segment.memories.shape[1] != 2:
            self.statusBar().showMessage("memories can be added, moved and deleted only for 2D data", 5000)
            return False
        return True

    def _on_memory_added(self, x: float, y: float) -> None:
        if self._memories_editable():
            self.live = True
            self.worker.send("add_memory", (x, y))

    def _on_memory_moved(self, index: int, x: float, y: float) -> None:
        if self._memories_editable():
            self.live = True
            self.worker.send("move_memory", (index, x, y))

    def _on_memory_deleted(self, index: int) -> None:
        if self._memories_editable():
            self.live = True
            self.worker.send("delete_memory", index)

    def _delete_hovered_memory(self) -> None:
        """Delete: the memory under the mouse in any 2D view."""
        hovered = [v.hovered_memory for v in (self.view2d, *self.side.views()) if v.hovered_memory is not None]
        if hovered:
            self._on_memory_deleted(hovered[0])
        else:
            self.statusBar().showMessage("point at a memory (a star) to delete it", 5000)

    def _edit_memories(self, kind: str) -> None:
        """Ctrl+Z, Ctrl+Shift+Z: undo or redo the last memory edit."""
        self.live = True
        self.worker.send(kind)

    def _on_scrubbed(self, index: int) -> None:
        if self.update_ is None:
            return
        self.live = False
        self.worker.send("play", False)
        self.show_frame(self.update_, min(index, self.update_.index))

    def _set_highlight(self, index: int) -> None:
        for item in (self.view2d, self.energy, self.side, self.view3d):
            if hasattr(item, "set_highlight"):  # (the 3D view may be a label saying why there is none)
                item.set_highlight(index)

    def fit_views(self) -> None:
        """Fit the 2D views to the landscape and the particles on screen (key A)."""
        if self.shown is not None:
            self.view2d.fit(self.shown.main.uv)
            self.side.fit(np.concatenate([self.shown.am.uv, self.shown.dm.uv]))

    def view_on_screen(self) -> str:
        """The export view ("side-by-side", "2d", "3d") of the landscape in sight: the layout's
        big view when it shows, else the first in sight."""
        for dock in (self._big_view, *EXPORT_VIEWS):
            if self.in_sight(dock) and not self.docks[dock].isHidden():
                return EXPORT_VIEWS[dock]
        return EXPORT_VIEWS[self._big_view]

    # -- worker -> views ------------------------------------------------------------
    def _on_frame_ready(self) -> None:
        update = self.worker.take_latest()
        if update is None:
            return
        if update.recording is not self.recording:
            self.live = True  # a new run: show it
        if self.live:
            self.show_frame(update, update.index)
        else:  # scrubbing: keep the entry on screen, the scrubber learns the new length
            self.update_ = update
            self.controls.set_recording(update.snapshot.length, self.index, self.step_shown())

    def _on_failed(self, message: str) -> None:
        """Say why in the status bar; the red note stays until the user acts again."""
        self.statusBar().showMessage(message, 15000)
        self.alert_label.setText(f"\u26a0 {message}")
        self.alert_label.setToolTip(message)
        self.alert_label.show()

    def _on_params_changed(self, params: Params) -> None:
        """The run's parameters changed other than as the controls asked (a refused change
        reverted, an undo, a seek into an earlier segment, a dropped cluster)."""
        self.params = params
        self.controls.set_params(params)

    def _on_playing_changed(self, playing: bool) -> None:
        self.playing = playing
        self.controls.set_playing(playing, finished=self.shown is not None and self.shown.done)
        if playing:
            self.statusBar().clearMessage()  # "Finished..." no longer holds

    def step_shown(self) -> int:
        return self.shown.main.step if self.shown is not None else 0

    def show_frame(self, update: Update, index: int) -> None:
        """Draw entry ``index`` of ``update``'s recording into the views in sight (the
        scrubber calls this too)."""
        new_run = update.recording is not self.recording
        self.update_, self.recording, self.index = update, update.recording, index
        step = update.view(index)
        self.shown = step
        views = Views(view2d=self.view2d if self._wants("view2d") else None,
                      side=self.side if self._wants("side") else None,
                      view3d=self.view3d if self._wants("view3d") else None,
                      energy=self.energy if self._wants("energy") else None,
                      schedule=self.schedule,
                      images=self.images if self._wants("images") or new_run else None)
        draw_step(views, step)
        for fitter in self._label_fitters:
            fitter.fit()
        if new_run:
            self._on_new_run(step)
        if step.retrieval_note and self._noted is not update.recording:  # measured after the first frame
            self._noted = update.recording
            self._on_failed(step.retrieval_note)
        self.explanation.show_mode(step.main.model, step.main.sigma, step.main.params)
        self.controls.set_recording(step.length, index, step.main.step)
        sigma = step.main.sigma
        sig = "" if sigma != sigma else f"   sigma {sigma:.4g}"
        self.step_label.setText(f"step {step.main.step}{sig}")
        if not self.playing:  # Play, or Replay on the last step of a finished run
            self.controls.set_playing(False, finished=step.done)
        self._draw_times.append(time.monotonic())

    def _show_fps(self) -> None:
        """The drawing rate over the last second; nothing once no frame is being drawn."""
        now = time.monotonic()
        self._draw_times = [t for t in self._draw_times if now - t < FPS_WINDOW_S]
        self.fps_label.setText(f"{len(self._draw_times)} fps" if len(self._draw_times) > 1 else "")

    def framing(self) -> dict:
        """How each view frames the run now, for an export that films it the same way."""
        out = {"2d": self.view2d.shown_range(), "side-by-side": self.side.shown_range()}
        if hasattr(self.view3d, "camera"):
            out["3d"] = self.view3d.camera()
        return out

    def run_snapshot(self):
        """(snapshot, meta) of the run on screen, for the exports; None before it exists."""
        update = self.update_
        return None if update is None else (update.snapshot, update.meta)

    def in_sight(self, dock: str) -> bool:
        """Whether a dock can be seen now (not closed, not a tab behind another)."""
        return self._in_sight.get(dock, True)

    def _wants(self, dock: str) -> bool:
        """Draw into a view only when it can be seen (every view while the window is hidden:
        tests render hidden views)."""
        return not self.isVisible() or self.in_sight(dock)

    def _on_dock_shown(self, dock: str, visible: bool) -> None:
        self._in_sight[dock] = visible
        if visible:
            self._redraw.start()  # one redraw for all the docks a layout change shows

    def _draw_again(self) -> None:
        if self.update_ is not None:
            self.show_frame(self.update_, self.index)

    def _on_new_run(self, step) -> None:
        """A new run (a preset, a reset, a drop): the device in the status bar, which memories
        can be dragged, the views fitted to the landscape and the particles, and the tab that
        shows the preset raised."""
        self.device_label.setText(step.device)
        self.device_label.setToolTip(step.device_note or "the array backend the engine runs on")
        for view in (self.view2d, *self.side.views()):
            view.memories_movable = step.segment.memories.shape[1] == 2
        self.fit_views()
        if step.image_shape is not None:
            self.docks["images"].raise_()
        elif not self.in_sight(self._big_view):
            self.docks[self._big_view].raise_()

    # -- sessions and presets ----------------------------------------------------------
    def session_ready(self) -> bool:
        """Whether a run is on screen to save as a session."""
        return self.update_ is not None

    def session(self) -> Session:
        """The session on screen: the preset, every parameter, the speed, the overlays, the
        dock layout and the run's initial states (a dropped cluster included)."""
        start = np.array(self.update_.snapshot.tracks[0]["x"][0], copy=True) if self.update_ is not None else None
        layout = base64.b64encode(bytes(self.saveState(LAYOUT_VERSION))).decode("ascii")
        return Session(self.preset, self.params, self.controls.sliders["speed"].value(),
                       {name: box.isChecked() for name, box in self.controls.layers.items()}, start, layout)

    def apply_session(self, session: Session) -> None:
        """Restore a saved session: its parameters and initial states start a new run, and its
        layout, speed and overlays come back."""
        self.controls.sliders["speed"].setValue(session.speed)
        self._on_speed(session.speed)
        for name, on in session.layers.items():
            if name in self.controls.layers:
                self.controls.layers[name].setChecked(on)
        if session.layout:
            try:
                self.restoreState(QtCore.QByteArray(base64.b64decode(session.layout, validate=True)), LAYOUT_VERSION)
            except (binascii.Error, ValueError):
                self.statusBar().showMessage("the session's layout could not be read; kept this one", 8000)
        self.preset, self.params = session.preset or self.preset, session.params
        self.worker.set_label(Path(self.preset).stem)
        self.controls.set_preset(self.preset)
        self.controls.set_params(self.params)
        self.live = True
        self.worker.send("load", (self.params, session.start))

    def _save_session(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save session", "memscape-session.json",
                                                        "Memscape session (*.json)")
        if path:
            try:
                write_session(path, self.session())
            except OSError as exc:
                self.statusBar().showMessage(f"could not write {path}: {exc.strerror or exc}", 10000)
                return
            self.statusBar().showMessage(f"session saved to {path} (its particles in {arrays_path(path).name})", 8000)

    def _open_session(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open session", "", "Memscape session (*.json)")
        if path:
            self.open_session(path)

    def open_session(self, path: str | Path) -> bool:
        try:
            self.apply_session(read_session(path))
        except SessionError as exc:
            self._on_failed(str(exc))
            return False
        self.statusBar().showMessage(f"opened {path}", 8000)
        return True

    def _save_preset(self) -> None:
        name, ok = QtWidgets.QInputDialog.getText(self, "Save preset as", "Name of the preset (letters, digits, - and _):",
                                                  text=f"{Path(self.preset).stem}-mine")
        if ok and name:
            self.save_preset(name)

    def save_preset(self, name: str, replace: bool = False) -> Path | None:
        """The parameters on screen as the user's preset ``name``: listed beside the built-ins
        here and by ``memscape presets``."""
        description = f"saved from {Path(self.preset).stem} on {time.strftime('%Y-%m-%d')}"
        try:
            path = save_user_preset(name, description, self.params, replace)
        except ParamError as exc:
            self._on_failed(str(exc))
            return None
        self.preset = name
        self.controls.set_preset(name)
        self.statusBar().showMessage(f"preset {name!r} saved to {path}", 8000)
        return path

    def _offer_recovery(self) -> None:
        """The last session did not close: offer its autosave (not modal: the app goes on)."""
        saved = time.strftime("%H:%M on %d %b", time.localtime(self.autosave.path.stat().st_mtime))
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, "Recover the last session?",
                                    f"Memscape did not close properly last time. Restore the session it saved at "
                                    f"{saved}?", QtWidgets.QMessageBox.StandardButton.Yes
                                    | QtWidgets.QMessageBox.StandardButton.No, self)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.open_session(self.autosave.path))
        self.recovery_box = box
        box.open()

    # -- screenshot, close -------------------------------------------------------------
    def screenshot(self) -> Path | None:
        """The window as a PNG in the user's Pictures folder (Memscape subfolder)."""
        folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.PicturesLocation)
        path = Path(folder or Path.home()) / "Memscape" / time.strftime("memscape-%Y%m%d-%H%M%S.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.grab().save(str(path)):
            self.statusBar().showMessage(f"could not write {path}", 8000)
            return None
        self.statusBar().showMessage(f"screenshot saved to {path}", 8000)
        return path

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self._orbit.stop()
        self.autosave.stop()
        self.experiments.shutdown()
        self.worker.stop()
        presenter = self.presenter
        self._set_presenter(False)  # the layout is saved as the normal theme lays it out
        self.settings.save_window(self)
        self.settings.save_run(self.preset, self.params)
        self.settings.set_value("run/speed", self.controls.sliders["speed"].value())
        self.settings.set_value("view/presenter", presenter)  # the next start puts it on again
        for name, box in self.controls.layers.items():
            self.settings.set_value(f"layers/{name}", box.isChecked())
        self.settings.sync()
        super().closeEvent(event)

