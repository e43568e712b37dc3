"""Hot kernels shared by the Modern Hopfield energy and the exact diffusion score.

Both need, for every particle x_n and every memory xi_mu, a softmax over memories and the
weighted mean of the memories it selects: for the logits l_nmu,

  lse_n = log sum_mu exp(l_nmu),   mean_n = sum_mu softmax_mu(l_n)_mu xi_mu,

with l_nmu = -beta/2 |x_n - xi_mu|^2 (:func:`gaussian_lse_mean`, the distance form) or
l_nmu = beta xi_mu . x_n (:func:`dot_lse_mean`). These functions are the only place where
logits are formed; the softmax weights themselves never are: with e = exp(l - max_mu l),
mean = (sum_mu e_nmu xi_mu) / (sum_mu e_nmu) and lse = max + log sum_mu e_nmu.

Paths, chosen by the arrays' namespace and shape (issues 5 and 15):
- NumPy, D <= :data:`FUSED_MAX_D`: the fused kernel of engine/fused_cpu.py (numba), one pass
  per particle over the memories with an online softmax, distances by direct differences
  (up to :data:`FEW_MAX_M` memories its variant that vectorises over particles instead);
  rows shared out over a thread pool (one thread per core, the caller included) when the
  call has at least :data:`PARALLEL_MIN_PAIRS` particle-memory pairs. Where numba does not
  import, the blocked kernel below runs instead.
- NumPy, larger D: blocks of rows, each with one matmul for the logits (q = beta x,
  l = q . xi + b, b = -beta/2 |xi|^2 for the distance form, whose row constant -beta/2 |x|^2
  is added to lse at the end), the softmax passes in place (numba's two where it loads,
  NumPy's five otherwise) and one matmul for the weighted sum.
  Blocks are as large as :data:`LARGE_BLOCK_ELEMENTS` allows (BLAS runs its products fastest
  on large operands and uses every core itself), or cache-sized and threaded where D is at
  most :data:`THREADED_MAX_D` (the exp pass dominates there).
- CuPy, D <= FUSED_MAX_D: the fused CUDA kernel of engine/fused_cuda.py.
- Any other namespace (array-api-strict, CuPy for larger D): the blocked algorithm in plain
  array-API calls, blocks sized only to bound memory (GPUs want big blocks).

Accuracy. The matmul form of the distance computes |x|^2 - 2 x.xi + |xi|^2, whose terms are
of size ``cancel`` = beta/2 (|x| + max|xi|)^2 while the logits that matter are of size
|max_mu l_nmu|: near a memory at large beta (x within sigma of xi_mu, beta = 1/sigma^2 up to
2.5e5) it would lose about eps * cancel, 1e-2 to 1e-1 in float32 at sigma = 0.002 (issue 10). So in every
row where cancel > :data:`REFINE_RATIO` (1 + |max_mu l_nmu|) the blocked paths recompute by
direct differences, -beta/2 sum_d (x_d - xi_d)^2, every logit within
4 D eps cancel + log(1/tiny)/2 of the row's maximum (the only ones whose weight is not
clipped to below tiny^(1/2) of the largest); the fused kernels use direct differences for
every logit. The recomputation costs a comparison per row where no row needs it (nothing
measurable at the bench's shapes) and, where every row does (particles within 0.001 of a
memory at beta = 2.5e5), one numba pass over each such row (engine.fused_cpu.refine_rows;
array-API calls on other namespaces): on the shared 2-core machine 0 to 4% of the call at
(1,024, 1,000, 256), 13 to 19% at (64, 10,000, 784) and 11 to 47% (about 1 ms) at
(10,000, 64, 40); with NumPy's passes instead it was 60% and 220% at the first and last.
Either way, the float32 (and float64) results meet :func:`lse_tolerance`:

  distance form: |lse - lse_exact| <= tol_lse = 4 sqrt(D) eps (1 + |lse| + log M)
  dot form:      |lse - lse_exact| <= tol_lse = 4 sqrt(D) eps (1 + beta |x| max|xi| + log M)
  both:          |mean - mean_exact| <= (2 tol_lse + 4 sqrt(D) eps) max|xi|

with eps the float type's machine epsilon (1.19e-7 in float32; at D = 2 the first line is
6.7e-7 (1 + |lse| + log M)) and "exact" the float64 evaluation of the same inputs. The
sqrt(D) growth is that of rounding errors that do not conspire (a sum of D terms; the
worst case would grow like D): the bounds are statistical. The tests hold them over random
shapes, beta from 1e-3 to 1e6 and data off the origin (the worst of 600 such cases reached
0.26 of the bound on lse), and in the regime of the energy trace (x within sigma of a memory, beta = 1/sigma^2 up to 2.5e5),
on NumPy and array-api-strict and on every path (tests/engine/test_kernels.py,
test_kernel_accuracy.py). The energies built on lse inherit the first line: E_sigma = -lse
+ const, so two evaluations of one energy that should be equal differ by at most the sum
of their two tol_lse.

In every path l - max is clipped from below at log(tiny)/2 (-43.7 in float32): exp then
never makes subnormal numbers, which x86 CPUs process tens of times slower; the terms this
raises are below 1e-19 of the largest, so lse and the mean change by at most M * 1e-19
relative (1e-154 in float64). |xi|^2 is computed once per call (O(MD), 1/N of the work); it
is not cached across calls because the memories arrays are mutable and nothing cheap tells
that one changed.
"""
from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any, Callable

import array_api_compat.numpy as compat_numpy
import numpy as np

from memscape.engine.backend import namespace

#: the fused kernels (numba on NumPy, CUDA on CuPy) serve memories of at most this many dimensions
FUSED_MAX_D = 32
#: up to this many memories the fused NumPy kernel vectorises over particles
#: (engine.fused_cpu.lse_mean_rows_few): at (100,000, 2, 2) 0.4 ms instead of 3 ms, and still
#: 1.5x faster at M = 64 on the README's machine
FEW_MAX_M = 64
#: a fused NumPy call is shared out over the threads from this many particle-memory pairs
PARALLEL_MIN_PAIRS = 1 << 18
#: particle-memory pairs per piece of work a fused NumPy call hands a thread
FUSED_ROWS_PAIRS = 1 << 16
#: elements of one (rows, M) NumPy block where D <= THREADED_MAX_D: 256 KB of float32, in a core's L2
BLOCK_ELEMENTS = 1 << 16
#: elements of one (rows, M) NumPy block for larger D: 16 MB of float32, so BLAS gets large products
LARGE_BLOCK_ELEMENTS = 1 << 22
#: at least this many rows per NumPy block, so the logits matmul stays efficient when M is large
MIN_ROWS = 256
#: NumPy blocks run on every core when D is at most this (the exp pass dominates)
THREADED_MAX_D = 32
#: elements of one (rows, M) block on other namespaces: 64 MB of float32
GENERIC_BLOCK_ELEMENTS = 1 << 24
#: a row's logits are recomputed by differences where the matmul form's cancelling terms
#: exceed this many times 1 + |largest logit| (see the module docstring)
REFINE_RATIO = 8.0
#: elements of the (pairs, D) differences one refinement pass forms at most
REFINE_ELEMENTS = 1 << 22

_WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
_pool: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool)
_pool_lock = threading.Lock()
_fused_cpu_module: list[ModuleType | None] = []  # [engine.fused_cpu, or None where it cannot load]
_fused_cpu_error: list[str] = []  # [why it cannot]


def sq_dists(x: Any, memories: Any) -> Any:
    """|x_n - xi_mu|^2 as an (N, M) block, via |x|^2 - 2 x.xi + |xi|^2, clipped at 0."""
    xp = namespace(x, memories)
    d = xp.vecdot(x, x)[:, None] - 2.0 * (x @ memories.T) + xp.vecdot(memories, memories)[None, :]
    return xp.maximum(d, xp.zeros_like(d))


def gaussian_lse_mean(x: Any, memories: Any, beta: float) -> tuple[Any, Any]:
    """lse_n = log sum_mu exp(-beta/2 |x_n - xi_mu|^2) and sum_mu w_nmu xi_mu,
    w_n = softmax_mu(-beta/2 |x_n - xi_mu|^2): the distance-form Modern Hopfield
    energy / update and, with beta = 1/sigma^2, the exact denoiser (science.md 4).
    Within :func:`lse_tolerance` of the exact values (module docstring)."""
    return _lse_mean(x, memories, float(beta), True)


def dot_lse_mean(x: Any, memories: Any, beta: float) -> tuple[Any, Any]:
    """lse_n = log sum_mu exp(beta xi_mu . x_n) and Xi^T softmax(beta Xi x_n):
    the dot-product Modern Hopfield energy and update (Ramsauer et al. 2020).
    Within :func:`lse_tolerance` of the exact values (module docstring)."""
    return _lse_mean(x, memories, float(beta), False)


def lse_tolerance(x: Any, memories: Any, beta: float, lse: Any, gaussian: bool = True) -> tuple[Any, Any]:
    """(bound on |lse - lse_exact| (N,), bound on |mean - mean_exact| (N,)) for the results
    ``lse`` of :func:`gaussian_lse_mean` (``gaussian``) or :func:`dot_lse_mean` on x and
    memories, in their float type (the formulas of the module docstring)."""
    xp = namespace(x, memories, lse)
    m, d = memories.shape
    eps = float(xp.finfo(x.dtype).eps)
    unit = 4.0 * math.sqrt(d) * eps
    reach = float(xp.max(xp.sqrt(xp.vecdot(memories, memories))))
    size = xp.abs(lse) if gaussian else float(beta) * reach * xp.sqrt(xp.vecdot(x, x))
    tol = unit * (1.0 + size + math.log(m))
    return tol, (2.0 * tol + unit) * reach


def _lse_mean(x: Any, memories: Any, beta: float, gaussian: bool) -> tuple[Any, Any]:
    """(lse, mean) by the path for these arrays (module docstring)."""
    xp = namespace(x, memories)
    d = memories.shape[1]
    if xp is np or xp is compat_numpy:
        fused = _fused_cpu() if d <= FUSED_MAX_D else None
        if fused is not None:
            return _lse_mean_fused_numpy(fused, x, memories, beta, gaussian)
        return _lse_mean_numpy(x, memories, beta, gaussian)
    if d <= FUSED_MAX_D and type(x).__module__.startswith("cupy"):
        from memscape.engine import fused_cuda
        return fused_cuda.lse_mean(x, memories, beta, gaussian)
    return _lse_mean_generic(xp, x, memories, beta, gaussian)


def _fused_cpu() -> ModuleType | None:
    """engine.fused_cpu, imported on first use (it imports numba), or None where numba does
    not import or cannot cache its code (:func:`fused_cpu_status` says why)."""
    if not _fused_cpu_module:
        try:
            from memscape.engine import fused_cpu
        except (ImportError, RuntimeError) as exc:  # RuntimeError: numba finds no writable cache folder
            _fused_cpu_module.append(None)
            _fused_cpu_error.append(f"{type(exc).__name__}: {exc}")
        else:
            _fused_cpu_module.append(fused_cpu)
    return _fused_cpu_module[0]


def fused_cpu_status() -> str:
    """Which kernel NumPy arrays with D <= FUSED_MAX_D get, in words (the bench prints it)."""
    module = _fused_cpu()
    if module is None:
        return f"blocked NumPy kernel (the fused one is unavailable: {_fused_cpu_error[0]})"
    return f"fused numba {module.numba.__version__} kernel"


def _lse_mean_fused_numpy(fused: ModuleType, x: np.ndarray, memories: np.ndarray, beta: float,
                          gaussian: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_lse_mean` by engine.fused_cpu, over the thread pool when the call is large."""
    n, d = x.shape
    m = memories.shape[0]
    dtype = np.result_type(x, memories)
    x = np.ascontiguousarray(x, dtype)
    memt = np.ascontiguousarray(memories.T, dtype)
    scale = dtype.type(-0.5 * beta if gaussian else beta)
    floor = dtype.type(0.5 * np.log(np.finfo(dtype).tiny))
    lse = np.empty(n, dtype)
    mean = np.empty((n, d), dtype)
    if m > FEW_MAX_M:
        _over_rows(n, m, _WORKERS, lambda a, b: fused.lse_mean_rows(x, memt, scale, gaussian, floor, lse, mean, a, b))
        return lse, mean
    top = np.empty(n, dtype)
    _over_rows(n, m, _WORKERS, lambda a, b: fused.lse_mean_rows_few(x, memt, scale, gaussian, floor, top, lse, mean, a, b))
    np.log(lse, out=lse)  # lse = max + log sum exp(l - max), the log vectorised by NumPy
    lse += top
    return lse, mean


def _over_rows(k: int, m: int, threads: int, fn: Callable[[int, int], None]) -> None:
    """fn(a, b) over the row ranges of rows 0..k (m pairs each): in one call, or, from
    PARALLEL_MIN_PAIRS pairs on, in pieces of FUSED_ROWS_PAIRS pairs over ``threads`` threads."""
    if threads == 1 or k * m < PARALLEL_MIN_PAIRS:
        fn(0, k)
        return
    rows = max(FUSED_ROWS_PAIRS // max(m, 1), 1)

    def work(next_start: Callable[[], int | None]) -> None:
        while (start := next_start()) is not None:
            fn(start, min(start + rows, k))

    _share_rows(k, rows, min(threads, -(-k // rows)), work)


def _row_terms(xp: Any, x: Any, memories: Any, beta: float, gaussian: bool) -> tuple[Any, Any, Any]:
    """(bias (M,) or None, row constant (N,) or None, cancel (N,) or None) of the matmul form:
    b = -beta/2 |xi|^2, c = -beta/2 |x|^2 and cancel = beta/2 (|x| + max|xi|)^2 for the
    distance form (l = beta x.xi + b + c), nothing for the dot form."""
    if not gaussian:
        return None, None, None
    xi2 = xp.vecdot(memories, memories)
    x2 = xp.vecdot(x, x)
    reach = xp.sqrt(xp.max(xi2))
    root = xp.sqrt(x2) + reach
    return (-0.5 * beta) * xi2, (-0.5 * beta) * x2, (0.5 * beta) * (root * root)


def _refine(xp: Any, logits: Any, top: Any, offset: Any, x: Any, memories: Any, beta: float,
            cancel: Any, floor: float, fused: ModuleType | None = None) -> tuple[Any, Any]:
    """Exact logits where the matmul form's cancellation would show (module docstring).

    ``logits`` (k, M) hold l - offset_n for the k particles x (k, D), ``top`` their row
    maxima and ``cancel`` their beta/2 (|x| + max|xi|)^2. Rows where cancel exceeds
    REFINE_RATIO (1 + |top + offset|) switch to the full logits (offset 0), and their
    entries within 4 D eps cancel + |floor| of the maximum become -beta/2 |x - xi|^2 from
    the differences; ``logits`` changes in place. Returns the new (top, offset). With
    ``fused`` (engine.fused_cpu, NumPy arrays) one numba pass over each such row does it,
    else array-API calls."""
    need = cancel > REFINE_RATIO * (1.0 + xp.abs(top + offset))
    if not bool(xp.any(need)):
        return top, offset
    d = x.shape[1]
    window = (4.0 * d * float(xp.finfo(logits.dtype).eps)) * cancel - floor
    if fused is not None:
        new_top, new_offset = top.copy(), offset.copy()
        fused.refine_rows(logits, new_top, new_offset, need, window.astype(logits.dtype), x, memories,
                          logits.dtype.type(-0.5 * beta))
        return new_top, new_offset
    mask = need[:, None] & (logits >= (top - window)[:, None])
    shift = xp.where(need, offset, xp.zeros_like(offset))
    logits += shift[:, None]
    rows, cols = xp.nonzero(mask)
    count, step = rows.shape[0], max(REFINE_ELEMENTS // d, 1)
    exact = []
    for s in range(0, count, step):
        part = slice(s, min(s + step, count))
        diff = xp.take(x, rows[part], axis=0) - xp.take(memories, cols[part], axis=0)
        exact.append((-0.5 * beta) * xp.vecdot(diff, diff))
    logits[mask] = xp.concat(exact)
    return xp.where(need, xp.max(logits, axis=1), top + shift), offset - shift


def _lse_mean_generic(xp: Any, x: Any, memories: Any, beta: float, gaussian: bool) -> tuple[Any, Any]:
    """:func:`_lse_mean` in array-API calls (array-api-strict, CuPy for large D); blocks bound the memory only."""
    n = x.shape[0]
    rows = max(GENERIC_BLOCK_ELEMENTS // memories.shape[0], 1)
    bias, row_const, cancel = _row_terms(xp, x, memories, beta, gaussian)
    floor = 0.5 * math.log(float(xp.finfo(x.dtype).smallest_normal))
    q = beta * x
    lses, means = [], []
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        logits = q[start:stop, :] @ memories.T
        if bias is not None:
            logits = logits + bias
            top, offset = _refine(xp, logits, xp.max(logits, axis=1), row_const[start:stop], x[start:stop, :],
                                  memories, beta, cancel[start:stop], floor)
        else:
            top, offset = xp.max(logits, axis=1), 0.0
        e = xp.exp(xp.maximum(logits - top[:, None], xp.asarray(floor, dtype=logits.dtype)))
        total = xp.sum(e, axis=1)
        means.append((e @ memories) / total[:, None])
        lses.append(xp.log(total) + top + offset)
    return xp.concat(lses), xp.concat(means, axis=0)


def _lse_mean_numpy(x: np.ndarray, memories: np.ndarray, beta: float, gaussian: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_lse_mean` on NumPy by blocks: cache-sized, in place and on every core for
    small D; as large as LARGE_BLOCK_ELEMENTS allows for larger D, where BLAS uses the cores.

    Threads take the next block when they finish one (the caller works too), so a core
    that another process is using slows the call only by its share of the blocks."""
    n, d = x.shape
    m = memories.shape[0]
    small_d = d <= THREADED_MAX_D
    rows = max((BLOCK_ELEMENTS if small_d else LARGE_BLOCK_ELEMENTS) // m, MIN_ROWS)
    dtype = np.result_type(x, memories)
    x = np.asarray(x, dtype)
    memories = np.asarray(memories, dtype)
    bias, row_const, cancel = _row_terms(compat_numpy, x, memories, beta, gaussian)
    q = beta * x
    lse = np.empty(n, dtype)
    mean = np.empty((n, d), dtype)

    workers = min(_WORKERS, -(-n // rows)) if small_d else 1  # small D: blocks on every core

    def work(next_start: Callable[[], int | None]) -> None:
        _numpy_blocks(x, q, memories, beta, bias, row_const, cancel, lse, mean, rows, next_start)

    _share_rows(n, rows, workers, work)
    return lse, mean


def _numpy_blocks(x: np.ndarray, q: np.ndarray, memories: np.ndarray, beta: float, bias: np.ndarray | None,
                  row_const: np.ndarray | None, cancel: np.ndarray | None, lse: np.ndarray, mean: np.ndarray,
                  rows: int, next_start: Callable[[], int | None]) -> None:
    """Fill lse[s:s+rows] and mean[s:s+rows] for each block start s that ``next_start``
    hands out, until it returns None, with one set of buffers; distance-form blocks go
    through :func:`_refine`. The softmax passes between the two matmuls are numba's
    (engine/fused_cpu.py, two passes over the block) where it loads, NumPy's (five) otherwise,
    on this thread: sharing them out over the pool lost time to OpenBLAS's threads, which
    spin on the other cores for a while after each product."""
    n = q.shape[0]
    rows = min(rows, n)
    logits = np.empty((rows, memories.shape[0]), lse.dtype)
    top = np.empty(rows, lse.dtype)
    total = np.empty(rows, lse.dtype)
    floor = 0.5 * np.log(np.finfo(lse.dtype).tiny)
    fused = _fused_cpu()
    while (start := next_start()) is not None:
        stop = min(start + rows, n)
        k = stop - start
        blk, top_k, total_k, mean_k = logits[:k], top[:k], total[:k], mean[start:stop]
        np.matmul(q[start:stop], memories.T, out=blk)
        if fused is None:
            if bias is not None:
                blk += bias
            np.max(blk, axis=1, out=top_k)
        else:
            fused.bias_max_rows(blk, bias, top_k, 0, k)
        offset = None
        if bias is not None:
            new_top, offset = _refine(compat_numpy, blk, top_k, row_const[start:stop], x[start:stop], memories,
                                      beta, cancel[start:stop], floor, fused)
            top_k[...] = new_top
        if fused is None:
            blk -= top_k[:, None]
            np.maximum(blk, floor, out=blk)
            np.exp(blk, out=blk)
            np.sum(blk, axis=1, out=total_k)
        else:
            fused.exp_sum_rows(blk, top_k, floor, total_k, 0, k)
        np.matmul(blk, memories, out=mean_k)
        mean_k /= total_k[:, None]
        np.log(total_k, out=lse[start:stop])
        lse[start:stop] += top_k
        if offset is not None:
            lse[start:stop] += offset


def _share_rows(n: int, rows: int, workers: int, work: Callable[[Callable[[], int | None]], None]) -> None:
    """Run ``work(next_start)`` on ``workers`` threads (the caller and workers - 1 of the
    pool); ``next_start()`` hands out the row starts 0, rows, 2 rows, ... below n, one per
    call and each once, then None."""
    starts = iter(range(0, n, rows))
    lock = threading.Lock()

    def next_start() -> int | None:
        with lock:
            return next(starts, None)

    jobs = [_thread_pool().submit(work, next_start) for _ in range(workers - 1)]
    work(next_start)
    for job in jobs:
        job.result()


def _thread_pool() -> ThreadPoolExecutor:
    """The kernels' worker threads (one per core but the caller's), made on first use in
    each process: a forked child must not submit work to its parent's threads."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(max(_WORKERS - 1, 1), thread_name_prefix="memscape-kernels"))
        return _pool[1]
