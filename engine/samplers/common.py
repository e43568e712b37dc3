"""What the samplers really share: the PF-ODE slope, the VE <-> VP change of variables,
reading one step's pair of noise levels, and the loop that runs a whole schedule.

States live in VE / data coordinates x = x_0 + sigma n throughout (science.md 3).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

Denoiser = Callable[[Any, float], Any]


def levels(sigmas: np.ndarray, i: int) -> tuple[float, float]:
    """(sigma_i, sigma_{i+1}) as Python floats, so they keep the state's dtype on every backend."""
    return float(sigmas[i]), float(sigmas[i + 1])


def to_d(x: Any, sigma: float, denoised: Any) -> Any:
    """The PF-ODE slope dx/dsigma = (x - D(x, sigma)) / sigma (EDM eq. 3 with sigma(t) = t)."""
    return (x - denoised) / sigma


def vp_alpha_bar(sigma: float) -> tuple[float, float]:
    """(alpha_bar, 1 - alpha_bar) of the VP process with the same noise-to-signal ratio:
    alpha_bar = 1 / (1 + sigma^2), 1 - alpha_bar = sigma^2 / (1 + sigma^2), so that
    x_VP = sqrt(alpha_bar) x and sigma = sqrt((1 - alpha_bar) / alpha_bar) (science.md 3).
    The second is written without the cancellation of 1 - 1 / (1 + sigma^2)."""
    return 1.0 / (1.0 + sigma * sigma), sigma * sigma / (1.0 + sigma * sigma)


def sample(step: Callable, denoise: Denoiser, x: Any, sigmas: np.ndarray, rng: Any, params: Any,
           callback: Callable[[dict[str, Any]], None] | None = None) -> Any:
    """Run ``step`` from sigmas[0] down to sigmas[-1] = 0 and return the final state.

    After step i, ``callback`` gets the new state as the simulation's frames do:
    {"x": x_{i+1}, "i": i + 1, "sigma": sigma_{i+1}, "denoised": the step's D}."""
    for i in range(len(sigmas) - 1):
        x, denoised = step(denoise, x, i, sigmas, rng, params)
        if callback is not None:
            callback({"x": x, "i": i + 1, "sigma": float(sigmas[i + 1]), "denoised": denoised})
    return x

