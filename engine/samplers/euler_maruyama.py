"""Euler-Maruyama on the reverse-time VE SDE (Song et al. 2021) with sigma as the time variable:
dx = -2 sigma grad log p_sigma(x) dsigma + sqrt(2 sigma) dw, integrated from sigma_max down."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from memscape.engine.samplers import common


def step(denoise: common.Denoiser, x: Any, i: int, sigmas: np.ndarray, rng: Any, params: Any) -> tuple[Any, Any]:
    """x_{i+1} = x_i + 2 sigma_i (sigma_i - sigma_{i+1}) score + sqrt(2 sigma_i (sigma_i - sigma_{i+1})) z
    with score = (D(x_i, sigma_i) - x_i) / sigma_i^2 and z ~ N(0, I). The last step, to
    sigma = 0, is deterministic: the PF-ODE Euler step to 0, which is x <- D(x, sigma_i)."""
    sigma, sigma_next = common.levels(sigmas, i)
    denoised = denoise(x, sigma)
    if sigma_next == 0.0:
        return denoised, denoised
    g2_dt = 2.0 * sigma * (sigma - sigma_next)
    x_next = x + (g2_dt / sigma ** 2) * (denoised - x) + math.sqrt(g2_dt) * rng.normal(tuple(x.shape))
    return x_next, denoised


def sample(denoise: common.Denoiser, x: Any, sigmas: np.ndarray, rng: Any, params: Any, callback=None) -> Any:
    """All steps of the schedule (see :func:`engine.samplers.common.sample`)."""
    return common.sample(step, denoise, x, sigmas, rng, params, callback)
