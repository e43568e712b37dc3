"""``lyapunov``: for any model and schedule, the share of trajectories whose fixed-function
energy ever rises, and where on the landscape (science.md 1 and 5).

Each method runs the preset's particles with the app's :class:`engine.simulation.Simulation`,
whose frames carry the run's fixed function ("energy_fixed"):
- for diffusion samplers, E_ref(x) = -log p_sigma_ref(x), one landscape for the whole run
  (sigma_ref = the schedule's sigma_min unless ``sigma_ref`` is set), normalised (science.md 4);
- for associative memories, the model's own energy (its Lyapunov function).
A step raises E_ref when it grows beyond the round-off of the float type
(:func:`engine.energy_accounting.energy_rose`, the rule the app's energy traces use).
The table has one row per particle: where it started (plane coordinates u, v), how many of
its steps raised E_ref, the first such step and where the particle was before it, and the
largest rise.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np

from memscape.engine.backend import Backend
from memscape.engine.energy_accounting import energy_rose
from memscape.engine.experiments.runner import SettingError, Update, preset_params, setting
from memscape.engine.models import AM_MODELS
from memscape.engine.params import SAMPLERS
from memscape.engine.simulation import Simulation

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


def validate(settings: Settings) -> None:
    """Every method is a sampler or an AM."""
    for m in settings.methods:
        if m not in SAMPLERS and m not in AMS:
            raise SettingError(f"methods: {m!r} is not a sampler ({', '.join(SAMPLERS)}) nor an AM ({', '.join(AMS)})")


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    validate(settings)
    params = preset_params(settings)
    for done, method in enumerate(settings.methods, start=1):
        p = params.replace(model=method) if method in AMS else params.replace(model="diffusion", sampler=method)
        sim = Simulation(p.replace(sigma_ref=settings.sigma_ref), backend)
        frame = sim.frame()
        start_uv = sim.plane.project(frame["x"])
        n = start_uv.shape[0]
        e = frame["energy_fixed"]
        rises = np.zeros(n, dtype=int)
        first = np.full(n, -1)
        where = np.full((n, 2), np.nan)
        largest = np.zeros(n)
        while not sim.done:
            prev_uv = sim.plane.project(frame["x"])
            frame = sim.step()
            e_new = frame["energy_fixed"]
            up = energy_rose(e, e_new, backend.precision, sim.energy_scale)
            new_first = up & (first < 0)
            first[new_first] = frame["step"]
            where[new_first] = prev_uv[new_first]
            rises += up
            largest = np.where(up, np.maximum(largest, e_new - e), largest)
            e = e_new
        rows = [{"method": method, "particle": k, "u": float(start_uv[k, 0]), "v": float(start_uv[k, 1]),
                 "rises": int(rises[k]), "first_rise": int(first[k]), "rise_u": float(where[k, 0]),
                 "rise_v": float(where[k, 1]), "max_rise": float(largest[k])} for k in range(n)]
        summary = {f"{method}: share of particles whose energy ever rose": float(np.mean(rises > 0)),
                   f"{method}: share of steps with a rise": float(rises.sum() / (n * sim.steps))}
        arrays = {"memories_uv": sim.plane.project(sim.memories_host)} if done == 1 else {}
        yield Update(done, len(settings.methods), rows, arrays=arrays, summary=summary)
