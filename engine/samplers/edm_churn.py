"""EDM's stochastic sampler with churn: Algorithm 2 of Karras et al. 2022.

Parameters: params.churn = S_churn, params.s_tmin, params.s_tmax, params.s_noise.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from memscape.engine.samplers import common, heun


def step(denoise: common.Denoiser, x: Any, i: int, sigmas: np.ndarray, rng: Any, params: Any) -> tuple[Any, Any]:
    """EDM Algorithm 2, one iteration: gamma_i = min(S_churn / N, sqrt(2) - 1) when
    S_tmin <= sigma_i <= S_tmax (else 0), sigma_hat = (1 + gamma_i) sigma_i,
    x_hat = x_i + sqrt(sigma_hat^2 - sigma_i^2) eps with eps ~ N(0, S_noise^2 I), then the
    Heun step from sigma_hat to sigma_{i+1} (Euler when sigma_{i+1} = 0). N = len(sigmas) - 1.
    With gamma_i = 0 no noise is drawn and this is exactly :func:`engine.samplers.heun.step`."""
    sigma, sigma_next = common.levels(sigmas, i)
    n_steps = len(sigmas) - 1
    gamma = min(params.churn / n_steps, math.sqrt(2.0) - 1.0) if params.s_tmin <= sigma <= params.s_tmax else 0.0
    if gamma > 0.0:
        sigma_hat = sigma * (1.0 + gamma)
        x = x + (math.sqrt(sigma_hat ** 2 - sigma ** 2) * params.s_noise) * rng.normal(tuple(x.shape))
        sigma = sigma_hat
    return heun.advance(denoise, x, sigma, sigma_next)


def sample(denoise: common.Denoiser, x: Any, sigmas: np.ndarray, rng: Any, params: Any, callback=None) -> Any:
    """All steps of the schedule (see :func:`engine.samplers.common.sample`)."""
    return common.sample(step, denoise, x, sigmas, rng, params, callback)
