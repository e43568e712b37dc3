"""Every recorded step of a run, for both of its simulations, as growing arrays.

A :class:`Recording` is written by one thread (the one that steps the run) and read by
others (the window, the exporters). Entries are appended, never changed: the arrays grow by
doubling into new buffers, so an array handed out earlier stays valid and unchanged; a
:meth:`Recording.snapshot` is a frozen copy of the index (no data is copied) that an export
reads while the run goes on.

Segments. A parameter change, a memory edit or a seek back starts a new :class:`Segment`:
the entries after it ran with other parameters, so the energy bookkeeping never compares an
energy across a segment start, and the traces mark where it happened.

Bounded memory. Entries are kept while the recording holds at most ``budget`` bytes; past
that, every other entry is dropped (the first, each segment's first entry and the newest are
always kept) and :attr:`Recording.thinned` says how often that happened, so a long run holds
steady memory and still covers its whole length at a coarser time resolution.

Speed (issue 15: at 100,000 particles an entry is 3 MB per simulation). The buffers are
made for the run's known length at once (``capacity``: its steps + 1, or what the budget
holds), so a run that keeps to its schedule never copies them to grow; they are anonymous
memory maps without huge-page advice (:func:`_empty`); and for 2-D data in float32 a
track's ``uv`` is its ``x`` (the plane of 2-D data is the data plane itself, so
(x - 0) I = x exactly): one array, read under both names.
"""
from __future__ import annotations

import dataclasses
import mmap
import threading
from typing import Any

import numpy as np

from memscape.engine.energy_accounting import energy_rose
from memscape.engine.landscape import Grid
from memscape.engine.params import Params
from memscape.engine.projection import Plane

#: bytes a recording may hold (both tracks, maps included) before it thins itself
DEFAULT_BUDGET = 512 * 2 ** 20


def finite_mean(energy: np.ndarray) -> float:
    """The mean of the finite entries of ``energy``; NaN when there are none. The float64
    mean of all entries is finite only when every entry is, and is then that mean; only
    when it is not (a non-finite entry, or a sum that overflowed) are the finite entries
    picked out."""
    e = np.asarray(energy, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf
        mean = float(e.mean()) if e.size else float("nan")
    if np.isfinite(mean):
        return mean
    finite = np.isfinite(e)
    return float(e[finite].mean()) if finite.any() else float("nan")


#: arrays from this many bytes on are memory maps of their own (:func:`_empty`)
MAP_FROM = 1 << 22


def _empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """An uninitialised array; from MAP_FROM bytes on, in an anonymous memory map advised
    against transparent huge pages, where NumPy would advise huge pages (it does for its
    own allocations of 4 MiB and more). Measured on the README's machine (THP on
    ``madvise``) at 100,000 particles in a process's first run: writing the entries into
    fresh NumPy buffers took 11 to 14 ms a step, into these maps 5 ms; writing one 3.6 MB
    entry took 3.9 ms on average into fresh NumPy memory (up to 19 ms), 2.6 to 2.9 ms into
    a map and 0.14 ms into memory touched before (what is left is the kernel's first
    touch of fresh pages). Only these buffers change: NUMPY_MADVISE_HUGEPAGE=0 would change
    every large NumPy allocation of the process. The map is unmapped when the last array
    on it goes."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    if count * dtype.itemsize < MAP_FROM:
        return np.empty(shape, dtype)
    memory = mmap.mmap(-1, count * dtype.itemsize)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):
        memory.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(memory, dtype, count).reshape(shape)


def _nbytes(landscape: dict[str, Any]) -> int:
    return sum(v.nbytes for v in landscape.values() if isinstance(v, np.ndarray))


@dataclasses.dataclass(frozen=True)
class Segment:
    """What holds for the entries from ``start`` until the next segment: both simulations'
    parameters, the memories and where the views draw them."""

    start: int  #: the recording index of the segment's first entry
    params: Params  #: the main simulation's parameters
    partner: Params  #: the partner's
    memories: np.ndarray  #: (M, D) host
    plane: Plane  #: the landscape plane
    memories_uv: np.ndarray  #: (M, 2) memories on the plane
    grid: Grid  #: the landscape grid
    sigmas: tuple[np.ndarray | None, np.ndarray | None]  #: (main, partner) schedules; None for an AM
    reason: str  #: why it began: "start", "parameters", "memories", "seek"


#: the per-entry arrays of a track: name -> (shape after (T,) given N and D, dtype); "uv" only
#: where it is not "x" itself (``uv_is_x``)
def _layout(n: int, d: int, dtype: np.dtype, images: bool, uv_is_x: bool = False
            ) -> dict[str, tuple[tuple[int, ...], Any]]:
    fields = {"step": ((), np.int64), "sigma": ((), np.float64), "x": ((n, d), dtype), "uv": ((n, 2), np.float32),
              "energy": ((n,), dtype), "energy_fixed": ((n,), dtype), "landscape_move": ((n,), dtype),
              "sampler_move": ((n,), dtype), "mean": ((), np.float64), "rose": ((n,), np.bool_),
              "rose_any": ((), np.bool_), "energy_nats": ((n,), dtype),
              "landscape_mean": ((), np.float64), "sampler_mean": ((), np.float64), "nats_mean": ((), np.float64),
              "map": ((), np.int64)}
    if images:
        fields["nearest"] = ((n,), np.int32)
    if uv_is_x:
        del fields["uv"]
    return fields


def _entry_bytes(layout: dict[str, tuple[tuple[int, ...], Any]]) -> int:
    return sum(int(np.prod(shape)) * np.dtype(dtype).itemsize for shape, dtype in layout.values())


def uv_is_x(dim: int, dtype: Any) -> bool:
    """Whether a track's plane coordinates are its states themselves: 2-D data, whose plane
    (engine.projection.Plane.principal) is the identity, recorded in float32 (the dtype of
    ``uv``)."""
    return dim == 2 and np.dtype(dtype) == np.float32


class Track:
    """One simulation's entries. Arrays are read through :meth:`arrays` (views of the
    current buffers up to a length; "uv" is a view of "x" where :func:`uv_is_x`, and an
    entry then has no "uv" of its own); maps are the landscape dicts the entries point at."""

    def __init__(self, particles: int, dim: int, dtype: np.dtype, images: bool, capacity: int = 64):
        self.precision = np.dtype(dtype)  #: the simulation's float type, which sets the round-off of a rise
        self.uv_is_x = uv_is_x(dim, dtype)
        self.layout = _layout(particles, dim, np.dtype(dtype), images, self.uv_is_x)
        self.length = 0
        self.maps: list[dict[str, np.ndarray]] = []
        self._map_bytes = 0
        self._entry_bytes = _entry_bytes(self.layout)
        self._buffers = self._allocate(capacity)

    def _allocate(self, capacity: int, keep: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """New buffers of ``capacity`` entries holding entries ``keep`` (default all) of the old."""
        fresh = {k: _empty((capacity, *shape), dtype) for k, (shape, dtype) in self.layout.items()}
        old = getattr(self, "_buffers", None)
        if old is not None:
            rows = np.arange(self.length) if keep is None else keep
            for k, a in fresh.items():
                a[:len(rows)] = old[k][rows]
        return fresh

    @property
    def nbytes(self) -> int:
        """What the kept entries and maps hold."""
        return self._entry_bytes * self.length + self._map_bytes

    def add_map(self, landscape: dict[str, np.ndarray], replace_last: bool = False) -> None:
        """A new landscape for the next entry; with ``replace_last``, in place of the newest
        map when only the newest entry uses it (a burst of changes at one step keeps one)."""
        a = self._buffers["map"]
        if replace_last and self.maps and a[self.length - 1] == len(self.maps) - 1 \
                and (self.length < 2 or a[self.length - 2] != len(self.maps) - 1):
            self._map_bytes -= _nbytes(self.maps.pop())
        self.maps.append(landscape)
        self._map_bytes += _nbytes(landscape)

    def append(self, entry: dict[str, Any]) -> None:
        if self.length == len(self._buffers["step"]):
            self._buffers = self._allocate(max(2 * self.length, 1))
        for k, a in self._buffers.items():
            a[self.length] = entry[k]
        self.length += 1

    def replace_last(self, entry: dict[str, Any]) -> None:
        """Overwrite the newest entry in place (see :class:`Snapshot` on what that means)."""
        for k, a in self._buffers.items():
            a[self.length - 1] = entry[k]

    def keep(self, rows: np.ndarray) -> None:
        """Keep only entries ``rows`` (increasing), in new buffers of the same capacity (a
        thinned recording fills them again up to its budget, a truncated one up to its
        schedule, without growing); maps nobody uses go."""
        self._buffers = self._allocate(max(len(self._buffers["step"]), len(rows)), rows)
        self.length = len(rows)
        used = np.unique(self._buffers["map"][:self.length])
        renumber = np.full(len(self.maps), -1, np.int64)
        renumber[used] = np.arange(len(used))
        self.maps = [self.maps[i] for i in used]
        self._map_bytes = sum(_nbytes(m) for m in self.maps)
        self._buffers["map"][:self.length] = renumber[self._buffers["map"][:self.length]]

    def arrays(self, length: int | None = None) -> dict[str, np.ndarray]:
        """Every per-entry array, entries 0..length-1 (views, never copies)."""
        end = self.length if length is None else length
        views = {k: a[:end] for k, a in self._buffers.items()}
        if self.uv_is_x:
            views["uv"] = views["x"]
        return views


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A frozen index into a recording: its tracks' arrays and maps as they were, its
    segments and its length. Readers (views, exports) use only this. Every entry but the
    newest is fixed for good; the newest can still be re-evaluated in place when a parameter
    changes before the next step (:meth:`Recording.append` with ``replace_last``): a view
    draws it again at its next frame, and an export takes its snapshot of a finished run,
    which is never changed again (a change after the end starts a new recording)."""

    tracks: tuple[dict[str, np.ndarray], dict[str, np.ndarray]]  #: (main, partner) arrays
    maps: tuple[tuple[dict[str, np.ndarray], ...], tuple[dict[str, np.ndarray], ...]]
    segments: tuple[Segment, ...]
    length: int
    ever_rose: tuple[np.ndarray, np.ndarray]  #: (length,) particles whose energy rose at least once by each entry
    thinned: int  #: how often the recording halved itself to stay in its budget

    def segment_at(self, index: int) -> Segment:
        """The segment that entry ``index`` belongs to."""
        starts = [s.start for s in self.segments]
        return self.segments[int(np.searchsorted(starts, index, side="right")) - 1]

    def segment_starts(self) -> np.ndarray:
        return np.array([s.start for s in self.segments], dtype=np.int64)


class Recording:
    """Both simulations' entries (main = track 0, partner = track 1) and the segments.
    Written by one thread; every read goes through :meth:`snapshot`."""

    def __init__(self, particles: tuple[int, int], dim: int, dtype: np.dtype, images: bool,
                 budget: int = DEFAULT_BUDGET, capacity: int = 64):
        """``capacity``: the entries to make room for at once (the run's steps + 1), at most
        what the budget holds; past it the buffers grow by doubling."""
        entry = sum(_entry_bytes(_layout(n, dim, np.dtype(dtype), images, uv_is_x(dim, dtype))) for n in particles)
        capacity = max(1, min(int(capacity), int(budget) // max(entry, 1) + 2))
        self.tracks = (Track(particles[0], dim, dtype, images, capacity),
                       Track(particles[1], dim, dtype, images, capacity))
        self.segments: list[Segment] = []
        self.budget = int(budget)
        self.thinned = 0
        self._ever = [np.zeros(n, np.bool_) for n in particles]  # rose at least once, so far
        self._ever_count = [np.zeros(64, np.int64), np.zeros(64, np.int64)]
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def __len__(self) -> int:
        return self.tracks[0].length

    # -- writing (one thread) -------------------------------------------------------
    def begin_segment(self, segment: Segment) -> None:
        with self._lock:
            if self.segments and self.segments[-1].start == segment.start:
                self.segments[-1] = segment  # no step since the last change: one segment
            else:
                self.segments.append(segment)
            self._snapshot = None

    def append(self, entries: tuple[dict[str, Any], dict[str, Any]], maps: tuple[dict | None, dict | None],
               replace_last: bool = False) -> int:
        """Add one entry per track (``maps``: a new landscape for that track, or None to reuse
        its newest); with ``replace_last`` the newest entries are overwritten instead. The
        "rose" masks are computed here (memscape.engine.energy_accounting.energy_rose, with the
        entry's ``rise_scale``), against the previous entry of the same segment. Returns the
        new entry's index."""
        with self._lock:
            index = len(self) - 1 if replace_last else len(self)
            first_of_segment = bool(self.segments) and self.segments[-1].start == index
            for k, (track, entry, landscape) in enumerate(zip(self.tracks, entries, maps)):
                if landscape is not None:
                    track.add_map(landscape, replace_last)
                entry = {**entry, "map": len(track.maps) - 1, "mean": finite_mean(entry["energy"]),
                         "landscape_mean": finite_mean(entry["landscape_move"]),
                         "sampler_mean": finite_mean(entry["sampler_move"]),
                         "nats_mean": finite_mean(entry["energy_nats"])}
                if index == 0 or first_of_segment:
                    entry["rose"] = np.zeros(len(entry["energy"]), np.bool_)
                else:  # the run's fixed function, beyond the round-off of its precision and scale
                    previous = track.arrays(index)["energy_fixed"][index - 1]
                    entry["rose"] = energy_rose(previous, entry["energy_fixed"], track.precision, entry["rise_scale"])
                entry["rose_any"] = bool(entry["rose"].any())
                if replace_last:
                    track.replace_last(entry)
                    self._ever[k] = track.arrays()["rose"].any(axis=0)
                else:
                    track.append(entry)
                    self._ever[k] = self._ever[k] | entry["rose"]
                self._set_ever_count(k, index, int(self._ever[k].sum()))
            self._snapshot = None
            if sum(t.nbytes for t in self.tracks) > self.budget and len(self) > 3:
                self._thin()
            return len(self) - 1

    def _set_ever_count(self, k: int, index: int, count: int) -> None:
        counts = self._ever_count[k]
        if index >= len(counts):
            grown = np.zeros(2 * (index + 1), np.int64)
            grown[:len(counts)] = counts
            self._ever_count[k] = counts = grown
        counts[index] = count

    def _thin(self) -> None:
        """Halve the entries: keep every other one, and always the first, each segment's
        first and the newest; segment starts are renumbered (lock held)."""
        n = len(self)
        keep = np.zeros(n, np.bool_)
        keep[::2] = True
        keep[[0, n - 1]] = True
        starts = [s.start for s in self.segments]
        keep[starts] = True
        rows = np.flatnonzero(keep)
        for track in self.tracks:
            track.keep(rows)
        position = {int(r): i for i, r in enumerate(rows)}
        self.segments = [dataclasses.replace(s, start=position[s.start]) for s in self.segments]
        for k in range(2):
            kept = self._ever_count[k][rows]
            self._ever_count[k] = np.zeros(max(64, 2 * len(rows)), np.int64)
            self._ever_count[k][:len(rows)] = kept
        self.thinned += 1

    def truncate(self, index: int) -> None:
        """Drop every entry after ``index`` (to play on from there) and the segments that
        began after it; the "ever rose" counts are recomputed from the kept entries."""
        with self._lock:
            rows = np.arange(index + 1)
            for k, track in enumerate(self.tracks):
                track.keep(rows)
                self._ever[k] = track.arrays()["rose"].any(axis=0)
                counts = np.zeros(max(64, 2 * (index + 1)), np.int64)
                counts[:index + 1] = np.logical_or.accumulate(track.arrays()["rose"], axis=0).sum(axis=1)
                self._ever_count[k] = counts
            self.segments = [s for s in self.segments if s.start <= index]
            self._snapshot = None

    # -- reading (any thread) -----------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The recording as it is now, frozen (cheap: views of the current buffers)."""
        with self._lock:
            if self._snapshot is None:
                n = len(self)
                self._snapshot = Snapshot(
                    tracks=(self.tracks[0].arrays(n), self.tracks[1].arrays(n)),
                    maps=(tuple(self.tracks[0].maps), tuple(self.tracks[1].maps)),
                    segments=tuple(self.segments), length=n,
                    ever_rose=(self._ever_count[0][:n].copy(), self._ever_count[1][:n].copy()),
                    thinned=self.thinned)
            return self._snapshot
