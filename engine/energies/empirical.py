"""The exact diffusion model of the stored memories (science.md 4).

The noised empirical distribution p_sigma(x) = (1/M) sum_mu N(x; xi_mu, sigma^2 I) has the
exact denoiser D(x, sigma) = sum_mu w_mu xi_mu, w = softmax_mu(-|x - xi_mu|^2 / (2 sigma^2)):
the distance-form Modern Hopfield update with beta = 1 / sigma^2. All functions take
x (N, D) and memories (M, D) on one backend and a noise level sigma > 0 (a Python float);
the (N, M) softmax block is formed only in :func:`engine.kernels.gaussian_lse_mean`
(or, for the points of a grid in the data plane, by :class:`engine.grid_kernels.GridKernels`,
which :func:`energy_and_grad` takes as ``kernels``).
"""
from __future__ import annotations

from typing import Any, Callable

from memscape.engine import kernels as direct_kernels
from memscape.engine.kernels import gaussian_lse_mean


def _beta(sigma: float) -> float:
    """beta = 1 / sigma^2; sigma must be positive (D at sigma = 0 is the nearest memory,
    but no sampler asks for it: the last step to sigma = 0 uses D at the last positive sigma)."""
    sigma = float(sigma)
    if not sigma > 0.0:
        raise ValueError(f"sigma: expected > 0, got {sigma!r}")
    return 1.0 / (sigma * sigma)


def denoise(x: Any, sigma: float, memories: Any) -> Any:
    """Tweedie's D(x, sigma) = E[x_0 | x] = sum_mu w_mu xi_mu, w = softmax(-|x - xi_mu|^2 / (2 sigma^2))."""
    return gaussian_lse_mean(x, memories, _beta(sigma))[1]


def score(x: Any, sigma: float, memories: Any) -> Any:
    """grad_x log p_sigma(x) = (D(x, sigma) - x) / sigma^2."""
    return (denoise(x, sigma, memories) - x) * _beta(sigma)


def energy(x: Any, sigma: float, memories: Any) -> Any:
    """E_sigma(x) = -log sum_mu exp(-|x - xi_mu|^2 / (2 sigma^2)), i.e. -log p_sigma(x) with
    the constant log(M (2 pi sigma^2)^(D/2)) dropped; shape (N,)."""
    return -gaussian_lse_mean(x, memories, _beta(sigma))[0]


def energy_grad(x: Any, sigma: float, memories: Any) -> Any:
    """grad E_sigma(x) = -score = (x - D(x, sigma)) / sigma^2, so x - sigma^2 grad E_sigma = D."""
    return energy_and_grad(x, sigma, memories)[1]


def energy_and_grad(x: Any, sigma: float, memories: Any, kernels: Any = direct_kernels) -> tuple[Any, Any]:
    """(:func:`energy`, :func:`energy_grad`) from one kernel call: E_sigma = -lse and
    grad E_sigma = (x - D) / sigma^2, with lse and D from ``kernels.gaussian_lse_mean``
    (:mod:`engine.kernels`, or a :class:`engine.grid_kernels.GridKernels` when x is its grid)."""
    beta = _beta(sigma)
    lse, mean = kernels.gaussian_lse_mean(x, memories, beta)
    return -lse, (x - mean) * beta


def gaussian_denoiser(mu: Any, s2: float) -> Callable[[Any, float], Any]:
    """denoise(x, sigma) for Gaussian data N(mu, s^2 I) (mu: (D,) backend array, s2 = s^2):
    x = x_0 + sigma n is N(mu, (s^2 + sigma^2) I) and D(x, sigma) = mu + s^2 / (s^2 + sigma^2) (x - mu)."""
    s2 = float(s2)

    def denoise_gaussian(x: Any, sigma: float) -> Any:
        return mu + (s2 / (s2 + float(sigma) ** 2)) * (x - mu)

    return denoise_gaussian
