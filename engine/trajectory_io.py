"""Trajectory files: the .npz that ``simulate`` and the GUI's export write, and CSV.

Writes are atomic (:mod:`engine.atomic_files`): a failed or interrupted write never
leaves a partial file and never clobbers a good one. Reading never unpickles
(allow_pickle=False) and reads only regular files.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np

from memscape.engine.atomic_files import atomic_path, os_error_message
from memscape.engine.input_files import InputError, open_regular


def _atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(fh)`` on a temporary file next to ``path`` and rename it over ``path``
    (:func:`engine.atomic_files.atomic_path`); any failure leaves ``path`` as it was and
    an OSError names the path and why."""
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            write(fh)
    except OSError as exc:
        raise OSError(os_error_message(path, exc)) from exc
    return Path(path)


def save_npz(path: str | os.PathLike, arrays: dict[str, Any]) -> Path:
    """Write ``arrays`` (name -> array or str) as an uncompressed .npz, atomically.
    Strings become 0-d unicode arrays; object arrays are refused (they would need pickle)."""
    data = {k: np.asarray(v) for k, v in arrays.items()}
    for k, v in data.items():
        if v.dtype == object:
            raise ValueError(f"save_npz: array {k!r} has dtype object, which cannot be loaded without pickle")
    return _atomic_write(path, lambda fh: np.savez(fh, allow_pickle=False, **data))


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of an .npz, loaded without pickle (0-d strings as NumPy str arrays), from a
    regular file only (:func:`engine.input_files.open_regular`). Any failure, a damaged zip
    or array included, is one OSError line naming the path."""
    try:
        with open_regular(path) as fh:
            archive = np.load(fh, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("it is a single .npy array, not an .npz archive")
            with archive:
                return {k: archive[k] for k in archive.files}
    except InputError as exc:
        raise OSError(str(exc)) from None
    except Exception as exc:  # zipfile.BadZipFile, EOFError, ValueError, ... from a damaged file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OSError(f"cannot read {path}: {first}") from None


def save_csv(path: str | os.PathLike, positions: np.ndarray, energy: np.ndarray,
             sigma: np.ndarray | None = None) -> Path:
    """Long-format CSV, one row per (step, particle): step, particle, x0..x{D-1}, energy, sigma
    (sigma is nan for associative memories). positions (T+1, N, D), energy (T+1, N), sigma (T+1,)."""
    positions = np.asarray(positions, dtype=np.float64)
    steps, n, d = positions.shape
    energy = np.asarray(energy, dtype=np.float64).reshape(steps, n)
    sig = np.full(steps, np.nan) if sigma is None else np.asarray(sigma, dtype=np.float64).reshape(steps)
    step_idx, particle_idx = np.meshgrid(np.arange(steps), np.arange(n), indexing="ij")
    table = np.column_stack([step_idx.ravel(), particle_idx.ravel(), positions.reshape(-1, d),
                             energy.ravel(), np.repeat(sig, n)])
    header = ",".join(["step", "particle", *(f"x{k}" for k in range(d)), "energy", "sigma"])
    fmt = ["%d", "%d"] + ["%.9g"] * (d + 2)
    return _atomic_write(path, lambda fh: np.savetxt(fh, table, fmt=fmt, delimiter=",",
                                                     header=header, comments=""))
