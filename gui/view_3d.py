"""``Landscape3DView``: the energy landscape as a lit 3D surface with particles, their
trails and the memories as pins; an orbiting camera; and offscreen frames of an exact size.

It takes plain NumPy arrays and does only display transforms: the energy is clipped to
[min, 92nd percentile] (as the 2D view does, so the wells stay readable) and scaled into a
box of height ``BOX_HEIGHT``; x and y are centred and scaled so the longer side spans [-1, 1].
Data is kept on the CPU side by the ``set_*`` methods and handed to the GL items just before a
frame is drawn, so the order of the ``set_*`` calls does not matter.

The view is a plain (raster) QWidget that draws the scene with its own offscreen OpenGL
context into a framebuffer object and paints the result as an image. A QOpenGLWidget would
switch the whole main window to OpenGL composition, which under software OpenGL (llvmpipe,
every machine without a GPU driver) cost about 140 ms a frame for the window's other views;
one read-back of the 3D view's own pixels costs well under a millisecond. On screen a frame
is issued at one repaint and read back at the next (see :meth:`Landscape3DView.paintEvent`).
"""
from __future__ import annotations

import contextlib

import numpy as np
from OpenGL import GL
from pyqtgraph.opengl.GLViewWidget import GLViewMixin
from PyQt6 import QtCore, QtGui, QtOpenGL, QtWidgets

from memscape.gui.gl.height_field_item import HeightFieldItem
from memscape.gui.gl.particles_item import ParticlesItem
from memscape.gui.gl.pins_item import PinsItem
from memscape.gui.gl.offscreen import made_current, offscreen_context, sized_framebuffer
from memscape.gui.gl.surface_format import SAMPLES
from memscape.gui.gl.trails_item import TrailsItem
from memscape.gui.theme import CORNER_MARGIN_PX, HIGHLIGHT_COLOR, LEGEND_FILL, LEGEND_TEXT, PLOT_BACKGROUND
from memscape.gui.trail_thinning import thinned

BOX_HEIGHT = 0.5  #: world height of the clipped energy range (the longer side spans 2)
CLIP_PERCENTILE = 92.0  #: energies above this percentile of the map are shown flat at the top
DEFAULT_COLOR = (0.92, 0.92, 0.92, 0.9)  #: particles when no colours are given
#: multisampling of render_image's framebuffer: none, as on screen. Under software GL (llvmpipe,
#: 2 cores) 4x made a 720p frame's read-back 75 ms instead of 24, and the shaders anti-alias the
#: contours, sprites and lines themselves (only the surface's outline is left unsmoothed)
EXPORT_SAMPLES = 0
#: trail segments a 3D frame draws: llvmpipe runs the vertex stage on the calling (GUI) thread,
#: about 5 ms for the 2D views' 12,000 thick segments; on the surface half as many read clearly
MAX_SEGMENTS_3D = 6_000
LAYERS_3D = ("colormap", "contours", "trails", "memories", "particles")  #: 2D-only layers are ignored
DEFAULT_CAMERA = (3.2, 38.0, 45.0)  #: distance, elevation and azimuth (degrees) of a new view's camera


def display_range(energy: np.ndarray) -> tuple[float, float]:
    """(lo, hi): the finite minimum and the CLIP_PERCENTILE-th percentile (hi > lo)."""
    finite = energy[np.isfinite(energy)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(np.percentile(finite, CLIP_PERCENTILE))
    return lo, hi if hi > lo else lo + 1.0


def scaled_heights(energy: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """World height BOX_HEIGHT * clip((E - lo) / (hi - lo), 0, 1); not finite -> the top."""
    t = np.clip((np.asarray(energy, np.float64) - lo) / (hi - lo), 0.0, 1.0)
    return (BOX_HEIGHT * np.where(np.isfinite(t), t, 1.0)).astype(np.float32)


def bilinear(field: np.ndarray, x_range, y_range, xy: np.ndarray) -> np.ndarray:
    """The (H, W) field (row i at y_i, column j at x_j, evenly spaced over the ranges)
    linearly interpolated at the points xy (..., 2), clamped to the grid."""
    h, w = field.shape
    fx = np.clip((xy[..., 0] - x_range[0]) / (x_range[1] - x_range[0]) * (w - 1), 0, w - 1)
    fy = np.clip((xy[..., 1] - y_range[0]) / (y_range[1] - y_range[0]) * (h - 1), 0, h - 1)
    fx = np.nan_to_num(fx)
    fy = np.nan_to_num(fy)
    j0 = np.minimum(fx.astype(int), w - 2)
    i0 = np.minimum(fy.astype(int), h - 2)
    ax, ay = fx - j0, fy - i0
    top = field[i0, j0] * (1 - ax) + field[i0, j0 + 1] * ax
    bottom = field[i0 + 1, j0] * (1 - ax) + field[i0 + 1, j0 + 1] * ax
    return top * (1 - ay) + bottom * ay


class Landscape3DView(GLViewMixin, QtWidgets.QWidget):
    """The 3D landscape. Mouse (pyqtgraph's GLViewMixin): drag to orbit, wheel to zoom,
    Ctrl+drag to pan."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent, True)  # the image covers it all
        self._context: QtGui.QOpenGLContext | None = None
        self._surface: QtGui.QOffscreenSurface | None = None
        self._fbos: dict[int, QtOpenGL.QOpenGLFramebufferObject] = {}  # samples -> target
        self._picture: QtGui.QImage | None = None  # the last frame drawn, painted until a newer one
        self._dirty = True  # the scene changed since the frame last started
        self._drawing = False
        self._pending: QtOpenGL.QOpenGLFramebufferObject | None = None  # a frame started, not yet read
        self._collector = QtCore.QTimer(self, singleShot=True, interval=0)  # a child: never fires after the view
        self._collector.timeout.connect(self._collect_render)
        self.setBackgroundColor(PLOT_BACKGROUND)
        self.setMinimumSize(200, 150)
        self.surface = HeightFieldItem()
        self.trails = TrailsItem()
        self.highlight = TrailsItem(width_px=4.0, opacity=1.0, fading=False)  # the hovered particle's whole trail
        self.pins = PinsItem()
        self.particles = ParticlesItem()
        for item in (self.surface, self.trails, self.highlight, self.particles, self.pins):
            self.addItem(item)  # drawn in this order: the surface first, the pins over the crowd
        self.set_camera(DEFAULT_CAMERA)
        self._map: tuple[np.ndarray, tuple, tuple] | None = None  # heights (world), x_range, y_range
        self._energy_range = (0.0, 1.0)
        self._particles: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None = None
        self._trails: tuple[np.ndarray, np.ndarray | None] | None = None
        self._memories: tuple[np.ndarray, np.ndarray | None] | None = None
        self._highlight = -1
        self._stale = set()
        self._legend = ""  #: the density's scale in words, painted over the picture

    # -- data (plain NumPy, data coordinates) --------------------------------------------
    def set_landscape(self, z: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        """Energy map z (H, W): row i at y, column j at x, evenly spaced over the ranges."""
        z = np.asarray(z, dtype=np.float64)
        self._energy_range = display_range(z)
        self._map = (scaled_heights(z, *self._energy_range), tuple(map(float, x_range)), tuple(map(float, y_range)))
        self._changed("landscape", "particles", "trails", "memories")

    def set_particles(self, xy: np.ndarray, z: np.ndarray | None = None, colors: np.ndarray | None = None) -> None:
        """Particles at xy (N, 2) with energies z (N,) (None: on the surface) and RGBA colours
        (N, 4) in [0, 1] (None: light grey); the trails take the same colours. Particles off
        the map are not drawn."""
        self._particles = (np.asarray(xy, np.float64).reshape(-1, 2),
                           None if z is None else np.asarray(z, np.float64).ravel(),
                           None if colors is None else np.asarray(colors, np.float32).reshape(-1, 4))
        self._changed("particles", "trails")

    def set_density(self, rgba: np.ndarray | None, legend: str = "") -> None:
        """The particles' density as (ny, nx, 4) uint8 RGBA bins over the map's rectangle
        (``gui.density.density_rgba``), drawn on the surface, its scale in words ``legend``
        in the picture's top right corner (on screen and in videos) and as the view's
        tooltip; None: none."""
        self.surface.set_density(rgba)
        self._legend = legend if rgba is not None else ""
        if self.toolTip() != self._legend:
            self.setToolTip(self._legend)
        self.update()

    def set_trails(self, trails: np.ndarray, z: np.ndarray | None = None) -> None:
        """Trajectories (T, N, 2), oldest first, with energies z (T, N) (None: on the surface);
        segments leaving the map are not drawn."""
        self._trails = (np.asarray(trails), None if z is None else np.asarray(z))  # thinned before use
        self._changed("trails")

    def set_memories(self, xy: np.ndarray, z: np.ndarray | None = None) -> None:
        """Memories at xy (M, 2) as pins standing at energy z (M,) (None: on the surface)."""
        self._memories = (np.asarray(xy, np.float64).reshape(-1, 2), None if z is None else np.asarray(z, np.float64))
        self._changed("memories")

    def set_layer_visible(self, name: str, on: bool) -> None:
        """Show or hide one of LAYERS_3D (the 2D view's other layers, like arrows, do nothing here)."""
        if name in ("colormap", "contours"):
            setattr(self.surface, name, bool(on))
        elif name in LAYERS_3D:
            if name == "particles":  # points or, above DENSITY_ABOVE, the density on the surface
                self.surface.density = bool(on)
            for item in {"trails": (self.trails, self.highlight), "memories": (self.pins,),
                         "particles": (self.particles,)}[name]:
                item.setVisible(on)
        self.update()

    def set_highlight(self, index: int) -> None:
        """Draw particle ``index``'s trail (all of it) in HIGHLIGHT_COLOR; -1 for none. The
        views are linked: hovering a particle in a 2D view calls this."""
        if index != self._highlight:
            self._highlight = index
            self._changed("highlight")

    def camera(self) -> tuple[float, float, float]:
        """(distance, elevation, azimuth) of the camera now."""
        return float(self.opts["distance"]), float(self.opts["elevation"]), float(self.opts["azimuth"])

    def set_camera(self, camera: tuple[float, float, float]) -> None:
        """Put the camera at (distance, elevation, azimuth), looking at the landscape's centre."""
        distance, elevation, azimuth = camera
        self.setCameraPosition(pos=QtGui.QVector3D(0.0, 0.0, 0.3 * BOX_HEIGHT), distance=distance,
                               elevation=elevation, azimuth=azimuth)

    def set_orbit(self, azimuth_deg: float, elevation_deg: float | None = None) -> None:
        """Turn the camera to ``azimuth_deg`` around the vertical axis (and tilt it)."""
        self.setCameraPosition(azimuth=float(azimuth_deg), elevation=elevation_deg)

    def _changed(self, *what: str) -> None:
        self._stale.update(what)
        self.update()

    # -- hand the data to the items, just before drawing -----------------------------------
    def _world_xy(self, xy: np.ndarray) -> np.ndarray:
        """Data (x, y) -> world: centred on the map, the longer side spanning [-1, 1]."""
        _, xr, yr = self._map
        centre = np.array([(xr[0] + xr[1]) / 2, (yr[0] + yr[1]) / 2])
        scale = 2.0 / max(xr[1] - xr[0], yr[1] - yr[0])
        return (xy - centre) * scale

    def _world(self, xy: np.ndarray, energy: np.ndarray | None) -> np.ndarray:
        """(..., 3) world points: at height ``energy`` (display-scaled) or on the surface;
        NaN off the map (as the 2D view, the 3D view shows only the map's area)."""
        heights, xr, yr = self._map
        if energy is None:
            z = bilinear(heights, xr, yr, xy)
        else:
            z = scaled_heights(energy, *self._energy_range)
        points = np.concatenate([self._world_xy(xy), z[..., None]], axis=-1).astype(np.float32)
        inside = ((xy[..., 0] >= xr[0]) & (xy[..., 0] <= xr[1]) & (xy[..., 1] >= yr[0]) & (xy[..., 1] <= yr[1]))
        points[~inside] = np.nan
        return points

    def _colors(self, n: int) -> np.ndarray:
        """(n, 4) RGBA: the particles' colours when there are n of them, else DEFAULT_COLOR."""
        given = None if self._particles is None else self._particles[2]
        if given is not None and len(given) == n:
            return given
        return np.broadcast_to(np.float32(DEFAULT_COLOR), (n, 4))

    def _sync(self) -> None:
        """Hand what changed since the last frame to the items (no GL here)."""
        if self._map is None or not self._stale:
            return
        stale, self._stale = self._stale, set()
        if "landscape" in stale:
            heights, xr, yr = self._map
            (x0, y0), (x1, y1) = self._world_xy(np.array([[xr[0], yr[0]], [xr[1], yr[1]]]))
            self.surface.set_data(heights, (x0, x1), (y0, y1), (0.0, BOX_HEIGHT))
        if self._particles is not None and "particles" in stale:
            xy, energy, _ = self._particles
            points = self._world(xy, energy)
            shown = np.isfinite(points).all(axis=1)
            self.particles.set_data(points[shown], self._colors(len(xy))[shown])
        if self._trails is not None and "trails" in stale:
            trails, energy = self._trails
            shown, when, who = thinned(trails, max_segments=MAX_SEGMENTS_3D)
            z = None if energy is None else energy[when[:, None], who].astype(np.float64)
            self.trails.set_data(self._world(shown.astype(np.float64), z), self._colors(trails.shape[1])[who])
        if self._trails is not None and stale & {"trails", "highlight"}:
            trails, energy = self._trails
            i = self._highlight
            if 0 <= i < trails.shape[1]:
                z = None if energy is None else energy[:, i:i + 1].astype(np.float64)
                color = np.array([[*(c / 255.0 for c in HIGHLIGHT_COLOR), 1.0]], np.float32)
                self.highlight.set_data(self._world(trails[:, i:i + 1].astype(np.float64), z), color)
            else:
                self.highlight.set_data(np.zeros((0, 1, 3), np.float32), np.zeros((1, 4), np.float32))
        if self._memories is not None and "memories" in stale:
            points = self._world(*self._memories)
            self.pins.set_data(points[np.isfinite(points).all(axis=1)])

    # -- drawing ---------------------------------------------------------------------------
    def isValid(self) -> bool:
        """Whether the GL context exists (pyqtgraph's mixin asks before initialising items)."""
        return self._context is not None

    def _ensure_context(self) -> None:
        """Make the offscreen context on first use; RuntimeError when there is no OpenGL."""
        if self._context is not None:
            return
        context, surface = offscreen_context(self, self.screen())  # children of the view: they go with it
        if not context.makeCurrent(surface):
            raise RuntimeError("cannot make the 3D view's OpenGL context current")
        if context.format().profile() == QtGui.QSurfaceFormat.OpenGLContextProfile.CoreProfile:
            self.default_vao.create()  # pyqtgraph binds it before each item
        self._context, self._surface = context, surface
        context.doneCurrent()

    def _release_gl(self) -> None:
        """Free what the items made in the context (the view is closing); they make
        everything again on the next frame."""
        if self._context is None or not self._context.makeCurrent(self._surface):
            return
        for item in self.items:
            item.release_gl()
        self._fbos.clear()  # deleted while their context is current
        self._pending, self._dirty = None, True
        self._context.doneCurrent()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self._release_gl()
        super().closeEvent(event)

    def update(self, *args) -> None:
        """Schedule a repaint with the scene drawn again: every change of data (``set_*``)
        or camera (pyqtgraph's mixin) comes through here. A repaint Qt asks for by itself
        (the window uncovered, a dock beside it redrawn) paints the last picture again."""
        # the items ask too, when _sync hands them data (getattr: the mixin's __init__ calls
        # this before _drawing exists)
        if not getattr(self, "_drawing", False):
            self._dirty = True
        super().update(*args)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        """Paint the newest finished picture; when the scene changed (or the size), start
        drawing it again (:meth:`_start_render`). A frame started at one repaint is read
        back at the next (the views are painted once per step, so the 3D view shows the step
        before the others while the app plays) or, once the app is idle, by the collector
        timer, which repaints this view alone."""
        if self._pending is not None:
            self._take_pending()
        size = (self.deviceWidth(), self.deviceHeight())
        stale = self._picture is None or (self._picture.width(), self._picture.height()) != size
        error = None
        if (self._dirty or stale) and self._pending is None:
            try:
                self._start_render(*size)
            except RuntimeError as exc:  # no OpenGL here: say so in the view
                error = str(exc)
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(*PLOT_BACKGROUND))
        if error is not None:
            painter.setPen(QtGui.QColor(230, 230, 230))
            painter.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, error)
        elif self._picture is not None:
            painter.drawImage(QtCore.QRectF(self.rect()), self._picture)
            self._paint_legend(painter, self.width(), self.height())
        painter.end()

    def _paint_legend(self, painter: QtGui.QPainter, width: int, height: int) -> None:
        """The density's scale in words, wrapped in a box in the top right corner, in the
        widget's font or, in a large picture (a video), at 1/55 of its height if larger."""
        if not self._legend or not self.surface.density:
            return
        font = QtGui.QFont(self.font())
        font.setPixelSize(max(QtGui.QFontInfo(self.font()).pixelSize(), round(height / 55)))
        painter.setFont(font)
        pad, margin = 4, CORNER_MARGIN_PX
        flags = QtCore.Qt.TextFlag.TextWordWrap | QtCore.Qt.AlignmentFlag.AlignLeft
        room = QtCore.QRectF(0, 0, min(width - 2 * (margin + pad), max(0.4 * width, 24 * font.pixelSize())), height)
        text = painter.boundingRect(room, int(flags), self._legend)
        box = QtCore.QRectF(width - margin - text.width() - 2 * pad, margin, text.width() + 2 * pad,
                            text.height() + 2 * pad)
        painter.fillRect(box, QtGui.QColor(*LEGEND_FILL))
        painter.setPen(QtGui.QColor(*LEGEND_TEXT))
        painter.drawText(box.adjusted(pad, pad, -pad, -pad), int(flags), self._legend)

    def _start_render(self, width: int, height: int) -> None:
        """Issue the GL commands of a frame into the screen framebuffer and return without
        waiting: the software rasteriser (llvmpipe) draws it on its own threads while the
        window paints its other views (under llvmpipe that took a third of each frame);
        :meth:`_take_pending` reads it back afterwards."""
        self._dirty = False
        with self._current():
            fbo = self._draw(width, height, SAMPLES)
            GL.glFlush()
        self._pending = fbo
        self._collector.start()

    def _collect_render(self) -> None:
        """The collector timer: show the frame :meth:`_start_render` began, if no repaint has."""
        if self._pending is not None and self._take_pending():
            QtWidgets.QWidget.update(self)  # paint it (and start the next frame if one is due)

    def _take_pending(self) -> bool:
        """Read the started frame back as this view's picture; False when there was none."""
        fbo, self._pending = self._pending, None
        if fbo is None or self._context is None:
            return False
        with self._current():
            picture = fbo.toImage()
        picture.setDevicePixelRatio(self.devicePixelRatioF())
        self._picture = picture
        return True

    def render_image(self, width: int, height: int) -> QtGui.QImage:
        """The current scene drawn offscreen at ``width`` x ``height`` (EXPORT_SAMPLES
        samples a pixel), as an opaque RGB32 QImage of exactly that size; nothing is shown.
        Feed the data first, then call this once per frame (it draws by itself)."""
        with self._current():
            image = self._draw(int(width), int(height), EXPORT_SAMPLES).toImage()
        image = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
        if self._legend and self.surface.density:
            painter = QtGui.QPainter(image)
            self._paint_legend(painter, image.width(), image.height())
            painter.end()
        return image

    @contextlib.contextmanager
    def _current(self):
        """The view's GL context made current for the block (made on first use)."""
        self._ensure_context()
        with made_current(self._context, self._surface, "the 3D view's"):
            yield

    def _draw(self, width: int, height: int, samples: int) -> QtOpenGL.QOpenGLFramebufferObject:
        """Draw the scene into the framebuffer for ``samples`` at this size (context current)."""
        width, height = max(int(width), 1), max(int(height), 1)
        fbo = self._framebuffer(width, height, samples)
        if not fbo.bind():
            raise RuntimeError(f"cannot bind a {width}x{height} framebuffer object")
        self._drawing = True
        try:
            GL.glViewport(0, 0, width, height)
            self._sync()
            self.paint(region=(0, 0, width, height), viewport=(0, 0, width, height))
        finally:
            self._drawing = False
            fbo.release()
        return fbo

    def _framebuffer(self, width: int, height: int, samples: int) -> QtOpenGL.QOpenGLFramebufferObject:
        """The offscreen target for ``samples``, made again only for a new size."""
        depth = QtOpenGL.QOpenGLFramebufferObject.Attachment.CombinedDepthStencil
        fbo = self._fbos[samples] = sized_framebuffer(self._fbos.get(samples), width, height, depth, samples)
        return fbo
