"""collapse: the source weight of a noisy sample against sigma / sigma_C (Biroli et al. 2024)."""
import math

import numpy as np
import pytest
from scipy.special import softmax

from memscape.engine.backend import get_backend
from memscape.engine.experiments import collapse
from memscape.engine.experiments.runner import execute, make_settings


def test_sigma_c_closed_form():
    assert collapse.sigma_c(1.0, 2, 101) == pytest.approx(0.1)  # s / sqrt(M - 1) in 2D
    assert collapse.sigma_c(2.0, 64, 20000) == pytest.approx(2.0 / math.sqrt(20000 ** (2 / 64) - 1))


def test_source_weight_is_the_posterior_of_the_point_the_sample_came_from(backend):
    rng = np.random.default_rng(3)
    points = rng.standard_normal((30, 4))
    sigma = 0.7
    w = collapse.source_weights(points, sigma, 50, np.random.default_rng(5), backend)
    check = np.random.default_rng(5)
    src = check.integers(0, 30, 50)
    x = points[src] + sigma * check.standard_normal((50, 4))
    post = softmax(-((x[:, None, :] - points[None]) ** 2).sum(axis=2) / (2 * sigma ** 2), axis=1)
    np.testing.assert_allclose(w, post[np.arange(50), src], rtol=1e-9)


def test_at_sigma_c_the_source_weight_is_about_one_half_in_high_d():
    """About 0.55 at D = 64, M = 20000 (science.md 6); the crossover is sharp there and
    smooth in 2D."""
    settings = make_settings(collapse, ["dims=2,64", "counts=20000", "ratios=0.5,1,2", "samples=300"])
    result = execute(collapse, settings, get_backend("numpy", "float64"))
    weight = {(row["D"], row["ratio"]): row["source_weight"] for row in result.rows}
    assert 0.45 < weight[64, 1.0] < 0.65
    assert weight[64, 0.5] > 0.95 and weight[64, 2.0] < 0.1
    assert weight[2, 0.5] < 0.95 and weight[2, 2.0] > 0.2
    assert result.rows[0]["sigma_c"] == pytest.approx(collapse.sigma_c(1.0, 2, 20000))
