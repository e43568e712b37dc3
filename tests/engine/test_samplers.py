"""Samplers against closed forms (float64): retrieval of stored patterns with the exact score,
the Gaussian PF-ODE solution, the published algorithm boxes (EDM 1 and 2, DDPM, DDIM,
annealed Langevin) under the VE <-> VP change of variables, and every sampler's output
mean and variance for Gaussian data converging as the steps grow."""
import math

import numpy as np
import pytest

from memscape.engine import schedules
from memscape.engine.energies import empirical
from memscape.engine.params import Params
from memscape.engine.samplers import SAMPLERS, ddim, ddpm, edm_churn, euler, heun, langevin

MU, S2 = np.array([1.0, -0.5]), 0.25  # Gaussian data N(MU, S2 I) in 2D


class ConstantRng:
    """Stands in for engine.backend.Rng: every normal draw is ``value``."""

    def __init__(self, backend, value):
        self.backend, self.value = backend, value

    def normal(self, shape):
        return self.backend.asarray(np.full(shape, self.value))


def gaussian_start(backend, n, sigma_max, seed=0):
    """The Gaussian data's exact denoiser, x_T ~ p_sigma_max = N(MU, (S2 + sigma_max^2) I), and the rng."""
    rng = backend.rng(seed)
    x_T = backend.asarray(MU) + math.sqrt(S2 + sigma_max ** 2) * rng.normal((n, 2))
    return empirical.gaussian_denoiser(backend.asarray(MU), S2), x_T, rng


def pf_ode_solution(x_T, sigma, sigma_max):
    """x(sigma) = mu + sqrt((s^2 + sigma^2) / (s^2 + sigma_max^2)) (x_T - mu) for Gaussian data."""
    return MU + math.sqrt((S2 + sigma ** 2) / (S2 + sigma_max ** 2)) * (x_T - MU)


def trajectory(backend, module, denoise, x, sigmas, rng, params):
    frames = []
    module.sample(denoise, x, sigmas, rng, params, callback=frames.append)
    return [(f["sigma"], backend.to_host(f["x"])) for f in frames]


def ring_memories(backend):
    angles = 2 * np.pi * np.arange(5) / 5
    host = 1.5 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return host, backend.asarray(host)


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_with_the_exact_score_every_particle_ends_on_a_stored_pattern(backend, name):
    host, memories = ring_memories(backend)
    params = Params(sigma_min=1e-3, sigma_max=3.0)
    sigmas = schedules.karras(30, 1e-3, 3.0, 7.0)
    rng = backend.rng(1)
    x = 3.0 * rng.normal((200, 2))
    out = backend.to_host(SAMPLERS[name].sample(lambda y, s: empirical.denoise(y, s, memories), x, sigmas, rng, params))
    dist = np.sqrt(((out[:, None, :] - host[None]) ** 2).sum(-1)).min(axis=1)
    assert dist.max() < 1e-6
    assert len(np.unique(np.argmin(((out[:, None, :] - host[None]) ** 2).sum(-1), axis=1))) == 5


def test_heun_follows_the_closed_form_pf_ode_solution_with_second_order_error(backend):
    smax = 4.0
    denoise, x_T, rng = gaussian_start(backend, 100, smax)
    x_T_host = backend.to_host(x_T)
    errors = {}
    for module in (euler, heun):
        for steps in (40, 80):
            traj = trajectory(backend, module, denoise, x_T, schedules.karras(steps, 0.002, smax, 7.0), rng, Params())
            err = [np.abs(x - pf_ode_solution(x_T_host, s, smax)).max() for s, x in traj]
            errors[module.__name__, steps] = err[-2]  # at the last positive sigma
            if module is heun and steps == 80:
                assert max(err) < 1.5e-3  # the whole path, including the final Euler step to 0
    heun_ratio = errors["memscape.engine.samplers.heun", 40] / errors["memscape.engine.samplers.heun", 80]
    euler_ratio = errors["memscape.engine.samplers.euler", 40] / errors["memscape.engine.samplers.euler", 80]
    assert heun_ratio > 3.0 and 1.6 < euler_ratio < 2.5  # halving the step: error / 4 and / 2


def test_heun_takes_an_euler_step_to_sigma_zero_and_sample_reports_every_step(backend):
    _, memories = ring_memories(backend)
    calls = []

    def denoise(y, s):
        calls.append(s)
        return empirical.denoise(y, s, memories)

    sigmas = schedules.karras(10, 0.01, 3.0, 7.0)
    x0 = backend.rng(2).normal((50, 2))
    frames = []
    out = heun.sample(denoise, x0, sigmas, None, Params(), callback=frames.append)
    assert len(calls) == 2 * 10 - 1 and calls[-1] == sigmas[-2]  # no correction at sigma = 0
    assert [f["i"] for f in frames] == list(range(1, 11))
    assert [f["sigma"] for f in frames] == list(sigmas[1:])
    x_last = frames[-2]["x"]
    np.testing.assert_allclose(backend.to_host(out), backend.to_host(empirical.denoise(x_last, sigmas[-2], memories)),
                               rtol=0, atol=1e-12)
    x = x0
    for i in range(10):  # sample is exactly the loop over step
        x, _ = heun.step(denoise, x, i, sigmas, None, Params())
    np.testing.assert_array_equal(backend.to_host(x), backend.to_host(out))


def test_ddim_without_eta_is_deterministic_and_converges_to_the_pf_ode(backend):
    smax = 4.0
    denoise, x_T, _ = gaussian_start(backend, 100, smax)
    p = Params(eta=0.0)
    sigmas = schedules.karras(20, 0.002, smax, 7.0)
    a = ddim.sample(denoise, x_T, sigmas, backend.rng(1), p)
    b = ddim.sample(denoise, x_T, sigmas, backend.rng(2), p)
    np.testing.assert_array_equal(backend.to_host(a), backend.to_host(b))
    # in VE coordinates DDIM(eta = 0) is the Euler step of the PF-ODE
    np.testing.assert_allclose(backend.to_host(a), backend.to_host(euler.sample(denoise, x_T, sigmas, None, p)),
                               rtol=1e-12, atol=1e-12)
    x_T_host = backend.to_host(x_T)
    errors = [np.abs(backend.to_host(ddim.sample(denoise, x_T, schedules.karras(n, 0.002, smax, 7.0), None, p))
                     - pf_ode_solution(x_T_host, 0.0, smax)).max() for n in (10, 20, 40, 80)]
    assert all(e2 < 0.6 * e1 for e1, e2 in zip(errors, errors[1:])) and errors[-1] < 0.03


def test_ddim_with_eta_one_is_ddpm(backend):
    _, memories = ring_memories(backend)
    denoise = lambda y, s: empirical.denoise(y, s, memories)
    sigmas = schedules.ve(15, 0.01, 3.0)
    x = 3.0 * backend.rng(0).normal((64, 2))
    a = ddim.sample(denoise, x, sigmas, backend.rng(5), Params(eta=1.0))
    b = ddpm.sample(denoise, x, sigmas, backend.rng(5), Params())
    np.testing.assert_allclose(backend.to_host(a), backend.to_host(b), rtol=1e-10, atol=1e-10)


def test_ddpm_step_is_the_ve_posterior_given_the_denoised_estimate(backend):
    """q(x_{s'} | x_s, x_0) for x = x_0 + sigma n: mean x_0 + (s'^2 / s^2) (x_s - x_0),
    standard deviation s' sqrt(s^2 - s'^2) / s; here x_0 = D(x_s, s)."""
    _, memories = ring_memories(backend)
    denoise = lambda y, s: empirical.denoise(y, s, memories)
    sigmas = schedules.cosine(6, 0.02, 5.0)
    x = backend.asarray(3.0 * np.random.default_rng(4).normal(size=(20, 2)))
    for i in range(6):
        s, s_next = sigmas[i], sigmas[i + 1]
        mean, d = ddpm.step(denoise, x, i, sigmas, ConstantRng(backend, 0.0), Params())
        plus_one, _ = ddpm.step(denoise, x, i, sigmas, ConstantRng(backend, 1.0), Params())
        x_h, d_h = backend.to_host(x), backend.to_host(d)
        np.testing.assert_allclose(backend.to_host(mean), d_h + (s_next / s) ** 2 * (x_h - d_h), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(backend.to_host(plus_one) - backend.to_host(mean),
                                   s_next * math.sqrt(s ** 2 - s_next ** 2) / s, rtol=1e-9, atol=1e-12)


def test_ddpm_on_the_ddpm_table_is_ho_et_al_algorithm_2(backend):
    """x_{t-1} = (x_t - beta_t / sqrt(1 - ab_t) eps) / sqrt(alpha_t) + sigma_t z in VP
    coordinates, with Ho et al.'s own beta table and sigma_t^2 = beta_tilde_t."""
    T = 1000
    sigmas = schedules.ddpm_sigmas(T)
    betas = np.linspace(1e-4, 0.02, T)
    ab = np.concatenate([[1.0], np.cumprod(1.0 - betas)])  # ab[t], ab[0] = 1
    _, memories = ring_memories(backend)
    denoise = lambda y, s: empirical.denoise(y, s, memories)
    x_ve = np.random.default_rng(6).normal(size=(10, 2))
    for t in (T, 500, 2, 1):
        i = T - t
        x_vp = math.sqrt(ab[t]) * x_ve
        x0 = backend.to_host(denoise(backend.asarray(x_ve), sigmas[i]))
        eps = (x_vp - math.sqrt(ab[t]) * x0) / math.sqrt(1 - ab[t])
        beta_tilde = (1 - ab[t - 1]) / (1 - ab[t]) * betas[t - 1]
        expected = (x_vp - betas[t - 1] / math.sqrt(1 - ab[t]) * eps) / math.sqrt(1 - betas[t - 1]) + math.sqrt(beta_tilde)
        out, _ = ddpm.step(denoise, backend.asarray(x_ve), i, sigmas, ConstantRng(backend, 1.0), Params())
        np.testing.assert_allclose(backend.to_host(out) * math.sqrt(ab[t - 1]), expected, rtol=1e-8, atol=1e-10)


def test_edm_churn_is_heun_without_churn_or_outside_its_window(backend):
    """gamma_i = 0 draws no noise (rng None would fail) and leaves EDM Algorithm 1."""
    denoise, x_T, _ = gaussian_start(backend, 50, 2.0)
    sigmas = schedules.karras(12, 0.002, 2.0, 7.0)
    expected = backend.to_host(heun.sample(denoise, x_T, sigmas, None, Params()))
    for p in (Params(churn=0.0), Params(churn=40.0, s_tmin=3.0, s_tmax=10.0)):
        np.testing.assert_array_equal(backend.to_host(edm_churn.sample(denoise, x_T, sigmas, None, p)), expected)
    churned = backend.to_host(edm_churn.sample(denoise, x_T, sigmas, backend.rng(0), Params(churn=40.0)))
    assert np.abs(churned - expected).max() > 1e-2


@pytest.mark.parametrize("churn, gamma", [(2.0, 0.2), (1e6, math.sqrt(2) - 1)])
def test_edm_churn_raises_sigma_by_gamma_and_adds_the_matching_noise(backend, churn, gamma):
    """EDM Algorithm 2: gamma = min(S_churn / N, sqrt(2) - 1), sigma_hat = (1 + gamma) sigma,
    x_hat = x + sqrt(sigma_hat^2 - sigma^2) S_noise z, then the Heun step from sigma_hat."""
    denoise, x, _ = gaussian_start(backend, 20, 2.0)
    sigmas = schedules.karras(10, 0.002, 2.0, 7.0)
    p = Params(churn=churn, s_noise=0.5)
    for i in (0, 9):
        s = float(sigmas[i])
        out, _ = edm_churn.step(denoise, x, i, sigmas, ConstantRng(backend, 1.0), p)
        s_hat = (1 + gamma) * s
        x_hat = x + math.sqrt(s_hat ** 2 - s ** 2) * 0.5
        expected, _ = heun.advance(denoise, x_hat, s_hat, float(sigmas[i + 1]))
        np.testing.assert_allclose(backend.to_host(out), backend.to_host(expected), rtol=1e-12, atol=1e-12)


def test_langevin_at_one_level_samples_p_sigma_with_the_unadjusted_langevin_bias(backend):
    """Many updates x <- x + alpha/2 score + sqrt(alpha) z at one sigma, alpha = eps sigma^2, on
    N(mu, v I), v = s^2 + sigma^2: the chain's stationary variance is v / (1 - alpha / (4 v))."""
    sigma, eps = 0.5, 1.0
    denoise, _, rng = gaussian_start(backend, 20000, 1.0)
    x = backend.asarray(MU) + 3.0 * rng.normal((20000, 2))
    out, _ = langevin.step(denoise, x, 0, np.array([2.0, sigma, 0.0]), rng, Params(langevin_eps=eps, langevin_steps=60))
    out = backend.to_host(out)
    v, alpha = S2 + sigma ** 2, eps * sigma ** 2
    np.testing.assert_allclose(out.mean(axis=0), MU, atol=5 * math.sqrt(v / 20000))
    assert out.var(axis=0).mean() == pytest.approx(v / (1 - alpha / (4 * v)), rel=0.03)  # v itself is 12.5% lower


# name: (extra params, steps where the output matches N(mu, s^2 I))
CONVERGENCE = {
    "euler": ({}, 256), "heun": ({}, 64),
    "edm-churn": ({"churn": 30.0, "s_tmin": 0.05, "s_tmax": 50.0}, 128),
    "euler-maruyama": ({}, 128), "ddpm": ({}, 256), "ddim": ({"eta": 0.5}, 256),
    "langevin": ({"langevin_eps": 1.0, "langevin_steps": 5}, 128),
}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_every_sampler_reproduces_the_gaussian_mean_and_variance_as_steps_grow(backend, name):
    n, smax = 20000, 2.0
    extra, fine = CONVERGENCE[name]
    params = Params(sigma_max=smax, **extra)
    var_errors = []
    for steps in (8, fine):
        denoise, x_T, rng = gaussian_start(backend, n, smax, seed=1)
        out = backend.to_host(SAMPLERS[name].sample(denoise, x_T, schedules.karras(steps, 0.002, smax, 7.0), rng, params))
        var_errors.append(abs(out.var(axis=0).mean() / S2 - 1))
    np.testing.assert_allclose(out.mean(axis=0), MU, atol=5 * math.sqrt(S2 / n))
    assert var_errors[1] < 0.04  # sampling error of the variance: 0.7 %
    assert var_errors[0] > 3 * var_errors[1]


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_float32_states_stay_float32(backend32, name):
    memories = backend32.asarray(np.eye(2))
    x = backend32.rng(0).normal((8, 2))
    frames = []
    out = SAMPLERS[name].sample(lambda y, s: empirical.denoise(y, s, memories), x,
                                schedules.karras(3, 0.01, 1.0, 7.0), backend32.rng(1), Params(churn=5.0, eta=0.5),
                                callback=frames.append)
    assert out.dtype == np.float32 and all(f["denoised"].dtype == np.float32 for f in frames)
