"""The 2D landscape's display geometry: contour lines."""
from __future__ import annotations

import numpy as np

from memscape.gui.view_2d import contour_segments


def test_contours_of_a_plane_lie_exactly_on_their_levels():
    xs, ys = np.linspace(-1, 1, 41), np.linspace(0, 2, 23)
    e = np.broadcast_to(2.0 * xs[None, :] + 0.0 * ys[:, None], (len(ys), len(xs)))  # e = 2x
    levels = np.array([-1.3, 0.05, 0.9])
    seg = contour_segments(e, levels, xs, ys)
    assert len(seg) == 3 * (len(ys) - 1)  # one segment per row of cells per level
    np.testing.assert_allclose(np.sort(np.unique(np.round(2 * seg[..., 0], 9))), levels)


def test_contours_of_a_bowl_are_closed_circles_of_the_right_radius():
    xs = ys = np.linspace(-2, 2, 81)
    e = xs[None, :] ** 2 + ys[:, None] ** 2
    seg = contour_segments(e, np.array([1.1, 2.3]), xs, ys)  # levels no grid value equals
    r = np.hypot(seg[..., 0], seg[..., 1])
    assert np.all((np.abs(r - np.sqrt(1.1)) < 0.01) | (np.abs(r - np.sqrt(2.3)) < 0.01))
    ends, counts = np.unique(np.round(seg.reshape(-1, 2), 9), axis=0, return_counts=True)
    assert np.all(counts == 2)  # every end point is shared by two segments: closed curves
    assert len(contour_segments(e, np.array([9.0]), xs, ys)) == 0  # above every value: nothing


def test_line_layers_are_drawn_as_segments_not_paths(qtbot):
    """Thin translucent pens would make pyqtgraph stroke a QPainterPath (several times slower)."""
    import pyqtgraph as pg

    from memscape.gui.energy_trace import EnergyTracePlot
    from memscape.gui.view_2d import Landscape2DView

    view, trace = Landscape2DView(), EnergyTracePlot()
    qtbot.addWidget(view)
    qtbot.addWidget(trace)
    items = [view.contours, view.arrows, *view.trails, trace.lines, trace.mean]
    for item in items:
        assert isinstance(item, pg.PlotCurveItem)
        assert item._shouldUseDrawLineSegments(item.opts["pen"]), item
