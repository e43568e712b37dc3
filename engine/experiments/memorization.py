"""``memorization``: the exact score reproduces its training points, a learned score of
limited capacity leaves them as M grows (science.md 4 and 6; Pham, Raya, Negri, Zaki,
Ambrogioni and Krotov, "Memorization to Generalization").

The training points are M unevenly spaced points on the unit circle (the follow-up's toy):
point k at angle 2 pi (k + u_k) / M, u_k uniform in [1/4, 3/4), so neighbours are at least
half the even spacing apart and the exact score can tell them apart at sigma_min. For each M, ``particles`` samples are drawn from p_sigma_max (a training
point plus sigma_max noise) and run through a deterministic sampler with the exact
denoiser (``score`` exact) and with a :mod:`engine.learned_score` fit of each capacity.
A sample is
- memorised when it lies within epsilon of a training point, epsilon = ``ratio`` (1/3)
  times its distance to the second-nearest training point (the criterion of Yoon et al.
  2023; it does not depend on how dense the points are);
- spurious when it is not memorised and lies off the circle the data come from, by more
  than ``ring_tol`` (a state between memories, not a new sample of the data);
- generalised otherwise (a new point on the circle).
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np

from memscape.engine import schedules
from memscape.engine.backend import Backend
from memscape.engine.energies import empirical
from memscape.engine.experiments.runner import Update, setting
from memscape.engine.learned_score import FitSettings, fit
from memscape.engine.params import Params
from memscape.engine.samplers import SAMPLERS

NAME = "memorization"
SUMMARY = "exact score: samples are training points; a learned score of limited capacity leaves them as M grows"
COLUMNS = ("score", "M", "capacity", "memorized_fraction", "generalized_fraction", "spurious_fraction", "samples")


@dataclasses.dataclass(frozen=True)
class Settings:
    counts: tuple[int, ...] = setting((2, 4, 16, 64, 256), "numbers of training points M", low=2)
    capacities: tuple[int, ...] = setting((256, 1024), "learned-score capacities (random features)", low=1)
    bandwidth: float = setting(6.0, "learned score: feature frequency scale", low=1e-6)
    fit_samples: int = setting(8192, "learned score: noisy training samples", low=1)
    sampler: str = setting("heun", "deterministic sampler", choices=("euler", "heun", "ddim"))
    steps: int = setting(40, "schedule steps", low=2)
    sigma_min: float = setting(0.002, "smallest positive noise level", low=1e-6)
    sigma_max: float = setting(2.0, "largest noise level", low=1e-6)
    particles: int = setting(300, "samples per point", low=1)
    ratio: float = setting(1 / 3, "memorised: distance to the nearest point below this times the second-nearest",
                           low=0.0, high=1.0)
    ring_tol: float = setting(0.05, "spurious: farther than this from the circle and not memorised", low=0.0)
    seed: int = setting(0, "random seed", low=0)


def ring_points(m: int, seed: int) -> np.ndarray:
    """M unevenly spaced points on the unit circle (the module docstring)."""
    theta = 2.0 * np.pi * (np.arange(m) + np.random.default_rng([seed, m]).uniform(0.25, 0.75, m)) / m
    return np.stack([np.cos(theta), np.sin(theta)], axis=1)


def classify(samples: np.ndarray, points: np.ndarray, ratio: float, ring_tol: float) -> tuple[np.ndarray, np.ndarray]:
    """(memorised, spurious) masks of the module docstring for ``samples`` (N, 2)."""
    dist = np.sort(np.sqrt(((samples[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)), axis=1)
    memorised = dist[:, 0] < ratio * dist[:, 1]
    off_ring = np.abs(np.sqrt((samples ** 2).sum(axis=1)) - 1.0) > ring_tol
    return memorised, ~memorised & off_ring


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    st = settings
    params = Params(model="diffusion", sampler=st.sampler, steps=st.steps, sigma_min=st.sigma_min,
                    sigma_max=st.sigma_max, eta=0.0)
    sigmas = schedules.make_sigmas(params)
    sample = SAMPLERS[st.sampler].sample
    total = len(st.counts) * (1 + len(st.capacities))
    done = 0
    for m in st.counts:
        points = ring_points(m, st.seed)
        memories = backend.asarray(points)
        host = np.random.default_rng([st.seed, m, 1])
        start = points[host.integers(0, m, st.particles)] + st.sigma_max * host.standard_normal((st.particles, 2))
        scores = [("exact", 0, lambda x, sigma: empirical.denoise(x, sigma, memories))]
        for k in st.capacities:
            fitted = fit(memories, FitSettings(capacity=k, bandwidth=st.bandwidth, samples=st.fit_samples,
                                               sigma_min=st.sigma_min, sigma_max=st.sigma_max,
                                               seed=st.seed + m), backend)
            scores.append(("learned", k, fitted.denoise))
        for name, k, denoise in scores:
            final = backend.to_host(sample(denoise, backend.asarray(start), sigmas, None, params))
            memorised, spurious = classify(final, points, st.ratio, st.ring_tol)
            done += 1
            row = {"score": name, "M": m, "capacity": k, "memorized_fraction": float(memorised.mean()),
                   "generalized_fraction": float(np.mean(~memorised & ~spurious)),
                   "spurious_fraction": float(spurious.mean()), "samples": st.particles}
            yield Update(done, total, [row])
