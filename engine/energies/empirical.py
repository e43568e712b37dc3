"""The exact diffusion model of the stored memories (science.md 4).

The noised empirical distribution p_sigma(x) = (1/M) sum_mu N(x; xi_mu, sigma^2 I) has the
exact denoiser D(x, sigma) = sum_mu w_mu xi_mu, w = softmax_mu(-|x - xi_mu|^2 / (2 sigma^2)):
the distance-form Modern Hopfield update with beta = 1 / sigma^2. All functions take
x (N, D) and memories (M, D) on one backend and a noise level sigma > 0 (a Python float);
the (N, M) softmax block is formed only in :func:`engine.kernels.gaussian_lse_mean`
(or, for the points of a grid in the data plane, by :class:`engine.grid_kernels.GridKernels`,
which :func:`energy_and_grad` takes as ``kernels``). Energies are the normalised
-log p_sigma(x) in nats (:func:`log_normaliser`). For Gaussian data N(mu, s^2 I) the exact
model is the Gaussian itself (:func:`gaussian_energy`, :func:`gaussian_denoiser`).
"""
from __future__ import annotations

import math
from typing import Any, Callable

from memscape.engine import kernels as direct_kernels
from memscape.engine.backend import namespace


def _beta(sigma: float) -> float:
    """beta = 1 / sigma^2; sigma must be positive (D at sigma = 0 is the nearest memory,
    but no sampler asks for it: the last step to sigma = 0 uses D at the last positive sigma)."""
    sigma = float(sigma)
    if not sigma > 0.0:
        raise ValueError(f"sigma: expected > 0, got {sigma!r}")
    return 1.0 / (sigma * sigma)


def denoise(x: Any, sigma: float, memories: Any) -> Any:
    """Tweedie's D(x, sigma) = E[x_0 | x] = sum_mu w_mu xi_mu, w = softmax(-|x - xi_mu|^2 / (2 sigma^2))."""
    return energy_and_denoise(x, sigma, memories)[1]


def score(x: Any, sigma: float, memories: Any) -> Any:
    """grad_x log p_sigma(x) = (D(x, sigma) - x) / sigma^2."""
    return (denoise(x, sigma, memories) - x) * _beta(sigma)


def log_normaliser(count: int, dim: int, sigma: float) -> float:
    """C(sigma) = log M + (D/2) log(2 pi sigma^2): -log p_sigma(x) = -lse_mu(-|x - xi_mu|^2 /
    (2 sigma^2)) + C(sigma) (science.md 4). Constant in x but not along a run, so every energy
    compared across steps keeps it."""
    return math.log(count) + 0.5 * dim * (math.log(2.0 * math.pi) + 2.0 * math.log(float(sigma)))


def energy(x: Any, sigma: float, memories: Any) -> Any:
    """E_sigma(x) = -log p_sigma(x) = -log sum_mu exp(-|x - xi_mu|^2 / (2 sigma^2)) + log M +
    (D/2) log(2 pi sigma^2) (natural log, normalised: :func:`log_normaliser`); shape (N,)."""
    return energy_and_denoise(x, sigma, memories)[0]


def energy_and_denoise(x: Any, sigma: float, memories: Any, kernels: Any = direct_kernels) -> tuple[Any, Any]:
    """(:func:`energy`, :func:`denoise`) = (-lse + C(sigma), sum_mu w_mu xi_mu) from one call of
    ``kernels.gaussian_lse_mean`` (a sampler's next step starts with the denoiser at the
    state whose energy a frame just took)."""
    lse, mean = kernels.gaussian_lse_mean(x, memories, _beta(sigma))
    return log_normaliser(memories.shape[0], memories.shape[1], sigma) - lse, mean


def energy_grad(x: Any, sigma: float, memories: Any) -> Any:
    """grad E_sigma(x) = -score = (x - D(x, sigma)) / sigma^2, so x - sigma^2 grad E_sigma = D."""
    return energy_and_grad(x, sigma, memories)[1]


def energy_and_grad(x: Any, sigma: float, memories: Any, kernels: Any = direct_kernels) -> tuple[Any, Any]:
    """(:func:`energy`, :func:`energy_grad`) from one kernel call: E_sigma = -lse + C(sigma) and
    grad E_sigma = (x - D) / sigma^2, with lse and D from ``kernels.gaussian_lse_mean``
    (:mod:`engine.kernels`, or a :class:`engine.grid_kernels.GridKernels` when x is its grid)."""
    energy, mean = energy_and_denoise(x, sigma, memories, kernels)
    return energy, (x - mean) * _beta(sigma)


def gaussian_energy(x: Any, sigma: float, mu: Any, s2: float) -> Any:
    """For Gaussian data N(mu, s^2 I) the noised density is N(mu, v I), v = s^2 + sigma^2, and
    E_sigma(x) = -log N(x; mu, v I) = |x - mu|^2 / (2 v) + (D/2) log(2 pi v) exactly; (N,)."""
    xp = namespace(x)
    r = x - mu
    v = float(s2) + float(sigma) * float(sigma)
    return xp.sum(r * r, axis=1) / (2.0 * v) + 0.5 * x.shape[1] * math.log(2.0 * math.pi * v)


def gaussian_energy_grad(x: Any, sigma: float, mu: Any, s2: float) -> Any:
    """grad E_sigma(x) = (x - mu) / (s^2 + sigma^2) for Gaussian data (see :func:`gaussian_energy`)."""
    return (x - mu) / (float(s2) + float(sigma) * float(sigma))


def gaussian_denoiser(mu: Any, s2: float) -> Callable[[Any, float], Any]:
    """denoise(x, sigma) for Gaussian data N(mu, s^2 I) (mu: (D,) backend array, s2 = s^2):
    x = x_0 + sigma n is N(mu, (s^2 + sigma^2) I) and D(x, sigma) = mu + s^2 / (s^2 + sigma^2) (x - mu)."""
    s2 = float(s2)

    def denoise_gaussian(x: Any, sigma: float) -> Any:
        return mu + (s2 / (s2 + float(sigma) ** 2)) * (x - mu)

    return denoise_gaussian
