"""Annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1) with a final denoising step.

Step i runs params.langevin_steps Langevin updates at the level it arrives at, sigma_{i+1},
so the state it hands on is (approximately) distributed as p_{sigma_{i+1}}, matching the
frame's sigma and energy; the particles start at sigma_0 = sigma_max. Song & Ermon's step
size is alpha_i = epsilon sigma_i^2 / sigma_L^2, epsilon being the step at the smallest
level sigma_L. We set epsilon = params.langevin_eps sigma_L^2 (the step at sigma_L as a
fraction of sigma_L^2), so alpha_i = langevin_eps sigma_i^2, whichever last positive sigma_L
the (possibly live-changed) schedule ends on. The step to sigma = 0 is the denoising step
x <- D(x, sigma_{N-1}) (Tweedie; one Euler step of size sigma^2 on E_sigma).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from memscape.engine.samplers import common


def step(denoise: common.Denoiser, x: Any, i: int, sigmas: np.ndarray, rng: Any, params: Any) -> tuple[Any, Any]:
    """T = params.langevin_steps updates x <- x + alpha/2 score(x, sigma_{i+1}) + sqrt(alpha) z,
    alpha = langevin_eps sigma_{i+1}^2, score = (D - x) / sigma_{i+1}^2, z ~ N(0, I); or,
    when sigma_{i+1} = 0, x <- D(x, sigma_i). Returns the new state and the last D evaluated."""
    sigma, sigma_next = common.levels(sigmas, i)
    if sigma_next == 0.0:
        denoised = denoise(x, sigma)
        return denoised, denoised
    alpha = params.langevin_eps * sigma_next ** 2
    for _ in range(params.langevin_steps):
        denoised = denoise(x, sigma_next)
        x = x + (0.5 * alpha / sigma_next ** 2) * (denoised - x) + math.sqrt(alpha) * rng.normal(tuple(x.shape))
    return x, denoised


def sample(denoise: common.Denoiser, x: Any, sigmas: np.ndarray, rng: Any, params: Any, callback=None) -> Any:
    """All steps of the schedule (see :func:`engine.samplers.common.sample`)."""
    return common.sample(step, denoise, x, sigmas, rng, params, callback)
