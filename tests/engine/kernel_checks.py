"""Shared by the kernel tests: the float64 reference and a context that puts the kernels on
one path (engine/kernels.py), with small blocks and two threads where asked."""
import contextlib

import numpy as np
import pytest
import scipy.special

from memscape.engine import kernels
from memscape.engine.backend import get_backend

KERNELS = {"gaussian": kernels.gaussian_lse_mean, "dot": kernels.dot_lse_mean}
#: NumPy with numba's fused kernel (over memories, and over particles for few memories), NumPy
#: blocks (with numba's softmax passes), NumPy blocks where numba cannot load, the array-API
#: code on array-api-strict
PATHS = ("fused", "fused-few", "blocked", "no-numba", "generic")


def reference(x, memories, beta, form):
    """lse and softmax-weighted mean from the (N, M) logits formed directly, in float64."""
    x, memories = np.asarray(x, np.float64), np.asarray(memories, np.float64)
    if form == "gaussian":
        logits = -0.5 * beta * ((x[:, None, :] - memories[None, :, :]) ** 2).sum(axis=2)
    else:
        logits = beta * (x @ memories.T)
    return scipy.special.logsumexp(logits, axis=1), scipy.special.softmax(logits, axis=1) @ memories


@contextlib.contextmanager
def on_path(path, rows=None, m=None, threads=True):
    """Run the kernels on ``path``; with ``rows`` (for ``m`` memories), blocks of that many
    rows on every path and work shared out over two threads (or none) on NumPy."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernels, "FUSED_MAX_D", 1_000_000 if path.startswith("fused") else 0)
        mp.setattr(kernels, "FEW_MAX_M", 1_000_000 if path == "fused-few" else 0)
        if path == "no-numba":
            mp.setattr(kernels, "_fused_cpu_module", [None])
            mp.setattr(kernels, "_fused_cpu_error", ["ImportError: numba hidden by the test"])
        if rows is not None:
            mp.setattr(kernels, "MIN_ROWS", 1)
            mp.setattr(kernels, "BLOCK_ELEMENTS", rows * m)
            mp.setattr(kernels, "LARGE_BLOCK_ELEMENTS", rows * m)
            mp.setattr(kernels, "GENERIC_BLOCK_ELEMENTS", rows * m)
            mp.setattr(kernels, "FUSED_ROWS_PAIRS", rows * m)
            mp.setattr(kernels, "PARALLEL_MIN_PAIRS", 0 if threads else 1 << 62)
            mp.setattr(kernels, "_WORKERS", 2 if threads else 1)
            mp.setattr(kernels, "THREADED_MAX_D", 1_000_000 if threads else 0)
        yield get_backend("array_api_strict" if path == "generic" else "numpy", "float64")


def data(n, m, d, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) * scale, rng.standard_normal((m, d)) * scale
