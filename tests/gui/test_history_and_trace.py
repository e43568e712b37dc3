"""The recorded history the trails and energy traces draw from, and the energy trace itself."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memscape.gui.history import History, energy_rises, finite_mean


def filled(energies: np.ndarray, capacity: int = 1) -> History:
    """A History of the (T, N) energies, particle n of step t at uv (t, n)."""
    t, n = energies.shape
    h = History(n, capacity=capacity)
    for k in range(t):
        h.append(k, np.stack([np.full(n, k), np.arange(n)], axis=1), energies[k])
    return h


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_a_history_holds_every_step_as_the_whole_array_computation_would(t, n, seed):
    rng = np.random.default_rng(seed)
    energies = rng.standard_normal((t, n)).cumsum(axis=0)
    energies[rng.random((t, n)) < 0.1] = np.nan
    h = filled(energies)  # capacity 1: it grows many times
    view = h.upto(t - 1)
    np.testing.assert_array_equal(view.energy, energies)
    np.testing.assert_array_equal(view.steps, np.arange(t))
    np.testing.assert_array_equal(view.uv[:, :, 0], np.repeat(np.arange(t)[:, None], n, axis=1))
    np.testing.assert_array_equal(view.rises, energy_rises(energies))
    np.testing.assert_allclose(view.mean, finite_mean(energies), equal_nan=True)
    assert len(h.upto(t // 2).steps) == t // 2 + 1


def test_views_handed_out_stay_valid_while_the_history_grows():
    h = filled(np.arange(6.0)[:, None], capacity=2)
    early = h.upto(2)
    for k in range(6, 40):
        h.append(k, np.zeros((1, 2)), np.array([float(k)]))
    np.testing.assert_array_equal(early.energy[:, 0], [0.0, 1.0, 2.0])
    assert len(h) == 40 and h.upto(39).energy[-1, 0] == 39.0


def test_replacing_the_last_step_counts_its_rises_again():
    h = filled(np.array([[1.0, 1.0], [0.5, 2.0]]))
    assert h.upto(1).rises[-1] == 1
    h.replace_last(1, np.zeros((2, 2)), np.array([0.5, 0.5]))
    assert h.upto(1).rises[-1] == 0 and h.upto(1).mean[-1] == 0.5
    with pytest.raises(IndexError):
        h.upto(2)


def test_the_mean_ignores_undefined_energies():
    np.testing.assert_allclose(finite_mean(np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])),
                               [2.0, np.nan], equal_nan=True)


def test_the_trace_range_stands_still_until_the_data_leave_it():
    from memscape.gui.energy_trace import steady_range, steady_steps

    shown = steady_range((0.0, 1.0), -5.0, 5.0)
    assert shown[0] < -5.0 and shown[1] > 5.0  # out of range: fitted, with a margin
    assert steady_range(shown, -4.0, 4.5) == shown  # inside and filling it: unchanged
    tight = steady_range(shown, 0.0, 0.5)  # inside but a sliver of it: fitted again
    assert tight[0] < 0.0 < 0.5 < tight[1] and tight[1] - tight[0] < 1.0
    assert steady_range(shown, np.nan, np.nan) == shown
    assert steady_steps(3) == (0.0, 16.0) and steady_steps(17) == (0.0, 32.0) and steady_steps(32) == (0.0, 32.0)
    assert steady_steps(17, span=40) == (0.0, 40.0) and steady_steps(50, span=40) == (0.0, 64.0)


def test_the_trace_draws_a_bounded_set_of_lines_and_every_violation(qtbot):
    from memscape.gui.energy_trace import MAX_LINE_SEGMENTS, MAX_LINES, EnergyTracePlot

    rng = np.random.default_rng(3)
    energies = -np.abs(rng.standard_normal((300, 500))).cumsum(axis=0)  # falling ...
    energies[100, :7] += 1e3  # ... but for 7 particles at step 100, which then fall back
    plot = EnergyTracePlot()
    qtbot.addWidget(plot)
    view = filled(energies).upto(299)
    plot.set_history(view)
    assert plot.violations == 7
    np.testing.assert_array_equal(plot.marks.getData()[0], [100.0])
    x, y = plot.lines.getData()
    assert 0 < len(x) // 2 <= MAX_LINE_SEGMENTS
    assert np.isin(y, energies[:, :MAX_LINES]).all() and not np.isin(y, energies[:, MAX_LINES:]).any()
    (x0, x1), (y0, y1) = plot.getPlotItem().vb.viewRange()
    assert x0 <= 0 and x1 >= 299  # every step drawn and every energy drawn is in view
    assert y0 <= min(y.min(), np.nanmin(view.mean)) and y1 >= max(y.max(), np.nanmax(view.mean))
