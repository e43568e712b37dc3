"""The 2D landscape's display geometry: contour lines, titles that fit, markers and trails
that scale with what they show."""
from __future__ import annotations

import numpy as np
import pytest

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


def test_a_title_shrinks_then_wraps_and_only_a_word_too_wide_is_cut(qapp):
    from PyQt6 import QtGui

    from memscape.gui.view_2d import TITLE_MIN_SHARE, title_lines

    font = QtGui.QFont()
    text = "Associative memory (modern, beta = 4)"
    font.setPointSizeF(16)
    full = QtGui.QFontMetricsF(font).horizontalAdvance(text)
    assert title_lines(text, QtGui.QFont(), 16, full + 2) == (16.0, [text])
    pt, lines = title_lines(text, QtGui.QFont(), 16, full * 0.6)  # two lines, balanced
    assert len(lines) == 2 and " ".join(lines) == text and pt >= 16 * TITLE_MIN_SHARE
    pt, lines = title_lines(text, QtGui.QFont(), 16, full * 0.25)  # a narrow panel: more lines, no cut
    assert len(lines) > 2 and " ".join(lines) == text and pt == 16 * TITLE_MIN_SHARE
    _, lines = title_lines("Supercalifragilistic", QtGui.QFont(), 16, 40)
    assert lines[0].endswith("\u2026")


def test_stars_and_trails_fade_with_their_count_and_ink():
    from memscape.gui.view_2d import MEMORY_FEW, MEMORY_MIN_SIZE, MEMORY_SIZE, TRAIL_INK, memory_style, trail_share

    assert memory_style(2) == memory_style(MEMORY_FEW) == (MEMORY_SIZE, 1.0)
    sizes = [memory_style(m)[0] for m in (8, 16, 32, 64, 1000)]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == MEMORY_MIN_SIZE
    # one view width of ink is full strength; 4 * TRAIL_INK widths a quarter
    one = np.array([[[0.0, 0.0], [1.0, 0.0]]])
    assert trail_share(one, 1.0) == 1.0
    many = np.repeat(one, int(4 * TRAIL_INK), axis=0)
    assert trail_share(many, 1.0) == pytest.approx(0.25)
