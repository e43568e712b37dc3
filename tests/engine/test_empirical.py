"""The exact diffusion model of the memories (science.md 4): score = grad log p_sigma,
D = one Euler step of size sigma^2 on E_sigma, E_sigma = -log p_sigma exactly (normalised,
natural log), and the closed-form Gaussian model."""
import math

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from memscape.engine.energies import empirical

H = 1e-5


@pytest.fixture
def data(backend):
    rng = np.random.default_rng(3)
    memories = rng.normal(size=(5, 3))
    x = rng.normal(scale=1.5, size=(7, 3))
    return memories, x


def fd_grad(f, x_host, backend):
    """Central finite differences of a scalar-per-row function f (backend arrays) at x_host."""
    g = np.empty_like(x_host)
    for k in range(x_host.shape[1]):
        e = np.zeros_like(x_host)
        e[:, k] = H
        g[:, k] = (backend.to_host(f(backend.asarray(x_host + e)))
                   - backend.to_host(f(backend.asarray(x_host - e)))) / (2 * H)
    return g


def log_p(x_host, memories, sigma):
    """log p_sigma(x) = log (1/M) sum_mu N(x; xi_mu, sigma^2 I), evaluated with SciPy."""
    dens = [multivariate_normal(m, sigma ** 2 * np.eye(len(m))).pdf(x_host) for m in memories]
    return np.log(np.mean(dens, axis=0))


@pytest.mark.parametrize("sigma", [0.4, 1.0, 3.0])
def test_energy_is_minus_log_p_sigma_normalised(backend, data, sigma):
    memories, x = data
    e = backend.to_host(empirical.energy(backend.asarray(x), sigma, backend.asarray(memories)))
    np.testing.assert_allclose(e, -log_p(x, memories, sigma), rtol=1e-10)
    m, d = memories.shape  # the constant that an unnormalised energy drops, named once
    assert empirical.log_normaliser(m, d, sigma) == pytest.approx(math.log(m) + 0.5 * d * math.log(2 * math.pi * sigma ** 2))


@pytest.mark.parametrize("sigma", [0.0, 0.3, 2.0])
def test_gaussian_energy_is_minus_log_of_the_noised_gaussian(backend, sigma):
    mu, s2 = np.array([1.0, -0.5, 2.0]), 0.25
    x = np.random.default_rng(4).normal(size=(6, 3))
    e = backend.to_host(empirical.gaussian_energy(backend.asarray(x), sigma, backend.asarray(mu), s2))
    np.testing.assert_allclose(e, -multivariate_normal(mu, (s2 + sigma ** 2) * np.eye(3)).logpdf(x), rtol=1e-12)
    g = fd_grad(lambda y: empirical.gaussian_energy(y, sigma, backend.asarray(mu), s2), x, backend)
    np.testing.assert_allclose(backend.to_host(empirical.gaussian_energy_grad(backend.asarray(x), sigma,
                                                                             backend.asarray(mu), s2)), g, atol=1e-7)


@pytest.mark.parametrize("sigma", [0.4, 1.0, 3.0])
def test_score_is_the_finite_difference_gradient_of_log_p_sigma(backend, data, sigma):
    memories, x = data
    mem = backend.asarray(memories)
    fd = fd_grad(lambda y: -empirical.energy(y, sigma, mem), x, backend)
    s = backend.to_host(empirical.score(backend.asarray(x), sigma, mem))
    np.testing.assert_allclose(s, fd, rtol=1e-6, atol=1e-7)
    g = backend.to_host(empirical.energy_grad(backend.asarray(x), sigma, mem))
    np.testing.assert_allclose(g, -s, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("sigma", [0.4, 1.0, 3.0])
def test_denoiser_is_one_euler_step_of_size_sigma_squared_on_the_energy(backend, data, sigma):
    """D(x, sigma) = x - sigma^2 grad E_sigma(x), with the gradient taken by finite differences."""
    memories, x = data
    mem = backend.asarray(memories)
    fd = fd_grad(lambda y: empirical.energy(y, sigma, mem), x, backend)
    d = backend.to_host(empirical.denoise(backend.asarray(x), sigma, mem))
    np.testing.assert_allclose(d, x - sigma ** 2 * fd, rtol=1e-6, atol=1e-7 * max(1.0, sigma ** 2))


def test_denoiser_picks_the_nearest_memory_at_small_sigma_and_the_mean_at_large(backend, data):
    """beta = 1/sigma^2 large: one step retrieves the nearest pattern; small: the patterns' mean."""
    memories, x = data
    mem = backend.asarray(memories)
    nearest = memories[np.argmin(((x[:, None, :] - memories[None]) ** 2).sum(-1), axis=1)]
    np.testing.assert_allclose(backend.to_host(empirical.denoise(backend.asarray(x), 0.01, mem)), nearest, atol=1e-9)
    far = backend.to_host(empirical.denoise(backend.asarray(x), 1e4, mem))
    np.testing.assert_allclose(far, np.broadcast_to(memories.mean(0), x.shape), atol=1e-6)


@pytest.mark.parametrize("sigma", [0.1, 0.7, 5.0])
def test_gaussian_denoiser_is_tweedie_for_gaussian_data(backend, sigma):
    """N(mu, s^2 I) data noised by sigma is N(mu, (s^2 + sigma^2) I); Tweedie:
    D = x + sigma^2 grad log p_sigma(x), the gradient by finite differences of SciPy's logpdf."""
    mu, s2 = np.array([1.0, -0.5, 2.0]), 0.3
    x = np.random.default_rng(0).normal(size=(6, 3))
    p_sigma = multivariate_normal(mu, (s2 + sigma ** 2) * np.eye(3))
    grad = np.stack([(p_sigma.logpdf(x + H * e) - p_sigma.logpdf(x - H * e)) / (2 * H) for e in np.eye(3)], axis=1)
    d = backend.to_host(empirical.gaussian_denoiser(backend.asarray(mu), s2)(backend.asarray(x), sigma))
    np.testing.assert_allclose(d, x + sigma ** 2 * grad, rtol=1e-7, atol=1e-8)


def test_float32_in_float32_out(backend32):
    mem = backend32.asarray(np.eye(3))
    x = backend32.asarray(np.ones((4, 3)))
    for f in (empirical.denoise, empirical.score, empirical.energy, empirical.energy_grad):
        assert f(x, np.float64(0.5), mem).dtype == np.float32, f.__name__
    assert empirical.gaussian_denoiser(mem[0], 0.5)(x, np.float64(0.5)).dtype == np.float32


@pytest.mark.parametrize("sigma", [0.0, -1.0])
def test_sigma_must_be_positive(backend, data, sigma):
    memories, x = data
    with pytest.raises(ValueError, match="sigma"):
        empirical.denoise(backend.asarray(x), sigma, backend.asarray(memories))
