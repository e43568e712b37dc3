"""DDIM (Song, Meng & Ermon 2021, eq. 12) with stochasticity eta (params.eta), run on any
sigma schedule through the VP change of variables alpha_bar = 1 / (1 + sigma^2).

eta = 0 is deterministic (and in VE coordinates it is the Euler step of the PF-ODE);
eta = 1 is DDPM ancestral sampling with the posterior variance.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from memscape.engine.samplers import common


def step(denoise: common.Denoiser, x: Any, i: int, sigmas: np.ndarray, rng: Any, params: Any) -> tuple[Any, Any]:
    """x_{t-1} = sqrt(alpha_bar_{t-1}) x0 + sqrt(1 - alpha_bar_{t-1} - s_t^2) eps + s_t z in VP
    coordinates x_VP = sqrt(alpha_bar_t) x, with x0 = D(x, sigma_t), eps = (x_VP -
    sqrt(alpha_bar_t) x0) / sqrt(1 - alpha_bar_t) and s_t = eta sqrt((1 - alpha_bar_{t-1}) /
    (1 - alpha_bar_t)) sqrt(1 - alpha_bar_t / alpha_bar_{t-1}); back to VE by dividing by
    sqrt(alpha_bar_{t-1}). The step to sigma = 0 (alpha_bar = 1) gives x0."""
    sigma, sigma_next = common.levels(sigmas, i)
    ab, one_minus_ab = common.vp_alpha_bar(sigma)
    ab_prev, one_minus_ab_prev = common.vp_alpha_bar(sigma_next)
    denoised = denoise(x, sigma)
    x_vp = math.sqrt(ab) * x
    eps = (x_vp - math.sqrt(ab) * denoised) / math.sqrt(one_minus_ab)
    # 1 - alpha_bar_t / alpha_bar_{t-1} = beta_t, written without cancellation
    s_t = params.eta * math.sqrt(one_minus_ab_prev / one_minus_ab * (sigma ** 2 - sigma_next ** 2) / (1.0 + sigma ** 2))
    x_vp = math.sqrt(ab_prev) * denoised + math.sqrt(max(one_minus_ab_prev - s_t ** 2, 0.0)) * eps
    if s_t > 0.0:
        x_vp = x_vp + s_t * rng.normal(tuple(x.shape))
    return x_vp / math.sqrt(ab_prev), denoised


def sample(denoise: common.Denoiser, x: Any, sigmas: np.ndarray, rng: Any, params: Any, callback=None) -> Any:
    """All steps of the schedule (see :func:`engine.samplers.common.sample`)."""
    return common.sample(step, denoise, x, sigmas, rng, params, callback)
