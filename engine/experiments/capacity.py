"""``capacity``: retrieval overlap against the load M/D (science.md 2 and 5).

For every model, dimension D and load M/D: M random +-1 patterns are stored, copies of
them with a fraction ``flip`` of their bits flipped are the starts, the model runs until
no neuron changes sign in a whole step (at most ``sweeps`` steps), and the overlap
m = (1/D) sum_i sign(x_i) xi_i with the pattern started from is averaged over ``starts``
starts (new pattern sets are drawn until there are that many). Classical Hopfield
collapses near M = 0.138 D; Dense AM with F(z) = z^n stores about D^(n-1) patterns, so
its collapse load M/D grows like D^(n-2); Modern Hopfield (dot form, attention update)
stores exponentially many. Loads that give the same M for a D are run once. Models: ``hopfield`` (asynchronous sweeps), ``dense-N``
(binary Dense AM with n = N, asynchronous sweeps), ``modern`` (x <- Xi^T softmax(beta Xi x)).
"""
from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any, Iterator

import numpy as np

from memscape.engine.backend import Backend, namespace
from memscape.engine.energies.hopfield import binarize
from memscape.engine.experiments.runner import SettingError, Update, setting
from memscape.engine.models import build_model
from memscape.engine.params import Params

NAME = "capacity"
SUMMARY = "retrieval overlap against load M/D: classical Hopfield, Dense AM n = 2, 3, 4, Modern Hopfield"
COLUMNS = ("model", "n", "D", "M", "load", "overlap", "retrieved", "starts")
#: an overlap at least this high counts as a retrieval (the ``retrieved`` column)
RETRIEVED = 0.95
#: the collapse load reported is where the mean overlap first falls below this
COLLAPSED = 0.9


@dataclasses.dataclass(frozen=True)
class Settings:
    models: tuple[str, ...] = setting(("hopfield", "dense-2", "dense-3", "dense-4", "modern"),
                                      "hopfield, dense-N (N = 2..8) or modern")
    dims: tuple[int, ...] = setting((32, 64), "pattern dimensions D", low=4)
    loads: tuple[float, ...] = setting((0.05, 0.1, 0.125, 0.15, 0.175, 0.2, 0.3, 0.5, 1.0, 2.0, 4.0, 8.0),
                                       "loads M/D", low=0.0)
    flip: float = setting(0.1, "fraction of each start's bits flipped", low=0.0, high=0.5)
    starts: int = setting(64, "corrupted starts per point", low=1)
    sweeps: int = setting(20, "at most this many steps per start", low=1)
    beta: float = setting(0.5, "Modern Hopfield inverse temperature (dot form)", low=0.0)
    seed: int = setting(0, "random seed", low=0)


def model_params(model: str, beta: float) -> tuple[Params, int]:
    """The Params that build ``model`` and its n (2 for the quadratic classical energy,
    0 for Modern Hopfield's exponential)."""
    if model == "hopfield":
        return Params(model="hopfield", update="async"), 2
    if model == "modern":
        return Params(model="modern", modern_form="dot", beta=beta, dt=1.0), 0
    match = re.fullmatch(r"dense-(\d+)", model)
    if not match or not 2 <= int(match.group(1)) <= 8:
        raise SettingError(f"models: {model!r} is not hopfield, modern or dense-N with N from 2 to 8")
    n = int(match.group(1))
    return Params(model="dense-poly", n=n), n


def retrieve(model: Any, x: Any, rng: Any, sweeps: int) -> Any:
    """Step ``model`` from states x until no entry changes sign in a whole step (or
    ``sweeps`` steps) and return sign of the final visible state."""
    state = model.init_state(x)
    signs = binarize(model.visible(state))
    for _ in range(sweeps):
        state = model.step(state, rng)
        new = binarize(model.visible(state))
        if bool(namespace(new).all(new == signs)):
            break
        signs = new
    return signs


def point_overlaps(model_name: str, d: int, m: int, settings: Settings, backend: Backend) -> np.ndarray:
    """The final overlaps (one per start) for one model, D and M."""
    params, _ = model_params(model_name, settings.beta)
    overlaps = []
    for rep in itertools.count():
        if len(overlaps) >= settings.starts:
            break
        host = np.random.default_rng([settings.seed, d, m, rep])
        patterns = host.choice(np.array([-1.0, 1.0]), size=(m, d))
        take = min(m, settings.starts - len(overlaps))
        targets = patterns[:take]
        flips = host.random((take, d)) < settings.flip
        starts = np.where(flips, -targets, targets)
        rng = backend.rng([settings.seed, d, m, rep, 1])
        model = build_model(params, backend.asarray(patterns), rng)
        final = backend.to_host(retrieve(model, backend.asarray(starts), rng, settings.sweeps))
        overlaps.extend(np.mean(final * targets, axis=1))
    return np.asarray(overlaps)


def validate(settings: Settings) -> None:
    """Every model name is known."""
    for name in settings.models:
        model_params(name, settings.beta)


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    validate(settings)
    counts = {d: sorted({max(1, round(load * d)) for load in settings.loads}) for d in settings.dims}
    total = len(settings.models) * sum(len(ms) for ms in counts.values())
    done = 0
    for name in settings.models:
        for d in settings.dims:
            loads, means = [], []
            for m in counts[d]:
                overlaps = point_overlaps(name, d, m, settings, backend)
                row = {"model": name, "n": model_params(name, settings.beta)[1], "D": d, "M": m, "load": m / d,
                       "overlap": float(overlaps.mean()), "retrieved": float(np.mean(overlaps >= RETRIEVED)),
                       "starts": int(overlaps.size)}
                loads.append(m / d)
                means.append(row["overlap"])
                done += 1
                summary = {}
                if len(loads) == len(counts[d]):
                    at = collapse_load(np.array(loads), np.array(means))
                    summary[f"{name}, D = {d}: load M/D where the overlap falls below {COLLAPSED}"] = \
                        at if at == at else f"above {max(loads):g} (not reached)"

                yield Update(done, total, [row], summary=summary)


def collapse_load(loads: np.ndarray, overlaps: np.ndarray, level: float = COLLAPSED) -> float:
    """The first load at which the mean overlap falls below ``level``, interpolated
    linearly between the two loads around it (nan if it never does)."""
    order = np.argsort(loads)
    loads, overlaps = loads[order], overlaps[order]
    below = np.nonzero(overlaps < level)[0]
    if below.size == 0:
        return float("nan")
    k = int(below[0])
    if k == 0:
        return float(loads[0])
    l0, l1, o0, o1 = loads[k - 1], loads[k], overlaps[k - 1], overlaps[k]
    return float(l0 + (o0 - level) / (o0 - o1) * (l1 - l0))
