"""The particle density the landscapes draw above DENSITY_ABOVE particles (gui/density.py):
counts equal np.histogram2d's, particles outside the map are dropped and counted, the colour
scale is the stated log scale and the legend states its true ends."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memscape.gui import density as dens


def reference(uv, x_range, y_range, bins):
    """np.histogram2d of the particles inside the rectangle, as (ny, nx)."""
    h, _, _ = np.histogram2d(uv[:, 0], uv[:, 1], bins=bins, range=[x_range, y_range])
    return h.T.astype(np.int64)


def test_counts_equal_histogram2d_with_particles_outside():
    rng = np.random.default_rng(3)
    uv = rng.normal(0.0, 1.6, size=(100_000, 2)).astype(np.float32)
    x_range, y_range = (-3.0, 2.5), (-2.0, 2.2)
    d = dens.particle_density(uv, x_range, y_range, bins=97)
    uv64 = uv.astype(np.float64)
    assert d.counts.shape == (97, 97)
    np.testing.assert_array_equal(d.counts, reference(uv64, x_range, y_range, 97))
    inside = ((uv64[:, 0] >= -3.0) & (uv64[:, 0] <= 2.5) & (uv64[:, 1] >= -2.0) & (uv64[:, 1] <= 2.2)).sum()
    assert 0 < d.outside == len(uv) - inside  # dropped, and counted as such
    assert d.counts.sum() == inside


def test_edges_and_values_not_finite():
    edges = np.linspace(-1.0, 1.0, 9)  # 8 bins
    ys = np.zeros_like(edges)
    uv = np.concatenate([np.stack([edges, ys], 1),  # every edge: left-closed bins, the last closed on the right
                         [[np.nan, 0.0], [0.0, np.inf], [-1.0 - 1e-12, 0.0], [1.0 + 1e-12, 0.0]]])
    d = dens.particle_density(uv, (-1.0, 1.0), (-1.0, 1.0), bins=8)
    np.testing.assert_array_equal(d.counts, reference(uv[:9], (-1.0, 1.0), (-1.0, 1.0), 8))
    row = d.counts[4]  # y = 0 lies in bin 4 of [-1, 1]
    np.testing.assert_array_equal(row, [1, 1, 1, 1, 1, 1, 1, 2])
    assert d.outside == 4 and d.counts.sum() == 9


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 31), bins=st.integers(1, 40), n=st.integers(0, 400),
       x0=st.floats(-50, 50), wx=st.floats(1e-3, 100), y0=st.floats(-50, 50), wy=st.floats(1e-3, 100))
def test_counts_equal_histogram2d_for_any_rectangle(seed, bins, n, x0, wx, y0, wy):
    rng = np.random.default_rng(seed)
    x_range, y_range = (x0, x0 + wx), (y0, y0 + wy)
    uv = np.stack([rng.uniform(x0 - 0.2 * wx, x0 + 1.2 * wx, n), rng.uniform(y0 - 0.2 * wy, y0 + 1.2 * wy, n)], 1)
    uv[: n // 4, 0] = np.linspace(*x_range, bins + 1)[rng.integers(0, bins + 1, n // 4)]  # on the edges
    d = dens.particle_density(uv, x_range, y_range, bins=bins)
    np.testing.assert_array_equal(d.counts, reference(uv, x_range, y_range, bins))
    assert d.outside + d.counts.sum() == n


def test_colour_scale_is_log_from_one_to_the_peak():
    counts = np.array([[0, 1, 10], [100, 1000, 0]])
    d = dens.Density(counts, (0.0, 3.0), (0.0, 2.0), outside=0)
    t = dens.log_scale(counts)
    np.testing.assert_allclose(t[~np.isnan(t)], [0.0, 1 / 3, 2 / 3, 1.0])
    assert np.isnan(t[0, 0]) and np.isnan(t[1, 2])
    rgba = dens.density_rgba(d)
    assert rgba.shape == (2, 3, 4) and rgba.dtype == np.uint8
    assert rgba[0, 0, 3] == 0 and rgba[1, 2, 3] == 0  # empty bins are clear
    alphas = [rgba[0, 1, 3], rgba[0, 2, 3], rgba[1, 0, 3], rgba[1, 1, 3]]
    assert alphas[0] == dens.DENSITY_ALPHA[0] and alphas[-1] == dens.DENSITY_ALPHA[1]
    assert alphas == sorted(alphas) and len(set(alphas)) == 4  # denser is more opaque
    brightness = rgba[..., :3].astype(int).sum(axis=-1)
    assert brightness[0, 1] < brightness[0, 2] < brightness[1, 0] < brightness[1, 1]  # ... and brighter


def test_a_single_count_everywhere_is_the_top_of_the_scale():
    d = dens.Density(np.array([[1, 0], [0, 1]]), (0.0, 1.0), (0.0, 1.0), outside=0)
    assert dens.density_rgba(d)[0, 0, 3] == dens.DENSITY_ALPHA[1]


def test_legend_states_the_bin_the_peak_and_what_was_left_out():
    uv = np.array([[0.1, 0.1], [0.1, 0.1], [0.12, 0.1], [5.0, 0.0]])
    d = dens.particle_density(uv, (0.0, 1.0), (0.0, 2.0), bins=10)
    words = dens.legend(d)
    assert d.peak == 3 and "to 3 (pale yellow)" in words
    assert "particles per 0.1 \u00d7 0.2 bin" in words
    assert "1 outside the map not shown" in words
    assert "hovering" not in words and words in dens.hover_note(d) and "hovering" in dens.hover_note(d)
    assert "outside" not in dens.legend(dens.particle_density(uv[:3], (0.0, 1.0), (0.0, 2.0), bins=10))


@pytest.mark.parametrize("n, expected", [(dens.DENSITY_ABOVE, False), (dens.DENSITY_ABOVE + 1, True), (5_000, False)])
def test_the_threshold(n, expected):
    assert dens.shows_density(n) is expected
