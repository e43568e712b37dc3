"""The run in a worker thread: a pacing loop around :class:`memscape.engine.run.Run`.

The thread steps the run at the chosen speed and hands the newest entry to the window: it
keeps only the latest :class:`Update` and emits ``frame_ready`` when the window has taken the
previous one, so a slow window never makes the engine wait and a slow engine never blocks
the window. Commands go in through :meth:`SimulationWorker.send` (a queue); a burst of
parameter changes is applied once, the newest winning. Everything about what a run is (the
partner, the recording, the bookkeeping, clusters, memory edits) is the Run's; this module
only paces it and reports.

Pacing: one step every 1/speed seconds (0.2 steps/s is slow motion, a step every 5 s; a new
speed counts from the last step, so speeding up acts at once); a run that ends stops and
says so (``finished_run``); in loop mode it is replayed from its start on its own after
LOOP_PAUSE_S, unless the user acted meanwhile. After the end, Reset replays, and a memory
edit replays the run with the edited memories at once.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time
from typing import Any

from PyQt6 import QtCore

from memscape.engine.backend import get_backend
from memscape.engine.params import ParamError, Params
from memscape.engine.run import Run, Snapshot, StepView
from memscape.engine.run.view import step_view
from memscape.engine.simulation import DivergenceError

LOOP_PAUSE_S = 2.0  #: loop mode shows the end this long before replaying
IDLE_WAIT_S = 0.25  #: how long the idle loop waits for a command at a time
#: commands that leave a pending loop replay alone (every other one is the user acting)
KEEP_REPLAY = ("speed", "label", "loop")


@dataclasses.dataclass(frozen=True)
class Update:
    """What reaches the window: a frozen snapshot of the run's recording and the index of
    the entry to show (the newest); :meth:`view` makes the StepView of any entry."""

    recording: object  #: the Recording the snapshot is of (a new one means a new run)
    snapshot: Snapshot
    meta: dict
    index: int

    def view(self, index: int | None = None) -> StepView:
        return step_view(self.snapshot, self.index if index is None else index, self.meta)


class SimulationWorker(QtCore.QThread):
    """See the module docstring. Commands (``send``): ("params", Params), ("rebuild", Params),
    ("load", (Params, initial states (N, D) or None)): a new run from a session,
    ("play", bool), ("step",), ("reset",), ("seek", index), ("drop", (u, v, replace)),
    ("speed", steps_per_s), ("add_memory", (x, y)), ("move_memory", (i, x, y)),
    ("delete_memory", i), ("undo",), ("redo",), ("loop", bool): replay each run on its own when
    it ends, ("finish",): step to the end at full speed."""

    frame_ready = QtCore.pyqtSignal()
    failed = QtCore.pyqtSignal(str)
    playing_changed = QtCore.pyqtSignal(bool)
    params_changed = QtCore.pyqtSignal(object)  #: the run's Params, when they changed other than as sent
    finished_run = QtCore.pyqtSignal(object)  #: the run reached its end (also after "finish"): its Update
    finishing = QtCore.pyqtSignal(int, int)  #: "finish" progress: steps done, steps in all
    said = QtCore.pyqtSignal(str)  #: a note for the status bar ("nothing to undo")

    def __init__(self, params: Params, backend: str | None = None, label: str = "", parent=None):
        super().__init__(parent)
        self._params = params
        self._label = label
        self._backend_name = backend or params.backend
        self._commands: queue.Queue = queue.Queue()
        self._latest: Update | None = None
        self._pending = False
        self._lock = threading.Lock()
        self._playing = False
        self._speed = 20.0
        self._looping = False
        self._replay_at: float | None = None  #: when loop mode replays the finished run
        self._last_step = self._next_step = 0.0
        self.run_: Run | None = None  #: the run (read by tests; changed only in this thread)

    # -- GUI side ------------------------------------------------------------------------
    def send(self, kind: str, payload: Any = None) -> None:
        self._commands.put((kind, payload))

    def take_latest(self) -> Update | None:
        """The newest update, once (None when the window already has it)."""
        with self._lock:
            update, self._latest, self._pending = self._latest, None, False
        return update

    def stop(self) -> None:
        """Ask the loop to end and wait for the thread (called on close)."""
        self.send("quit")
        self.wait()

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def looping(self) -> bool:
        return self._looping

    def set_label(self, label: str) -> None:
        """What the next run shows (a preset's name), for the views' titles."""
        self.send("label", label)

    # -- worker thread ------------------------------------------------------------------
    def run(self) -> None:
        try:
            self.run_ = Run(self._params, get_backend(self._backend_name, self._params.precision), label=self._label)
            self._publish()
        except Exception as exc:  # a bad preset or backend: say so, keep the window alive
            self.failed.emit(f"cannot start the simulation: {exc}")
        self._next_step = time.monotonic()
        while True:
            now = time.monotonic()
            if self._playing:
                wait = max(0.0, self._next_step - now)
            elif self._replay_at is not None:
                wait = max(0.0, self._replay_at - now)
            else:
                wait = IDLE_WAIT_S
            if not self._drain(wait):
                return
            if self.run_ is not None and self.run_.retrieval_pending:  # once the new run is on screen
                self.run_.measure_retrieval()
                self._publish()
            now = time.monotonic()
            if self._playing and self.run_ is not None and now >= self._next_step:
                self._last_step, self._next_step = now, now + 1.0 / self._speed
                self._advance()
            elif not self._playing and self._replay_at is not None and now >= self._replay_at:
                self._replay_at = None
                self.run_.restart()
                self._publish()
                self._set_playing(True)

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
            except DivergenceError as exc:
                self._diverged(exc)
            except (ParamError, ValueError, IndexError) as exc:
                self.failed.emit(str(exc))
            except Exception as exc:  # never let a command kill the thread
                self.failed.emit(f"{kind}: {type(exc).__name__}: {exc}")
        return True

    def _apply(self, kind: str, payload: Any) -> None:
        run = self.run_
        if kind not in KEEP_REPLAY:
            self._replay_at = None
        if kind in ("rebuild", "load") or (kind == "params" and run is None):
            params, init = payload if kind == "load" else (payload, None)
            if run is None:
                self.run_ = Run(params, get_backend(self._backend_name, params.precision), init=init, label=self._label)
            else:
                run.rebuild(params, init)
            if kind == "load":
                self.params_changed.emit(self.run_.params)
            self._publish()
            return
        if kind == "speed":
            self._speed = max(0.1, float(payload))
            self._next_step = min(self._next_step, self._last_step + 1.0 / self._speed)
            return
        if kind == "loop":
            self._looping = bool(payload)
            ended = run is not None and run.done and not self._playing
            self._replay_at = time.monotonic() + LOOP_PAUSE_S if self._looping and ended else None
            return
        if kind == "label":
            self._label = payload
            if run is not None:
                run.label = payload
            return
        if run is None:
            return
        if kind == "params":
            self._set_params(payload)
        elif kind == "play":
            if payload and run.done:
                run.restart()
            self._set_playing(bool(payload))
        elif kind == "step":
            self._set_playing(False)
            if run.done:
                run.restart()
            else:
                run.step()
        elif kind == "reset":
            ended = run.done
            run.restart()
            if ended:  # after the end, Reset replays
                self._set_playing(True)
        elif kind == "seek":
            before = run.params
            run.seek(int(payload))
            if run.params != before:
                self.params_changed.emit(run.params)
        elif kind == "drop":
            u, v, replace = payload
            run.drop((u, v), replace)
            self.params_changed.emit(run.params)
        elif kind in ("add_memory", "move_memory", "delete_memory", "undo", "redo"):
            ended = run.done
            if kind == "add_memory":
                run.add_memory(payload)
            elif kind == "move_memory":
                run.move_memory(payload[0], payload[1:])
            elif kind == "delete_memory":
                run.delete_memory(payload)
            elif not getattr(run, kind)():
                self.said.emit(f"nothing to {kind}")
                return
            self.params_changed.emit(run.params)
            if ended:  # the edit restarted the finished run: replay it with the new memories
                self._set_playing(True)
        elif kind == "finish":
            self._set_playing(False)
            run.run_to_end(cancelled=lambda: not self._commands.empty(),
                           progress=lambda done, total: self.finishing.emit(done, total))
            self._publish()
            if run.done:
                self.finished_run.emit(self._update(run))
            return
        self._publish()

    def _set_params(self, params: Params) -> None:
        """A live change; the engine refusing it (a ParamError, or a divergence at once)
        sends the run back to the last good parameters."""
        run, good = self.run_, self.run_.params
        try:
            run.set_params(params)
        except Exception:
            run.rebuild(good)
            self.params_changed.emit(good)
            raise

    def _set_playing(self, on: bool) -> None:
        if on != self._playing:
            self._playing = on
            self.playing_changed.emit(on)

    def _advance(self) -> None:
        run = self.run_
        if run.done:
            self._set_playing(False)
            return
        try:
            run.step()
        except DivergenceError as exc:
            self._diverged(exc)
            return
        self._publish()
        if run.done:
            self._set_playing(False)
            self.finished_run.emit(self._update(run))
            if self._looping:
                self._replay_at = time.monotonic() + LOOP_PAUSE_S

    def _diverged(self, exc: DivergenceError) -> None:
        self._set_playing(False)
        self.failed.emit(f"diverged at {exc}; stopped and reset")
        self.run_.restart()
        self._publish()

    @staticmethod
    def _update(run: Run) -> Update:
        snapshot = run.snapshot()
        return Update(run.recording, snapshot, run.meta, snapshot.length - 1)

    def _publish(self) -> None:
        update = self._update(self.run_)
        with self._lock:
            self._latest = update
            notify = not self._pending
            self._pending = True
        if notify:
            self.frame_ready.emit()
