"""Axes painted from a cached picture: a pyqtgraph plot's axes (with their grid lines, which
the axes draw across the plot) change only when the range does, yet every repaint of the
plot replayed their text and lines (about 1.4 ms an axis under a software rasteriser,
14 axes in the window's first layout). Qt's device-coordinate cache keeps each axis as a
pixmap, drawn again only when pyqtgraph updates the axis (a new range, label or size)."""
from __future__ import annotations

import pyqtgraph as pg
from PyQt6 import QtWidgets

AXES = ("left", "bottom", "right", "top")


def cache_axes(plot: pg.PlotItem) -> None:
    """Paint ``plot``'s axes from Qt's device-coordinate cache."""
    for name in AXES:
        plot.getAxis(name).setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
