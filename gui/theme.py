"""Colours and fonts: the normal theme and a high-contrast, large-font presenter theme.

One place decides the particle palette so that every view (2D, 3D, energy trace,
side by side) shows particle k in the same colour.
"""
from __future__ import annotations

import functools

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtGui, QtWidgets

COLORMAP = "viridis"
MEMORY_COLOR = (255, 80, 80)
VIOLATION_COLOR = (255, 60, 60)
HIGHLIGHT_COLOR = (255, 255, 255)
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


def apply_theme(app: QtWidgets.QApplication, presenter: bool) -> None:
    """Dark palette for both themes; the presenter theme adds pure black/white contrast
    and large fonts for projectors."""
    app.setStyle("Fusion")
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
    app.setPalette(pal)
    font = app.font()
    font.setPointSize(15 if presenter else 10)
    font.setBold(presenter)  # also un-bolds when the presenter theme is switched off
    app.setFont(font)
    pg.setConfigOptions(background=plot_background(presenter),
                        foreground="w" if presenter else (210, 214, 222), antialias=True)


#: the widest tick label an axis makes room for; a fixed room keeps a plot's layout (and an
#: exported frame's) the same whatever labels it showed before
WIDEST_TICK = "-000.00"


def style_plot(plot: pg.PlotItem, presenter: bool) -> None:
    """Axis fonts, pens and fixed sizes of one pyqtgraph plot for the current theme."""
    font = QtGui.QFont()
    font.setPointSize(14 if presenter else 9)
    metrics = QtGui.QFontMetrics(font)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTickFont(font)
        axis.setTextPen(pg.mkPen("w" if presenter else (210, 214, 222)))
        axis.setPen(pg.mkPen("w" if presenter else (120, 124, 132), width=2 if presenter else 1))
    for name in ("left", "bottom"):  # fixed room for tick labels; pyqtgraph adds the offsets and the label
        plot.getAxis(name).setStyle(autoExpandTextSpace=False, autoReduceTextSpace=False,
                                    tickTextWidth=metrics.horizontalAdvance(WIDEST_TICK),
                                    tickTextHeight=metrics.height())
    plot.titleLabel.setAttr("size", "17pt" if presenter else "11pt")  # the views fit their titles to it
