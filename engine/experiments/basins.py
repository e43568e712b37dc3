"""``basins``: which memory every start on the landscape grid reaches (science.md 1 and 4).

Every point of a ``resolution`` x ``resolution`` grid around the memories (the landscape's
automatic grid, :meth:`engine.landscape.Grid.for_memories`, on the plane through the data
for D > 2) is the start of one particle, run by each method to its end, with the app's
own :class:`engine.simulation.Simulation`: an associative memory (``modern``,
``tinybrain``, ``ham``, ``hopfield``, ``dense-poly``, ``dense-exp``) until no particle moves
by more than 1e-4 times the memories' smallest distance in a step (at most ``am_steps``
steps), a deterministic sampler (``euler``, ``heun``, ``ddim``, optionally with a schedule:
``heun@ve``) through the whole schedule from the grid point as the state at sigma_max. A
start's basin is the memory nearest to its final state when that state is closer to it
than ``ratio`` times its distance to the second-nearest memory (so an AM's fixed point,
which finite beta shifts off its memory, still counts); otherwise the end lies between
memories and is spurious (basin -1). The AM sees one fixed
landscape; the sampler sees the landscape change under it as sigma falls, and which
memory a start reaches changes with it.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np

from memscape.engine.backend import Backend
from memscape.engine.experiments.runner import SettingError, Update, preset_params, setting
from memscape.engine.landscape import Grid
from memscape.engine.models import AM_MODELS
from memscape.engine.params import Params, SCHEDULES
from memscape.engine.simulation import Simulation

NAME = "basins"
SUMMARY = "every grid start run to its end and coloured by the memory it reaches, AMs beside samplers"
COLUMNS = ("method", "u", "v", "basin", "distance")
DETERMINISTIC = ("euler", "heun", "ddim")
AMS = (*AM_MODELS, "ham")


@dataclasses.dataclass(frozen=True)
class Settings:
    preset: str = setting("ring", "the preset whose memories and parameters are used")
    methods: tuple[str, ...] = setting(("modern", "tinybrain", "heun", "ddim@ve"),
                                       "AM models and deterministic samplers (sampler@schedule)")
    resolution: int = setting(48, "grid points per side", low=2)
    ratio: float = setting(1 / 3, "a basin's end is nearer its memory than this times the second-nearest",
                           low=0.0, high=1.0)
    am_steps: int = setting(400, "at most this many AM steps", low=1)
    overrides: tuple[str, ...] = setting((), "run parameters of the preset (any other key=value)")


def method_params(method: str, params: Params) -> Params:
    """The Params that run ``method``: an AM model, or sampler[@schedule] with the exact score."""
    if method in AMS:
        return params.replace(model=method)
    sampler, _, schedule = method.partition("@")
    if sampler not in DETERMINISTIC or (schedule and schedule not in SCHEDULES):
        raise SettingError(f"methods: {method!r} is not an AM ({', '.join(AMS)}) nor a deterministic "
                           f"sampler ({', '.join(DETERMINISTIC)}) with an optional @schedule ({', '.join(SCHEDULES)})")
    return params.replace(model="diffusion", sampler=sampler, eta=0.0, schedule=schedule or params.schedule)


def classify(final: np.ndarray, memories: np.ndarray, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """(basin, distance) per final state: the nearest memory's index and distance, basin -1
    where that distance is not below ``ratio`` times the second-nearest memory's (a spurious end)."""
    dist = np.sqrt(((final[:, None, :] - memories[None, :, :]) ** 2).sum(axis=2))
    nearest = dist.argmin(axis=1)
    ranked = np.sort(dist, axis=1)
    closest = ranked[:, 0]
    if memories.shape[0] < 2:
        return nearest, closest
    return np.where(closest < ratio * ranked[:, 1], nearest, -1), closest


def smallest_distance(memories: np.ndarray) -> float:
    """The smallest distance between two memories (1 for a single memory)."""
    if memories.shape[0] < 2:
        return 1.0
    d = np.sqrt(((memories[:, None, :] - memories[None, :, :]) ** 2).sum(axis=2))
    return float(d[np.triu_indices(memories.shape[0], 1)].min())


def final_states(params: Params, start: np.ndarray, backend: Backend, am_steps: int, move_tol: float) -> np.ndarray:
    """Where each start ends: the whole schedule for diffusion; for an AM, steps until no
    particle moves by more than ``move_tol`` in one step, or ``am_steps`` steps."""
    sim = Simulation(params.replace(particles=start.shape[0], steps=am_steps if params.model != "diffusion"
                                    else params.steps), backend, init=start)
    x = sim.frame()["x"]
    while not sim.done:
        new = sim.step()["x"]
        if not sim.is_diffusion and np.max(np.abs(new - x)) <= move_tol:
            return new
        x = new
    return x


def validate(settings: Settings) -> None:
    """Every method is an AM or a deterministic sampler with a known schedule."""
    params = preset_params(settings)
    for method in settings.methods:
        method_params(method, params)


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    validate(settings)
    params = preset_params(settings)
    runs = [(m, method_params(m, params)) for m in settings.methods]
    probe = Simulation(params.replace(particles=1), backend)
    memories, plane = probe.memories_host, probe.plane
    grid = Grid.for_memories(memories, plane, resolution=settings.resolution)
    uv = grid.points()
    start = plane.origin + uv @ plane.basis
    h, w = grid.shape
    base = {"grid_x": grid.xs, "grid_y": grid.ys, "memories_uv": plane.project(memories)}
    for done, (method, p) in enumerate(runs, start=1):
        final = final_states(p, start, backend, settings.am_steps, 1e-4 * smallest_distance(memories))
        basin, dist = classify(final, memories, settings.ratio)
        rows = [{"method": method, "u": float(a), "v": float(b), "basin": int(k), "distance": float(r)}
                for (a, b), k, r in zip(uv, basin, dist)]
        arrays = {**(base if done == 1 else {}), f"basin {method}": basin.reshape(h, w)}
        yield Update(done, len(runs), rows, arrays=arrays,
                     summary={f"{method}: spurious share": float(np.mean(basin < 0))})
