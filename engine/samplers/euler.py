"""Euler's method on the probability-flow ODE dx/dsigma = (x - D(x, sigma)) / sigma
(Karras et al. 2022, eq. 3 with sigma(t) = t; k-diffusion's ``sample_euler``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from memscape.engine.samplers import common


def step(denoise: common.Denoiser, x: Any, i: int, sigmas: np.ndarray, rng: Any, params: Any) -> tuple[Any, Any]:
    """x_{i+1} = x_i + (sigma_{i+1} - sigma_i) (x_i - D(x_i, sigma_i)) / sigma_i; to sigma = 0 this is D."""
    sigma, sigma_next = common.levels(sigmas, i)
    denoised = denoise(x, sigma)
    return x + (sigma_next - sigma) * common.to_d(x, sigma, denoised), denoised


def sample(denoise: common.Denoiser, x: Any, sigmas: np.ndarray, rng: Any, params: Any, callback=None) -> Any:
    """All steps of the schedule (see :func:`engine.samplers.common.sample`)."""
    return common.sample(step, denoise, x, sigmas, rng, params, callback)
