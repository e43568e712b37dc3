"""Colours and fonts: the normal theme and a high-contrast, large-font presenter theme.

One place decides the particle palette so that every view (2D, 3D, energy trace,
side by side) shows particle k in the same colour.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui, QtWidgets

COLORMAP = "viridis"
MEMORY_COLOR = (255, 80, 80)
VIOLATION_COLOR = (255, 60, 60)
HIGHLIGHT_COLOR = (255, 255, 255)
ALERT_COLOR = (255, 90, 90)  #: the status bar's warnings and the export button
SEGMENT_COLOR = (150, 200, 255)  #: where a parameter change began a new segment of the recording
LANDSCAPE_MOVE_COLOR = (255, 120, 200)  #: the energy trace's running landscape moves
SAMPLER_MOVE_COLOR = (90, 220, 140)  #: ... and running sampler moves
PLOT_BACKGROUND = (24, 26, 31)  #: behind every plot and the 3D view in the normal theme


def plot_background(presenter: bool):
    """The plots' background colour in each theme (pyqtgraph colour spec)."""
    return "k" if presenter else PLOT_BACKGROUND


PALETTE_SIZE = 12  #: few distinct colours: pyqtgraph renders each symbol colour once


def particle_colors(n: int, alpha: int = 230) -> np.ndarray:
    """(n, 4) uint8 RGBA: particle k gets palette colour k mod PALETTE_SIZE, hues spread
    by golden-ratio steps so that neighbours differ."""
    return _palette(alpha)[np.arange(n) % PALETTE_SIZE]


@functools.lru_cache(maxsize=4)
def _palette(alpha: int) -> np.ndarray:
    palette = np.empty((PALETTE_SIZE, 4), dtype=np.uint8)
    for k in range(PALETTE_SIZE):
        c = QtGui.QColor.fromHsvF(float((k * 0.61803398875) % 1.0), 0.55, 1.0)
        palette[k] = (c.red(), c.green(), c.blue(), alpha)
    palette.flags.writeable = False  # shared by every caller
    return palette


_BRUSHES: list = []


def particle_brushes(n: int) -> list:
    """The QBrushes of :func:`particle_colors`, made once and reused every frame."""
    if not _BRUSHES:
        _BRUSHES.extend(pg.mkBrush(*c) for c in particle_colors(PALETTE_SIZE))
    return [_BRUSHES[k % PALETTE_SIZE] for k in range(n)]


@dataclasses.dataclass(frozen=True)
class Fonts:
    """Point sizes of one theme's texts."""

    app: float  #: every widget: controls, menus, dock titles, check boxes, the status bar
    bold: bool  #: the presenter theme sets everything bold
    tick: float  #: axis tick labels
    axis: float  #: axis labels ("step", "energy E(x)")
    title: float  #: plot titles (a long title shrinks to fit its panel, see view_2d)
    readout: float  #: texts on plots: the rise readouts, the schedule's note
    status: float  #: the status bar (a little smaller than the rest in the presenter theme, so
    #: the end-of-run message and the readings share a 1024 px wide window)


#: False: the normal theme; True: the presenter theme, readable from the back of a room
FONTS = {False: Fonts(app=10, bold=False, tick=9, axis=9, title=11, readout=10, status=10),
         True: Fonts(app=14, bold=True, tick=13, axis=13, title=16, readout=14, status=12)}


def fonts(presenter: bool) -> Fonts:
    return FONTS[bool(presenter)]


def text_color(presenter: bool):
    return "w" if presenter else (210, 214, 222)


class AppStyle(QtWidgets.QProxyStyle):
    """Fusion, with dock titles drawn in their dock's font: a QDockWidget paints its title in
    the application font it was made with, so a theme's new size reached only the title bar's
    height, not its words."""

    def __init__(self):
        super().__init__("Fusion")

    def drawControl(self, element, option, painter, widget=None):
        if element == QtWidgets.QStyle.ControlElement.CE_DockWidgetTitle and widget is not None:
            painter.setFont(widget.font())
            option.fontMetrics = widget.fontMetrics()
        super().drawControl(element, option, painter, widget)


def apply_theme(app: QtWidgets.QApplication, presenter: bool) -> None:
    """Dark palette for both themes; the presenter theme adds pure black/white contrast
    and large bold fonts for projectors. Widgets that set no font of their own follow the
    application font, both ways."""
    if not isinstance(app.style(), AppStyle):
        app.setStyle(AppStyle())
    pal = QtGui.QPalette()
    base = QtGui.QColor(0, 0, 0) if presenter else QtGui.QColor(32, 34, 40)
    window = QtGui.QColor(0, 0, 0) if presenter else QtGui.QColor(43, 45, 52)
    text = QtGui.QColor(255, 255, 255) if presenter else QtGui.QColor(225, 228, 235)
    accent = QtGui.QColor(255, 210, 0) if presenter else QtGui.QColor(90, 150, 255)
    R = QtGui.QPalette.ColorRole
    for role, color in ((R.Window, window), (R.Base, base), (R.AlternateBase, window),
                        (R.Text, text), (R.WindowText, text), (R.ButtonText, text),
                        (R.Button, QtGui.QColor(70, 70, 70) if presenter else window.lighter(130)),
                        (R.Highlight, accent),
                        (R.HighlightedText, QtGui.QColor(0, 0, 0)), (R.ToolTipBase, base),
                        (R.ToolTipText, text), (R.PlaceholderText, text.darker(160))):
        pal.setColor(role, color)
    # disabled controls (a slider that does nothing for the chosen sampler) read as such
    for role in (R.Text, R.WindowText, R.ButtonText):
        pal.setColor(QtGui.QPalette.ColorGroup.Disabled, role, text.darker(220))
    app.setPalette(pal)
    size = fonts(presenter)
    font = app.font()
    font.setPointSizeF(size.app)
    font.setBold(size.bold)  # also un-bolds when the presenter theme is switched off
    app.setFont(font)
    pg.setConfigOptions(background=plot_background(presenter), foreground=text_color(presenter), antialias=True)


def plot_font(points: float, presenter: bool) -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSizeF(points)
    font.setBold(fonts(presenter).bold)
    return font


#: the widest tick label an axis makes room for; a fixed room keeps a plot's layout (and an
#: exported frame's) the same whatever labels it showed before
WIDEST_TICK = "-000.00"


def style_plot(plot: pg.PlotItem, presenter: bool) -> None:
    """Fonts, pens and fixed sizes of one pyqtgraph plot for the current theme: tick labels,
    axis labels, the title's size and every text item on the plot (the readouts)."""
    size = fonts(presenter)
    font = plot_font(size.tick, presenter)
    metrics = QtGui.QFontMetrics(font)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTickFont(font)
        axis.setTextPen(pg.mkPen(text_color(presenter)))
        axis.setPen(pg.mkPen("w" if presenter else (120, 124, 132), width=2 if presenter else 1))
        # fixed room for tick labels; pyqtgraph adds the offsets and the label
        axis.setStyle(autoExpandTextSpace=False, autoReduceTextSpace=False,
                      tickTextWidth=metrics.horizontalAdvance(WIDEST_TICK), tickTextHeight=metrics.height())
        style = {"color": pg.mkColor(text_color(presenter)).name(), "font-size": f"{size.axis:g}pt",
                 "font-weight": "bold" if size.bold else "normal"}
        axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix, **style)
    axis_label_fitter(plot).set_points(size.axis)
    plot.titleLabel.setAttr("size", f"{size.title:g}pt")  # the views fit their titles to it
    readout = plot_font(size.readout, presenter)
    vb = plot.getViewBox()
    for item in [*vb.childItems(), *vb.allChildren()]:  # readouts placed in the view's pixels, or on the data
        if isinstance(item, pg.TextItem):
            item.setFont(readout)
            item.setProperty(THEME_POINTS, size.readout)


AXIS_LABEL_MIN_SHARE = 0.6  #: an axis label shrinks to this share of the theme's size to fit its axis
AXIS_LABEL_ROOM_PX = 8  #: ... leaving this much of the axis free


class AxisLabelFitter(QtCore.QObject):
    """Keeps a plot's axis labels within their axes: each at the theme's size (``points``)
    when it fits along its axis, else at the largest size down to AXIS_LABEL_MIN_SHARE of it
    that does (a short trace in the presenter theme); fitted again when the plot is resized
    and whenever :meth:`fit` is called after a label's words changed."""

    def __init__(self, plot: pg.PlotItem):
        super().__init__(plot)
        self.plot = plot
        self.points = FONTS[False].axis
        self._fitted: dict[str, tuple] = {}
        plot.getViewBox().sigResized.connect(self.fit)

    def set_points(self, points: float) -> None:
        """The theme's size (the labels were just set in it): fit them again from it."""
        self.points = points
        self._fitted.clear()
        self.fit()

    def fit(self, *_) -> None:
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            text = axis.labelText
            length = (axis.height() if name == "left" else axis.width()) - AXIS_LABEL_ROOM_PX
            key = (text, round(length), self.points)
            if not text or self._fitted.get(name) == key:
                continue
            self._fitted[name] = key
            for pt in np.linspace(self.points, self.points * AXIS_LABEL_MIN_SHARE, 5):
                style = dict(axis.labelStyle, **{"font-size": f"{pt:.3g}pt"})
                if style != axis.labelStyle:
                    axis.setLabel(text, axis.labelUnits, axis.labelUnitPrefix, **style)
                if axis.label.boundingRect().width() <= length:
                    break
            # pyqtgraph centres the label along the axis only when the axis is resized: a
            # label whose words or size changed since would sit off centre and be cut
            axis.resizeEvent()


def axis_label_fitter(plot: pg.PlotItem) -> AxisLabelFitter:
    """The plot's AxisLabelFitter (made on first use)."""
    return plot.findChild(AxisLabelFitter) or AxisLabelFitter(plot)


CORNER_MARGIN_PX = 6  #: a readout's distance from its plot's edges
LEGEND_TEXT = (235, 235, 235)  #: the density's scale in words, over the 2D and 3D landscapes ...
LEGEND_FILL = (*PLOT_BACKGROUND, 170)  #: ... on this translucent box
READOUT_MAX_SHARE = 0.45  #: a readout covers at most this share of its plot's height ...
READOUT_MIN_SHARE = 0.6  #: ... shrinking to this share of the theme's size to do so
THEME_POINTS = "themePoints"  #: the property in which style_plot leaves a readout's size in the theme


def place_in_corner(item: pg.TextItem, rect: QtCore.QRectF) -> None:
    """Put a readout (anchored at its top right) in the top right corner of ``rect`` (its
    ViewBox's, in pixels), wrapped to the width when it is wider, and at the largest size
    down to READOUT_MIN_SHARE of the theme's at which it covers no more than
    READOUT_MAX_SHARE of the height (a short trace in the presenter theme): never cut."""
    base = item.property(THEME_POINTS) or item.textItem.font().pointSizeF()
    room = rect.width() - 2 * CORNER_MARGIN_PX
    for pt in np.linspace(base, base * READOUT_MIN_SHARE, 5):
        if item.textItem.font().pointSizeF() != pt:
            font = QtGui.QFont(item.textItem.font())
            font.setPointSizeF(pt)
            item.setFont(font)
        item.setTextWidth(-1)
        if item.textItem.boundingRect().width() > room > 0:
            item.setTextWidth(room)
        if item.textItem.boundingRect().height() <= READOUT_MAX_SHARE * rect.height():
            break
    item.setPos(rect.right() - CORNER_MARGIN_PX, rect.top() + CORNER_MARGIN_PX)
