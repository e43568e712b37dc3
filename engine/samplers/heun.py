"""Heun's second-order method on the probability-flow ODE: EDM Algorithm 1 (Karras et al. 2022)."""
from __future__ import annotations

from typing import Any

import numpy as np

from memscape.engine.samplers import common


def advance(denoise: common.Denoiser, x: Any, sigma: float, sigma_next: float) -> tuple[Any, Any]:
    """EDM Algorithm 1, lines 4-8, from sigma to sigma_next: the Euler step
    x' = x + (sigma_next - sigma) d, d = (x - D(x, sigma)) / sigma, then, unless
    sigma_next = 0, the trapezoidal correction x + (sigma_next - sigma) (d + d') / 2 with
    d' = (x' - D(x', sigma_next)) / sigma_next. Returns (x_next, D(x, sigma))."""
    denoised = denoise(x, sigma)
    d = common.to_d(x, sigma, denoised)
    x_next = x + (sigma_next - sigma) * d
    if sigma_next > 0.0:
        d_next = common.to_d(x_next, sigma_next, denoise(x_next, sigma_next))
        x_next = x + (sigma_next - sigma) * (0.5 * (d + d_next))
    return x_next, denoised


def step(denoise: common.Denoiser, x: Any, i: int, sigmas: np.ndarray, rng: Any, params: Any) -> tuple[Any, Any]:
    """One step of EDM Algorithm 1 from sigmas[i] to sigmas[i+1] (see :func:`advance`)."""
    return advance(denoise, x, *common.levels(sigmas, i))


def sample(denoise: common.Denoiser, x: Any, sigmas: np.ndarray, rng: Any, params: Any, callback=None) -> Any:
    """All steps of the schedule (see :func:`engine.samplers.common.sample`)."""
    return common.sample(step, denoise, x, sigmas, rng, params, callback)
