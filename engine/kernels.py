"""Hot kernels shared by the Modern Hopfield energy and the exact diffusion score.

Both need, for every particle x_n and every memory xi_mu, a softmax over
memories and the weighted mean of the memories it selects. These functions
are the only place where an (N, M) block is formed.

Speed (issue 5). Both softmax kernels reduce to one routine over the logits
l_nmu = q_n . xi_mu + b_mu (q = beta x; b = -beta/2 |xi|^2 for the distance
form, none for the dot form; the distance form's row constant -beta/2 |x_n|^2
cannot change the softmax and is added to lse afterwards). The particles are
taken in blocks of rows so that an (rows, M) block never leaves a core's cache;
each block costs one matmul for the logits, one exp pass (plus cheap max, shift
and sum passes), and one matmul for the weighted sum of memories: the softmax
weights exp(l - lse) are never formed, the mean is (sum_mu e_nmu xi_mu) /
(sum_mu e_nmu) with e = exp(l - max), and lse = max + log sum_mu e_nmu.
Everything runs in the arrays' own float type (float32 by default).
|xi|^2 is computed once per call (O(MD), 1/N of the work); it is not cached
across calls because the memories arrays are mutable and nothing cheap tells
that one changed. Like any |x|^2 - 2 x.xi + |xi|^2 form, the distance form's lse
carries an absolute rounding error of about eps * beta * (|x|^2 + |xi|^2).

- NumPy (``xp`` is numpy or array_api_compat.numpy): preallocated block buffers,
  ``out=`` and in-place ops, and, when the memories are low-dimensional (the exp
  pass dominates; NumPy runs it on one core), the blocks are shared out over a
  thread pool with one thread per core (NumPy releases the GIL). For larger D
  the matmuls dominate and OpenBLAS already uses every core.
- Any other namespace (CuPy, array-api-strict): the same algorithm in plain
  array-API calls, with blocks sized only to bound memory (GPUs want big blocks).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import array_api_compat.numpy as compat_numpy
import numpy as np

from memscape.engine.backend import namespace

#: elements of one (rows, M) NumPy block: 256 KB of float32, within a core's L2
BLOCK_ELEMENTS = 1 << 16
#: at least this many rows per NumPy block, so the logits matmul stays efficient when M is large
MIN_ROWS = 256
#: NumPy blocks run on every core when D is at most this (the exp pass dominates)
THREADED_MAX_D = 32
#: elements of one (rows, M) block on other namespaces: 64 MB of float32
GENERIC_BLOCK_ELEMENTS = 1 << 24

_WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
_pool: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool)
_pool_lock = threading.Lock()


def sq_dists(x: Any, memories: Any) -> Any:
    """|x_n - xi_mu|^2 as an (N, M) block, via |x|^2 - 2 x.xi + |xi|^2, clipped at 0."""
    xp = namespace(x, memories)
    d = xp.vecdot(x, x)[:, None] - 2.0 * (x @ memories.T) + xp.vecdot(memories, memories)[None, :]
    return xp.maximum(d, xp.zeros_like(d))


def gaussian_lse_mean(x: Any, memories: Any, beta: float) -> tuple[Any, Any]:
    """lse_n = log sum_mu exp(-beta/2 |x_n - xi_mu|^2) and sum_mu w_nmu xi_mu,
    w_n = softmax_mu(-beta/2 |x_n - xi_mu|^2): the distance-form Modern Hopfield
    energy / update and, with beta = 1/sigma^2, the exact denoiser (science.md 4).

    -beta/2 |x - xi|^2 = beta x.xi - beta/2 |xi|^2 - beta/2 |x|^2; the last term is
    constant over mu, so it leaves the softmax alone and shifts lse."""
    xp = namespace(x, memories)
    beta = float(beta)  # a NumPy float64 scalar would promote float32 arrays to float64
    bias = (-0.5 * beta) * xp.vecdot(memories, memories)
    lse, mean = _lse_mean(xp, beta * x, memories, bias)
    return lse - (0.5 * beta) * xp.vecdot(x, x), mean


def dot_lse_mean(x: Any, memories: Any, beta: float) -> tuple[Any, Any]:
    """lse_n = log sum_mu exp(beta xi_mu . x_n) and Xi^T softmax(beta Xi x_n):
    the dot-product Modern Hopfield energy and update (Ramsauer et al. 2020)."""
    return _lse_mean(namespace(x, memories), float(beta) * x, memories, None)


def _lse_mean(xp: Any, q: Any, memories: Any, bias: Any) -> tuple[Any, Any]:
    """lse_n = log sum_mu exp(l_nmu) and sum_mu softmax_mu(l_n)_mu xi_mu for the
    logits l_nmu = q_n . xi_mu + bias_mu (bias None means 0), block by block."""
    if xp is np or xp is compat_numpy:
        return _lse_mean_numpy(q, memories, bias)
    return _lse_mean_generic(xp, q, memories, bias)


def _lse_mean_generic(xp: Any, q: Any, memories: Any, bias: Any) -> tuple[Any, Any]:
    """:func:`_lse_mean` in array-API calls (the CuPy path); blocks bound the memory only."""
    n = q.shape[0]
    rows = max(GENERIC_BLOCK_ELEMENTS // memories.shape[0], 1)
    lses, means = [], []
    for start in range(0, n, rows):
        logits = q[start:min(start + rows, n), :] @ memories.T
        if bias is not None:
            logits = logits + bias
        top = xp.max(logits, axis=1, keepdims=True)
        e = xp.exp(logits - top)
        total = xp.sum(e, axis=1, keepdims=True)
        means.append((e @ memories) / total)
        lses.append(xp.log(total[:, 0]) + top[:, 0])
    return xp.concat(lses), xp.concat(means, axis=0)


def _lse_mean_numpy(q: np.ndarray, memories: np.ndarray, bias: np.ndarray | None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_lse_mean` on NumPy: cache-sized blocks, in place, on every core for small D.

    Threads take the next block when they finish one (the caller works too), so a core
    that another process is using slows the call only by its share of the blocks."""
    n, d = q.shape
    rows = max(BLOCK_ELEMENTS // memories.shape[0], MIN_ROWS)
    dtype = np.result_type(q, memories)
    lse = np.empty(n, dtype)
    mean = np.empty((n, d), dtype)
    starts = iter(range(0, n, rows))
    lock = threading.Lock()

    def next_start() -> int | None:
        with lock:
            return next(starts, None)

    workers = min(_WORKERS, -(-n // rows)) if d <= THREADED_MAX_D else 1
    jobs = [_thread_pool().submit(_numpy_blocks, q, memories, bias, lse, mean, rows, next_start)
            for _ in range(workers - 1)]
    _numpy_blocks(q, memories, bias, lse, mean, rows, next_start)
    for job in jobs:
        job.result()
    return lse, mean


def _numpy_blocks(q: np.ndarray, memories: np.ndarray, bias: np.ndarray | None, lse: np.ndarray,
                  mean: np.ndarray, rows: int, next_start: Callable[[], int | None]) -> None:
    """Fill lse[s:s+rows] and mean[s:s+rows] for each block start s that ``next_start``
    hands out, until it returns None, with one set of buffers.

    l - max is clipped from below at log(tiny)/2 (-43.7 in float32): exp then never
    yields subnormal numbers, which x86 CPUs process tens of times slower (in exp and
    in the matmul that follows); the terms it raises are below 1e-19 of the largest,
    so lse and the mean change by at most M * 1e-19 relative (1e-154 in float64)."""
    n = q.shape[0]
    rows = min(rows, n)
    logits = np.empty((rows, memories.shape[0]), lse.dtype)
    top = np.empty(rows, lse.dtype)
    total = np.empty(rows, lse.dtype)
    floor = 0.5 * np.log(np.finfo(lse.dtype).tiny)
    while (start := next_start()) is not None:
        stop = min(start + rows, n)
        k = stop - start
        blk, top_k, total_k, mean_k = logits[:k], top[:k], total[:k], mean[start:stop]
        np.matmul(q[start:stop], memories.T, out=blk)
        if bias is not None:
            blk += bias
        np.max(blk, axis=1, out=top_k)
        blk -= top_k[:, None]
        np.maximum(blk, floor, out=blk)
        np.exp(blk, out=blk)
        np.sum(blk, axis=1, out=total_k)
        np.matmul(blk, memories, out=mean_k)
        mean_k /= total_k[:, None]
        np.log(total_k, out=lse[start:stop])
        lse[start:stop] += top_k


def _thread_pool() -> ThreadPoolExecutor:
    """The kernels' worker threads (one per core but the caller's), made on first use in
    each process: a forked child must not submit work to its parent's threads."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(max(_WORKERS - 1, 1), thread_name_prefix="memscape-kernels"))
        return _pool[1]
