"""``speciation``: at which noise level a trajectory commits to one of two memories
(science.md 5 and 6; Biroli, Bonnaire, de Bortoli and Mezard, arXiv 2402.18491).

Two memories at distance d (the two-wells preset), the exact score, a stochastic
reverse-process sampler on a Karras schedule. ``trajectories`` trajectories start from
p_sigma_max (a memory drawn uniformly plus sigma_max noise) and run down the schedule;
at every ``every``-th noise level sigma_b each is branched into ``copies`` copies that
continue independently to sigma = 0. p_same(sigma_b) is the share of pairs of copies of
one trajectory that end on the same memory (by the nearest memory): 1/2 when the copies
are independent, 1 once the trajectory has committed. The landscape -log p_sigma turns
from two wells into one at sigma = d/2 (its largest covariance eigenvalue is (d/2)^2).
With exact sampling a copy ends on memory +a with the posterior weight
w = sigmoid(2 a x / sigma_b^2) (a = d/2, x the coordinate along the memories), so
  p_same_exact(sigma_b) = E[w^2 + (1 - w)^2],  x = a + sigma_b n,
computed by Gauss-Hermite quadrature; it passes 3/4, half way from independent to
committed, at sigma_b = 1.08 d/2 (:func:`exact_crossing`). The measured speciation sigma is where the measured
p_same crosses 3/4, interpolated in log sigma between two levels of the schedule.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Iterator

import numpy as np

from memscape.engine import schedules
from memscape.engine.backend import Backend
from memscape.engine.energies import empirical
from memscape.engine.experiments.runner import Update, setting
from memscape.engine.params import Params
from memscape.engine.samplers import SAMPLERS

NAME = "speciation"
SUMMARY = "branch copies of trajectories at sigma and count how often they end on the same memory"
COLUMNS = ("sigma", "p_same", "p_same_exact", "stderr", "trajectories", "copies", "d", "sigma_predicted")
STOCHASTIC = ("euler-maruyama", "ddpm", "edm-churn", "langevin")
#: p_same half way between independent copies (1/2) and committed ones (1)
HALF_WAY = 0.75


@dataclasses.dataclass(frozen=True)
class Settings:
    distance: float = setting(2.0, "distance d between the two memories", low=1e-3)
    dim: int = setting(2, "data dimension D (the memories lie on the first axis)", low=1)
    sampler: str = setting("euler-maruyama", "stochastic sampler", choices=STOCHASTIC)
    steps: int = setting(200, "schedule steps", low=2)
    sigma_max: float = setting(8.0, "largest noise level (in units of d/2 the range is 4 d)", low=1e-6)
    sigma_min: float = setting(0.002, "smallest positive noise level", low=1e-6)
    every: int = setting(4, "branch at every this many-th noise level", low=1)
    trajectories: int = setting(400, "trajectories branched at each level", low=1)
    copies: int = setting(4, "copies per branch", low=2)
    seed: int = setting(0, "random seed", low=0)


def p_same_exact(sigma: float, distance: float, nodes: int = 80) -> float:
    """E[w^2 + (1 - w)^2], w = sigmoid(2 a x / sigma^2), x = a + sigma n, a = d/2
    (the module docstring), by Gauss-Hermite quadrature (probabilists') in n."""
    a = 0.5 * distance
    n, weights = np.polynomial.hermite_e.hermegauss(nodes)
    u = 2.0 * a * (a + sigma * n) / (sigma * sigma)
    w = 0.5 * (1.0 + np.tanh(0.5 * u))
    return float(np.sum(weights * (w * w + (1.0 - w) ** 2)) / math.sqrt(2.0 * math.pi))


def exact_crossing(distance: float) -> float:
    """The sigma where :func:`p_same_exact` equals 3/4, by bisection in log sigma
    (p_same_exact falls monotonically from 1 to 1/2 as sigma grows)."""
    lo, hi = math.log(0.05 * distance), math.log(20.0 * distance)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if p_same_exact(math.exp(mid), distance) > HALF_WAY else (lo, mid)
    return math.exp(0.5 * (lo + hi))


def crossing(sigmas: np.ndarray, p: np.ndarray, level: float = HALF_WAY) -> float:
    """The sigma where p(sigma), read from small sigma upwards, first falls below ``level``,
    interpolated linearly in log sigma (nan if it never does)."""
    order = np.argsort(sigmas)
    s, q = np.log(sigmas[order]), p[order]
    below = np.nonzero(q < level)[0]
    if below.size == 0 or below[0] == 0:
        return float("nan")
    k = int(below[0])
    return float(math.exp(s[k - 1] + (q[k - 1] - level) / (q[k - 1] - q[k]) * (s[k] - s[k - 1])))


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    st = settings
    params = Params(model="diffusion", sampler=st.sampler, steps=st.steps, sigma_max=st.sigma_max,
                    sigma_min=st.sigma_min)
    sigmas = schedules.make_sigmas(params)
    memories_host = np.zeros((2, st.dim))
    memories_host[:, 0] = (-0.5 * st.distance, 0.5 * st.distance)
    memories = backend.asarray(memories_host)
    step = SAMPLERS[st.sampler].step

    def denoise(x, sigma):
        return empirical.denoise(x, sigma, memories)

    host = np.random.default_rng(st.seed)
    start = memories_host[host.integers(0, 2, st.trajectories)] + sigmas[0] * host.standard_normal((st.trajectories, st.dim))
    x = backend.asarray(start)
    rng = backend.rng([st.seed, 1])
    levels = list(range(st.every, len(sigmas) - 1, st.every))
    measured, done = [], 0
    for i in range(len(sigmas) - 1):
        if i in levels:
            p, se = _branch(x, i, sigmas, step, denoise, rng, params, st, backend)
            measured.append((float(sigmas[i]), p))
            done += 1
            row = {"sigma": float(sigmas[i]), "p_same": p, "p_same_exact": p_same_exact(float(sigmas[i]), st.distance),
                   "stderr": se, "trajectories": st.trajectories, "copies": st.copies, "d": st.distance,
                   "sigma_predicted": 0.5 * st.distance}
            summary = {}
            if done == len(levels):
                s_arr, p_arr = np.array(measured).T
                summary = {"speciation sigma (p_same = 3/4), measured": crossing(s_arr, p_arr),
                           "speciation sigma (p_same = 3/4), exact sampling": exact_crossing(st.distance),
                           "d/2": 0.5 * st.distance}
            yield Update(done, len(levels), [row], summary=summary)
        x, _ = step(denoise, x, i, sigmas, rng, params)


def _branch(x, i, sigmas, step, denoise, rng, params, st: Settings, backend: Backend) -> tuple[float, float]:
    """p_same and its standard error for the states x at sigmas[i], by ``st.copies`` copies each."""
    xp = backend.xp
    n = x.shape[0]
    copies = xp.concat([x] * st.copies, axis=0)
    for j in range(i, len(sigmas) - 1):
        copies, _ = step(denoise, copies, j, sigmas, rng, params)
    side = backend.to_host(copies[:, 0]).reshape(st.copies, n) > 0.0
    ones = side.sum(axis=0)
    pairs = st.copies * (st.copies - 1) / 2
    same = (ones * (ones - 1) / 2 + (st.copies - ones) * (st.copies - ones - 1) / 2) / pairs
    return float(same.mean()), float(same.std() / math.sqrt(n))
