"""The softmax kernels against a plain float64 reference, on both backends, with the
blocking, the threads and the subnormal clamp exercised (engine/kernels.py)."""
import contextlib
import multiprocessing

import array_api_compat.numpy as compat_numpy
import numpy as np
import pytest
import scipy.special
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memscape.engine import kernels
from memscape.engine.backend import to_host

KERNELS = {"gaussian": kernels.gaussian_lse_mean, "dot": kernels.dot_lse_mean}


def reference(x, memories, beta, form):
    """lse and softmax-weighted mean from the (N, M) logits formed directly, in float64."""
    x, memories = np.asarray(x, np.float64), np.asarray(memories, np.float64)
    if form == "gaussian":
        logits = -0.5 * beta * ((x[:, None, :] - memories[None, :, :]) ** 2).sum(axis=2)
    else:
        logits = beta * (x @ memories.T)
    return scipy.special.logsumexp(logits, axis=1), scipy.special.softmax(logits, axis=1) @ memories


@contextlib.contextmanager
def small_blocks(rows, m, threads=True):
    """Blocks of ``rows`` rows (for ``m`` memories) on every path, and two worker threads
    (or none) on NumPy."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernels, "MIN_ROWS", 1)
        mp.setattr(kernels, "BLOCK_ELEMENTS", rows * m)
        mp.setattr(kernels, "GENERIC_BLOCK_ELEMENTS", rows * m)
        mp.setattr(kernels, "_WORKERS", 2)
        mp.setattr(kernels, "THREADED_MAX_D", 1_000_000 if threads else 0)
        yield


def data(n, m, d, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) * scale, rng.standard_normal((m, d)) * scale


def check(backend, form, x, memories, beta, rtol=1e-12):
    lse, mean = KERNELS[form](backend.asarray(x), backend.asarray(memories), beta)
    ref_lse, ref_mean = reference(x, memories, beta, form)
    lse, mean = to_host(lse), to_host(mean)
    assert lse.shape == ref_lse.shape and mean.shape == ref_mean.shape
    scale = 1.0 + np.abs(ref_lse).max()
    np.testing.assert_allclose(lse, ref_lse, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(mean, ref_mean, rtol=0, atol=rtol * (1.0 + np.abs(memories).max()))


@pytest.mark.parametrize("form", KERNELS)
@pytest.mark.parametrize("n", [1, 7, 23])
def test_blocks_match_reference(backend, form, n):
    """N below, at and not a multiple of the 5-row block; more blocks than threads."""
    x, memories = data(n, 11, 3, seed=n)
    with small_blocks(5, 11):
        check(backend, form, x, memories, beta=2.0)


@pytest.mark.parametrize("form", KERNELS)
@pytest.mark.parametrize("beta", [1e-9, 1e-3, 1.0, 1e3, 1e6])
def test_extreme_beta_is_finite_and_exact(backend, form, beta):
    """Huge beta (one-hot weights, logits of 1e7) and tiny beta (uniform weights) in float64."""
    x, memories = data(19, 13, 4, seed=3, scale=2.0)
    with small_blocks(6, 13):
        check(backend, form, x, memories, beta)


@pytest.mark.parametrize("form", KERNELS)
def test_float32_huge_beta_picks_the_winning_memory(backend32, form):
    """float32 at beta = 1e8: no overflow, no NaN, and the weights are one-hot on the winner."""
    x, memories = data(300, 40, 5, seed=4)
    lse, mean = KERNELS[form](backend32.asarray(x), backend32.asarray(memories), 1e8)
    assert lse.dtype == np.float32 and mean.dtype == np.float32
    assert np.isfinite(lse).all() and np.isfinite(mean).all()
    ref_lse, _ = reference(x, memories, 1e8, form)
    logits = (-((x[:, None] - memories[None]) ** 2).sum(2) if form == "gaussian" else x @ memories.T)
    np.testing.assert_allclose(mean, memories[np.argmax(logits, axis=1)].astype(np.float32), atol=1e-6)
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-5)


@pytest.mark.parametrize("form", KERNELS)
def test_float32_default_precision(backend32, form):
    """float32 in, float32 out, even for a NumPy float64 beta (1/sigma^2 from a host schedule)."""
    x, memories = data(500, 64, 2, seed=5)
    lse, mean = KERNELS[form](backend32.asarray(x), backend32.asarray(memories), np.float64(3.0))
    assert lse.dtype == np.float32 and mean.dtype == np.float32
    ref_lse, ref_mean = reference(x, memories, 3.0, form)
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-5)


@pytest.mark.parametrize("form", KERNELS)
def test_numpy_path_equals_generic_path(form):
    """The in-place NumPy blocks and the array-API code (the CuPy path) give the same
    numbers on the same NumPy input, and the threaded blocks are bit-identical."""
    x, memories = data(37, 9, 3, seed=6)
    kernel = KERNELS[form]
    with small_blocks(4, 9):
        threaded = kernel(x, memories, 5.0)
        generic = kernels._lse_mean_generic(compat_numpy, 5.0 * x, memories, None if form == "dot"
                                            else -2.5 * (memories ** 2).sum(1))
    with small_blocks(4, 9, threads=False):
        single = kernel(x, memories, 5.0)
    for a, b in zip(threaded, single):
        np.testing.assert_array_equal(a, b)
    if form == "gaussian":
        generic = (generic[0] - 2.5 * (x ** 2).sum(1), generic[1])
    for a, b in zip(threaded, generic):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 40), m=st.integers(1, 20), d=st.integers(1, 6), rows=st.integers(1, 9),
       log_beta=st.floats(-3, 3), form=st.sampled_from(sorted(KERNELS)), seed=st.integers(0, 2 ** 16))
def test_random_shapes_match_reference(backend, n, m, d, rows, log_beta, form, seed):
    x, memories = data(n, m, d, seed=seed)
    with small_blocks(rows, m):
        check(backend, form, x, memories, 10.0 ** log_beta, rtol=1e-10)


def test_sq_dists(backend):
    x, memories = data(8, 5, 3, seed=7)
    memories[0] = x[0]  # a zero distance, which rounding must not push below 0
    d = to_host(kernels.sq_dists(backend.asarray(x), backend.asarray(memories)))
    np.testing.assert_allclose(d, ((x[:, None] - memories[None]) ** 2).sum(2), atol=1e-12)
    assert (d >= 0).all()


def _kernel_in_child(x, memories, expected):
    np.testing.assert_array_equal(kernels.gaussian_lse_mean(x, memories, 1.0)[1], expected)


def test_threaded_kernels_work_in_a_forked_child():
    """A child forked after the worker threads started gets threads of its own (no deadlock)."""
    x, memories = data(40, 9, 2, seed=8)
    with small_blocks(4, 9):
        expected = kernels.gaussian_lse_mean(x, memories, 1.0)[1]  # the parent's threads exist now
        child = multiprocessing.get_context("fork").Process(target=_kernel_in_child, args=(x, memories, expected))
        child.start()
        child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the kernel deadlocked in a forked child")
    assert child.exitcode == 0
