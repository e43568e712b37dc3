"""lyapunov: rises of a fixed function along the trajectories of each model and sampler."""
import math

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from memscape.engine.backend import get_backend
from memscape.engine.experiments import lyapunov
from memscape.engine.experiments.runner import execute, make_settings
from memscape.engine.simulation import Simulation
from memscape.engine.presets import load_preset


@pytest.mark.parametrize("preset", ["two-wells", "ring", "grid", "spiral"])
def test_no_am_energy_ever_rises(backend, preset):
    settings = make_settings(lyapunov, [f"preset={preset}", "methods=modern,tinybrain", "particles=40", "steps=30"])
    result = execute(lyapunov, settings, backend)
    assert np.all(result.column("rises") == 0) and np.all(result.column("first_rise") == -1)
    assert result.summary["modern: share of particles whose energy ever rose"] == 0.0


def test_a_stochastic_sampler_raises_the_fixed_energy_and_says_where(backend):
    settings = make_settings(lyapunov, ["methods=euler-maruyama,heun", "particles=60"])
    result = execute(lyapunov, settings, backend)
    noisy = result.select(method="euler-maruyama")
    assert result.summary["euler-maruyama: share of particles whose energy ever rose"] > 0.5
    first = [r for r in noisy if r["rises"] > 0]
    assert all(r["first_rise"] >= 1 and math.isfinite(r["rise_u"]) and r["max_rise"] > 0 for r in first)
    steps = result.summary["heun: share of steps with a rise"]
    assert 0.0 <= steps <= result.summary["heun: share of particles whose energy ever rose"]


def test_the_fixed_function_is_the_normalised_minus_log_density():
    """What the experiment counts rises of: the frames' energy_fixed at the chosen sigma_ref."""
    b = get_backend("numpy", "float64")
    x = np.array([[0.3, -0.2], [1.1, 0.05], [-2.0, 1.0]])
    sigma = 0.4
    sim = Simulation(load_preset("ring").replace(particles=3, sigma_ref=sigma), b, init=x)
    mem = sim.memories_host
    expected = -(logsumexp(-((x[:, None] - mem[None]) ** 2).sum(axis=2) / (2 * sigma ** 2), axis=1)
                 - math.log(len(mem)) - math.log(2 * math.pi * sigma ** 2))
    np.testing.assert_allclose(sim.frame()["energy_fixed"], expected, rtol=1e-12)
    gauss = Simulation(load_preset("gaussian").replace(particles=3, sigma_ref=sigma), b, init=x)
    mu, s2 = gauss.patterns.gaussian
    np.testing.assert_allclose(gauss.frame()["energy_fixed"],
                               -multivariate_normal(mu, (s2 + sigma ** 2) * np.eye(2)).logpdf(x), rtol=1e-12)
