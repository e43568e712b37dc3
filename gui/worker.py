"""The engine in a worker thread.

:class:`SimulationWorker` owns the simulations: the main one (the user's Params) and its
twin for the side-by-side view (an associative memory beside diffusion, or diffusion
beside an AM), started from exactly the same particles and stepped in lock-step. Every
step becomes a :class:`Snapshot` pair appended to the :class:`Recording` (so the time
scrubber replays the run exactly) and the newest pair is handed to the GUI: the worker
keeps only the latest and emits ``frame_ready`` when the GUI has taken the previous one,
so a slow GUI never makes the engine wait and a slow engine never blocks the GUI.

Commands go in through :meth:`SimulationWorker.send` (a queue); a burst of parameter
changes is applied once, the newest winning, before the next step. A diverging run
stops, is reported by ``failed`` and resets. All arrays handed over are host NumPy.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time
from typing import Any

import numpy as np
from PyQt6 import QtCore

from memscape.engine.backend import get_backend
from memscape.engine.kernels import sq_dists
from memscape.engine.landscape import Grid
from memscape.engine.params import ParamError, Params
from memscape.engine.simulation import DivergenceError, Simulation
from memscape.gui.history import History, HistoryView

GRID_RESOLUTION = 96  #: landscape grid points per side for 2D data
PLANE_RESOLUTION = 48  #: ... for a plane through D > 2 data (every point is lifted to R^D)
DROP_SPREAD = 0.04  #: dropped particles' spread, as a fraction of the grid's width


def landscape_grid(uv: np.ndarray, dim: int) -> Grid:
    """The grid a new scene draws its landscape on, around the memories' plane coordinates
    ``uv`` of ``dim``-dimensional data (video export uses it too, for the same picture)."""
    return Grid.around(uv, margin=1.0, resolution=GRID_RESOLUTION if dim == 2 else PLANE_RESOLUTION)


def twin_params(params: Params) -> Params:
    """The side-by-side partner: a Modern Hopfield network (distance form, same beta) beside
    diffusion, and the exact diffusion model beside any associative memory."""
    if params.model == "diffusion":
        return params.replace(model="modern", modern_form="distance")
    return params.replace(model="diffusion")


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One simulation at one step, ready to draw (all host arrays)."""

    model: str
    params: Params  #: the parameters this step ran with
    sigmas: np.ndarray | None  #: the diffusion schedule this step belongs to (None for an AM)
    frame: dict[str, Any]  #: the engine's frame
    uv: np.ndarray  #: (N, 2) particles on the landscape plane
    landscape: dict[str, np.ndarray]  #: engine.landscape.energy_map at this step
    nearest: np.ndarray | None  #: (N,) index of each particle's nearest memory (image presets)


@dataclasses.dataclass(frozen=True)
class Scene:
    """What stays fixed during one recording: memories, their plane coordinates, image
    shape, the backend's name and the landscape grid."""

    params: Params  #: the parameters the recording started with
    memories: np.ndarray
    memories_uv: np.ndarray
    image_shape: tuple[int, int] | None
    device: str  #: the backend in words, e.g. "NumPy (CPU)"
    device_note: str  #: why it was picked (auto's fallback), or ""
    grid: Grid


class Recording:
    """Every (main, twin) Snapshot pair of the current run, appended by the worker and read
    by the GUI (entries never change after they are appended, but for ``replace_last``),
    and each simulation's :class:`gui.history.History` for the trails and energy traces."""

    def __init__(self, scene: Scene):
        self.scene = scene
        self._pairs: list[tuple[Snapshot, Snapshot]] = []
        self._histories: tuple[History, History] | None = None
        self._lock = threading.Lock()

    def append(self, pair: tuple[Snapshot, Snapshot]) -> int:
        with self._lock:
            if self._histories is None:
                self._histories = (History(len(pair[0].uv)), History(len(pair[1].uv)))
            for history, snap in zip(self._histories, pair):
                history.append(snap.frame["step"], snap.uv, snap.frame["energy"])
            self._pairs.append(pair)
            return len(self._pairs) - 1

    def replace_last(self, pair: tuple[Snapshot, Snapshot]) -> int:
        with self._lock:
            for history, snap in zip(self._histories, pair):
                history.replace_last(snap.frame["step"], snap.uv, snap.frame["energy"])
            self._pairs[-1] = pair
            return len(self._pairs) - 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._pairs)

    def __getitem__(self, index: int) -> tuple[Snapshot, Snapshot]:
        with self._lock:
            return self._pairs[index]

    def history(self, index: int, which: int) -> HistoryView:
        """Steps 0..index of the main (which=0) or twin (which=1) simulation."""
        with self._lock:
            return self._histories[which].upto(index)


@dataclasses.dataclass(frozen=True)
class Update:
    """What reaches the GUI: the recording and the index of the newest pair in it."""

    recording: Recording
    index: int


class SimulationWorker(QtCore.QThread):
    """See the module docstring. Commands (``send``): ("params", Params), ("rebuild", Params),
    ("play", bool), ("step",), ("reset",), ("drop", (u, v)), ("speed", steps_per_s)."""

    frame_ready = QtCore.pyqtSignal()
    failed = QtCore.pyqtSignal(str)
    playing_changed = QtCore.pyqtSignal(bool)
    reverted = QtCore.pyqtSignal(object)  #: Params the worker went back to after a refused change

    def __init__(self, params: Params, backend: str | None = None, parent=None):
        super().__init__(parent)
        self._params = params
        self._backend_name = backend or params.backend
        self._commands: queue.Queue = queue.Queue()
        self._latest: Update | None = None
        self._pending = False
        self._lock = threading.Lock()
        self._playing = False
        self._speed = 20.0
        self._drops = 0  #: clusters dropped so far
        self.main: Simulation | None = None
        self.twin: Simulation | None = None
        self.recording: Recording | None = None

    # -- GUI side ------------------------------------------------------------
    def send(self, kind: str, payload: Any = None) -> None:
        self._commands.put((kind, payload))

    def take_latest(self) -> Update | None:
        """The newest update, once (None when the GUI already has it)."""
        with self._lock:
            update, self._latest, self._pending = self._latest, None, False
        return update

    def stop(self) -> None:
        """Ask the loop to end and wait for the thread (called on close)."""
        self.send("quit")
        self.wait()

    # -- worker thread -------------------------------------------------------
    def run(self) -> None:
        try:
            self._build(self._params)
        except Exception as exc:  # a bad preset or backend: say so, keep the GUI alive
            self.failed.emit(f"cannot start the simulation: {exc}")
        next_step = time.monotonic()
        while True:
            wait = max(0.0, next_step - time.monotonic()) if self._playing else 0.25
            if not self._drain(wait):
                return
            if self._playing and self.main is not None and time.monotonic() >= next_step:
                next_step = time.monotonic() + 1.0 / self._speed
                self._advance()

    def _drain(self, wait: float) -> bool:
        """Apply queued commands (waiting up to ``wait`` s for the first); False on quit.
        Of several parameter changes in a row only the newest is applied."""
        try:
            commands = [self._commands.get(timeout=wait) if wait > 0 else self._commands.get_nowait()]
        except queue.Empty:
            return True
        while True:
            try:
                commands.append(self._commands.get_nowait())
            except queue.Empty:
                break
        for k, (kind, payload) in enumerate(commands):
            if kind == "quit":
                return False
            if kind == "params" and any(c[0] == "params" for c in commands[k + 1:]):
                continue
            try:
                self._apply(kind, payload)
            except (ParamError, ValueError) as exc:
                self.failed.emit(str(exc))
            except DivergenceError as exc:
                self._diverged(exc)
            except Exception as exc:  # never let a command kill the thread
                self.failed.emit(f"{kind}: {type(exc).__name__}: {exc}")
        return True

    def _apply(self, kind: str, payload: Any) -> None:
        if kind == "rebuild" or (kind == "params" and self.main is None):
            self._build(payload)  # (new parameters may also fix a run that could not start)
        elif self.main is None:
            return
        elif kind == "params":
            good = self._params
            try:
                self._set_params(payload)
            except Exception:  # the engine refused them: back to the last good parameters
                self._build(good)
                self.reverted.emit(good)
                raise
        elif kind == "play":
            if payload and self.main.done:
                self._restart(None)
            self._set_playing(bool(payload))
        elif kind == "step":
            self._set_playing(False)
            if self.main.done:
                self._restart(None)
            self._advance()
        elif kind == "reset":
            self._restart(None)
        elif kind == "drop":
            self._restart(self._cluster(payload))
        elif kind == "speed":
            self._speed = max(0.1, float(payload))

    def _set_playing(self, on: bool) -> None:
        if on != self._playing:
            self._playing = on
            self.playing_changed.emit(on)

    def _build(self, params: Params) -> None:
        """New simulations (a preset, a reseed, a new backend): a new recording."""
        backend = get_backend(self._backend_name, params.precision)
        main = Simulation(params, backend)
        twin = main.twin(twin_params(params))
        self.main, self.twin, self._params = main, twin, params
        self._new_recording()

    def _new_recording(self) -> None:
        main = self.main
        mem = main.memories_host
        uv = main.plane.project(mem)
        scene = Scene(self._params, mem, uv, main.patterns.image_shape, main.backend.device, main.backend.note,
                      self._grid(uv, mem.shape[1]))
        self.recording = Recording(scene)
        self._publish(append=True)

    def _grid(self, uv: np.ndarray, dim: int) -> Grid:
        """Keep the grid while the memories stay well inside it (dragging a memory does not
        rescale the view); otherwise a new grid around them."""
        resolution = GRID_RESOLUTION if dim == 2 else PLANE_RESOLUTION
        old = self.recording.scene.grid if self.recording is not None else None
        if old is not None and old.shape == (resolution, resolution):
            (x0, x1), (y0, y1) = old.x_range, old.y_range
            mx, my = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
            if np.all((uv[:, 0] > x0 + mx) & (uv[:, 0] < x1 - mx) & (uv[:, 1] > y0 + my) & (uv[:, 1] < y1 - my)):
                return old
        return landscape_grid(uv, dim)

    def _set_params(self, params: Params) -> None:
        """Live change: both simulations keep their particles (the engine resets them only
        when the particle count or the data's dimension changes)."""
        old_shape = self.main.frame()["x"].shape
        old_mem = self.main.memories_host
        self.main.set_params(params)
        if self.main.frame()["x"].shape != old_shape:  # the engine had to reset: a new run
            self.twin = self.main.twin(twin_params(params))
            self._params = params
            self._new_recording()
            return
        self.twin.set_params(twin_params(params))
        self._params = params
        if old_mem.shape != self.main.memories_host.shape or not np.array_equal(old_mem, self.main.memories_host):
            self._new_recording()  # memories moved or added: the run goes on, recorded from here
            return
        self._publish(append=False)

    def _restart(self, init: np.ndarray | None) -> None:
        self.main.reset(init)
        self.twin = self.main.twin(twin_params(self._params))
        self._new_recording()

    def _cluster(self, uv: tuple[float, float]) -> np.ndarray:
        """params.particles initial states around the plane point ``uv`` (a click drops them)."""
        grid = self.recording.scene.grid
        spread = DROP_SPREAD * (grid.x_range[1] - grid.x_range[0])
        self._drops += 1  # the k-th click of a session draws from (seed, k): reproducible
        rng = np.random.default_rng([self._params.seed, self._drops])
        pts = np.asarray(uv, dtype=np.float64) + spread * rng.standard_normal((self._params.particles, 2))
        return self.main.plane.lift(pts)

    def _advance(self) -> None:
        if self.main.done:
            self._set_playing(False)
            return
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported as one message
                self.main.step()
                self.twin.step()
        except DivergenceError as exc:
            self._diverged(exc)
            return
        self._publish(append=True)
        if self.main.done:
            self._set_playing(False)

    def _diverged(self, exc: DivergenceError) -> None:
        self._set_playing(False)
        self.failed.emit(f"diverged at {exc}; stopped and reset")
        self._restart(None)

    def _snapshot(self, sim: Simulation, last: Snapshot | None) -> Snapshot:
        frame = sim.frame()
        uv = sim.plane.project(frame["x"])
        # an AM's landscape changes only with its parameters, not from step to step: share it
        if last is not None and not sim.is_diffusion and last.params is sim.params:
            land = last.landscape
        else:  # float32 is plenty for drawing and halves what a long recording keeps
            land = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) and k in ("energy", "grad") else v)
                    for k, v in sim.landscape(self.recording.scene.grid).items()}
        nearest = None
        if sim.patterns.image_shape is not None:
            nearest = np.argmin(sq_dists(frame["x"], sim.memories_host), axis=1)
        return Snapshot(sim.params.model, sim.params, sim.sigmas if sim.is_diffusion else None,
                        frame, uv, land, nearest)

    def _publish(self, append: bool) -> None:
        rec = self.recording
        last = rec[len(rec) - 1] if len(rec) else (None, None)
        pair = (self._snapshot(self.main, last[0]), self._snapshot(self.twin, last[1]))
        index = rec.append(pair) if append or not len(rec) else rec.replace_last(pair)
        with self._lock:
            self._latest = Update(rec, index)
            notify = not self._pending
            self._pending = True
        if notify:
            self.frame_ready.emit()

