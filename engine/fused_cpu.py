"""The fused softmax kernel on the CPU for low-dimensional memories, compiled by numba (issue 15).

For each particle x_n, one pass over the memories xi_mu (mu = 1..M) forms the logits

  l_nmu = scale * sum_d (x_nd - xi_mud)^2,  scale = -beta/2   (distance form, direct differences)
  l_nmu = sum_d (scale x_nd) xi_mud,        scale = beta      (dot form)

:data:`CHUNK` memories at a time in a buffer that stays in the L1 cache, and keeps the
online softmax of that row: the running maximum m, the sum s = sum_mu exp(l_nmu - m) and
the weighted sum a = sum_mu exp(l_nmu - m) xi_mu; when a chunk raises the maximum from m
to m', s and a are scaled by exp(m - m') first. At the end

  lse_n = m + log s  (= log sum_mu exp(l_nmu)),   mean_n = a / s  (= sum_mu softmax_mu(l_n) xi_mu),

the quantities of :func:`engine.kernels.gaussian_lse_mean` and :func:`engine.kernels.dot_lse_mean`.
The (N, M) logits never exist, and the distance form's |x - xi|^2 comes from the differences
themselves, so it stays exact near a memory at any beta (no |x|^2 - 2 x.xi + |xi|^2
cancellation). l - m is clipped from below at log(tiny)/2 as in the blocked kernels, so exp
never makes subnormal numbers. A particle with a non-finite coordinate gets NaN.

Speed: every inner loop runs over a chunk of memories and vectorises (AVX-512: 16 float32
lanes): the memories come transposed, (D, M), so each coordinate is a contiguous row; exp is
:func:`_exp` (Cody-Waite reduction to r in [-ln2/2, ln2/2], Taylor polynomial of degree 7 in
float32 and 13 in float64, 2^k built from its bits; within 1 ulp of exp in both, tested);
the maxima use LLVM's maxnum (:func:`_fmax`), which vectorises where Python's max does not.
On one core of the README's machine (100,000, 1,000, 2) takes 36 to 48 ms, 2e9
particle-memory pairs per second. With few memories a row is too short for the lanes:
:func:`lse_mean_rows_few` (up to engine.kernels.FEW_MAX_M memories) vectorises over
particles instead, and takes (100,000, 2, 2) in 0.4 ms where this one took 3 to 4 ms, and
(10,000, 64, 2) in 0.4 ms on the two cores where this one took 0.7 ms. The kernels release the GIL (``nogil``):
engine/kernels.py splits the rows of a large call over its thread pool. :func:`bias_max_rows`
and :func:`exp_sum_rows` are the softmax passes of the blocked kernel (large D), between
its two BLAS products.

Compilation: numba compiles each function once per float type on its first call (1.5 to 3 s
for :func:`lse_mean_rows` on the 2-core machine of the README) and caches the machine code
beside this file (``cache=True``: in __pycache__, or numba's user cache folder where that
is read-only), so a later process's first call takes 0.4 to 1 s, mostly importing numba,
which engine/kernels.py does only on the first call that needs it.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

#: memories per chunk: the logits buffer (1 KB of float32) and the chunk's rows stay in L1
CHUNK = 256
#: particles per block of :func:`lse_mean_rows_few`: its (M, rows) logits stay in L1 for M <= 16
FEW_ROWS = 256

_FASTMATH = {"reassoc", "contract", "nsz"}  # reductions vectorise; no nnan/ninf: NaN must survive


@intrinsic
def _fmax(typingctx, a, b):
    """max(a, b) as LLVM's maxnum, a select that the loop vectoriser turns into vector max."""
    if not (isinstance(a, types.Float) and a == b):
        return None

    def codegen(context, builder, signature, args):
        lty = args[0].type
        fn = builder.module.declare_intrinsic("llvm.maxnum", [lty], ir.FunctionType(lty, [lty, lty]))
        return builder.call(fn, args, fastmath=("nnan", "nsz"))

    return a(a, b), codegen


@intrinsic
def _pow2(typingctx, k):
    """2^k for an integral float k within the normal exponent range, from its bits:
    ((k + bias) << mantissa bits) read as a float of the same width."""
    if not isinstance(k, types.Float):
        return None

    def codegen(context, builder, signature, args):
        fty = args[0].type
        bits, mantissa, bias = (32, 23, 127) if k.bitwidth == 32 else (64, 52, 1023)
        ity = ir.IntType(bits)
        n = builder.fptosi(args[0], ity)
        n = builder.shl(builder.add(n, ir.Constant(ity, bias)), ir.Constant(ity, mantissa))
        return builder.bitcast(n, fty)

    return k(k), codegen


#: (LN2_HI, LN2_LO, Taylor coefficients 1/k! from the highest power down) per float type;
#: LN2_HI has few enough bits that k * LN2_HI is exact for the |k| < 2^10 used here
_EXP32 = (np.float32(0.693359375), np.float32(-2.12194440e-4),
          tuple(np.float32(1.0 / math.factorial(i)) for i in range(7, -1, -1)))
_EXP64 = (6.93147180369123816490e-01, 1.90821492927058770002e-10,
          tuple(1.0 / math.factorial(i) for i in range(13, -1, -1)))
_LOG2E = 1.4426950408889634


def _exp(t: float) -> float:
    """exp(t) for log(tiny)/2 <= t <= 0 (numba compiles :func:`_exp_impl` in its place)."""
    return math.exp(t)


@overload(_exp, jit_options={"fastmath": {"contract"}})
def _exp_impl(t):
    """exp(t) = 2^k e^r with k = round(t / ln2), r = t - k ln2 (two-part ln2, Cody and Waite),
    e^r by its Taylor polynomial (Horner): vectorisable, unlike a call into libm. Contracted
    to FMAs but not reassociated, so the reduction keeps its extra bits."""
    if t == types.float32:
        ln2_hi, ln2_lo, coeffs = _EXP32
        log2e = np.float32(_LOG2E)
        half = np.float32(0.5)
    elif t == types.float64:
        ln2_hi, ln2_lo, coeffs = _EXP64
        log2e, half = _LOG2E, 0.5
    else:
        return None
    c0, rest = coeffs[0], coeffs[1:]

    def impl(t):
        k = np.floor(t * log2e + half)
        r = t - k * ln2_hi
        r = r - k * ln2_lo
        p = c0
        for c in rest:
            p = p * r + c
        return p * _pow2(k)

    return impl


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, boundscheck=False, error_model="numpy")
def lse_mean_rows(x, memt, scale, gaussian, floor, lse, mean, start, stop):
    """lse[n] and mean[n] for start <= n < stop (see the module docstring).

    x (N, D) and memt = memories.T (D, M), C-contiguous, of one float type; scale, floor
    scalars of that type (scale = -beta/2 for the distance form, ``gaussian`` True, or
    beta for the dot form; floor = log(tiny)/2); lse (N,) and mean (N, D) are written."""
    d, m = memt.shape
    zero = lse.dtype.type(0)
    buf = np.empty(CHUNK, lse.dtype)
    acc = np.empty(d, lse.dtype)
    for n in range(start, stop):
        finite = zero
        for k in range(d):
            finite += x[n, k] * zero  # NaN when a coordinate is not finite
        if finite != zero:
            lse[n] = np.nan
            for k in range(d):
                mean[n, k] = np.nan
            continue
        run_max = zero
        run_sum = zero
        for k in range(d):
            acc[k] = zero
        for c0 in range(0, m, CHUNK):
            c = min(CHUNK, m - c0)
            if gaussian:  # buf = sum_k (x_k - xi_k)^2, then scale * buf and its maximum
                xk = x[n, 0]
                row = memt[0, c0:c0 + c]
                for j in range(c):
                    diff = xk - row[j]
                    buf[j] = diff * diff
                for k in range(1, d):
                    xk = x[n, k]
                    row = memt[k, c0:c0 + c]
                    for j in range(c):
                        diff = xk - row[j]
                        buf[j] += diff * diff
                top = scale * buf[0]
                for j in range(c):
                    buf[j] *= scale
                    top = _fmax(top, buf[j])
            else:  # buf = sum_k (scale x_k) xi_k, then its maximum
                xk = scale * x[n, 0]
                row = memt[0, c0:c0 + c]
                for j in range(c):
                    buf[j] = xk * row[j]
                for k in range(1, d):
                    xk = scale * x[n, k]
                    row = memt[k, c0:c0 + c]
                    for j in range(c):
                        buf[j] += xk * row[j]
                top = buf[0]
                for j in range(1, c):
                    top = _fmax(top, buf[j])
            if c0 == 0:
                run_max = top
            elif top > run_max:
                shrink = _exp(_fmax(run_max - top, floor))
                run_sum *= shrink
                for k in range(d):
                    acc[k] *= shrink
                run_max = top
            total = zero
            for j in range(c):
                e = _exp(_fmax(buf[j] - run_max, floor))
                buf[j] = e
                total += e
            run_sum += total
            for k in range(d):
                row = memt[k, c0:c0 + c]
                weighted = zero
                for j in range(c):
                    weighted += buf[j] * row[j]
                acc[k] += weighted
        lse[n] = run_max + math.log(run_sum)
        for k in range(d):
            mean[n, k] = acc[k] / run_sum


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, boundscheck=False, error_model="numpy")
def lse_mean_rows_few(x, memt, scale, gaussian, floor, top_out, total_out, mean, start, stop):
    """:func:`lse_mean_rows` for a few memories (engine.kernels.FEW_MAX_M), with the loops
    turned around so that they vectorise over particles instead of memories (a row of 2
    memories leaves the vector lanes of :func:`lse_mean_rows` empty). For start <= n < stop
    it writes the row maximum m_n (top_out), s_n = sum_mu exp(max(l_nmu - m_n, floor))
    (total_out) and mean[n] = a_n / s_n with a_n = sum_mu exp(...) xi_mu; the caller forms
    lse = m + log s with NumPy's vectorised log (a libm call per row here cost more than the
    rest of the row at M = 2). Rows go in blocks of :data:`FEW_ROWS`; for each block the
    logits l_mu (M, rows) are formed one memory at a time (direct differences, as in
    :func:`lse_mean_rows`), then the exact row maximum, then the second pass. A particle
    with a non-finite coordinate gets NaN (``bad`` = its coordinates times 0, added to its
    maximum and its mean)."""
    d, m = memt.shape
    zero = mean.dtype.type(0)
    logits = np.empty((m, FEW_ROWS), mean.dtype)
    xt = np.empty((d, FEW_ROWS), mean.dtype)
    acc = np.empty((d, FEW_ROWS), mean.dtype)
    top = np.empty(FEW_ROWS, mean.dtype)
    total = np.empty(FEW_ROWS, mean.dtype)
    bad = np.empty(FEW_ROWS, mean.dtype)
    for b0 in range(start, stop, FEW_ROWS):
        c = min(FEW_ROWS, stop - b0)
        for j in range(c):
            bad[j] = zero
        for k in range(d):
            row = xt[k]
            for j in range(c):
                row[j] = x[b0 + j, k]
                bad[j] += row[j] * zero  # NaN when a coordinate is not finite
        for mu in range(m):
            out = logits[mu]
            if gaussian:  # scale * sum_k (x_k - xi_k)^2
                xi = memt[0, mu]
                row = xt[0]
                for j in range(c):
                    diff = row[j] - xi
                    out[j] = diff * diff
                for k in range(1, d):
                    xi = memt[k, mu]
                    row = xt[k]
                    for j in range(c):
                        diff = row[j] - xi
                        out[j] += diff * diff
                for j in range(c):
                    out[j] *= scale
            else:  # sum_k (scale xi_k) x_k, as (scale x_k) xi_k in lse_mean_rows
                xi = memt[0, mu]
                row = xt[0]
                for j in range(c):
                    out[j] = (scale * row[j]) * xi
                for k in range(1, d):
                    xi = memt[k, mu]
                    row = xt[k]
                    for j in range(c):
                        out[j] += (scale * row[j]) * xi
            if mu == 0:
                for j in range(c):
                    top[j] = out[j]
            else:
                for j in range(c):
                    top[j] = _fmax(top[j], out[j])
        for j in range(c):
            total[j] = zero
        for k in range(d):
            for j in range(c):
                acc[k, j] = zero
        for mu in range(m):
            out = logits[mu]
            for j in range(c):
                e = _exp(_fmax(out[j] - top[j], floor))
                out[j] = e
                total[j] += e
            for k in range(d):
                xi = memt[k, mu]
                row = acc[k]
                for j in range(c):
                    row[j] += out[j] * xi
        for j in range(c):
            top_out[b0 + j] = top[j] + bad[j]
            total_out[b0 + j] = total[j]
        for k in range(d):
            row = acc[k]
            for j in range(c):
                mean[b0 + j, k] = row[j] / total[j] + bad[j]


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, boundscheck=False, error_model="numpy")
def bias_max_rows(logits, bias, top, start, stop):
    """For start <= r < stop: logits[r] += bias (unless bias is None), top[r] = max_j logits[r, j].
    The first softmax pass of the blocked kernel (engine/kernels.py) over a block of logits."""
    m = logits.shape[1]
    for r in range(start, stop):
        row = logits[r]
        if bias is not None:
            for j in range(m):
                row[j] += bias[j]
        best = row[0]
        for j in range(1, m):
            best = _fmax(best, row[j])
        top[r] = best


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, boundscheck=False, error_model="numpy")
def exp_sum_rows(logits, top, floor, total, start, stop):
    """For start <= r < stop: logits[r] = exp(max(logits[r] - top[r], floor)) and total[r] =
    its sum: the second softmax pass of the blocked kernel, with :func:`_exp`."""
    m = logits.shape[1]
    for r in range(start, stop):
        row = logits[r]
        shift = top[r]
        acc = total.dtype.type(0)
        if shift - shift != acc:  # a non-finite particle: NaN throughout
            row[:] = np.nan
            total[r] = np.nan
            continue
        for j in range(m):
            e = _exp(_fmax(row[j] - shift, floor))
            row[j] = e
            acc += e
        total[r] = acc


@numba.njit(cache=True, nogil=True, fastmath=_FASTMATH, boundscheck=False, error_model="numpy")
def refine_rows(logits, top, offset, need, window, x, memories, scale):
    """The blocked kernel's recomputation of cancelling logits (engine.kernels._refine) in one
    pass per row: for each row r with need[r], logits[r] holds l - offset[r]; the entries
    within window[r] of top[r] become scale * sum_d (x_rd - xi_d)^2 from the differences, the
    others l = logits + offset[r]; then top[r] is the row's new maximum and offset[r] = 0."""
    m, d = memories.shape
    zero = top.dtype.type(0)
    for r in range(logits.shape[0]):
        if not need[r]:
            continue
        row = logits[r]
        shift = offset[r]
        limit = top[r] - window[r]
        best = top.dtype.type(-np.inf)
        for j in range(m):
            v = row[j]
            if v >= limit:
                v = zero
                for k in range(d):
                    diff = x[r, k] - memories[j, k]
                    v += diff * diff
                v *= scale
            else:
                v += shift
            row[j] = v
            best = max(best, v)
        top[r] = best
        offset[r] = zero
