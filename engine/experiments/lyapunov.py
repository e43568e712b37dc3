"""``lyapunov``: for any model and schedule, the share of trajectories whose fixed-function
energy ever rises, and where on the landscape (science.md 1 and 5).

Each method runs the preset's particles with the app's :class:`engine.simulation.Simulation`.
The fixed function is
- for diffusion samplers, E_ref(x) = -log p_sigma_ref(x), one landscape for the whole run
  (sigma_ref = the schedule's sigma_min unless ``sigma_ref`` is set), normalised as in
  science.md 4: -log sum_mu exp(-|x - xi_mu|^2 / (2 sigma_ref^2)) + log M + (D/2) log(2 pi
  sigma_ref^2), or for the gaussian preset -log N(x; mu, (s^2 + sigma_ref^2) I);
- for associative memories, the model's own energy (its Lyapunov function).
A step raises E_ref when E_t+1 - E_t exceeds 64 eps (|E_t| + |E_t+1| + c), eps the float
type's machine epsilon and c the distance kernels' rounding scale beta_ref (|x|^2 + max |xi|^2)
(beta_ref = 1 / sigma_ref^2; 1 + |x|^2 + max |xi|^2 for an AM), so round-off never counts.
The table has one row per particle: where it started (plane coordinates u, v), how many of
its steps raised E_ref, the first such step and where the particle was before it, and the
largest rise.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterator

import numpy as np

from memscape.engine.backend import Backend
from memscape.engine.energies import empirical
from memscape.engine.experiments.runner import SettingError, Update, preset_params, setting
from memscape.engine.models import AM_MODELS
from memscape.engine.params import SAMPLERS
from memscape.engine.simulation import Simulation, gaussian_energy

NAME = "lyapunov"
SUMMARY = "share of trajectories whose fixed-function energy ever rises, and where"
COLUMNS = ("method", "particle", "u", "v", "rises", "first_rise", "rise_u", "rise_v", "max_rise")
AMS = (*AM_MODELS, "ham")


@dataclasses.dataclass(frozen=True)
class Settings:
    preset: str = setting("two-wells", "the preset whose memories, particles and schedule are used")
    methods: tuple[str, ...] = setting(("heun", "euler", "ddim", "euler-maruyama", "edm-churn", "modern", "tinybrain"),
                                       "diffusion samplers and AM models")
    sigma_ref: float = setting(0.0, "noise level of the fixed function (0: the schedule's sigma_min)", low=0.0)
    overrides: tuple[str, ...] = setting((), "run parameters of the preset (any other key=value)")


def fixed_energy(sim: Simulation, x: Any, sigma_ref: float) -> Any:
    """E_ref(x) = -log p_sigma_ref(x) of the simulation's exact diffusion model, normalised
    (the module docstring): the one place this experiment computes the fixed function."""
    d = x.shape[1]
    if sim.patterns.gaussian is not None:
        mu, s2 = sim.patterns.gaussian
        var = s2 + sigma_ref ** 2
        return gaussian_energy(x, sigma_ref, sim.backend.asarray(mu), s2) + 0.5 * d * math.log(2.0 * math.pi * var)
    m = sim.memories.shape[0]
    const = math.log(m) + 0.5 * d * math.log(2.0 * math.pi * sigma_ref ** 2)
    return empirical.energy(x, sigma_ref, sim.memories) + const


def rose(before: np.ndarray, after: np.ndarray, scale: np.ndarray, eps: float) -> np.ndarray:
    """Which particles' energy rose beyond round-off: after - before > 64 eps (|before| + |after| + scale)."""
    return after - before > 64.0 * eps * (np.abs(before) + np.abs(after) + scale)


def validate(settings: Settings) -> None:
    """Every method is a sampler or an AM."""
    for m in settings.methods:
        if m not in SAMPLERS and m not in AMS:
            raise SettingError(f"methods: {m!r} is not a sampler ({', '.join(SAMPLERS)}) nor an AM ({', '.join(AMS)})")


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    validate(settings)
    params = preset_params(settings)
    eps = float(np.finfo(backend.precision).eps)
    sigma_ref = settings.sigma_ref or params.sigma_min
    for done, method in enumerate(settings.methods, start=1):
        p = params.replace(model=method) if method in AMS else params.replace(model="diffusion", sampler=method)
        sim = Simulation(p, backend)
        mem_sq = float(np.max(np.sum(sim.memories_host ** 2, axis=1)))
        diffusion = sim.is_diffusion

        def energy_and_scale(frame):
            x = frame["x"]
            sq = np.sum(x * x, axis=1) + mem_sq
            if diffusion:
                return backend.to_host(fixed_energy(sim, backend.asarray(x), sigma_ref)), sq / sigma_ref ** 2
            return frame["energy"], 1.0 + sq

        frame = sim.frame()
        start_uv = sim.plane.project(frame["x"])
        n = start_uv.shape[0]
        e, scale = energy_and_scale(frame)
        rises = np.zeros(n, dtype=int)
        first = np.full(n, -1)
        where = np.full((n, 2), np.nan)
        largest = np.zeros(n)
        while not sim.done:
            prev_uv = sim.plane.project(frame["x"])
            frame = sim.step()
            e_new, scale_new = energy_and_scale(frame)
            up = rose(e, e_new, np.maximum(scale, scale_new), eps)
            new_first = up & (first < 0)
            first[new_first] = frame["step"]
            where[new_first] = prev_uv[new_first]
            rises += up
            largest = np.where(up, np.maximum(largest, e_new - e), largest)
            e, scale = e_new, scale_new
        rows = [{"method": method, "particle": k, "u": float(start_uv[k, 0]), "v": float(start_uv[k, 1]),
                 "rises": int(rises[k]), "first_rise": int(first[k]), "rise_u": float(where[k, 0]),
                 "rise_v": float(where[k, 1]), "max_rise": float(largest[k])} for k in range(n)]
        summary = {f"{method}: share of particles whose energy ever rose": float(np.mean(rises > 0)),
                   f"{method}: share of steps with a rise": float(rises.sum() / (n * sim.steps))}
        arrays = {"memories_uv": sim.plane.project(sim.memories_host)} if done == 1 else {}
        yield Update(done, len(settings.methods), rows, arrays=arrays, summary=summary)
