"""The fused softmax kernel on an NVIDIA GPU through CuPy, for low-dimensional memories (issue 15).

One CUDA thread per particle x_n walks over the memories xi_mu, which the thread block
stages through shared memory :func:`tile` (D) at a time, and keeps the online softmax of its
row in registers (D is a compile-time constant, so x_n and the weighted sum are registers):

  l = scale * sum_d (x_nd - xi_mud)^2  (distance form, scale = -beta/2, direct differences)
  l = scale * sum_d x_nd xi_mud         (dot form, scale = beta)
  if l > m:  s <- s exp(m - l) + 1,       a <- a exp(m - l) + xi_mu,    m <- l
  else:      s <- s + exp(l - m),         a <- a + exp(l - m) xi_mu

and at the end lse_n = m + log s, mean_n = a / s: the quantities of
:func:`engine.kernels.gaussian_lse_mean` and :func:`engine.kernels.dot_lse_mean`, with
distances exact near a memory (no |x|^2 - 2 x.xi + |xi|^2 cancellation), in the arrays'
float type, within :func:`engine.kernels.lse_tolerance`. A non-finite coordinate makes its
particle's results NaN (the comparisons fail and exp(NaN) spreads). Each (D, float type)
compiles once per process through NVRTC (CuPy caches the binary on disk too).

Importing this module needs nothing; it is used only with CuPy arrays, so CuPy is imported
from them. The array-API path of engine/kernels.py is its reference in the tests, which
run this only where CuPy sees a device (tests/engine/test_fused_cuda.py).
"""
from __future__ import annotations

import importlib
from typing import Any

#: numbers per shared-memory tile of memories (float64: 32 KB, within the 48 KB a block may
#: declare), and threads per block
TILE_ELEMENTS, THREADS = 4096, 256

SOURCE = r"""
extern "C" __global__ void lse_mean(const REAL* __restrict__ x, const REAL* __restrict__ mem,
                                    const long long n, const long long m, const REAL scale,
                                    const int gaussian, REAL* __restrict__ lse, REAL* __restrict__ mean)
{
    __shared__ REAL tile[TILE * DIM];
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const bool active = i < n;
    REAL xr[DIM], acc[DIM];
    for (int d = 0; d < DIM; ++d) {
        xr[d] = active ? x[i * DIM + d] : (REAL)0;
        acc[d] = 0;
    }
    REAL run_max = LOWEST, run_sum = 0;
    for (long long t0 = 0; t0 < m; t0 += TILE) {
        const int count = (int)(m - t0 < TILE ? m - t0 : TILE);
        __syncthreads();
        for (int k = threadIdx.x; k < count * DIM; k += blockDim.x)
            tile[k] = mem[t0 * DIM + k];
        __syncthreads();
        if (!active)
            continue;
        for (int j = 0; j < count; ++j) {
            const REAL* xi = tile + j * DIM;
            REAL l = 0;
            if (gaussian) {
                for (int d = 0; d < DIM; ++d) {
                    const REAL diff = xr[d] - xi[d];
                    l += diff * diff;
                }
            } else {
                for (int d = 0; d < DIM; ++d)
                    l += xr[d] * xi[d];
            }
            l *= scale;
            if (l > run_max) {
                const REAL shrink = EXP(run_max - l);
                run_sum = run_sum * shrink + (REAL)1;
                for (int d = 0; d < DIM; ++d)
                    acc[d] = acc[d] * shrink + xi[d];
                run_max = l;
            } else {
                const REAL e = EXP(l - run_max);
                run_sum += e;
                for (int d = 0; d < DIM; ++d)
                    acc[d] += e * xi[d];
            }
        }
    }
    if (active) {
        lse[i] = run_max + LOG(run_sum);
        for (int d = 0; d < DIM; ++d)
            mean[i * DIM + d] = acc[d] / run_sum;
    }
}
"""

#: per float type: the C type, its exp and log, and its most negative finite value (where the
#: running maximum starts)
_REAL = {"float32": ("float", "expf", "logf", "(-3.402823466e+38f)"),
         "float64": ("double", "exp", "log", "(-1.7976931348623157e+308)")}
_kernels: dict[tuple[int, str], Any] = {}


def options(d: int, precision: str) -> tuple[str, ...]:
    """NVRTC options that specialise :data:`SOURCE` to D = d and one float type."""
    real, exp, log, lowest = _REAL[precision]
    return (f"-DDIM={d}", f"-DREAL={real}", f"-DEXP={exp}", f"-DLOG={log}", f"-DLOWEST={lowest}",
            f"-DTILE={tile(d)}")


def tile(d: int) -> int:
    """Memories per shared-memory tile for D = d."""
    return max(TILE_ELEMENTS // d, 1)


def _kernel(cp: Any, d: int, precision: str) -> Any:
    key = (d, precision)
    if key not in _kernels:
        _kernels[key] = cp.RawKernel(SOURCE, "lse_mean", options=options(d, precision))
    return _kernels[key]


def lse_mean(x: Any, memories: Any, beta: float, gaussian: bool) -> tuple[Any, Any]:
    """(lse (N,), mean (N, D)) of the distance form (``gaussian``) or the dot form for CuPy
    arrays x (N, D) and memories (M, D), D <= engine.kernels.FUSED_MAX_D."""
    cp = importlib.import_module("cupy")
    dtype = cp.result_type(x, memories)
    precision = cp.dtype(dtype).name
    x = cp.ascontiguousarray(x, dtype=dtype)
    memories = cp.ascontiguousarray(memories, dtype=dtype)
    n, d = x.shape
    m = memories.shape[0]
    lse = cp.empty(n, dtype=dtype)
    mean = cp.empty((n, d), dtype=dtype)
    if n == 0:
        return lse, mean
    scale = cp.dtype(dtype).type(-0.5 * beta if gaussian else beta)
    blocks = (n + THREADS - 1) // THREADS
    _kernel(cp, d, precision)((blocks,), (THREADS,), (x, memories, cp.int64(n), cp.int64(m), scale,
                                                       cp.int32(1 if gaussian else 0), lse, mean))
    return lse, mean
