"""``temperature``: Modern Hopfield with beta annealed as 1 / sigma(t)^2 beside the diffusion
sampler on the same schedule (science.md 1 and 4).

The distance-form Modern Hopfield step is x <- x - dt grad E_beta(x) = x + dt (a(x) - x),
with a(x) = softmax(-beta/2 |x - xi|^2) . Xi; at beta = 1 / sigma^2, a(x) = D(x, sigma), the
exact denoiser. Euler's step on the probability-flow ODE from sigma_i to sigma_i+1 is
x + (1 - sigma_i+1 / sigma_i) (D(x, sigma_i) - x). So the AM with beta_i = 1 / sigma_i^2 and
dt_i = 1 - sigma_i+1 / sigma_i (``matched``) is the Euler sampler, step for step; with a
fixed dt (``fixed``, dt = 1 is the attention update x <- D(x, sigma_i)) its updates are
dt / (1 - sigma_i+1 / sigma_i) times the sampler's. All runs start from the same particles
(the diffusion simulation's start). Per step: the distance between the AM's and the
sampler's particles (mean and largest), and, from the sampler's state, the mean ratio of
the two updates' lengths. Another ``sampler`` (heun, ddim) shows how far a matched AM is
from it.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np

from memscape.engine.backend import Backend
from memscape.engine.energies.modern import ModernHopfield
from memscape.engine.experiments.runner import Update, preset_params, setting
from memscape.engine.simulation import Simulation

NAME = "temperature"
SUMMARY = "Modern Hopfield with beta = 1/sigma(t)^2 beside the diffusion sampler on the same schedule"
COLUMNS = ("variant", "step", "sigma", "beta", "dt", "gap_mean", "gap_max", "update_ratio")


@dataclasses.dataclass(frozen=True)
class Settings:
    preset: str = setting("ring", "the preset whose memories, schedule and start are used")
    sampler: str = setting("euler", "diffusion sampler", choices=("euler", "heun", "ddim"))
    fixed_dt: float = setting(1.0, "the fixed variant's AM step (1: the attention update)", low=1e-6, high=2.0)
    overrides: tuple[str, ...] = setting((), "run parameters of the preset (any other key=value)")


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    params = preset_params(settings).replace(model="diffusion", sampler=settings.sampler, eta=0.0)
    sim = Simulation(params, backend)
    sigmas = sim.sigmas
    dm = [sim.frame()["x"]]
    while not sim.done:
        dm.append(sim.step()["x"])
    memories = sim.memories
    rng = backend.rng(params.seed)
    variants = [("matched", None), ("fixed", settings.fixed_dt)]
    steps = len(sigmas) - 1
    done = 0
    for name, fixed in variants:
        x = backend.asarray(dm[0])
        rows = []
        for i in range(steps):
            sigma, sigma_next = float(sigmas[i]), float(sigmas[i + 1])
            dt = 1.0 - sigma_next / sigma if fixed is None else fixed
            am = ModernHopfield(memories, params.replace(model="modern", modern_form="distance",
                                                         beta=1.0 / sigma ** 2, dt=dt))
            x = am.step(x, rng)
            here = backend.asarray(dm[i])
            am_update = backend.to_host(am.step(here, rng) - here)
            dm_update = dm[i + 1] - dm[i]
            gap = np.sqrt(((backend.to_host(x) - dm[i + 1]) ** 2).sum(axis=1))
            lengths = np.sqrt((dm_update ** 2).sum(axis=1))
            moving = lengths > 0
            ratio = np.sqrt((am_update ** 2).sum(axis=1))[moving] / lengths[moving]
            rows.append({"variant": name, "step": i + 1, "sigma": sigma, "beta": 1.0 / sigma ** 2, "dt": dt,
                         "gap_mean": float(gap.mean()), "gap_max": float(gap.max()),
                         "update_ratio": float(ratio.mean()) if ratio.size else float("nan")})
        done += 1
        yield Update(done, len(variants), rows, summary={f"{name}: largest gap": max(r["gap_max"] for r in rows)})
