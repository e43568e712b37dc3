"""speciation: copies of a trajectory commit to one of two memories near sigma = d/2."""
import math

import numpy as np
import pytest

from memscape.engine.backend import get_backend
from memscape.engine.experiments import speciation
from memscape.engine.experiments.runner import execute, make_settings


def test_exact_p_same_limits_and_scaling():
    assert speciation.p_same_exact(0.05, 2.0) == pytest.approx(1.0, abs=1e-9)
    assert speciation.p_same_exact(200.0, 2.0) == pytest.approx(0.5, abs=1e-3)
    # Monte Carlo of E[w^2 + (1 - w)^2], w = sigmoid(2 a x / sigma^2), x = a + sigma n
    n = np.random.default_rng(0).standard_normal(400_000)
    w = 1 / (1 + np.exp(-2 * (1 + 1.3 * n) / 1.3 ** 2))
    assert speciation.p_same_exact(1.3, 2.0) == pytest.approx(np.mean(w * w + (1 - w) ** 2), abs=3e-3)
    s2 = speciation.exact_crossing(2.0)
    assert speciation.p_same_exact(s2, 2.0) == pytest.approx(0.75, abs=1e-9)
    assert s2 == pytest.approx(1.084, abs=2e-3) and speciation.exact_crossing(6.0) == pytest.approx(3 * s2)


@pytest.mark.parametrize("distance", [2.0, 1.0])
def test_two_memories_speciate_at_half_their_distance(backend, distance):
    """The measured 3/4 crossing lies within one branching interval of the schedule of d/2,
    and every measured p_same agrees with exact sampling's within its error."""
    settings = make_settings(speciation, [f"distance={distance}", f"sigma_max={4 * distance}", "steps=120",
                                          "every=3", "trajectories=300", "copies=4"])
    result = execute(speciation, settings, backend)
    sigma = result.column("sigma")
    spacing = float(np.max(np.abs(np.diff(np.log(sigma[(sigma > distance / 4) & (sigma < distance)])))))
    measured = result.summary["speciation sigma (p_same = 3/4), measured"]
    assert abs(math.log(measured / (distance / 2))) <= spacing
    gap = np.abs(result.column("p_same") - result.column("p_same_exact"))
    assert np.all(gap <= 5 * result.column("stderr") + 0.03)
    assert result.column("p_same")[sigma < distance / 8].min() == 1.0


def test_crossing_interpolates_in_log_sigma():
    s = np.array([0.5, 1.0, 2.0])
    assert speciation.crossing(s, np.array([1.0, 0.8, 0.7])) == pytest.approx(2 ** 0.5)
    assert np.isnan(speciation.crossing(s, np.ones(3)))
