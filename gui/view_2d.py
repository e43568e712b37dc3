"""The 2D landscape: energy colour map, contour lines, score arrows, memories, particles
with fading trails. Mouse: a click adds a cluster of particles there, Ctrl+click replaces
them all by one, Shift+click adds a memory, dragging a memory moves it (one edit, sent on
release), right-click on a memory deletes it; hovering a particle reports its index (linked
highlighting) and hovering a memory marks it (the window's Delete key removes it); both
clear when the mouse leaves.

Markers and trails scale with what they show: with many memories (the gaussian preset's 64)
the stars shrink and fade, and trails fade as the ink they lay down grows (Langevin's
jagged paths), so neither buries the landscape.

Arrays arrive from the engine on the host: ``energy`` is (ny, nx) with row j at y_j
(``meshgrid(xs, ys)`` layout). pyqtgraph's ImageItem reads axis 0 as x, so the map is
transposed here on purpose and placed on the world rectangle of the grid.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from memscape.gui import render_path
from memscape.gui.density import Density, hover_note, legend
from memscape.gui.plot_cache import cache_axes
from memscape.gui.segment_lines import segment_lines
from memscape.gui.theme import COLORMAP, HIGHLIGHT_COLOR, LEGEND_FILL, LEGEND_TEXT, MEMORY_COLOR, particle_brushes, \
    place_in_corner
from memscape.gui.trail_thinning import thinned

LAYERS = ("colormap", "contours", "arrows", "trails", "memories", "particles")
CONTOUR_LEVELS = 9
ARROW_GRID = 17
TRAIL_BANDS = 4
HOVER_PIXELS = 9.0
FIT_PADDING = 0.02  #: a fitted range reaches this share of its size beyond what it fits
TITLE_MIN_SHARE = 0.7  #: a long title shrinks to this share of the theme's size before it is cut
MEMORY_SIZE = 18.0  #: a memory's star in pixels while there are at most MEMORY_FEW
MEMORY_FEW = 8
MEMORY_MIN_SIZE = 9.0
MEMORY_MIN_OPACITY = 0.8
TRAIL_ALPHA = (15, 110)  #: the oldest and the newest band's opacity (of 255) when trails are sparse
#: trails fade once they lay down more ink than this: the sum of their segments' lengths, in
#: widths of the view (a few hundred smooth paths across a view)
TRAIL_INK = 150.0
TRAIL_MIN_SHARE = 0.2  #: ... down to this share of their opacity
PARTICLE_SIZE = 7.0  #: a particle's disc in pixels (both drawing paths, gui/render_path.py)
PARTICLE_OUTLINE = (0, 0, 0, 160)  #: ... its outline's colour (RGBA)
PARTICLE_OUTLINE_PX = 0.6  #: ... and width in pixels


def memory_style(count: int) -> tuple[float, float]:
    """(size in pixels, opacity) of the memories' stars: full while there are at most
    MEMORY_FEW, then shrinking as 1/sqrt(count) (so all the stars together cover what
    MEMORY_FEW do) down to MEMORY_MIN_SIZE, and fading alike down to MEMORY_MIN_OPACITY."""
    share = min(1.0, float(np.sqrt(MEMORY_FEW / max(count, 1))))
    return max(MEMORY_MIN_SIZE, MEMORY_SIZE * share), max(MEMORY_MIN_OPACITY, share)


def title_lines(text: str, font: QtGui.QFont, base: float, room: float) -> tuple[float, list[str]]:
    """(point size, lines) of a title ``room`` pixels wide: at the largest size from ``base``
    down to TITLE_MIN_SHARE of it at which the title fits on one line, or else on two split at
    the space that balances them; failing that, at the smallest size, its words wrapped onto
    as many lines as they need (a narrow panel); a word wider than the panel is cut with an
    ellipsis."""
    words = text.split(" ")
    splits = [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]
    for pt in np.linspace(base, base * TITLE_MIN_SHARE, 6):
        font.setPointSizeF(pt)
        width = QtGui.QFontMetricsF(font).horizontalAdvance
        if width(text) <= room:
            return float(pt), [text]
        if splits:
            best = min(splits, key=lambda pair: max(map(width, pair)))
            if max(map(width, best)) <= room:
                return float(pt), list(best)
    lines: list[str] = []
    for word in words:  # greedy wrap at the smallest size
        if lines and width(f"{lines[-1]} {word}") <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    elide = QtGui.QFontMetrics(font).elidedText
    return float(pt), [elide(line, QtCore.Qt.TextElideMode.ElideRight, int(room)) for line in lines]


def trail_share(segments: np.ndarray, width: float) -> float:
    """The opacity share of trails made of ``segments`` (S, 2, 2) in a view ``width`` wide:
    1 up to TRAIL_INK view widths of ink, then falling as TRAIL_INK / ink, at least
    TRAIL_MIN_SHARE."""
    if not len(segments) or not width > 0:
        return 1.0
    lengths = np.hypot(*(segments[:, 1] - segments[:, 0]).T)
    ink = float(np.nansum(lengths)) / width
    return float(np.clip(TRAIL_INK / ink, TRAIL_MIN_SHARE, 1.0)) if ink > 0 else 1.0


def contour_segments(e: np.ndarray, levels: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Marching squares for display: line segments (S, 2, 2) where the (ny, nx) map ``e``
    crosses each of ``levels``, linearly interpolated along the cell edges; a saddle cell
    gets two segments paired in edge order. Only the (cell, level) pairs whose corner
    values straddle the level are visited, all levels at once."""
    ny, nx = e.shape
    levels = np.sort(np.asarray(levels, dtype=np.float64))
    # corners of every cell, (cells,): a = (i, j), b = (i, j+1), c = (i+1, j+1), d = (i+1, j)
    a, b, c, d = e[:-1, :-1].ravel(), e[:-1, 1:].ravel(), e[1:, 1:].ravel(), e[1:, :-1].ravel()
    lo = np.minimum(np.minimum(a, b), np.minimum(c, d))
    hi = np.maximum(np.maximum(a, b), np.maximum(c, d))
    first, last = np.searchsorted(levels, lo, side="right"), np.searchsorted(levels, hi, side="left")
    count = np.maximum(last - first, 0)  # levels strictly inside (lo, hi), per cell
    cells = np.repeat(np.arange(len(lo)), count)
    if not len(cells):
        return np.zeros((0, 2, 2))
    level = levels[first[cells] + np.arange(len(cells)) - np.repeat(np.cumsum(count) - count, count)]
    iy, ix = np.divmod(cells, nx - 1)
    ca, cb, cc, cd = a[cells], b[cells], c[cells], d[cells]
    # the four edges as (corner 1, corner 2): bottom a-b, right b-c, top d-c, left a-d
    v1 = np.stack([ca, cb, cd, ca], axis=1)
    v2 = np.stack([cb, cc, cc, cd], axis=1)
    x0, x1, y0, y1 = xs[ix], xs[ix + 1], ys[iy], ys[iy + 1]
    px1, py1 = np.stack([x0, x1, x0, x0], axis=1), np.stack([y0, y0, y1, y0], axis=1)
    px2, py2 = np.stack([x1, x1, x1, x0], axis=1), np.stack([y0, y1, y1, y1], axis=1)
    lv = level[:, None]
    hit = (v1 - lv) * (v2 - lv) < 0
    t = (lv - v1) / np.where(hit, v2 - v1, 1.0)
    pts = np.stack([px1 + t * (px2 - px1), py1 + t * (py2 - py1)], axis=-1)  # (pairs, 4, 2)
    order = np.argsort(~hit, axis=1, kind="stable")
    p = np.take_along_axis(pts, order[..., None], axis=1)
    hits = hit.sum(axis=1)
    segments = np.concatenate([p[hits >= 2][:, 0:2], p[hits == 4][:, 2:4]])
    return segments


class SmoothImageItem(pg.ImageItem):
    """The energy colour map, scaled up from its grid with bilinear filtering: a 96 x 96 map
    shown nearest-neighbour on a projector or in a 4K video is a mosaic of squares."""

    def paint(self, painter, *args):
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
        super().paint(painter, *args)


class ParticleScatter(pg.ScatterPlotItem):
    """The particles: one symbol each, coloured by :func:`gui.theme.particle_brushes`.
    ``set_positions`` moves them in place while their number stays the same: pyqtgraph's
    ``setData`` would rebuild every point's style record (most of a frame's time with
    thousands of particles); only the coordinates change, so the cached symbols stay valid."""

    def set_positions(self, xy: np.ndarray) -> None:
        if len(xy) != len(self.data):
            self.setData(pos=xy, brush=particle_brushes(len(xy)))
            return
        self.data["x"] = xy[:, 0]
        self.data["y"] = xy[:, 1]
        self.prepareGeometryChange()
        self.informViewBoundsChanged()
        self.bounds = [None, None]
        self.invalidate()


class _LandscapeViewBox(pg.ViewBox):
    """A ViewBox whose left-drag moves a memory when it starts on one, and pans otherwise;
    a right-click on a memory deletes it (elsewhere it opens pyqtgraph's menu)."""

    def __init__(self, owner: "Landscape2DView"):
        super().__init__()
        self._owner = owner
        self._dragging: int | None = None

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or not self._owner.memories_movable:
            return super().mouseDragEvent(ev, axis)
        if ev.isStart():
            self._dragging = self._owner.memory_at(ev.buttonDownScenePos())
        if self._dragging is None:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        self._owner.move_memory_preview(self._dragging, p.x(), p.y())
        if ev.isFinish():
            self._owner.memory_moved.emit(self._dragging, p.x(), p.y())
            self._dragging = None

    def mouseClickEvent(self, ev):
        if ev.button() == QtCore.Qt.MouseButton.RightButton and self._owner.memories_movable:
            index = self._owner.memory_at(ev.scenePos())
            if index is not None:
                ev.accept()
                self._owner.memory_delete_requested.emit(index)
                return
        super().mouseClickEvent(ev)


class Landscape2DView(pg.PlotWidget):
    """Energy landscape with particles; see the module docstring for the layers."""

    hovered = QtCore.pyqtSignal(int)  #: particle index under the mouse, -1 for none
    drop_requested = QtCore.pyqtSignal(float, float, bool)  #: x, y, replace the particles (Ctrl) or add a cluster
    memory_added = QtCore.pyqtSignal(float, float)
    memory_moved = QtCore.pyqtSignal(int, float, float)  #: index, new x, new y (on release)
    memory_delete_requested = QtCore.pyqtSignal(int)  #: a right-click on memory i

    def __init__(self, title: str = "", parent=None):
        self._vb = _LandscapeViewBox(self)
        super().__init__(parent=parent, viewBox=self._vb)
        self.memories_movable = True  #: False on a plane through D > 2 data (drags then pan)
        self.setAspectLocked(True)
        self.hideButtons()
        cache_axes(self.getPlotItem())
        self.image = SmoothImageItem(axisOrder="col-major")
        self.image.setColorMap(pg.colormap.get(COLORMAP))
        self.addItem(self.image)
        # above DENSITY_ABOVE particles: their density over the map (clear where a bin is
        # empty), bins shown as they are (no smoothing), and its scale in the corner
        self.density = pg.ImageItem(axisOrder="row-major")
        self.density.setZValue(-9)  # the particles' layer switch shows and hides it
        self.addItem(self.density)
        self.density_legend = pg.TextItem(anchor=(1.0, 0.0), color=LEGEND_TEXT, fill=LEGEND_FILL)
        self.density_legend.setParentItem(self._vb)  # in the view's pixels, not on the data
        self.density_legend.setVisible(False)
        self._vb.sigResized.connect(self._place_density_legend)
        # thin, dense line layers draw without antialiasing (on a software rasteriser it costs
        # several times more than everything else in the frame), as segments in one drawLines
        # call each (a QPainterPath of thousands of pieces costs far more)
        self.contours = segment_lines(pg.mkPen(255, 255, 255, 110, width=1))
        self.addItem(self.contours)
        self.arrows = segment_lines(pg.mkPen(255, 255, 255, 150, width=1))
        self.addItem(self.arrows)
        if render_path.current().path == render_path.GL_PATH:  # particles and trails as one GL picture
            from memscape.gui.gl.points_2d import GLParticleLayer  # OpenGL imported only for this path

            layer = GLParticleLayer(self._vb, PARTICLE_SIZE, PARTICLE_OUTLINE, PARTICLE_OUTLINE_PX, TRAIL_BANDS)
            self.trails, self.particles, added = layer.trails, layer.particles, [layer]
        else:
            self.trails = [segment_lines() for _ in range(TRAIL_BANDS)]
            outline = pg.mkPen(*PARTICLE_OUTLINE, width=PARTICLE_OUTLINE_PX)
            self.particles = ParticleScatter(size=PARTICLE_SIZE, pen=outline)
            added = [*self.trails, self.particles]
        self._trail_share = 1.0
        for k, item in enumerate(self.trails):
            item.setPen(pg.mkPen(255, 225, 160, self._trail_alpha(k), width=1))
        for item in added:
            self.addItem(item)
        self.highlight = pg.PlotDataItem(pen=pg.mkPen(*HIGHLIGHT_COLOR, width=3))
        self.addItem(self.highlight)
        self.memories = pg.ScatterPlotItem(size=MEMORY_SIZE, symbol="star", brush=pg.mkBrush(*MEMORY_COLOR),
                                           pen=pg.mkPen("w", width=1.5))
        self.addItem(self.memories)
        self.memory_mark = pg.ScatterPlotItem(symbol="o", brush=None, pen=pg.mkPen(*HIGHLIGHT_COLOR, width=2.5))
        self.addItem(self.memory_mark)  # a ring around the memory under the mouse
        for item in (self.image,):
            item.setZValue(-10)
        self.memories.setZValue(10)
        self.memory_mark.setZValue(11)
        self.particles.setZValue(8)
        self.highlight.setZValue(9)
        self._memory_xy = np.zeros((0, 2))
        self._xy = np.zeros((0, 2))
        self._trail = np.zeros((0, 0, 2))
        self._hover = -1
        self.hovered_memory: int | None = None  #: the memory under the mouse (Delete removes it)
        self._rect: QtCore.QRectF | None = None  # the landscape's rectangle
        self._home: QtCore.QRectF | None = None  # the range to show: fitted, or the user's pan and zoom
        self._landscape: tuple = (None, None, None)  # the last arrays drawn and their ranges
        self._vb.sigRangeChangedManually.connect(self._user_moved)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.setTitle(title)

    # -- data ------------------------------------------------------------
    def set_landscape(self, energy: np.ndarray, x_range: tuple[float, float],
                      y_range: tuple[float, float], grad: np.ndarray | None = None) -> None:
        """Energy map (ny, nx) on [x_range] x [y_range]; ``grad`` (ny, nx, 2) dE/dx, dE/dy.
        The same arrays again (an AM's landscape, fixed from step to step) change nothing."""
        last_energy, last_grad, last_ranges = self._landscape
        ranges = (tuple(x_range), tuple(y_range))
        if energy is last_energy and grad is last_grad and ranges == last_ranges:
            return
        self._landscape = (energy, grad, ranges)
        e = np.asarray(energy, dtype=np.float64)
        finite = e[np.isfinite(e)]
        if finite.size == 0:
            return
        lo = float(finite.min())
        hi = float(np.percentile(finite, 92))  # display transform: keep the wells readable
        hi = hi if hi > lo else lo + 1.0
        shown = np.clip(np.where(np.isfinite(e), e, hi), lo, hi)
        ny, nx = shown.shape
        self.image.setImage(shown.T, levels=(lo, hi), autoLevels=False)
        rect = QtCore.QRectF(x_range[0], y_range[0], x_range[1] - x_range[0], y_range[1] - y_range[0])
        self.image.setRect(rect)
        levels = lo + (hi - lo) * (np.arange(CONTOUR_LEVELS) + 0.5) / CONTOUR_LEVELS
        seg = contour_segments(shown, levels, np.linspace(*x_range, nx), np.linspace(*y_range, ny))
        flat = seg.reshape(-1, 2)
        self.contours.setData(flat[:, 0], flat[:, 1])
        self._set_arrows(grad, x_range, y_range)
        if rect != self._rect:  # a new grid (another preset): frame it; otherwise keep the user's zoom
            self._rect = rect
            self.fit()

    # -- the title -------------------------------------------------------------------
    def title(self) -> str:
        return self.__dict__.get("_title", "")

    def setTitle(self, title: str = "") -> None:
        """The title, in the theme's size when it fits the view's width, else smaller (down to
        TITLE_MIN_SHARE of it) and only then cut with an ellipsis; never wider than the view
        (pyqtgraph would widen the plot past its widget to fit a long title)."""
        self._title = title
        self._fit_title()

    def _fit_title(self) -> None:
        plot = self.getPlotItem()
        if plot is None:  # closing
            return
        label = plot.titleLabel
        text = self.__dict__.get("_title", "")
        if not text:
            plot.setTitle(None)
            return
        base = float(str(label.opts.get("size", "11pt")).removesuffix("pt"))
        left = plot.getAxis("left")
        # the title's cell is the plot's column: the widget less the left axis and the margins
        room = max(self.width() - (left.width() if left.isVisible() else 0) - 24, 40)
        key = (text, room, base)
        if key == self.__dict__.get("_title_key"):
            return  # laying the label's text out again costs more than the check
        self._title_key = key
        pt, lines = title_lines(text, QtGui.QFont(self.font()), base, room)
        # the size as inline style: label.setText(size=...) would replace the theme's size for good
        label.setText(f"<span style='font-size: {pt:.1f}pt'>{'<br>'.join(map(html.escape, lines))}</span>")
        height = np.ceil(label.itemRect().height()) + 4  # the row fits the text (pyqtgraph fixes 30 px)
        label.setMinimumWidth(0)
        label._sizeHint[QtCore.Qt.SizeHint.MinimumSize] = (0, height)
        label.setMaximumHeight(height)
        label.setVisible(True)
        plot.layout.setRowFixedHeight(0, height)
        plot.layout.activate()  # at once: an export renders the frame before any event is processed

    # -- the range shown ----------------------------------------------------------
    def fit(self, points: np.ndarray | None = None) -> None:
        """Show the landscape and, when given, most of ``points`` (N, 2): the box of their 1st
        to 99th percentiles (a few far strays do not shrink the picture)."""
        rect = QtCore.QRectF(self._rect) if self._rect is not None else None
        pts = None if points is None else np.asarray(points, np.float64).reshape(-1, 2)
        if pts is not None and len(pts):
            pts = pts[np.isfinite(pts).all(axis=1)]
        if pts is not None and len(pts):
            (x0, y0), (x1, y1) = np.percentile(pts, 1, axis=0), np.percentile(pts, 99, axis=0)
            box = QtCore.QRectF(x0, y0, max(x1 - x0, 1e-9), max(y1 - y0, 1e-9))
            rect = box if rect is None else rect.united(box)
        if rect is not None:
            pad_x, pad_y = FIT_PADDING * rect.width(), FIT_PADDING * rect.height()
            self._home = rect.adjusted(-pad_x, -pad_y, pad_x, pad_y)
            self.setRange(self._home, padding=0.0)

    def shown_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The x and y range this view keeps (its fitted or panned range)."""
        r = self._home if self._home is not None else self._vb.viewRect()
        return (r.left(), r.right()), (r.top(), r.bottom())

    def show_range(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        """Keep showing exactly this range (an export films what the window shows)."""
        self._home = QtCore.QRectF(x_range[0], y_range[0], x_range[1] - x_range[0], y_range[1] - y_range[0])
        self._vb.setRange(self._home, padding=0.0)

    def _user_moved(self, *_) -> None:
        """A pan or zoom by the mouse becomes the range to keep."""
        self._home = self._vb.viewRect()

    def resizeEvent(self, event) -> None:
        """A new size (a layout change, a dock shown from behind a tab) keeps the range: with
        the aspect ratio locked, pyqtgraph would otherwise widen it at every squeeze and a
        view shown again after being hidden looked at a dot of landscape."""
        super().resizeEvent(event)
        if self.__dict__.get("_title"):
            self._fit_title()
        home = self.__dict__.get("_home")  # (pyqtgraph calls this from its constructor, before our attributes)
        if home is not None and self.width() > 20 and self.height() > 20:
            self._vb.setRange(home, padding=0.0)

    def _set_arrows(self, grad, x_range, y_range) -> None:
        """Arrows along the score -grad E on a subsampled grid; length shows relative strength."""
        if grad is None:
            self.arrows.setData([], [])
            return
        g = np.asarray(grad, dtype=np.float64)
        ny, nx = g.shape[:2]
        iy = np.linspace(0, ny - 1, min(ny, ARROW_GRID)).round().astype(int)
        ix = np.linspace(0, nx - 1, min(nx, ARROW_GRID)).round().astype(int)
        xs = np.linspace(*x_range, nx)[ix]
        ys = np.linspace(*y_range, ny)[iy]
        X, Y = np.meshgrid(xs, ys)
        s = -g[np.ix_(iy, ix)]
        norm = np.linalg.norm(s, axis=-1)
        top = np.nanpercentile(norm, 95) if np.isfinite(norm).any() else 0.0
        if not top > 0:
            self.arrows.setData([], [])
            return
        cell = 0.8 * min(xs[1] - xs[0] if len(xs) > 1 else 1.0, ys[1] - ys[0] if len(ys) > 1 else 1.0)
        scale = cell * np.clip(norm / top, 0.15, 1.0) / np.maximum(norm, 1e-30)
        d = s * scale[..., None]
        x0, y0 = X.ravel(), Y.ravel()
        x1, y1 = x0 + d[..., 0].ravel(), y0 + d[..., 1].ravel()
        head = 0.3  # two short strokes at the tip, turned +-150 degrees
        parts_x, parts_y = [x0, x1], [y0, y1]
        for ang in (2.6, -2.6):
            c, sn = np.cos(ang), np.sin(ang)
            hx = x1 + head * (c * (x1 - x0) - sn * (y1 - y0))
            hy = y1 + head * (sn * (x1 - x0) + c * (y1 - y0))
            parts_x += [x1, hx]
            parts_y += [y1, hy]
        px = np.stack(parts_x, axis=1).ravel()
        py = np.stack(parts_y, axis=1).ravel()
        ok = np.isfinite(px) & np.isfinite(py)
        self.arrows.setData(np.where(ok, px, x0.repeat(6)), np.where(ok, py, y0.repeat(6)))

    def set_memories(self, xy: np.ndarray) -> None:
        """The memories' stars, sized and faded by their count (:func:`memory_style`)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if np.array_equal(xy, self._memory_xy):
            return  # the same memories, frame after frame
        if len(xy) != len(self._memory_xy):
            size, opacity = memory_style(len(xy))
            self.memories.setSize(size)
            self.memories.setBrush(pg.mkBrush(*MEMORY_COLOR, int(255 * opacity)))
            self.memories.setPen(pg.mkPen(255, 255, 255, int(255 * opacity), width=1.5 * size / MEMORY_SIZE))
            self.memory_mark.setSize(size + 8)
        self._memory_xy = xy.copy()
        self.memories.setData(pos=self._memory_xy)
        self._set_hovered_memory(self.hovered_memory if self.hovered_memory is not None
                                 and self.hovered_memory < len(xy) else None)

    def move_memory_preview(self, index: int, x: float, y: float) -> None:
        """Move a memory's star under the mouse while it is dragged (the run takes the move
        on release, as one edit)."""
        self._memory_xy[index] = (x, y)
        self.memories.setData(pos=self._memory_xy)
        self._set_hovered_memory(index)

    def set_particles(self, xy: np.ndarray, trail: np.ndarray | None = None) -> None:
        """Particles (N, 2) now and their trail (T, N, 2) up to now, oldest first."""
        self._xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        n = len(self._xy)
        self.particles.set_positions(self._xy)
        self._trail = np.zeros((0, n, 2)) if trail is None else np.asarray(trail)
        self._draw_trails()
        self._draw_highlight()

    def set_density(self, density: Density | None, trail: np.ndarray | None = None) -> None:
        """Draw the particles as their density (a :class:`gui.density.Density` over the map's
        rectangle, its scale in the corner) with the thinned trails of ``trail`` (T, N, 2) on
        top, instead of one marker each; None: no density (the caller draws points with
        :meth:`set_particles`). While the density shows, hovering picks no particle, and
        the view's tooltip says so (:func:`gui.density.hover_note`)."""
        if density is None:
            if self.density.image is not None:  # back to points: no image left to show
                self.density.clear()
                self.density_legend.setVisible(False)
                self.setToolTip("")
            return
        self._xy = np.zeros((0, 2))  # nothing to hover
        self.particles.set_positions(self._xy)
        self.density.setImage(density.rgba, autoLevels=False)
        (x0, x1), (y0, y1) = density.x_range, density.y_range
        self.density.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        words = legend(density)
        if words != self.density_legend.toPlainText():
            self.density_legend.setText(words)
            self._place_density_legend()
            self.setToolTip(hover_note(density))
        self.density_legend.setVisible(True)
        self._trail = np.zeros((0, 0, 2)) if trail is None else np.asarray(trail)
        self._draw_trails()
        self._draw_highlight()

    def _place_density_legend(self) -> None:
        place_in_corner(self.density_legend, self._vb.rect())

    def _draw_trails(self) -> None:
        """The trails of at most MAX_TRAILS particles (:func:`gui.trail_thinning.thinned`),
        older parts in fainter bands (fading trails)."""
        if not self.trails[0].isVisible():
            return
        shown = thinned(self._trail)[0] if len(self._trail) >= 2 else self._trail[:0]
        edges = np.linspace(0, max(len(shown) - 1, 0), TRAIL_BANDS + 1).round().astype(int)
        bands = []
        for k in range(TRAIL_BANDS):
            seg = shown[edges[k]:edges[k + 1] + 1]  # (S, P, 2), one step shared with the next band
            bands.append(np.stack([seg[:-1], seg[1:]], axis=2).reshape(-1, 2, 2))  # (S-1) * P segments
        rect = self._rect if self._rect is not None else self._vb.viewRect()
        share = trail_share(np.concatenate(bands), rect.width())
        if abs(share - self._trail_share) > 0.02 or (share == 1.0) != (self._trail_share == 1.0):
            self._trail_share = share
            for k, item in enumerate(self.trails):
                item.setPen(pg.mkPen(255, 225, 160, self._trail_alpha(k), width=1))
        for item, pairs in zip(self.trails, bands):
            flat = pairs.reshape(-1, 2)
            item.setData(flat[:, 0], flat[:, 1])

    def _trail_alpha(self, band: int) -> int:
        """Band ``band``'s opacity (older bands fainter), scaled by the trails' ink (:func:`trail_share`)."""
        low, high = TRAIL_ALPHA
        return int(round(self._trail_share * (low + (high - low) * (band + 1) / TRAIL_BANDS)))

    def _draw_highlight(self) -> None:
        i = self._hover
        if self._trail.ndim == 3 and len(self._trail) and 0 <= i < self._trail.shape[1]:
            self.highlight.setData(self._trail[:, i, 0], self._trail[:, i, 1])
        else:
            self.highlight.setData([], [])

    def set_highlight(self, index: int) -> None:
        """Highlight one particle's trajectory (-1: none); linked views call this."""
        if index != self._hover:
            self._hover = index
            self._draw_highlight()

    # -- layers ----------------------------------------------------------
    def set_layer_visible(self, name: str, on: bool) -> None:
        items = {"colormap": [self.image], "contours": [self.contours], "arrows": [self.arrows],
                 "trails": self.trails + [self.highlight], "memories": [self.memories, self.memory_mark],
                 "particles": [self.particles, self.density]}[name]
        for item in items:
            item.setVisible(on)
        if name == "trails" and on:
            self._draw_trails()  # skipped while hidden

    # -- mouse -------------------------------------------------------------
    def _pixel_distance(self, scene_pos: QtCore.QPointF, xy: np.ndarray) -> np.ndarray:
        if len(xy) == 0:
            return np.zeros(0)
        px, py = self._vb.viewPixelSize()
        p = self._vb.mapSceneToView(scene_pos)
        return np.hypot((xy[:, 0] - p.x()) / px, (xy[:, 1] - p.y()) / py)

    def memory_at(self, scene_pos: QtCore.QPointF) -> int | None:
        d = self._pixel_distance(scene_pos, self._memory_xy)
        if d.size and d.min() < 2 * HOVER_PIXELS:
            return int(d.argmin())
        return None

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        if self._vb._dragging is None:  # a dragged memory stays the hovered one
            self._set_hovered_memory(self.memory_at(scene_pos) if self.memories.isVisible() else None)
        d = self._pixel_distance(scene_pos, self._xy)
        index = int(d.argmin()) if d.size and d.min() < HOVER_PIXELS else -1
        if index != self._hover:
            self._set_hover(index)

    def _set_hover(self, index: int) -> None:
        self.set_highlight(index)
        self.hovered.emit(index)
        self.setToolTip("" if index < 0 else
                        f"particle {index} at ({self._xy[index, 0]:.3g}, {self._xy[index, 1]:.3g})")

    def _set_hovered_memory(self, index: int | None) -> None:
        self.hovered_memory = index
        self.memory_mark.setData(pos=self._memory_xy[[] if index is None else [index]])

    def leaveEvent(self, event) -> None:
        """The mouse left the view: nothing is hovered any more (the linked views clear too)."""
        if self._vb._dragging is None:
            self._set_hovered_memory(None)
        if self._hover != -1:
            self._set_hover(-1)
        super().leaveEvent(event)

    def _on_mouse_clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or ev.double():
            return
        if not self._vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = self._vb.mapSceneToView(ev.scenePos())
        modifiers = ev.modifiers()
        if modifiers & QtCore.Qt.KeyboardModifier.ShiftModifier:
            self.memory_added.emit(p.x(), p.y())
        elif self.memory_at(ev.scenePos()) is None:
            self.drop_requested.emit(p.x(), p.y(), bool(modifiers & QtCore.Qt.KeyboardModifier.ControlModifier))

    # -- export hook -------------------------------------------------------
    def render_image(self, width: int, height: int) -> QtGui.QImage:
        """The view drawn into a QImage of the given size (video export, screenshots)."""
        img = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
        img.fill(QtGui.QColor(0, 0, 0))
        painter = QtGui.QPainter(img)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        self.render(painter, QtCore.QRectF(0, 0, width, height), self.viewport().rect())
        painter.end()
        return img
