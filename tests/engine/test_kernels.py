"""The softmax kernels against a plain float64 reference on every path (engine/kernels.py):
the fused numba kernel and the blocked kernel on NumPy, the array-API code on
array-api-strict, with the blocking, the threads and the subnormal clamp exercised, and the
paths equal to each other over shapes, beta and float types."""
import multiprocessing

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_checks import KERNELS, PATHS, data, on_path, reference
from memscape.engine import kernels
from memscape.engine.backend import get_backend, to_host


def run(backend, form, x, memories, beta):
    lse, mean = KERNELS[form](backend.asarray(x), backend.asarray(memories), beta)
    return to_host(lse), to_host(mean)


def check(backend, form, x, memories, beta, rtol=1e-12):
    lse, mean = run(backend, form, x, memories, beta)
    ref_lse, ref_mean = reference(x, memories, beta, form)
    assert lse.shape == ref_lse.shape and mean.shape == ref_mean.shape
    scale = 1.0 + np.abs(ref_lse).max()
    np.testing.assert_allclose(lse, ref_lse, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(mean, ref_mean, rtol=0, atol=rtol * (1.0 + np.abs(memories).max()))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("form", KERNELS)
@pytest.mark.parametrize("n", [1, 7, 23])
def test_blocks_match_reference(path, form, n):
    """N below, at and not a multiple of the 5-row block; more blocks than threads."""
    x, memories = data(n, 11, 3, seed=n)
    with on_path(path, 5, 11) as backend:
        check(backend, form, x, memories, beta=2.0)


@pytest.mark.parametrize("path", PATHS)
def test_fused_chunks_carry_the_running_maximum(path):
    """More memories than one fused chunk (256), with the best memory in a late chunk: the
    running maximum rises mid-row and the earlier chunks' sums are rescaled."""
    x, memories = data(9, 700, 2, seed=11)
    memories[650] = x[0] + 1e-3  # particle 0's winner sits in the third chunk
    with on_path(path) as backend:
        for form in KERNELS:
            check(backend, form, x, memories, beta=50.0)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("form", KERNELS)
@pytest.mark.parametrize("beta", [1e-9, 1e-3, 1.0, 1e3, 1e6])
def test_extreme_beta_is_finite_and_exact(path, form, beta):
    """Huge beta (one-hot weights, logits of 1e7) and tiny beta (uniform weights) in float64."""
    x, memories = data(19, 13, 4, seed=3, scale=2.0)
    with on_path(path, 6, 13) as backend:
        check(backend, form, x, memories, beta)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("form", KERNELS)
def test_float32_huge_beta_picks_the_winning_memory(path, form):
    """float32 at beta = 1e8: no overflow, no NaN, and the weights are one-hot on the winner."""
    x, memories = data(300, 40, 5, seed=4)
    with on_path(path):
        b32 = get_backend("array_api_strict" if path == "generic" else "numpy", "float32")
        lse, mean = KERNELS[form](b32.asarray(x), b32.asarray(memories), 1e8)
        assert lse.dtype == b32.dtype and mean.dtype == b32.dtype
        lse, mean = to_host(lse), to_host(mean)
    assert np.isfinite(lse).all() and np.isfinite(mean).all()
    ref_lse, _ = reference(x, memories, 1e8, form)
    logits = (-((x[:, None] - memories[None]) ** 2).sum(2) if form == "gaussian" else x @ memories.T)
    np.testing.assert_allclose(mean, memories[np.argmax(logits, axis=1)].astype(np.float32), atol=1e-6)
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-5)


@pytest.mark.parametrize("path", ("fused", "fused-few", "blocked", "no-numba"))
@pytest.mark.parametrize("form", KERNELS)
def test_float32_default_precision(path, form):
    """float32 in, float32 out, even for a NumPy float64 beta (1/sigma^2 from a host schedule)."""
    x, memories = data(500, 64, 2, seed=5)
    b32 = get_backend("numpy", "float32")
    with on_path(path):
        lse, mean = KERNELS[form](b32.asarray(x), b32.asarray(memories), np.float64(3.0))
    assert lse.dtype == np.float32 and mean.dtype == np.float32
    ref_lse, ref_mean = reference(x, memories, 3.0, form)
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-5)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NumPy on the NaN rows
@pytest.mark.parametrize("path", PATHS)
def test_non_finite_particle_gives_nan_and_spares_the_others(path):
    x, memories = data(12, 7, 3, seed=9)
    x[4, 1], x[8, 0] = np.nan, np.inf
    bad = np.zeros(12, bool)
    bad[[4, 8]] = True
    with on_path(path, 4, 7) as backend:
        for form in KERNELS:
            lse, mean = run(backend, form, x, memories, 1.5)
            ref_lse, ref_mean = reference(x[~bad], memories, 1.5, form)
            assert not np.isfinite(lse[bad]).any() and np.isnan(mean[bad]).all()
            np.testing.assert_allclose(lse[~bad], ref_lse, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(mean[~bad], ref_mean, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("form", KERNELS)
def test_threads_are_bit_identical_to_one_thread(form):
    """The rows a thread computes do not depend on which thread computes them, on the fused
    and on the blocked NumPy path."""
    x, memories = data(37, 9, 3, seed=6)
    for path in ("fused", "fused-few", "blocked", "no-numba"):
        with on_path(path, 4, 9):
            threaded = KERNELS[form](x, memories, 5.0)
        with on_path(path, 4, 9, threads=False):
            single = KERNELS[form](x, memories, 5.0)
        for a, b in zip(threaded, single):
            np.testing.assert_array_equal(a, b)


def test_without_numba_the_status_says_so():
    with on_path("no-numba"):
        assert "unavailable: ImportError" in kernels.fused_cpu_status()
    assert kernels.fused_cpu_status().startswith("fused numba")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 40), m=st.integers(1, 300), d=st.integers(1, 40), rows=st.integers(1, 9),
       log_beta=st.floats(-3, 5), offset=st.floats(-5, 5), form=st.sampled_from(sorted(KERNELS)),
       precision=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 2 ** 16))
def test_paths_agree_with_the_reference(n, m, d, rows, log_beta, offset, form, precision, seed):
    """fused == blocked == generic == the float64 reference of the same inputs, within
    kernels.lse_tolerance, over shapes (D on both sides of FUSED_MAX_D), beta, data away
    from the origin (where the matmul form cancels) and both float types."""
    x, memories = data(n, m, d, seed=seed)
    x, memories = (x + offset).astype(precision), (memories + offset).astype(precision)
    beta = 10.0 ** log_beta / d
    ref_lse, ref_mean = reference(x, memories, beta, form)
    for path in PATHS:
        with on_path(path, rows, m):
            b = get_backend("array_api_strict" if path == "generic" else "numpy", precision)
            xs, mems = b.asarray(x), b.asarray(memories)
            lse, mean = KERNELS[form](xs, mems, beta)
            tol_lse, tol_mean = (to_host(t) for t in kernels.lse_tolerance(xs, mems, beta, lse, form == "gaussian"))
        lse, mean = to_host(lse), to_host(mean)
        assert lse.dtype == np.dtype(precision) and mean.dtype == np.dtype(precision)
        assert (np.abs(lse - ref_lse) <= tol_lse).all(), path
        assert (np.abs(mean - ref_mean).max(axis=1) <= tol_mean).all(), path


def test_sq_dists(backend):
    x, memories = data(8, 5, 3, seed=7)
    memories[0] = x[0]  # a zero distance, which rounding must not push below 0
    d = to_host(kernels.sq_dists(backend.asarray(x), backend.asarray(memories)))
    np.testing.assert_allclose(d, ((x[:, None] - memories[None]) ** 2).sum(2), atol=1e-12)
    assert (d >= 0).all()


def _kernel_in_child(x, memories, expected):
    np.testing.assert_array_equal(kernels.gaussian_lse_mean(x, memories, 1.0)[1], expected)


@pytest.mark.parametrize("path", ("fused", "fused-few", "blocked", "no-numba"))
def test_threaded_kernels_work_in_a_forked_child(path):
    """A child forked after the worker threads started gets threads of its own (no deadlock)."""
    x, memories = data(40, 9, 2, seed=8)
    with on_path(path, 4, 9):
        expected = kernels.gaussian_lse_mean(x, memories, 1.0)[1]  # the parent's threads exist now
        child = multiprocessing.get_context("fork").Process(target=_kernel_in_child, args=(x, memories, expected))
        child.start()
        child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the kernel deadlocked in a forked child")
    assert child.exitcode == 0
