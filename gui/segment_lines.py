"""Line layers drawn as one ``QPainter.drawLines`` call of their segments: on a raster
paint engine that is several times cheaper than stroking a QPainterPath of thousands of
pieces (pyqtgraph's default for a thin or translucent pen)."""
from __future__ import annotations

import pyqtgraph as pg


def segment_lines(pen=None, connect: str = "pairs") -> pg.PlotCurveItem:
    """A PlotCurveItem without antialiasing whose segments are drawn with drawLines
    (``connect`` "pairs": point 2k to 2k+1; "finite": consecutive finite points)."""
    item = pg.PlotCurveItem(pen=pen, connect=connect, antialias=False)
    item.setSegmentedLineMode("on")  # not a constructor option: pyqtgraph ignores it there
    return item
