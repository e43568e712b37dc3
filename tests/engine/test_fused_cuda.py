"""The CuPy path (engine/fused_cuda.py, engine/backend.py's Rng): the fused CUDA kernel
against the array-API path on the same device arrays and against the float64 reference,
and random numbers drawn on the device. The GPU tests run only where CuPy imports and sees
a device (none does in CI). Without one, the kernel's source is built for a GPU by nvcc and
run on the CPU as C++ where those compilers are installed, the Rng's routing is checked with
a stand-in module, and this file importing engine.fused_cuda shows that it imports without CuPy."""
import ctypes
import shutil
import subprocess
import types

import numpy as np
import pytest

from kernel_checks import KERNELS, data, reference
from memscape.engine import fused_cuda, kernels
from memscape.engine.backend import Backend, BackendError, Rng, get_backend, to_host


def cupy_backend(precision):
    try:
        return get_backend("cupy", precision)
    except BackendError as exc:
        pytest.skip(f"needs CuPy with a CUDA device: {exc}")


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("d", [1, 2, 7, 32])
@pytest.mark.parametrize("form", KERNELS)
def test_fused_cuda_equals_the_array_api_path(precision, d, form):
    """More memories than one shared-memory tile and more particles than one thread block."""
    backend = cupy_backend(precision)
    x, memories = data(1000, 3 * fused_cuda.tile(d) + 5, d, seed=d)
    x, memories = x.astype(precision), memories.astype(precision)
    xs, mems = backend.asarray(x), backend.asarray(memories)
    beta = 2.0 / d
    lse, mean = KERNELS[form](xs, mems, beta)
    assert type(lse).__module__.startswith("cupy") and lse.dtype == backend.dtype
    generic = kernels._lse_mean_generic(backend.xp, xs, mems, beta, form == "gaussian")
    ref_lse, ref_mean = reference(x, memories, beta, form)
    tol_lse, tol_mean = (to_host(t) for t in kernels.lse_tolerance(xs, mems, beta, lse, form == "gaussian"))
    for got_lse, got_mean in ((lse, mean), generic):
        assert (np.abs(to_host(got_lse) - ref_lse) <= tol_lse).all()
        assert (np.abs(to_host(got_mean) - ref_mean).max(axis=1) <= tol_mean).all()


def test_fused_cuda_is_exact_near_memories_at_sigma_min():
    backend = cupy_backend("float32")
    rng = np.random.default_rng(0)
    memories = rng.standard_normal((64, 2)).astype(np.float32) + 3.0
    x = (memories[rng.integers(0, 64, 4096)] + 0.001 * rng.standard_normal((4096, 2))).astype(np.float32)
    beta = 1.0 / 0.002 ** 2
    xs, mems = backend.asarray(x), backend.asarray(memories)
    lse, mean = kernels.gaussian_lse_mean(xs, mems, beta)
    ref_lse, ref_mean = reference(x, memories, beta, "gaussian")
    tol_lse, tol_mean = (to_host(t) for t in kernels.lse_tolerance(xs, mems, beta, lse))
    assert (np.abs(to_host(lse) - ref_lse) <= tol_lse).all()
    assert (np.abs(to_host(mean) - ref_mean).max(axis=1) <= tol_mean).all()


def test_device_random_numbers_repeat_with_the_seed():
    backend = cupy_backend("float32")
    a, b, c = (backend.rng(seed).normal((100_001, 2)) for seed in (5, 5, 6))
    assert type(a).__module__.startswith("cupy") and a.dtype == backend.dtype and a.shape == (100_001, 2)
    np.testing.assert_array_equal(to_host(a), to_host(b))
    assert not np.array_equal(to_host(a), to_host(c))
    host = to_host(a)
    assert abs(host.mean()) < 0.01 and abs(host.std() - 1.0) < 0.01
    u = to_host(backend.rng(5).uniform((10_000,), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() <= 3.0 and abs(u.mean() - 0.5) < 0.05


class FakeRandomState:
    """Stands in for cupy.random.RandomState: records its seed and returns arrays that say
    which draw made them."""

    def __init__(self, seed):
        self.seed = seed

    def standard_normal(self, shape, dtype):
        return np.full(shape, 7.0, dtype)

    def uniform(self, low, high, shape, dtype):
        return np.full(shape, high, dtype)


def test_rng_draws_on_the_device_for_cupy_and_on_the_host_otherwise():
    fake_cupy = types.SimpleNamespace(random=types.SimpleNamespace(RandomState=FakeRandomState),
                                      float32=np.float32, asarray=np.asarray)
    device = Rng(Backend("cupy", fake_cupy, "float32", "fake GPU"), np.random.SeedSequence(3))
    assert device.device.seed == Rng(Backend("cupy", fake_cupy, "float32", "fake"), np.random.SeedSequence(3)).device.seed
    assert device.device.seed != Rng(Backend("cupy", fake_cupy, "float32", "fake"), np.random.SeedSequence(4)).device.seed
    assert Rng(Backend("cupy", fake_cupy, "float32", "fake"), None).device.seed is None
    normal = device.normal((3, 2))
    assert normal.dtype == np.float32 and (normal == 7.0).all()
    assert (device.uniform((4,), 0.0, 2.5) == 2.5).all()
    host = Rng(get_backend("numpy", "float32"), np.random.SeedSequence(3))
    assert host.device is None
    np.testing.assert_array_equal(host.normal((3, 2)),
                                  np.random.default_rng(np.random.SeedSequence(3)).standard_normal((3, 2)).astype(np.float32))


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("d", [1, 2, 32])
def test_cuda_source_builds_with_nvcc(tmp_path, precision, d):
    """Without a GPU: the kernel compiles to machine code for a Hopper GPU (ptxas checks the
    registers and the shared memory a block declares) for every D and float type."""
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("needs nvcc")
    source = tmp_path / "lse_mean.cu"
    source.write_text(fused_cuda.SOURCE)
    r = subprocess.run([nvcc, "-cubin", "-arch=sm_90", *fused_cuda.options(d, precision), str(source),
                        "-o", str(tmp_path / "lse_mean.cubin")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


CPU_SHIM = r"""
#include <math.h>
#define __global__
#define __restrict__
#define __shared__ static
struct index3 { long long x; };
static index3 blockIdx, threadIdx, blockDim;
static void __syncthreads() {}
"""
CPU_DRIVER = r"""
extern "C" void run(const REAL* x, const REAL* mem, long long n, long long m, REAL scale, int gaussian,
                    REAL* lse, REAL* mean) {
    blockDim.x = 1; threadIdx.x = 0;
    for (long long b = 0; b < n; ++b) { blockIdx.x = b; lse_mean(x, mem, n, m, scale, gaussian, lse, mean); }
}
"""


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("d", [2, 7])
def test_cuda_kernel_arithmetic_on_the_cpu(tmp_path, precision, d):
    """Without a GPU: the kernel's source built as C++ (one thread per block, so each thread
    stages every tile itself) gives lse and mean within kernels.lse_tolerance of the float64
    reference, over several tiles, and NaN for a non-finite particle."""
    cxx = shutil.which("g++")
    if cxx is None:
        pytest.skip("needs g++")
    source = tmp_path / "lse_mean.cpp"
    source.write_text(CPU_SHIM + fused_cuda.SOURCE.replace('extern "C" __global__ void', "void") + CPU_DRIVER)
    library = tmp_path / "lse_mean.so"
    r = subprocess.run([cxx, "-O2", "-shared", "-fPIC", *fused_cuda.options(d, precision), str(source),
                        "-o", str(library)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lib = ctypes.CDLL(str(library))
    real = ctypes.c_float if precision == "float32" else ctypes.c_double
    x, memories = data(200, 2 * fused_cuda.tile(d) + 3, d, seed=d)
    x, memories = x.astype(precision), memories.astype(precision)
    x[5, 0] = np.nan
    good = np.arange(200) != 5
    for form in KERNELS:
        beta = 1.5
        lse, mean = np.empty(200, precision), np.empty((200, d), precision)
        lib.run(*(a.ctypes.data_as(ctypes.c_void_p) for a in (x, memories)), ctypes.c_longlong(200),
                ctypes.c_longlong(memories.shape[0]), real(-0.5 * beta if form == "gaussian" else beta),
                ctypes.c_int(form == "gaussian"), *(a.ctypes.data_as(ctypes.c_void_p) for a in (lse, mean)))
        ref_lse, ref_mean = reference(x[good], memories, beta, form)
        tol_lse, tol_mean = kernels.lse_tolerance(x[good], memories, beta, lse[good], form == "gaussian")
        assert (np.abs(lse[good] - ref_lse) <= tol_lse).all()
        assert (np.abs(mean[good] - ref_mean).max(axis=1) <= tol_mean).all()
        assert np.isnan(lse[5]) and np.isnan(mean[5]).all()
