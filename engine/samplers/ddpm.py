"""DDPM ancestral sampling: Algorithm 2 of Ho et al. 2020 with the posterior variance
beta_tilde_t, run on any sigma schedule through the VP change of variables.

Consecutive levels sigma_t = sigmas[i] > sigma_{t-1} = sigmas[i+1] give alpha_bar_t =
1 / (1 + sigma_t^2), alpha_bar_{t-1} = 1 / (1 + sigma_{t-1}^2) (alpha_bar = 1 at sigma = 0),
alpha_t = alpha_bar_t / alpha_bar_{t-1} and beta_t = 1 - alpha_t; on
:func:`engine.schedules.ddpm_sigmas` these are exactly Ho et al.'s betas.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from memscape.engine.samplers import common


def step(denoise: common.Denoiser, x: Any, i: int, sigmas: np.ndarray, rng: Any, params: Any) -> tuple[Any, Any]:
    """x_{t-1} = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_t) + sqrt(beta_tilde_t) z
    in VP coordinates x_VP = sqrt(alpha_bar) x, with eps = (x_VP - sqrt(alpha_bar_t) D) /
    sqrt(1 - alpha_bar_t) the noise the exact denoiser D = D(x, sigma_t) implies and
    beta_tilde_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t; back to VE by
    dividing by sqrt(alpha_bar_{t-1}). The step to sigma = 0 has beta_tilde = 0 and gives D."""
    sigma, sigma_next = common.levels(sigmas, i)
    ab, one_minus_ab = common.vp_alpha_bar(sigma)
    ab_prev, one_minus_ab_prev = common.vp_alpha_bar(sigma_next)
    alpha = ab / ab_prev
    beta = (sigma ** 2 - sigma_next ** 2) / (1.0 + sigma ** 2)  # 1 - alpha_t without cancellation
    denoised = denoise(x, sigma)
    x_vp = math.sqrt(ab) * x
    eps = (x_vp - math.sqrt(ab) * denoised) / math.sqrt(one_minus_ab)
    x_vp = (x_vp - (beta / math.sqrt(one_minus_ab)) * eps) / math.sqrt(alpha)
    variance = one_minus_ab_prev / one_minus_ab * beta
    if variance > 0.0:
        x_vp = x_vp + math.sqrt(variance) * rng.normal(tuple(x.shape))
    return x_vp / math.sqrt(ab_prev), denoised


def sample(denoise: common.Denoiser, x: Any, sigmas: np.ndarray, rng: Any, params: Any, callback=None) -> Any:
    """All steps of the schedule (see :func:`engine.samplers.common.sample`)."""
    return common.sample(step, denoise, x, sigmas, rng, params, callback)
