"""The one owner of a run: :class:`Run`.

A run is what the window shows and every export writes: the main simulation (the user's
parameters) and its side-by-side partner (:func:`partner_params`), started from exactly the
same particles and stepped in lock-step; the landscape grid and the energy map of every
entry; dropped clusters and memory edits (with undo and redo); each particle's nearest memory
for image presets; and the :class:`~memscape.engine.run.recording.Recording` of every step
with its energy bookkeeping. Nothing here knows about Qt: the window's worker thread only
paces :meth:`Run.step` and hands :meth:`Run.view` to the views; the exporters read
:meth:`Run.snapshot`.

Live changes keep the evidence honest:
- a parameter or memory change while the run goes on starts a new segment of the recording
  at the current step (nothing is compared across it); diffusion continues from the first
  sigma of the new schedule that is not above the current one, and the associative memory is
  put at the same step, so the two stay in lock-step;
- a change after the run has finished starts it again from its start (a finished schedule
  cannot be continued), as a new recording;
- :meth:`Run.seek` continues from a recorded entry: the recorded future after it is dropped.

The simulations are only touched by the thread that calls the methods that change the run;
:meth:`snapshot` and :meth:`view` may be called from any thread.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np

from memscape.engine.backend import Backend, get_backend
from memscape.engine.kernels import sq_dists
from memscape.engine.landscape import Grid
from memscape.engine.params import Params
from memscape.engine.retrieval import retrieval_note
from memscape.engine.run.recording import DEFAULT_BUDGET, Recording, Segment, Snapshot
from memscape.engine.run.view import StepView, step_view
from memscape.engine.simulation import DivergenceError, Simulation

GRID_RESOLUTION = 96  #: landscape grid points per side for 2D data
PLANE_RESOLUTION = 48  #: ... for a plane through D > 2 data (every point is lifted to R^D)
GRID_MARGIN = 1.0  #: the grid reaches this many times the memories' extent beyond them
GRID_MAX_WIDENING = 4.0  #: the starting particles widen the grid to at most this many times that
DROP_SPREAD = 0.04  #: a dropped cluster's spread, as a fraction of the grid's width
KEEP_GRID_INSET = 0.1  #: a moved memory keeps the grid while it stays this far inside it
ADDED_CLUSTER = 64  #: particles a click adds beside the others


def partner_params(params: Params) -> Params:
    """The side-by-side partner (the paper's Figure 1): a Modern Hopfield network (distance
    form, the same beta) beside diffusion, and the exact diffusion model of the same memories
    beside any associative memory."""
    if params.model == "diffusion":
        return params.replace(model="modern", modern_form="distance")
    return params.replace(model="diffusion")


def landscape_grid(memories_uv: np.ndarray, dim: int, particles_uv: np.ndarray | None = None) -> Grid:
    """The grid a new run draws its landscape on: centred on the memories on the plane, and
    wide enough for the box of most of the starting particles too (their 1st to 99th
    percentiles, so that they start on the map), but at most GRID_MAX_WIDENING times the
    memories' own grid (a huge sigma_max would otherwise shrink the wells to a pixel; the
    views then fit the particles)."""
    resolution = GRID_RESOLUTION if dim == 2 else PLANE_RESOLUTION
    grid = Grid.around(memories_uv, margin=GRID_MARGIN, resolution=resolution)
    pts = None if particles_uv is None else np.asarray(particles_uv, np.float64)
    if pts is not None:
        pts = pts[np.isfinite(pts).all(axis=1)]
    if pts is None or not len(pts):
        return grid
    cx, cy = sum(grid.x_range) / 2, sum(grid.y_range) / 2
    half = (grid.x_range[1] - grid.x_range[0]) / 2
    reach = np.abs(np.percentile(pts, [1, 99], axis=0) - [cx, cy]).max()
    half = min(max(half, 1.05 * reach), GRID_MAX_WIDENING * half)
    return Grid((cx - half, cx + half), (cy - half, cy + half), resolution)


def drop_cluster(center_uv: tuple[float, float], count: int, grid: Grid, seed: int, click: int,
                 sim: Simulation) -> np.ndarray:
    """``count`` initial states (count, D) around the plane point ``center_uv``: Gaussian
    with standard deviation DROP_SPREAD times the grid's width, lifted into the data space;
    the k-th click of a run with seed s draws from (s, k), so the same clicks give the same
    particles."""
    spread = DROP_SPREAD * (grid.x_range[1] - grid.x_range[0])
    rng = np.random.default_rng([seed, click])
    pts = np.asarray(center_uv, dtype=np.float64) + spread * rng.standard_normal((count, 2))
    return np.asarray(sim.plane.lift(pts))


class Run:
    """See the module docstring. ``init`` (N, D): the exact initial states; ``label``: what
    the run shows (a preset's name), for titles; ``budget``: the recording's bytes."""

    def __init__(self, params: Params, backend: Backend | None = None, init: Any = None,
                 label: str = "", budget: int = DEFAULT_BUDGET):
        self.backend = backend if backend is not None else get_backend(params.backend, params.precision)
        self.label = label
        self.budget = budget
        self.clicks = 0  #: clusters dropped in this run so far
        self._undo: list[dict] = []  #: patterns tables before each memory edit
        self._redo: list[dict] = []
        self._notes: dict[str, str | None] = {}  #: retrieval notes by parameters
        self._build(params, init)

    # -- building --------------------------------------------------------------------
    def _build(self, params: Params, init: Any) -> None:
        """New simulations from ``init`` (or the seeded draw) and a new recording."""
        main = Simulation(params, self.backend, init)
        partner = main.twin(partner_params(params))
        self.main, self.partner = main, partner
        self.start = np.array(main.initial, copy=True)  #: the run's initial states (N, D)
        images = main.patterns.image_shape is not None
        self.recording = Recording((len(main.initial), len(partner.initial)), main.memories_host.shape[1],
                                   np.dtype(main.backend.precision), images, self.budget,
                                   capacity=max(main.steps, partner.steps) + 1)
        self._meta = {"image_shape": main.patterns.image_shape, "device": main.backend.device,
                      "device_note": main.backend.note, "label": self.label, "retrieval_note": None}
        self.retrieval_pending = True  #: the AM's retrieval note is still to be measured (measure_retrieval)
        self._begin_segment("start", grid=None)
        self._record(new_maps=True)

    def measure_retrieval(self) -> str | None:
        """The run's associative memory's :func:`memscape.engine.retrieval.retrieval_note`, into
        :attr:`meta` (a few to a few hundred milliseconds: the window's worker calls this once a
        new run's first step is on screen). Measured once per parameter set (a reset or a
        dropped cluster does not measure it again); an AM that diverges from states near its
        memories says so."""
        params = (self.partner if self.main.is_diffusion else self.main).params
        key = params.to_json()
        if key not in self._notes:
            try:
                self._notes[key] = retrieval_note(params)
            except DivergenceError as exc:
                self._notes[key] = f"{params.model} diverges from states near its memories ({exc.message})"
        self._meta["retrieval_note"] = self._notes[key]
        self.retrieval_pending = False
        return self._notes[key]

    def _begin_segment(self, reason: str, grid: Grid | None, at_last: bool = False) -> None:
        """A new segment from the next entry, or (``at_last``) from the newest one, which the
        next record then re-evaluates."""
        main = self.main
        mem = main.memories_host
        uv = np.asarray(main.plane.project(mem))
        if grid is None:
            grid = landscape_grid(uv, mem.shape[1], np.asarray(main.plane.project(self.start)))
        elif not _inside(uv, grid):
            grid = landscape_grid(uv, mem.shape[1])
        sigmas = tuple(s.sigmas if s.is_diffusion else None for s in (self.main, self.partner))
        start = len(self.recording) - (1 if at_last else 0)
        self.recording.begin_segment(Segment(start, main.params, self.partner.params, mem,
                                             main.plane, uv, grid, sigmas, reason))

    @property
    def segment(self) -> Segment:
        return self.recording.segments[-1]

    # -- what the run is ---------------------------------------------------------------
    @property
    def params(self) -> Params:
        """The main simulation's parameters now."""
        return self.main.params

    @property
    def done(self) -> bool:
        return self.main.done and self.partner.done

    @property
    def steps(self) -> int:
        return self.main.steps

    def snapshot(self) -> Snapshot:
        return self.recording.snapshot()

    @property
    def meta(self) -> dict:
        """What every view of this run needs besides the recording: image_shape, device,
        device_note, label, and the retrieval note of its associative memory (None when it
        keeps every memory, or before :meth:`measure_retrieval`)."""
        return self._meta

    def view(self, index: int | None = None, snapshot: Snapshot | None = None) -> StepView:
        """What the views draw of entry ``index`` (default the newest) of ``snapshot``
        (default the recording now)."""
        snapshot = snapshot if snapshot is not None else self.snapshot()
        return step_view(snapshot, snapshot.length - 1 if index is None else index, self._meta)

    # -- stepping ------------------------------------------------------------------------
    def step(self) -> int:
        """Both simulations one step (nothing once done); returns the newest entry's index."""
        if not self.done:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is one DivergenceError
                self.main.step()
                self.partner.step()
            self._record(new_maps=False)
        return len(self.recording) - 1

    def run_to_end(self, cancelled: Callable[[], bool] = lambda: False,
                   progress: Callable[[int, int], None] | None = None) -> bool:
        """Step until done (exports need the whole run); False if ``cancelled()`` said stop."""
        while not self.done:
            if cancelled():
                return False
            self.step()
            if progress is not None:
                progress(self.main.i, self.steps)
        return True

    def _record(self, new_maps: bool, replace_last: bool = False) -> None:
        """Append (or re-evaluate) the current state of both simulations."""
        grid = self.segment.grid
        entries, maps = [], []
        for sim, track in zip((self.main, self.partner), self.recording.tracks):
            frame = sim.frame()
            x = frame["x"]
            energy = frame["energy"]
            entry = {"step": frame["step"], "sigma": frame["sigma"], "x": x, "energy": energy,
                     "energy_fixed": frame["energy_fixed"], "landscape_move": frame["landscape_move"],
                     "sampler_move": frame["sampler_move"], "energy_nats": frame["energy_nats"],
                     "rise_scale": sim.energy_scale}
            if not track.uv_is_x:  # else the track reads x as uv (2-D data: the plane is the identity)
                entry["uv"] = np.asarray(sim.plane.project(x), dtype=np.float32)
            if sim.patterns.image_shape is not None:
                entry["nearest"] = np.argmin(sq_dists(x, sim.memories_host), axis=1)
            entries.append(entry)
            # an AM's landscape changes only with its parameters (a new segment), not per step
            maps.append(_map(sim, grid) if new_maps or sim.is_diffusion else None)
        self.recording.append(tuple(entries), tuple(maps), replace_last=replace_last)

    # -- live changes ----------------------------------------------------------------------
    def set_params(self, params: Params, reason: str = "parameters") -> str:
        """Apply changed parameters; returns what it did: "segment" (the run goes on from
        here, recorded as a new segment), "restart" (the run had finished, or the change
        cannot keep the particles: a new recording from the run's start) or "rebuild" (the
        particles' number or dimension changed: a new run)."""
        if params == self.params:
            return "segment"
        old_n, old_d = self.start.shape
        if params.particles != old_n or (params.patterns != self.params.patterns and _dimension(params) != old_d):
            self._build(params, init=None)
            return "rebuild"
        if self.done:
            self._build(params, init=self.start)
            return "restart"
        grid = self.segment.grid
        self.main.set_params(params)
        self.partner.set_params(partner_params(params))
        diffusion, memory = (self.main, self.partner) if self.main.is_diffusion else (self.partner, self.main)
        if memory.i != diffusion.i:  # lock-step: the AM goes where the new schedule put diffusion
            memory.seek(diffusion.i, memory.frame()["x"])
        replace = self._no_step_since_segment()
        self._begin_segment(reason, grid, at_last=replace)
        self._record(new_maps=True, replace_last=replace)
        return "segment"

    def _no_step_since_segment(self) -> bool:
        """Whether the newest entry began the current segment (a burst of changes at one step
        then makes one segment and one entry, not one per slider position)."""
        return bool(self.recording.segments) and self.segment.start == len(self.recording) - 1 \
            and len(self.recording) > 1 and self.segment.reason != "start"

    def restart(self, init: Any = None) -> None:
        """Back to the start (or to ``init``): a new recording."""
        self._build(self.params, self.start if init is None else init)

    def rebuild(self, params: Params, init: Any = None) -> None:
        """A new run (a preset, a reseed, a session): new particles from the seed (or ``init``,
        the exact initial states), a new recording, no memory edits to undo."""
        self.clicks = 0
        self._undo.clear()
        self._redo.clear()
        self._build(params, init=init)

    def seek(self, index: int) -> None:
        """Continue from recorded entry ``index``: the entries after it are dropped and both
        simulations take its states (and its segment's parameters)."""
        snap = self.snapshot()
        if not 0 <= index < snap.length:
            raise IndexError(f"entry {index} is outside the {snap.length} recorded")
        if index == snap.length - 1:
            return
        segment = snap.segment_at(index)
        if segment.params != self.params:
            self.main.set_params(segment.params)
            self.partner.set_params(segment.partner)
        for k, sim in enumerate((self.main, self.partner)):
            track = snap.tracks[k]
            sim.seek(int(track["step"][index]), track["x"][index])
        self.recording.truncate(index)

    def drop(self, center_uv: tuple[float, float], replace: bool = True) -> None:
        """A click: a cluster of particles around ``center_uv`` on the landscape plane starts
        the run again from its start, in place of the particles (``replace``: as many as
        there were) or beside them (ADDED_CLUSTER more)."""
        self.clicks += 1
        n = self.params.particles if replace else ADDED_CLUSTER
        cluster = drop_cluster(center_uv, n, self.segment.grid, self.params.seed, self.clicks, self.main)
        start = cluster if replace else np.concatenate([self.start, cluster])
        params = self.params if len(start) == self.params.particles else self.params.replace(particles=len(start))
        self._build(params, init=start)

    # -- memories ---------------------------------------------------------------------------
    def memory_points(self) -> list[list[float]]:
        """The memories as an editable list of points (2-D data only)."""
        if self.main.memories_host.shape[1] != 2:
            raise ValueError("memories can be added, moved and deleted only for 2-D data")
        return self.main.memories_host.tolist()

    def _edit(self, points: list[list[float]]) -> None:
        self._undo.append(self.params.patterns)
        self._redo.clear()
        self.set_params(self.params.replace(patterns={"kind": "points", "points": points}), "memories")

    def add_memory(self, xy: tuple[float, float]) -> None:
        self._edit(self.memory_points() + [[float(xy[0]), float(xy[1])]])

    def move_memory(self, index: int, xy: tuple[float, float]) -> None:
        points = self.memory_points()
        points[index] = [float(xy[0]), float(xy[1])]
        self._edit(points)

    def delete_memory(self, index: int) -> None:
        points = self.memory_points()
        if len(points) <= 1:
            raise ValueError("the last memory cannot be deleted")
        del points[index]
        self._edit(points)

    def undo(self) -> bool:
        """Undo the last memory edit; False when there is none."""
        if not self._undo:
            return False
        self._redo.append(self.params.patterns)
        self.set_params(self.params.replace(patterns=self._undo.pop()), "memories")
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self.params.patterns)
        self.set_params(self.params.replace(patterns=self._redo.pop()), "memories")
        return True

    def trajectory(self) -> dict[str, Any]:
        """:func:`trajectory_arrays` of the recording now."""
        return trajectory_arrays(self.snapshot())


def trajectory_arrays(snapshot: Snapshot) -> dict[str, Any]:
    """A recording as the arrays of a trajectory .npz: the main simulation under the names
    ``simulate`` writes (positions (T, N, D), energy (T, N), memories (M, D), sigma (T,) for
    diffusion, params), the partner the same with the prefix ``partner_``, and ``steps`` (T,)
    (a thinned recording keeps fewer entries than steps), ``segment_starts`` and ``segments``
    (JSON: each segment's first entry, reason and both parameter sets). Parameters and
    memories are the last segment's."""
    out: dict[str, Any] = {}
    last = snapshot.segments[-1]
    for prefix, k, params in (("", 0, last.params), ("partner_", 1, last.partner)):
        a = snapshot.tracks[k]
        out[f"{prefix}positions"] = a["x"]
        out[f"{prefix}energy"] = a["energy"]
        out[f"{prefix}params"] = params.to_json()
        if params.model == "diffusion":
            out[f"{prefix}sigma"] = a["sigma"]
    out["memories"] = last.memories
    out["steps"] = snapshot.tracks[0]["step"]
    out["segment_starts"] = snapshot.segment_starts()
    out["segments"] = json.dumps([{"start": s.start, "reason": s.reason, "params": json.loads(s.params.to_json()),
                                   "partner": json.loads(s.partner.to_json())} for s in snapshot.segments])
    return out


def _map(sim: Simulation, grid: Grid) -> dict[str, np.ndarray]:
    """The energy map at the simulation's current state, in float32 (plenty for drawing)."""
    return {k: (v.astype(np.float32) if k in ("energy", "grad") else v) for k, v in sim.landscape(grid).items()}


def _inside(uv: np.ndarray, grid: Grid) -> bool:
    """Whether the points stay KEEP_GRID_INSET of the grid's size inside it (a dragged
    memory then keeps the grid, so the view does not rescale under the mouse)."""
    (x0, x1), (y0, y1) = grid.x_range, grid.y_range
    mx, my = KEEP_GRID_INSET * (x1 - x0), KEEP_GRID_INSET * (y1 - y0)
    return bool(np.all((uv[:, 0] > x0 + mx) & (uv[:, 0] < x1 - mx) & (uv[:, 1] > y0 + my) & (uv[:, 1] < y1 - my)))


def _dimension(params: Params) -> int:
    from memscape.engine.patterns import make_patterns

    return make_patterns(params.patterns).memories.shape[1]

