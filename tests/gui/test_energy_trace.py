"""The energy trace draws what the recording holds: a bounded set of lines, the mean, a mark
at every step with a rise, a line at every segment start, and shares (never raw counts)."""
from __future__ import annotations

import numpy as np
import pytest

from memscape.engine.run import EnergyHistory
from memscape.gui.energy_trace import MAX_LINE_SEGMENTS, MAX_LINES, EnergyTracePlot, energy_range, percent, \
    rise_readout, steady_steps


def history(energies: np.ndarray, starts=()) -> EnergyHistory:
    t, n = energies.shape
    rose = np.zeros((t, n), bool)
    rose[1:] = energies[1:] > energies[:-1]
    for s in starts:
        rose[s] = False
    mean = np.nanmean(energies, axis=1)
    nan = np.full((t, n), np.nan)
    return EnergyHistory(np.arange(t), energies, mean, rose, rose.any(axis=1), nan, nan, np.full(t, np.nan),
                         np.full(t, np.nan), nan, np.full(t, np.nan), np.array(starts, np.int64),
                         int(rose.any(axis=0).sum()))


def test_the_ranges_are_a_function_of_the_history():
    assert energy_range(0.0, 1.0) == (-0.1, 1.1)  # [-0.08, 1.08] out to tenths
    lo, hi = energy_range(-3.21, 117.0)  # a span of 130 after the margins: steps of 10
    assert lo <= -3.21 - 0.08 * 120.21 and hi >= 117.0 + 0.08 * 120.21 and lo % 10 == 0 and hi % 10 == 0
    assert energy_range(-3.0, 118.0) == (lo, hi)  # the range stands still while no extreme passes a step
    assert energy_range(np.nan, 1.0) is None
    lo, hi = energy_range(2.0, 2.0)
    assert lo < 2.0 < hi
    assert steady_steps(3) == (0.0, 16.0) and steady_steps(17) == (0.0, 32.0) and steady_steps(32) == (0.0, 32.0)
    assert steady_steps(17, span=40) == (0.0, 40.0) and steady_steps(50, span=40) == (0.0, 64.0)


def test_the_trace_draws_a_bounded_set_of_lines_every_rise_and_every_segment(qtbot):
    rng = np.random.default_rng(3)
    energies = -np.abs(rng.standard_normal((300, 500))).cumsum(axis=0)  # falling ...
    energies[100, :7] += 1e3  # ... but for 7 particles at step 100, which then fall back
    energies[200] += 50.0  # a parameter change at step 200: a jump, but not a rise
    plot = EnergyTracePlot()
    qtbot.addWidget(plot)
    h = history(energies, starts=(200,))
    plot.set_history(h)
    np.testing.assert_array_equal(plot.marks.getData()[0], [100.0])
    assert plot.text == "rose: 1.4% of particles, 0.34% of steps"  # 7/500; 1 of 298 compared steps
    x, y = plot.lines.getData()
    assert 0 < len(x) // 2 <= MAX_LINE_SEGMENTS
    assert np.isin(y, energies[:, :MAX_LINES]).all() and not np.isin(y, energies[:, MAX_LINES:]).any()
    sx, _ = plot.segments.getData()
    np.testing.assert_array_equal(sx, [200.0, 200.0])
    (x0, x1), (y0, y1) = plot.getPlotItem().vb.viewRange()
    assert x0 <= 0 and x1 >= 299  # every step drawn and every energy drawn is in view
    assert y0 <= min(y.min(), np.nanmin(h.mean)) and y1 >= max(y.max(), np.nanmax(h.mean))
    assert "x0.001" not in plot.getPlotItem().getAxis("left").labelString()


@pytest.mark.parametrize("share, words", [(0.0, "0%"), (1.0, "100%"), (0.996, ">99%"), (0.995, ">99%"),
                                          (0.994, "99%"), (0.093, "9.3%"), (0.25, "25%"), (0.0034, "0.34%"),
                                          (1e-4, "0.01%"), (3e-7, "<0.01%"), (0.1, "10%"), (0.0999, "10%")])
def test_shares_read_as_percentages_without_exponents_or_false_bounds(share, words):
    assert percent(share) == words


def test_an_energy_that_never_rose_says_so():
    energies = -np.arange(12.0)[:, None] * np.ones((1, 4))
    assert rise_readout(history(energies)) == "never rose"
