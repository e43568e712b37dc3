"""Render the frames of an exported video: the one code path of the GUI dialog and the CLI.

A run is simulated once and kept whole (:func:`record`); frame k of the video shows
step :func:`gui.export.settings.frame_steps` of it. The views are the
app's own widgets (:class:`gui.view_2d.Landscape2DView`, the side-by-side pair,
:class:`gui.view_3d.Landscape3DView`), built hidden at exactly the asked size and
drawn into a QImage, with the overlays on top.

:func:`export_job` is a generator doing the whole export one small piece per
``next()``: the CLI simply loops over it, the dialog calls ``next()`` from a timer
so the app stays responsive, and cancelling is ``job.close()`` (the writer then
removes its temporary file).
"""
from __future__ import annotations

import dataclasses
import gc
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from memscape.engine.landscape import Grid
from memscape.engine.params import Params
from memscape.engine.simulation import Simulation
from memscape.gui import theme
from memscape.gui.export.overlays import OverlayText, band_heights, draw_overlays, params_readout, step_readout
from memscape.gui.export.settings import Progress, RenderSettings, frame_steps
from memscape.gui.export.video_writer import VideoWriter, encoded_size, format_for_path
from memscape.gui.main_window import pg_background
from memscape.gui.side_by_side import SideBySideView
from memscape.gui.view_2d import Landscape2DView
from memscape.gui.history import History, HistoryView
from memscape.gui.worker import landscape_grid, twin_params

@dataclasses.dataclass
class Run:
    """One simulation kept whole: every frame, the :class:`gui.history.History` the app's
    trails and energy traces draw from, and the energy map at each step a video shows
    (one map for an AM, whose landscape is fixed)."""

    sim: Simulation
    frames: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    history: History | None = None
    maps: dict[int, dict[str, np.ndarray]] = dataclasses.field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.sim.steps

    def keep(self, frame: dict[str, Any]) -> None:
        if self.history is None:
            self.history = History(len(frame["x"]))
        self.frames.append(frame)
        self.history.append(frame["step"], self.sim.plane.project(frame["x"]), frame["energy"])

    def landscape_at(self, step: int) -> dict[str, np.ndarray]:
        """The map drawn at ``step``: E_sigma at that step's sigma, or the AM's fixed landscape."""
        return self.maps.get(step, self.maps[0])

    def upto(self, step: int) -> HistoryView:
        """Steps 0..step, as the app's views draw them."""
        return self.history.upto(step)


@dataclasses.dataclass
class Scene:
    """The runs of one export: ``runs[0]`` is the user's simulation; for side by side
    ``runs[1]`` is its twin from the same particles (:func:`gui.worker.twin_params`)."""

    params: Params
    runs: list[Run]
    grid: Grid
    memories_uv: np.ndarray

    def side_by_side(self) -> tuple[Run, Run]:
        """(associative memory, diffusion), whichever of the two is the user's."""
        main, twin = self.runs
        return (twin, main) if main.sim.is_diffusion else (main, twin)


def build_scene(params: Params, view: str, init: np.ndarray | None = None) -> Scene:
    """The simulation(s) ``view`` needs, from the initial states ``init`` (N, D) when given,
    on the app's landscape grid around the memories."""
    main = Simulation(params, init=init)
    runs = [Run(main)]
    if view == "side-by-side":
        runs.append(Run(main.twin(twin_params(params))))
    uv = main.plane.project(main.memories_host)
    return Scene(params, runs, landscape_grid(uv, main.memories_host.shape[1]), uv)


def record(scene: Scene, frames: int) -> Iterator[Progress]:
    """Step every run to its end, keeping each frame, and the energy map at each step
    one of ``frames`` video frames shows."""
    runs = scene.runs
    total = max(r.steps for r in runs)
    for run in runs:
        run.keep(run.sim.frame())
        run.maps = {0: run.sim.landscape(scene.grid)}
    shown = [set(frame_steps(frames, r.steps).tolist()) if r.sim.is_diffusion else set() for r in runs]
    for i in range(1, total + 1):
        for run, wanted in zip(runs, shown):
            if i <= run.steps:
                run.keep(run.sim.step())
                if i in wanted:
                    run.maps[i] = run.sim.landscape(scene.grid)
        yield Progress("simulating", i, total)


def _view_3d_class():
    from memscape.gui.view_3d import Landscape3DView  # GL: imported only when a 3D view is asked for

    return Landscape3DView


def _draw_2d(view, run: Run, step: int, scene: Scene) -> None:
    """One run at one step into a Landscape2DView, as MainWindow._draw_landscape does."""
    land = run.landscape_at(step)
    view.set_landscape(land["energy"], (land["x"][0], land["x"][-1]), (land["y"][0], land["y"][-1]), land["grad"])
    view.set_memories(scene.memories_uv)
    past = run.upto(step)
    view.set_particles(past.uv[-1], past.trail())


def _draw_3d(view, run: Run, step: int, scene: Scene) -> None:
    """One run at one step into the Landscape3DView, as MainWindow._draw_3d does."""
    land = run.landscape_at(step)
    view.set_landscape(land["energy"], (land["x"][0], land["x"][-1]), (land["y"][0], land["y"][-1]))
    past = run.upto(step)
    uv = past.uv[-1]
    view.set_particles(uv, run.frames[step]["energy"], theme.particle_colors(len(uv)) / 255.0)
    view.set_trails(past.trail())
    view.set_memories(scene.memories_uv)


class FrameRenderer:
    """The app's view(s) for ``settings.view``, hidden, sized exactly, fed frame by frame."""

    def __init__(self, scene: Scene, settings: RenderSettings, size: tuple[int, int] | None = None):
        self.scene = scene
        self.settings = settings
        self.size = size or settings.size
        self.count = settings.frame_count
        self.steps = [frame_steps(self.count, r.steps) for r in scene.runs]
        if settings.view == "3d":
            self.widget = _view_3d_class()()
            plots = []
        elif settings.view == "side-by-side":
            self.widget = SideBySideView()
            am, dm = scene.side_by_side()
            p = scene.params
            self.widget.set_titles(f"Associative memory ({am.sim.params.model}, beta = {p.beta:g})",
                                   f"Diffusion ({p.sampler}, {p.schedule})")
            plots = [*self.widget.views(), self.widget.am_energy, self.widget.dm_energy]
        else:
            self.widget = Landscape2DView("")
            plots = [self.widget]
        self.background = pg.mkColor(pg_background(settings.presenter))
        for plot in plots:
            plot.setBackground(self.background)
            theme.style_plot(plot.getPlotItem(), settings.presenter)
        w, h = self.size
        self.top, bottom = band_heights(h, self._overlay_text(0))  # the same bands on every frame
        self.view_size = (w, h - self.top - bottom)
        self.widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.widget.resize(*self.view_size)
        self.widget.show()
        QtWidgets.QApplication.processEvents()

    def close(self) -> None:
        """Let go of the views. Python owns them (no parent), so dropping the last reference
        deletes the C++ widgets with their Python objects, here in the GUI thread; deleting
        the C++ side first (deleteLater) would leave wrappers of deleted Qt objects behind
        until the cycle collector ran (see tests/gui/conftest.py, make_window)."""
        widget, self.widget = self.widget, None
        if widget is not None:
            widget.close()
            del widget
            gc.collect()

    def _show(self, k: int) -> None:
        """Feed frame k's step of every run to its view."""
        scene, view = self.scene, self.settings.view
        step = int(self.steps[0][k])
        if view == "3d":
            _draw_3d(self.widget, scene.runs[0], step, scene)
            self.widget.set_orbit(self.settings.azimuth + self.settings.orbit * k / self.settings.fps)
        elif view == "side-by-side":
            am, dm = scene.side_by_side()
            for run, plot, trace in ((am, self.widget.am, self.widget.am_energy),
                                     (dm, self.widget.dm, self.widget.dm_energy)):
                s = min(step, run.steps)
                _draw_2d(plot, run, s, scene)
                trace.set_history(run.upto(s), span=run.steps)
        else:
            _draw_2d(self.widget, scene.runs[0], step, scene)

    def render(self, k: int) -> QtGui.QImage:
        """Frame k as an RGB888 QImage of exactly ``size``: the view, with the overlay bands
        (:func:`gui.export.overlays.band_heights`) above and below it when overlays are on."""
        self._show(k)
        image = QtGui.QImage(*self.size, QtGui.QImage.Format.Format_RGB32)
        image.fill(self.background)
        if self.settings.view == "3d":
            painter = QtGui.QPainter(image)
            painter.drawImage(0, self.top, self.widget.render_image(*self.view_size))
            painter.end()
        else:  # the widget and its children, 1:1, below the top band
            QtWidgets.QWidget.render(self.widget, image, QtCore.QPoint(0, self.top))
        draw_overlays(image, self._overlay_text(k), self.background)
        return image.convertToFormat(QtGui.QImage.Format.Format_RGB888)

    def _overlay_text(self, k: int) -> OverlayText:
        """Title, the user's parameters, and the user's run's step and sigma at frame k,
        each only when ``settings.overlays`` names it."""
        shown = self.settings.overlays
        main = self.scene.runs[0]
        step = int(self.steps[0][k])
        return OverlayText(title=self.settings.title if "title" in shown else "",
                           params=params_readout(self.scene.params) if "params" in shown else "",
                           step=step_readout(step, main.steps, float(main.frames[step]["sigma"])) if "step" in shown else "")

    def render_array(self, k: int) -> np.ndarray:
        """Frame k as a (height, width, 3) uint8 array."""
        return qimage_to_array(self.render(k))


def qimage_to_array(image: QtGui.QImage) -> np.ndarray:
    """An RGB888 QImage -> (height, width, 3) uint8 copy (rows are padded to 4 bytes in Qt)."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits().asstring(stride * h), dtype=np.uint8)
    return buf.reshape(h, stride)[:, :w * 3].reshape(h, w, 3).copy()


def export_job(params: Params, settings: RenderSettings, path: str | Path,
               fmt: str | None = None, init: np.ndarray | None = None, force: bool = False) -> Iterator[Progress]:
    """The whole export, one sim step or one video frame per ``next()``: simulate once (from
    ``init`` when given: the app passes its run's start, dropped particles included), then
    render and encode every frame to ``path`` (atomically; ``close()`` cancels cleanly;
    ``force``: see :class:`gui.export.video_writer.VideoWriter`)."""
    fmt = fmt or format_for_path(path)
    size = encoded_size(fmt, settings.size)
    with VideoWriter(path, fmt, size, settings.fps, force) as writer:  # opened first: a bad folder fails at once
        scene = build_scene(params, settings.view, init)
        yield from record(scene, settings.frame_count)
        renderer = FrameRenderer(scene, settings, size)
        try:
            for k in range(renderer.count):
                writer.write(renderer.render_array(k))
                yield Progress("rendering", k + 1, renderer.count)
        finally:
            renderer.close()


def gl_available() -> bool:
    """Whether an OpenGL context can be made here (the 3D view needs one)."""
    ctx = QtGui.QOpenGLContext()
    return ctx.create()


def check_view_possible(view: str) -> None:
    """Raise RuntimeError with a clear message when ``view`` needs OpenGL and none is available."""
    if view == "3d" and not gl_available():
        platform = QtGui.QGuiApplication.platformName()
        raise RuntimeError(f"the 3D view needs an OpenGL context, and none can be made on the "
                           f"{platform!r} Qt platform; run under a display or Xvfb "
                           f"(e.g. xvfb-run python main.py export ...), or export --view 2d")

