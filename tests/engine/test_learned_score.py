"""The learned score: a closed-form denoising-score-matching fit that drives the samplers."""
import numpy as np
import pytest

from memscape.engine import schedules
from memscape.engine.backend import get_backend
from memscape.engine.experiments.curl import loop_integrals
from memscape.engine.energies import empirical
from memscape.engine.learned_score import FitSettings, fit
from memscape.engine.params import Params
from memscape.engine.samplers import heun

RING = np.array([[np.cos(t), np.sin(t)] for t in np.linspace(0, 2 * np.pi, 6, endpoint=False)])


def test_the_fit_is_the_same_on_every_backend_and_seeded(backend):
    settings = FitSettings(capacity=64, samples=2048, seed=4)
    model = fit(backend.asarray(RING), settings, backend)
    x = backend.asarray(RING + 0.1)
    reference = fit(RING, settings, get_backend("numpy", "float64"))
    np.testing.assert_allclose(backend.to_host(model.denoise(x, 0.3)), reference.denoise(RING + 0.1, 0.3), atol=1e-9)
    assert model.capacity == 64


def test_with_enough_features_the_learned_denoiser_matches_the_exact_one_near_the_data():
    """Up to sigma = 0.3 (at larger sigma the fit's variance, about K / P, dominates)."""
    b = get_backend("numpy", "float64")
    model = fit(RING, FitSettings(capacity=1024, samples=8192), b)
    x = RING[np.arange(60) % 6] + 0.05 * np.random.default_rng(1).standard_normal((60, 2))
    for sigma in (0.02, 0.1, 0.3):
        exact = empirical.denoise(x, sigma, RING)
        assert np.sqrt(np.mean((model.denoise(x, sigma) - exact) ** 2)) < 0.1


def test_it_drives_a_sampler_to_the_training_points_when_it_can_memorise():
    b = get_backend("numpy", "float64")
    model = fit(RING, FitSettings(capacity=1024, samples=8192), b)
    params = Params(steps=30)
    start = RING[np.arange(40) % 6] + 2.0 * np.random.default_rng(2).standard_normal((40, 2))
    final = heun.sample(model.denoise, start, schedules.make_sigmas(params), None, params)
    nearest = np.sqrt(((final[:, None] - RING[None]) ** 2).sum(axis=2)).min(axis=1)
    assert np.median(nearest) < 0.05


def test_its_curl_is_nonzero_where_the_exact_score_has_none(backend):
    model = fit(backend.asarray(RING), FitSettings(capacity=128, samples=2048), backend)
    centres = np.array([[0.3, 0.2], [-0.5, 0.9], [1.2, -0.4]])
    learned = loop_integrals(lambda x: model.score(x, 0.3), centres, 0.05, 32, backend)
    mem = backend.asarray(RING)
    exact = loop_integrals(lambda x: empirical.score(x, 0.3, mem), centres, 0.05, 32, backend)
    assert np.max(np.abs(exact)) < 1e-12 and np.max(np.abs(learned)) > 1e-3


def test_bad_fit_settings_are_refused():
    with pytest.raises(ValueError, match="capacity"):
        FitSettings(capacity=0)
    with pytest.raises(ValueError, match="sigma_min"):
        FitSettings(sigma_min=3.0, sigma_max=2.0)
    with pytest.raises(ValueError, match="sigma"):
        fit(RING, FitSettings(capacity=8, samples=64), get_backend("numpy", "float64")).denoise(RING, 0.0)


def test_a_learned_score_drives_a_simulation_of_its_own(backend):
    """Params score = "learned" swaps the denoiser of a diffusion Simulation for the fit; the
    energies stay the data's exact ones (the learned score has none)."""
    from memscape.engine.presets import load_preset
    from memscape.engine.simulation import Simulation

    params = load_preset("two-wells").replace(particles=40, steps=20, score="learned", capacity=512)
    learned, exact = Simulation(params, backend), Simulation(params.replace(score="exact"), backend)
    probe = backend.asarray(np.array([[0.3, 0.1], [-1.2, 0.5]]))
    while not learned.done:
        frame, reference = learned.step(), exact.step()
        np.testing.assert_allclose(backend.to_host(learned.energy_and_grad(probe)[0]),
                                   backend.to_host(exact.energy_and_grad(probe)[0]), rtol=1e-12)
    final = frame["x"]
    assert not np.allclose(final, reference["x"], atol=1e-6)  # a different field moved them
    nearest = np.abs(np.abs(final[:, 0]) - 1.0) + np.abs(final[:, 1])
    assert np.median(nearest) < 0.1  # two well separated points: the fit still finds them
