"""``collapse``: the posterior weight of a noisy sample's own training point against sigma
(science.md 6; Biroli, Bonnaire, de Bortoli and Mezard, arXiv 2402.18491).

For M training points xi_mu drawn from N(0, s^2 I_D), a noisy sample is x = xi_src + sigma n
with src uniform and n ~ N(0, I). Its posterior weight on the point it came from is
  w_src = softmax_mu(-|x - xi_mu|^2 / (2 sigma^2))_src = exp(-|n|^2 / 2 - lse(x)),
lse(x) = log sum_mu exp(-|x - xi_mu|^2 / (2 sigma^2)) (the exact score's kernel,
:func:`engine.kernels.gaussian_lse_mean`; |x - xi_src| = sigma |n| is used exactly).
Backward trajectories collapse onto the training points below
  sigma_C = s / sqrt(M^(2/D) - 1),
where the mean w_src is about one half in high D; the crossover is smooth in 2D and sharp
in high D. Sigmas are given as multiples of each (D, M)'s sigma_C.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterator

import numpy as np

from memscape.engine.backend import Backend
from memscape.engine.experiments.runner import Update, setting
from memscape.engine.kernels import gaussian_lse_mean

NAME = "collapse"
SUMMARY = "posterior weight of a noisy sample's own training point against sigma, with sigma_C marked"
COLUMNS = ("D", "M", "sigma", "sigma_c", "ratio", "source_weight", "stderr", "samples")


@dataclasses.dataclass(frozen=True)
class Settings:
    dims: tuple[int, ...] = setting((2, 8, 64), "data dimensions D", low=1)
    counts: tuple[int, ...] = setting((1000, 20000), "numbers of training points M", low=2)
    ratios: tuple[float, ...] = setting(tuple(float(r) for r in np.round(np.geomspace(0.1, 10.0, 21), 4)),
                                        "sigma as multiples of sigma_C", low=1e-6)
    samples: int = setting(400, "noisy samples per sigma", low=1)
    spread: float = setting(1.0, "per-coordinate standard deviation s of the data", low=1e-6)
    seed: int = setting(0, "random seed", low=0)


def sigma_c(spread: float, d: int, m: int) -> float:
    """sigma_C = s / sqrt(M^(2/D) - 1) (Biroli et al. 2024), with M^(2/D) - 1 = expm1(2 log M / D)."""
    return spread / math.sqrt(math.expm1(2.0 * math.log(m) / d))


def source_weights(points: np.ndarray, sigma: float, samples: int, rng: np.random.Generator,
                   backend: Backend) -> np.ndarray:
    """w_src of ``samples`` noisy samples x = xi_src + sigma n of ``points`` (M, D) (module docstring)."""
    m, d = points.shape
    src = rng.integers(0, m, samples)
    noise = rng.standard_normal((samples, d))
    x = backend.asarray(points[src] + sigma * noise)
    lse = backend.to_host(gaussian_lse_mean(x, backend.asarray(points), 1.0 / (sigma * sigma))[0])
    return np.exp(-0.5 * np.sum(noise * noise, axis=1) - lse)


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    pairs = [(d, m) for d in settings.dims for m in settings.counts]
    total = len(pairs) * len(settings.ratios)
    done = 0
    for d, m in pairs:
        rng = np.random.default_rng([settings.seed, d, m])
        points = settings.spread * rng.standard_normal((m, d))
        s_c = sigma_c(settings.spread, d, m)
        means = []
        ratios = sorted(settings.ratios)
        for ratio in ratios:
            w = source_weights(points, ratio * s_c, settings.samples, rng, backend)
            means.append(float(w.mean()))
            done += 1
            row = {"D": d, "M": m, "sigma": ratio * s_c, "sigma_c": s_c, "ratio": ratio,
                   "source_weight": means[-1], "stderr": float(w.std() / math.sqrt(w.size)), "samples": w.size}
            summary = {}
            if len(means) == len(ratios):
                at_c = float(np.interp(0.0, np.log(ratios), means))
                summary = {f"source weight at sigma_C, D = {d}, M = {m} (sigma_C = {s_c:.4g})": at_c}
            yield Update(done, total, [row], summary=summary)
