"""The 2D views' particles and trails drawn by OpenGL (the "gl" drawing path of
gui/render_path.py): one pyqtgraph item that renders point sprites (shaders/sprites.*, flat
discs) and the trail segments (shaders/thick_lines.*) with the plot's own view transform into
an offscreen framebuffer of the plot's size, and paints the picture exactly over the view's
data rectangle. Axes, the colour map, contours, memories, the hovered trail and the mouse stay
pyqtgraph's.

The view talks to it through the raster path's interface (gui/view_2d.py does not branch):
:attr:`GLParticleLayer.particles` has ``set_positions(xy)`` as the raster ParticleScatter,
each of :attr:`GLParticleLayer.trails` has ``setData(x, y)`` (segment pairs) and ``setPen`` as a
segment_lines band, and both have ``setVisible``/``isVisible``. Positions go to the GPU once
per frame (one buffer write), the trail segments as one instanced draw; the picture is drawn
again only when the data, the view's transform or the size changed.

The transform: a data point p goes to the device pixel T(p) of the painter's world transform
T (x' = m11 x + m21 y + dx, y' = m12 x + m22 y + dy), and the framebuffer covers the
pixel-aligned device rectangle D of the view's range, so clip coordinates are
ndc = (2 (T(p)_x - D_left) / D_width - 1, 1 - 2 (T(p)_y - D_top) / D_height).
"""
from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from OpenGL import GL
from PyQt6 import QtCore, QtGui, QtOpenGL

from memscape.gui.gl.gl_objects import Camera
from memscape.gui.gl.line_batch import LineBatch, segment_records
from memscape.gui.gl.offscreen import made_current, offscreen_context, sized_framebuffer
from memscape.gui.gl.sprite_batch import SpriteBatch
from memscape.gui.theme import particle_colors

MAX_SIDE = 8192  #: the framebuffer's largest side in pixels (a 4K export is 3840 wide)
#: the shaders anti-alias edges over one pixel, so a w-pixel line or disc is drawn w + 1 wide
#: to lay down the ink of the raster path's w pixels
AA_PX = 1.0


@dataclass(frozen=True)
class PlotCamera(Camera):
    """The plot's matrices; sizes are the raster path's device pixels times ``scale`` (the
    screen's device pixel ratio), not the 3D view's 720-pixel-high convention."""

    scale: float = 1.0

    @property
    def pixel_scale(self) -> float:
        return self.scale


def plot_matrix(transform: QtGui.QTransform, device: QtCore.QRect, ratio: float = 1.0) -> np.ndarray:
    """(4, 4) float32 column-major (as the shaders' u_modelview takes it): data (x, y, 0) ->
    clip coordinates of the framebuffer covering ``device`` (physical pixels), for the world
    transform ``transform`` (data -> logical pixels) and device pixel ratio ``ratio`` (see the
    module docstring). Eye z is -0.5: the sprites' lift direction, normalize(-eye), is never
    that of a zero vector."""
    a, b = 2.0 * ratio / device.width(), 2.0 * ratio / device.height()
    left, top = 2.0 * device.x() / device.width(), 2.0 * device.y() / device.height()
    m = np.array([[a * transform.m11(), a * transform.m21(), 0.0, a * transform.dx() - left - 1.0],
                  [-b * transform.m12(), -b * transform.m22(), 0.0, -b * transform.dy() + top + 1.0],
                  [0.0, 0.0, 1.0, -0.5],
                  [0.0, 0.0, 0.0, 1.0]])
    return np.ascontiguousarray(m.T, dtype=np.float32)


class _Part:
    """A part of the layer (the particles, one band of trails) that the view shows or hides."""

    def __init__(self, layer: "GLParticleLayer"):
        self._layer = layer
        self._visible = True

    def setVisible(self, on: bool) -> None:
        if bool(on) != self._visible:
            self._visible = bool(on)
            self._layer.changed()

    def isVisible(self) -> bool:
        return self._visible


class Sprites(_Part):
    """The particles (the raster ParticleScatter's interface): one flat disc each in
    :func:`gui.theme.particle_colors`."""

    def __init__(self, layer: "GLParticleLayer"):
        super().__init__(layer)
        self.positions = np.zeros((0, 3), np.float32)
        self.colors = np.zeros((0, 4), np.float32)

    def set_positions(self, xy: np.ndarray) -> None:
        """Particles at xy (N, 2) in data coordinates; those not finite are not drawn."""
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        finite = np.isfinite(xy).all(axis=1)
        keep = slice(None) if finite.all() else finite
        points = np.zeros((int(finite.sum()), 3), np.float32)
        points[:, :2] = xy[keep]
        self.positions = points
        if len(self.colors) != len(xy) or not isinstance(keep, slice):
            self.colors = np.ascontiguousarray(particle_colors(len(xy))[keep], np.float32) / 255.0
            self._layer.changed("colors")
        self._layer.changed("positions")

    def setZValue(self, z: float) -> None:
        self._layer.setZValue(z)


class TrailBand(_Part):
    """One band of trails (a segment_lines item's interface): segments as point pairs
    (x[2k], y[2k]) -> (x[2k+1], y[2k+1]) in the pen's colour and width."""

    def __init__(self, layer: "GLParticleLayer"):
        super().__init__(layer)
        self.x = self.y = np.zeros(0)
        self.color = np.zeros(4, np.float32)
        self.width = 1.0

    def setData(self, x, y) -> None:
        self.x, self.y = np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel()
        self._layer.changed("trails")

    def setPen(self, pen) -> None:
        pen = pg.mkPen(pen)
        self.color = np.array(pen.color().getRgbF(), np.float32)
        self.width = max(pen.widthF(), 1.0)  # 0: a cosmetic one-pixel line
        self._layer.changed("trails")

    def records(self) -> np.ndarray:
        """(S, 14) float32 segment records (gui/gl/line_batch.py) of the finite segments."""
        count = min(len(self.x), len(self.y)) // 2
        ends = np.zeros((count, 2, 3), np.float32)
        ends[..., 0] = self.x[:2 * count].reshape(count, 2)
        ends[..., 1] = self.y[:2 * count].reshape(count, 2)
        ends = ends[np.isfinite(ends).all(axis=(1, 2))]
        color = np.broadcast_to(self.color, (len(ends), 4))
        return segment_records(ends[:, 0], ends[:, 1], color, color)


class GLParticleLayer(pg.GraphicsObject):
    """Particles and ``bands`` bands of trails of a plot whose ViewBox is ``view_box``:
    discs ``size_px`` across with an ``outline`` (RGBA 0-255) of ``outline_px``, as the raster
    path draws them. ``uploads`` counts the buffer writes by name (tests check that positions
    go up once per frame)."""

    def __init__(self, view_box: pg.ViewBox, size_px: float, outline, outline_px: float, bands: int):
        super().__init__()
        self._vb = view_box
        self.size_px, self.outline_px = float(size_px), float(outline_px)
        self.outline = np.array(pg.mkColor(outline).getRgbF(), np.float32)
        self.particles = Sprites(self)
        self.trails = [TrailBand(self) for _ in range(bands)]
        self.uploads: Counter[str] = Counter()
        self._stale = {"positions", "colors", "trails"}  # what the GPU has not got yet
        self._context: QtGui.QOpenGLContext | None = None
        self._surface: QtGui.QOffscreenSurface | None = None
        self._fbo: QtOpenGL.QOpenGLFramebufferObject | None = None
        self._sprites, self._lines = SpriteBatch(), LineBatch()
        self._segments = 0
        self._picture: tuple[tuple, QtGui.QImage] | None = None  # (what it shows, the image)
        self._version = 0  # counts changes of the data; part of the picture's key

    def changed(self, *what: str) -> None:
        """The data or a part's visibility changed: draw again at the next paint."""
        self._stale.update(what)
        self._version += 1
        self.update()

    # -- pyqtgraph item -----------------------------------------------------------------
    def boundingRect(self) -> QtCore.QRectF:
        return self._vb.viewRect()

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        """The particles' extent along ``ax`` (the raster scatter's contribution to auto-range)."""
        points = self.particles.positions
        if not len(points):
            return None, None
        return float(points[:, ax].min()), float(points[:, ax].max())

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if not self.particles.isVisible() and not any(band.isVisible() for band in self.trails):
            return
        transform = painter.transform()
        ratio = painter.device().devicePixelRatioF()
        target = transform.mapRect(self._vb.viewRect())
        device = QtCore.QRectF(target.x() * ratio, target.y() * ratio,
                               target.width() * ratio, target.height() * ratio).toAlignedRect()
        device.setSize(device.size().boundedTo(QtCore.QSize(MAX_SIDE, MAX_SIDE)))
        if device.isEmpty():
            return
        key = (transform.m11(), transform.m12(), transform.m21(), transform.m22(), transform.dx(),
               transform.dy(), device.getRect(), ratio, self._version)
        if self._picture is None or self._picture[0] != key:
            try:
                image = self._render(transform, device, ratio)
            except RuntimeError as exc:  # no OpenGL after all: say so over the plot
                painter.setPen(QtGui.QColor(230, 230, 230))
                painter.drawText(self._vb.viewRect(), QtCore.Qt.AlignmentFlag.AlignCenter, str(exc))
                return
            image.setDevicePixelRatio(ratio)
            self._picture = (key, image)
        painter.save()
        painter.resetTransform()
        painter.drawImage(QtCore.QRectF(device.x() / ratio, device.y() / ratio,
                                        device.width() / ratio, device.height() / ratio), self._picture[1])
        painter.restore()

    # -- GL ----------------------------------------------------------------------------
    def upload(self, name: str, buffer, data: np.ndarray) -> None:
        """Write ``data`` into ``buffer`` and count it (the batches call this)."""
        buffer.upload(data)
        self.uploads[name] += 1

    @contextlib.contextmanager
    def _current(self):
        """The layer's own offscreen context current for the block (made, with the batches'
        programs and buffers, on first use)."""
        made = self._context is None
        if made:
            self._context, self._surface = offscreen_context(self)
        with made_current(self._context, self._surface, "the particle layer's"):
            if made:
                self._sprites.create()
                self._lines.create()
                self._stale = {"positions", "colors", "trails"}
            yield

    def _sync(self) -> None:
        """Hand what changed to the GPU (context current): positions once per frame."""
        stale, self._stale = self._stale, set()
        sprites = self.particles
        if stale & {"positions", "colors"}:
            self._sprites.upload(self, "particle", sprites.positions if "positions" in stale else None,
                                 sprites.colors if "colors" in stale else None)
        if "trails" in stale:
            records = [band.records() for band in self.trails]  # oldest band first: drawn under the newer
            records = np.concatenate(records) if records else np.zeros((0, 14), np.float32)
            self._lines.upload(self, "trails", records)
            self._segments = len(records)

    def _render(self, transform: QtGui.QTransform, device: QtCore.QRect, ratio: float) -> QtGui.QImage:
        """The particles and trails over a transparent background, ``device``'s size, as a
        premultiplied-alpha image (the blend leaves premultiplied colour in the framebuffer)."""
        width, height = device.width(), device.height()
        with self._current():
            # no depth buffer, so no depth test: drawn in order, as QPainter does
            none = QtOpenGL.QOpenGLFramebufferObject.Attachment.NoAttachment
            self._fbo = sized_framebuffer(self._fbo, width, height, none)
            if not self._fbo.bind():
                raise RuntimeError(f"cannot bind a {width}x{height} framebuffer object")
            try:
                GL.glViewport(0, 0, width, height)
                GL.glClearColor(0.0, 0.0, 0.0, 0.0)
                GL.glClear(GL.GL_COLOR_BUFFER_BIT)
                self._sync()
                camera = PlotCamera(plot_matrix(transform, device, ratio), np.eye(4, dtype=np.float32),
                                    (width, height), ratio)
                bands = [band for band in self.trails if band.isVisible()]
                if bands and self._segments:
                    self._lines.draw(camera, bands[0].width + AA_PX, 0.0)
                if self.particles.isVisible():
                    self._sprites.draw(camera, len(self.particles.positions), self.size_px + self.outline_px + AA_PX,
                                       0.0, u_flat=1.0, u_outline=self.outline, u_outline_px=self.outline_px)
                GL.glFinish()
            finally:
                self._fbo.release()
            return self._fbo.toImage()
