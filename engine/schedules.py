"""Noise schedules: pure functions returning the EDM discretisation of sigma.

"steps N" means N integration steps over sigma_0 > sigma_1 > ... > sigma_{N-1} > sigma_N = 0
(Karras et al. 2022, eq. 5): every function returns a strictly falling host NumPy float64
array of length N + 1 whose first entry is sigma_max, whose last positive entry is
sigma_min (for N >= 2; with N = 1 the one level is sigma_max) and whose last entry is
exactly 0. Sigma is the noise level of the variance-exploding form x = x_0 + sigma n;
variance-preserving schedules are mapped to it by sigma = sqrt((1 - alpha_bar) / alpha_bar)
(science.md 3).

VP schedules (``vp_linear``, ``cosine``) are defined by alpha_bar(t) on t in [0, 1]. They
are sampled uniformly in t between the two times whose sigma(t) equal sigma_max and
sigma_min exactly (found by inverting sigma(t) in closed form), so every schedule covers
the same noise range and differs only in how it spaces the levels; this is how EDM
discretises the VP schedule too (uniform t from 1 to epsilon_s), with the endpoints
pinned to the sigmas instead of to t.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def _levels(steps: int, sigma_min: float, sigma_max: float) -> np.ndarray:
    """u_i = i / (N - 1) for i = 0..N-1 (u = [0] when N = 1), after checking the arguments."""
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps: expected an integer >= 1, got {steps!r}")
    if not 0.0 < sigma_min < sigma_max < math.inf:
        raise ValueError(f"expected 0 < sigma_min < sigma_max, got sigma_min={sigma_min!r}, sigma_max={sigma_max!r}")
    return np.arange(steps, dtype=np.float64) / max(steps - 1, 1)


def _append_zero(sigmas: np.ndarray) -> np.ndarray:
    return np.concatenate([sigmas, [0.0]])


def karras(steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> np.ndarray:
    """EDM eq. 5: sigma_i = (smax^(1/rho) + i/(N-1) (smin^(1/rho) - smax^(1/rho)))^rho, then 0."""
    u = _levels(steps, sigma_min, sigma_max)
    a, b = sigma_max ** (1.0 / rho), sigma_min ** (1.0 / rho)
    return _append_zero((a + u * (b - a)) ** rho)


def ve(steps: int, sigma_min: float, sigma_max: float) -> np.ndarray:
    """VE (Song et al. 2021) geometric levels: sigma_i = smax (smin / smax)^(i/(N-1)), then 0."""
    u = _levels(steps, sigma_min, sigma_max)
    return _append_zero(sigma_max * (sigma_min / sigma_max) ** u)


def vp_linear(steps: int, sigma_min: float, sigma_max: float,
              beta_min: float = 0.1, beta_max: float = 20.0) -> np.ndarray:
    """Continuous VP with linear beta(t) = beta_min + t (beta_max - beta_min) (Song et al. 2021):
    alpha_bar(t) = exp(-(beta_min t + 1/2 (beta_max - beta_min) t^2)),
    sigma(t) = sqrt((1 - alpha_bar) / alpha_bar) = sqrt(exp(beta_min t + 1/2 b_d t^2) - 1),
    t uniform from t(sigma_max) down to t(sigma_min) (module docstring), then 0."""
    u = _levels(steps, sigma_min, sigma_max)
    b_d = beta_max - beta_min
    if beta_min < 0 or b_d < 0 or beta_max <= 0:
        raise ValueError(f"expected 0 <= beta_min <= beta_max, beta_max > 0; got {beta_min!r}, {beta_max!r}")

    def t_of(sigma: float) -> float:
        # root of 1/2 b_d t^2 + beta_min t = log(1 + sigma^2), written without cancellation
        lg = math.log1p(sigma * sigma)
        return 2.0 * lg / (beta_min + math.sqrt(beta_min * beta_min + 2.0 * b_d * lg))

    t_hi, t_lo = t_of(sigma_max), t_of(sigma_min)
    t = t_hi + u * (t_lo - t_hi)
    return _append_zero(np.sqrt(np.expm1(beta_min * t + 0.5 * b_d * t * t)))


def cosine(steps: int, sigma_min: float, sigma_max: float, s: float = 0.008) -> np.ndarray:
    """Nichol & Dhariwal (2021) cosine schedule: alpha_bar(t) = f(t) / f(0),
    f(t) = cos^2((t + s) / (1 + s) pi / 2), sigma = sqrt((1 - alpha_bar) / alpha_bar),
    t uniform from t(sigma_max) down to t(sigma_min) (module docstring), then 0. The
    continuous alpha_bar is used, so their clipping of beta at 0.999 is not needed."""
    u = _levels(steps, sigma_min, sigma_max)
    if s < 0:
        raise ValueError(f"cosine s: expected >= 0, got {s!r}")
    half_pi = 0.5 * math.pi
    f0 = math.cos(s / (1.0 + s) * half_pi) ** 2

    def t_of(sigma: float) -> float:
        # alpha_bar = 1 / (1 + sigma^2) = f(t) / f(0)  =>  cos(...) = sqrt(f0 / (1 + sigma^2))
        return (1.0 + s) * math.acos(math.sqrt(f0 / (1.0 + sigma * sigma))) / half_pi - s

    t_hi, t_lo = t_of(sigma_max), t_of(sigma_min)
    t = t_hi + u * (t_lo - t_hi)
    alpha_bar = np.cos((t + s) / (1.0 + s) * half_pi) ** 2 / f0
    return _append_zero(np.sqrt((1.0 - alpha_bar) / alpha_bar))


def ddpm_sigmas(timesteps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """The discrete DDPM table (Ho et al. 2020): beta_t linear from beta_start to beta_end,
    alpha_bar_t = prod_{s <= t} (1 - beta_s), t = 1..T, as sigma_t = sqrt((1 - alpha_bar_t) /
    alpha_bar_t) from t = T down to t = 1, then sigma = 0 for the data (alpha_bar_0 = 1).
    On these sigmas the ``ddpm`` sampler is Ho et al.'s Algorithm 2 step for step; the
    continuous ``vp_linear`` (beta_min = T beta_start, beta_max = T beta_end) is its limit."""
    betas = np.linspace(beta_start, beta_end, timesteps, dtype=np.float64)
    alpha_bar = np.cumprod(1.0 - betas)
    return _append_zero(np.sqrt((1.0 - alpha_bar) / alpha_bar)[::-1])


def make_sigmas(params: Any) -> np.ndarray:
    """The schedule ``params.schedule`` with ``params.steps`` steps and its parameters."""
    p = params
    makers = {
        "karras": lambda: karras(p.steps, p.sigma_min, p.sigma_max, p.rho),
        "ve": lambda: ve(p.steps, p.sigma_min, p.sigma_max),
        "vp-linear": lambda: vp_linear(p.steps, p.sigma_min, p.sigma_max, p.vp_beta_min, p.vp_beta_max),
        "cosine": lambda: cosine(p.steps, p.sigma_min, p.sigma_max, p.cosine_s),
    }
    if p.schedule not in makers:
        raise ValueError(f"schedule: {p.schedule!r} is not one of {', '.join(makers)}")
    return makers[p.schedule]()
