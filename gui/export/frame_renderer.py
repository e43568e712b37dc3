"""Render the frames of an exported video from a run's recording: the one code path of the
GUI dialog and the CLI.

A video films a recorded run (:class:`memscape.engine.run.Run`): frame k of F shows entry
:func:`memscape.gui.export.settings.frame_steps` (F, L - 1) of its L recorded entries, drawn by
:func:`memscape.gui.draw_step.draw_step` into the app's own view for ``settings.view`` (the
2D landscape, the side-by-side pair or the 3D landscape), built hidden at exactly the asked
size, with the overlays on top. The window exports the run it shows; ``main.py export``
first steps a Run of its parameters to the end (:func:`simulate`). The 2D views of a video
always draw their particles and trails with the raster path
(:func:`memscape.gui.render_path.raster_only`), whatever the window uses: their videos do not
depend on the machine's GPU or driver (the 3D view draws with GL everywhere).

:func:`export_job` is a generator doing the whole export one small piece per ``next()``: the
CLI simply loops over it, the dialog calls ``next()`` from a timer so the app stays
responsive, and cancelling is ``job.close()`` (the writer then removes its temporary file).
"""
from __future__ import annotations

import gc
from pathlib import Path
from typing import Iterator

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

from memscape.engine.params import Params
from memscape.engine.run import Run, Snapshot, StepView
from memscape.engine.run.view import step_view
from memscape.gui import render_path, theme
from memscape.gui.draw_step import Views, draw_step
from memscape.gui.export.overlays import OverlayText, band_heights, draw_overlays, params_readout, step_readout
from memscape.gui.export.settings import Progress, RenderSettings, frame_steps
from memscape.gui.export.video_writer import QIMAGE_RGB32, VideoWriter, encoded_size, format_for_path
from memscape.gui.side_by_side import SideBySideView
from memscape.gui.view_2d import Landscape2DView


def simulate(params: Params, init: np.ndarray | None = None, label: str = "") -> Iterator[Progress | Run]:
    """Step a new Run of ``params`` (from ``init`` (N, D) when given) to its end, one step per
    ``next()``; the last item is the Run itself."""
    run = Run(params, init=init, label=label)
    while not run.done:
        run.step()
        yield Progress("simulating", run.main.i, run.steps)
    yield run


def _view_3d_class():
    from memscape.gui.view_3d import Landscape3DView  # GL: imported only when a 3D view is asked for

    return Landscape3DView


class FrameRenderer:
    """The app's view for ``settings.view``, hidden, sized exactly, fed entry by entry from
    ``snapshot`` (``meta``: the run's :attr:`memscape.engine.run.Run.meta`)."""

    def __init__(self, snapshot: Snapshot, meta: dict, settings: RenderSettings, size: tuple[int, int] | None = None):
        self.snapshot, self.meta = snapshot, meta
        self.settings = settings
        self.size = size or settings.size
        self.count = settings.frame_count
        self.entries = frame_steps(self.count, snapshot.length - 1)  #: the entry each frame shows
        if settings.view == "3d":
            self.widget = _view_3d_class()()
            self.views, plots = Views(view3d=self.widget), []
            if settings.camera is not None:
                self.widget.set_camera(settings.camera)
            self._azimuth = self.widget.camera()[2]  #: the first frame's; an orbit turns from it
        elif settings.view == "side-by-side":
            with render_path.raster_only():  # the same video on every machine's GPU
                self.widget = SideBySideView()
            self.views = Views(side=self.widget)
            plots = [*self.widget.views(), self.widget.am_energy, self.widget.dm_energy]
        else:
            with render_path.raster_only():
                self.widget = Landscape2DView("")
            self.views, plots = Views(view2d=self.widget), [self.widget]
        self.background = pg.mkColor(theme.plot_background(settings.presenter))
        for plot in plots:
            plot.setBackground(self.background)
            theme.style_plot(plot.getPlotItem(), settings.presenter)
        w, h = self.size
        self.top, bottom = band_heights(h, self._overlay_text(0))  # the same bands on every frame
        self.view_size = (w, h - self.top - bottom)
        self._image = QtGui.QImage(w, h, QtGui.QImage.Format.Format_RGB32)  #: what render draws into
        self.widget.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.widget.resize(*self.view_size)
        self.widget.show()
        QtWidgets.QApplication.processEvents()

    def close(self) -> None:
        """Let go of the views. Python owns them (no parent), so dropping the last reference
        deletes the C++ widgets with their Python objects, here in the GUI thread; deleting
        the C++ side first (deleteLater) would leave wrappers of deleted Qt objects behind
        until the cycle collector ran (see tests/gui/conftest.py, make_window)."""
        widget, self.widget, self.views = self.widget, None, None
        if widget is not None:
            widget.close()
            del widget
            gc.collect()

    def step(self, k: int) -> StepView:
        """The recorded entry frame k shows."""
        return step_view(self.snapshot, int(self.entries[k]), self.meta)

    def render(self, k: int) -> QtGui.QImage:
        """Frame k as an RGB32 QImage of exactly ``size``: the view, with the overlay bands
        (:func:`memscape.gui.export.overlays.band_heights`) above and below it when overlays
        are on. The same image is drawn into at every call (a new one costs its page faults,
        a tenth of a 720p frame): it holds frame k until the next call."""
        draw_step(self.views, self.step(k))
        image = self._image
        image.fill(self.background)
        if self.settings.view_range is not None and self.settings.view != "3d":
            self.widget.show_range(*self.settings.view_range)
        if self.settings.view == "3d":
            self.widget.set_orbit(self._azimuth + self.settings.orbit * k / self.settings.fps)
            painter = QtGui.QPainter(image)
            painter.drawImage(0, self.top, self.widget.render_image(*self.view_size))
            painter.end()
        else:  # the widget and its children, 1:1, below the top band
            QtWidgets.QWidget.render(self.widget, image, QtCore.QPoint(0, self.top))
        draw_overlays(image, self._overlay_text(k), self.background)
        return image

    def render_pixels(self, k: int) -> np.ndarray:
        """Frame k as the (height, width, 4) uint8 pixels of the drawn image, in PyAV's
        :data:`memscape.gui.export.video_writer.QIMAGE_RGB32` order; a view, not a copy,
        valid until the next render."""
        image = self.render(k)
        bits = image.constBits()
        bits.setsize(image.sizeInBytes())
        w, h = self.size
        return np.frombuffer(bits, np.uint8).reshape(h, w, 4)

    def _overlay_text(self, k: int) -> OverlayText:
        """Title, the main simulation's parameters, and its step and sigma at frame k, each only
        when ``settings.overlays`` names it."""
        shown = self.settings.overlays
        main = self.step(k).main
        return OverlayText(title=self.settings.title if "title" in shown else "",
                           params=params_readout(main.params) if "params" in shown else "",
                           step=step_readout(main.step, main.params.steps, main.sigma) if "step" in shown else "")

    def render_array(self, k: int) -> np.ndarray:
        """Frame k as a (height, width, 3) uint8 array."""
        return qimage_to_array(self.render(k))


def qimage_to_array(image: QtGui.QImage) -> np.ndarray:
    """A QImage -> (height, width, 3) uint8 RGB copy (rows are padded to 4 bytes in Qt)."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits().asstring(stride * h), dtype=np.uint8)
    return buf.reshape(h, stride)[:, :w * 3].reshape(h, w, 3).copy()


def export_job(snapshot: Snapshot, meta: dict, settings: RenderSettings, path: str | Path,
               fmt: str | None = None, force: bool = False) -> Iterator[Progress]:
    """Render and encode every frame of the recorded run to ``path``, one frame per
    ``next()`` (atomically; ``close()`` cancels cleanly; ``force``: see
    :class:`memscape.gui.export.video_writer.VideoWriter`)."""
    fmt = fmt or format_for_path(path)
    size = encoded_size(fmt, settings.size)
    with VideoWriter(path, fmt, size, settings.fps, force) as writer:  # opened first: a bad folder fails at once
        renderer = FrameRenderer(snapshot, meta, settings, size)
        try:
            for k in range(renderer.count):
                writer.write(renderer.render_pixels(k), QIMAGE_RGB32)
                yield Progress("rendering", k + 1, renderer.count)
        finally:
            renderer.close()


def export_params_job(params: Params, settings: RenderSettings, path: str | Path, fmt: str | None = None,
                      init: np.ndarray | None = None, force: bool = False, label: str = "") -> Iterator[Progress]:
    """``main.py export``: a new run of ``params`` stepped to its end (:func:`simulate`), then
    :func:`export_job` of its recording. The writer is checked before the simulation."""
    from memscape.gui.export.video_writer import check_output

    check_output(path, fmt or format_for_path(path), force)
    run = None
    for item in simulate(params, init, label):
        if isinstance(item, Run):
            run = item
        else:
            yield item
    yield from export_job(run.snapshot(), run.meta, settings, path, fmt, force)


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

