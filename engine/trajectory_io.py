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


def save_csv(path: str | os.PathLike, arrays: dict[str, Any]) -> Path:
    """A trajectory's arrays (as :func:`save_npz` takes them: positions (T, N, D), energy (T, N),
    sigma (T,) for diffusion, and optionally steps (T,) and the partner's under the prefix
    ``partner_``) as one long CSV, one row per (simulation, step, particle): simulation
    ("main" or "partner"), step, particle, x0..x{D-1}, energy, sigma (nan for an
    associative memory)."""
    tables = []
    for prefix, name in (("", "main"), ("partner_", "partner")):
        if f"{prefix}positions" not in arrays:
            continue
        positions = np.asarray(arrays[f"{prefix}positions"], dtype=np.float64)
        steps, n, d = positions.shape
        energy = np.asarray(arrays[f"{prefix}energy"], dtype=np.float64).reshape(steps, n)
        sigma = arrays.get(f"{prefix}sigma")
        sig = np.full(steps, np.nan) if sigma is None else np.asarray(sigma, dtype=np.float64).reshape(steps)
        step_numbers = np.asarray(arrays.get("steps", np.arange(steps)), dtype=np.float64)
        step_idx, particle_idx = np.meshgrid(step_numbers, np.arange(n), indexing="ij")
        tables.append((name, np.column_stack([step_idx.ravel(), particle_idx.ravel(), positions.reshape(-1, d),
                                              energy.ravel(), np.repeat(sig, n)])))
    d = tables[0][1].shape[1] - 4
    header = ",".join(["simulation", "step", "particle", *(f"x{k}" for k in range(d)), "energy", "sigma"])
    fmt = ["%d", "%d"] + ["%.9g"] * (d + 2)

    def write(fh: BinaryIO) -> None:
        fh.write((header + "\n").encode())
        for name, table in tables:
            np.savetxt(fh, table, fmt=[f"{name},{fmt[0]}"] + fmt[1:], delimiter=",")

    return _atomic_write(path, write)
