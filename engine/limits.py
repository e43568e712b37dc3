"""What a run will hold and how much work it is, estimated before anything is allocated.

``simulate``, ``export`` and the loaders ask here first, so that a run that cannot fit is
refused in one line with the amount and the limit instead of ending in a MemoryError, and
a run that would take absurdly long is refused instead of running for hours.

Memory. The estimate adds up what a run keeps (every step of every particle, as the .npz
and the export's recording hold them), the memories, the model's working arrays
(:data:`WORKING_COPIES` float64 arrays of the particles' state, hidden layers included, and
:data:`WORKING_SCALARS` values per particle: the frames, the energy bookkeeping, the
samplers' temporaries; measured with tracemalloc, simulate's run held 13 D + 40 values per
particle besides its recording) and a fixed :data:`BASE_BYTES` for the interpreter, NumPy and
the kernels' blocks. It is refused
when it exceeds the memory available now (:func:`available_memory`: MemAvailable of
/proc/meminfo, lowered to the room under a cgroup memory limit; elsewhere
``os.sysconf`` free or total physical pages; no check where none of these exists).

Work. One model evaluation over N particles, M memories and D dimensions costs
N (M + 1)(D + 1) units (plus N K (D + M) for a HAM's K hidden neurons, and N D^2 / 16 for
the classical Hopfield network's sweeps, matrix products that run about 16 times faster
per unit) and a fixed :data:`EVAL_OVERHEAD` for the Python and array-call overhead of a
step. A run makes T (E + 1) evaluations: E per step for its sampler (Heun and EDM with
churn 2, Langevin ``langevin_steps``, the others 1) and one for the frame's energy. Runs
above :data:`WORK_LIMIT` units are refused on the CPU backends: measured with ``simulate``
on NumPy on this project's shared 2-core machine, diffusion on the two-wells and letters
presets did 4e7 to 9e7 units a second, so the limit is 20 to 40 minutes there. CuPy runs
are limited by memory only.

Video. An export renders at most :data:`MAX_FRAMES` frames and :data:`MAX_PIXELS`
pixels in all (frames x width x height): an hour at 60 frames per second, and an hour
of 720p at 60 frames per second.
"""
from __future__ import annotations

import dataclasses
import inspect
import os
import shutil
from pathlib import Path
from typing import Any

from memscape.engine.params import ParamError, Params

WORK_LIMIT = 1e11
EVAL_OVERHEAD = 10_000
WORKING_COPIES = 16
WORKING_SCALARS = 64
#: what a .npz holds besides its arrays: the params JSON, the zip's headers
NPZ_OVERHEAD = 64 << 10
BASE_BYTES = 256 << 20
MAX_FRAMES = 216_000
MAX_PIXELS = 3600 * 60 * 1280 * 720
#: per-particle values engine.simulation.run keeps at every step besides the D coordinates
#: (energy, energy_fixed, landscape_move, sampler_move), for every model
RECORDED_SCALARS = 4
#: ... of which the .npz holds for diffusion (all four) and for an associative memory (the energy)
SAVED_SCALARS = {"diffusion": 4}
#: model evaluations per step of each sampler, besides the frame's energy
SAMPLER_EVALS = {"heun": 2, "edm-churn": 2}

MEMINFO = Path("/proc/meminfo")
#: cgroup v2 and v1 memory limit and usage files, as a container sees its own
CGROUP_FILES = ((Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")),
                (Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                 Path("/sys/fs/cgroup/memory/memory.usage_in_bytes")))


class LimitError(ParamError):
    """A run that cannot fit in memory or on disk, or would take absurdly long."""


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'; binary units, three significant figures."""
    return _formatted(n, 3)


_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def _formatted(n: float, digits: int) -> str:
    power = 0
    while abs(n) >= 1024 and power < len(_UNITS) - 1:
        n, power = n / 1024, power + 1
    return f"{n:.0f} bytes" if power == 0 else f"{n:.{digits}g} {_UNITS[power]}"


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except (OSError, ValueError):
        return None
    return int(text) if text.isdigit() else None


def _meminfo_available() -> int | None:
    try:
        lines = MEMINFO.read_text().splitlines()
    except (OSError, ValueError):
        return None
    for line in lines:
        key, _, value = line.partition(":")
        parts = value.split()
        if key == "MemAvailable" and parts and parts[0].isdigit():
            return int(parts[0]) * 1024
    return None


def _sysconf_available() -> int | None:
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            return os.sysconf(pages) * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            continue
    return None


def available_memory() -> int | None:
    """Bytes this process may still allocate, or None where it cannot be told (see the
    module docstring)."""
    room = _meminfo_available()
    if room is None:
        room = _sysconf_available()
    for limit_file, usage_file in CGROUP_FILES:
        limit, usage = _read_int(limit_file), _read_int(usage_file)
        if limit is not None and usage is not None and limit < 1 << 60:
            room = max(limit - usage, 0) if room is None else min(room, max(limit - usage, 0))
    return room


# -- the memories -------------------------------------------------------------------

def _option(spec: dict[str, Any], key: str, kind: str) -> Any:
    """A pattern option as given, or its generator's default when absent or of another type
    (make_patterns refuses a value of the wrong type with its own message)."""
    from memscape.engine.patterns import GENERATORS

    default = inspect.signature(GENERATORS[kind]).parameters[key].default
    value = spec.get(key, default)
    same = isinstance(value, (list, tuple)) if isinstance(default, (list, tuple)) else type(value) is type(default)
    return value if same else default


def memories_shape(spec: dict[str, Any]) -> tuple[int, int] | None:
    """(M, D) of the memories a ``[patterns]`` table generates, from its options alone
    (nothing is generated); None for a kind make_patterns does not know."""
    from memscape.engine.patterns import GENERATORS

    kind = spec.get("kind")
    if not isinstance(kind, str) or kind not in GENERATORS:
        return None
    if kind == "two-wells":
        return 2, 2
    if kind in ("ring", "spiral"):
        return _option(spec, "count", kind), 2
    if kind == "grid":
        return _option(spec, "rows", kind) * _option(spec, "cols", kind), 2
    if kind in ("gaussian", "binary"):
        return _option(spec, "count", kind), _option(spec, "dim", kind)
    if kind == "letters":
        return len(_option(spec, "letters", kind)), _option(spec, "size", kind) ** 2
    points = _option(spec, "points", kind)
    first = points[0] if len(points) and isinstance(points[0], (list, tuple)) else ()
    return len(points), len(first)


def check_patterns(spec: dict[str, Any], source: str = "patterns", available: int | None = None) -> None:
    """Refuse a ``[patterns]`` table whose memories (M, D) cannot fit in memory, before
    they are generated; ``source`` names where the table came from."""
    shape = memories_shape(spec)
    if shape is None:
        return
    m, d = shape
    _check_memory(_memories_bytes(m, d), f"{source}: {m:,} memories of {d:,} dimensions",
                  available_memory() if available is None else available)


def _memories_bytes(m: int, d: int) -> int:
    return 3 * m * d * 8  # the generator's array, its host copy and the backend's


# -- runs -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Estimate:
    """What a run will hold at its peak (bytes, by part), its work (units, see the module
    docstring) and what it writes to disk (bytes)."""

    parts: dict[str, int]
    work: float
    disk: int = 0

    @property
    def memory(self) -> int:
        return BASE_BYTES + sum(self.parts.values())


def _itemsize(params: Params) -> int:
    return 4 if params.precision == "float32" else 8


def _shape(params: Params, particles: int | None) -> tuple[int, int, int]:
    shape = memories_shape(params.patterns)
    if shape is None:
        raise ParamError(f"patterns.kind: {params.patterns.get('kind')!r} is not a pattern generator")
    m, d = shape
    return (params.particles if particles is None else particles), m, d


def _state_width(params: Params, m: int, d: int) -> int:
    """Values per particle in the model's state and working arrays (hidden layers too)."""
    if params.model == "ham":
        return d + params.hidden + m
    if params.model in ("tinybrain", "dense-poly", "dense-exp"):
        return d + m
    return d


def _eval_units(params: Params, n: int, m: int, d: int) -> float:
    """Work units of one model evaluation over n particles (module docstring)."""
    units = n * (m + 1) * (d + 1) + EVAL_OVERHEAD
    if params.model == "ham":
        units += n * params.hidden * (d + m)
    elif params.model == "hopfield":
        units += n * d * d / 16
    return float(units)


def _evals_per_step(params: Params) -> int:
    if params.model != "diffusion":
        return 2
    if params.sampler == "langevin":
        return params.langevin_steps + 1
    return SAMPLER_EVALS.get(params.sampler, 1) + 1


def _model_parts(params: Params, n: int, m: int, d: int) -> dict[str, int]:
    item = _itemsize(params)
    working = n * (WORKING_COPIES * _state_width(params, m, d) + WORKING_SCALARS) * 8
    parts = {f"{m:,} memories of {d:,} dimensions": _memories_bytes(m, d),
             f"the model's working arrays for {n:,} particles": working}
    weights = d * d if params.model == "hopfield" else params.hidden * (d + m) if params.model == "ham" else 0
    if weights:
        parts["the model's weights"] = 3 * weights * item
    return parts


def simulation_estimate(params: Params, particles: int | None = None) -> Estimate:
    """The estimate for ``simulate``: the run (:func:`engine.simulation.run`) keeps positions
    (T+1, N, D), :data:`RECORDED_SCALARS` (T+1, N) series and sigma (T+1,) in float64, and
    writes the positions, :data:`SAVED_SCALARS` of the series, sigma and the memories."""
    n, m, d = _shape(params, particles)
    t = params.steps + 1
    recording = t * n * (d + RECORDED_SCALARS) * 8 + t * 8
    parts = {f"the recording of {t:,} steps x {n:,} particles x {d:,} dimensions": recording,
             **_model_parts(params, n, m, d)}
    work = params.steps * _evals_per_step(params) * _eval_units(params, n, m, d)
    disk = t * n * (d + SAVED_SCALARS.get(params.model, 1)) * 8 + t * 8 + m * d * 8 + NPZ_OVERHEAD
    return Estimate(parts, work, disk=disk)


def export_estimate(params: Params, partner: Params, size: tuple[int, int], map_points: int,
                    budget: int) -> Estimate:
    """The estimate for a video export, which steps a :class:`engine.run.run.Run` to its end:
    ``params`` and its side-by-side ``partner``, each recorded at every step (at most
    8 bytes for each of an entry's D coordinates and 7 per-particle values, and for a
    diffusion track an energy map of ``map_points`` points, 3 float32 values each), in a
    recording that thins itself to ``budget`` bytes but keeps at least 4 entries and grows
    its buffers by doubling (so up to twice that); plus both simulations' working arrays,
    the (N, M) nearest-memory distances of image presets, and a few frame-sized images."""
    n, m, d = _shape(params, particles=None)
    t = params.steps + 1
    tracks = (params, partner)
    entry = sum(n * (d + 7) * 8 + (map_points * 3 * 4 if p.model == "diffusion" else 0) for p in tracks)
    recording = 2 * max(min(t * entry, budget), 4 * entry)
    w, h = size
    parts = {f"the recording of {t:,} steps x {n:,} particles x {d:,} dimensions, twice": recording,
             f"the frame images ({w}x{h})": 16 * w * h}
    if params.patterns.get("kind") == "letters":  # image memories: each particle's nearest one
        parts["the nearest-memory distances"] = 2 * n * m * 8
    work = 0.0
    for p in tracks:
        for key, value in _model_parts(p, n, m, d).items():
            parts[key] = parts.get(key, 0) + value
        maps = t if p.model == "diffusion" else 1
        work += p.steps * _evals_per_step(p) * _eval_units(p, n, m, d) + maps * _eval_units(p, map_points, m, d)
    return Estimate(parts, work)


def check_video(frames: int, size: tuple[int, int]) -> None:
    """Refuse a video of more than :data:`MAX_FRAMES` frames or :data:`MAX_PIXELS` pixels."""
    w, h = size
    if frames > MAX_FRAMES:
        raise LimitError(f"the video would have {frames:,} frames; the limit is {MAX_FRAMES:,} "
                         f"(an hour at 60 frames per second): use fewer --seconds or a lower --fps")
    if frames * w * h > MAX_PIXELS:
        raise LimitError(f"the video would have {frames:,} frames of {w}x{h} = {frames * w * h:.3g} pixels; "
                         f"the limit is {MAX_PIXELS:.3g} (an hour of 720p at 60 frames per second): "
                         f"use a smaller --size, fewer --seconds or a lower --fps")


def check_estimate(estimate: Estimate, what: str, backend: str = "numpy", folder: str | os.PathLike | None = None,
                   available: int | None = None) -> None:
    """Refuse ``estimate`` (of ``what``, e.g. "this run") when its memory exceeds what is
    available, its work exceeds :data:`WORK_LIMIT` on a CPU ``backend``, or what it writes
    exceeds the free space of ``folder``."""
    biggest = max(estimate.parts, key=estimate.parts.get)
    _check_memory(estimate.memory, f"{what} ({biggest}: {format_bytes(estimate.parts[biggest])})",
                  available_memory() if available is None else available)
    if backend != "cupy" and estimate.work > WORK_LIMIT:
        raise LimitError(f"{what} is about {estimate.work:.2g} units of work (particles x memories x "
                         f"dimensions x model evaluations); the limit is {WORK_LIMIT:.0e}, 20 minutes to an "
                         f"hour on a 2-core machine: use fewer steps, particles or memories")
    if folder is not None and estimate.disk:
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            return
        if estimate.disk > free:
            raise LimitError(f"{what} writes about {format_bytes(estimate.disk)} to {folder}; "
                             f"{format_bytes(free)} is free there")


def _check_memory(nbytes: int, what: str, available: int | None) -> None:
    if available is not None and nbytes > available:
        need, have = _distinct(nbytes, available)
        raise LimitError(f"{what} would need about {need} of memory; {have} is available")


def _distinct(a: int, b: int) -> tuple[str, str]:
    """format_bytes of a > b, with as many digits as it takes for the two to differ."""
    for digits in range(3, 8):
        pair = _formatted(a, digits), _formatted(b, digits)
        if pair[0] != pair[1]:
            return pair
    return pair

