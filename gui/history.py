"""One simulation's recorded steps as growing arrays, for the views that show the past: the
trails (particles on the landscape plane) and the energy trace (every particle's energy,
their mean and the Lyapunov violations).

Drawing a frame must not cost more as the run grows, so everything a frame needs is kept
ready as it is recorded (in the worker thread): the arrays grow by doubling and
:meth:`History.upto` hands out views, never copies; the mean energy and the count of
energies that rose are computed once per step, when the step is appended.
"""
from __future__ import annotations

import dataclasses
import threading

import numpy as np

MAX_TRAIL = 400  #: recorded steps a trail shows
RISE_RTOL = 1e-5  #: an energy "rose" when it grew by more than this, relative (float32-sized)


def energy_rises(energy: np.ndarray, rtol: float = RISE_RTOL) -> np.ndarray:
    """(T, N) energies -> (T,) number of particles whose energy rose into step t:
    E_t > E_{t-1} + rtol (1 + |E_{t-1}|); row 0 is 0, and NaN never counts. For an
    associative memory below its stability bound this is 0 at every step (science.md 1)."""
    e = np.asarray(energy, dtype=np.float64)
    out = np.zeros(len(e), dtype=np.int64)
    if len(e) > 1:
        prev, cur = e[:-1], e[1:]
        with np.errstate(invalid="ignore"):
            rose = cur > prev + rtol * (1.0 + np.abs(prev))
        out[1:] = np.count_nonzero(rose, axis=1)
    return out


def finite_mean(energy: np.ndarray) -> np.ndarray:
    """(T, N) -> (T,) mean over each row's finite entries; NaN for a row with none."""
    e = np.asarray(energy, dtype=np.float64)
    finite = np.isfinite(e)
    count = finite.sum(axis=-1)
    total = np.where(finite, e, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


@dataclasses.dataclass(frozen=True)
class HistoryView:
    """Steps 0..index of one simulation (views into the :class:`History`'s arrays)."""

    steps: np.ndarray  #: (T,) the engine's step numbers
    uv: np.ndarray  #: (T, N, 2) float32 particles on the landscape plane
    energy: np.ndarray  #: (T, N) every particle's energy (NaN where undefined)
    mean: np.ndarray  #: (T,) mean of the finite energies
    rises: np.ndarray  #: (T,) particles whose energy rose into each step (:func:`energy_rises`)

    def trail(self, length: int = MAX_TRAIL) -> np.ndarray:
        """(T', N, 2): the last ``length`` positions, oldest first."""
        return self.uv[-length:]


class History:
    """Append-only record of one simulation (the last entry may be replaced: a parameter
    change redraws the current step). Safe to read from one thread while another appends."""

    def __init__(self, particles: int, capacity: int = 64):
        self._n = int(particles)
        self._len = 0
        self._lock = threading.Lock()
        self._alloc(max(int(capacity), 1))

    def _alloc(self, capacity: int) -> None:
        old = getattr(self, "_arrays", None)
        arrays = {"steps": np.empty(capacity), "uv": np.empty((capacity, self._n, 2), np.float32),
                  "energy": np.empty((capacity, self._n)), "mean": np.empty(capacity),
                  "rises": np.empty(capacity, np.int64)}
        if old is not None:
            for key, a in arrays.items():
                a[:self._len] = old[key][:self._len]
        self._arrays = arrays  # views handed out earlier keep the old arrays alive

    def __len__(self) -> int:
        return self._len

    def append(self, step: int, uv: np.ndarray, energy: np.ndarray) -> None:
        with self._lock:
            if self._len == len(self._arrays["steps"]):
                self._alloc(2 * self._len)
            self._write(self._len, step, uv, energy)
            self._len += 1

    def replace_last(self, step: int, uv: np.ndarray, energy: np.ndarray) -> None:
        with self._lock:
            if self._len == 0:
                raise IndexError("replace_last on an empty History")
            self._write(self._len - 1, step, uv, energy)

    def _write(self, t: int, step: int, uv: np.ndarray, energy: np.ndarray) -> None:
        a = self._arrays
        energy = np.asarray(energy, dtype=np.float64).reshape(self._n)
        a["steps"][t] = step
        a["uv"][t] = np.asarray(uv).reshape(self._n, 2)
        a["energy"][t] = energy
        a["mean"][t] = finite_mean(energy[None])[0]
        a["rises"][t] = energy_rises(np.stack([a["energy"][t - 1], energy]))[1] if t else 0

    def upto(self, index: int) -> HistoryView:
        """Steps 0..index (inclusive) as views; index counts appended entries from 0."""
        with self._lock:
            if not 0 <= index < self._len:
                raise IndexError(f"step index {index} outside the {self._len} recorded")
            a, end = self._arrays, index + 1
            return HistoryView(a["steps"][:end], a["uv"][:end], a["energy"][:end], a["mean"][:end],
                               a["rises"][:end])
