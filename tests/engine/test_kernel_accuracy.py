"""float32 distances stay exact near a memory at large beta (issue 10): in the regime of the
energy trace (x within sigma of a memory, beta = 1/sigma^2 up to 1/sigma_min^2 = 2.5e5) the
kernels' lse and mean are within kernels.lse_tolerance of the float64 evaluation of the same
float32 inputs, on every path; the plain |x|^2 - 2 x.xi + |xi|^2 form is not."""
import numpy as np
import pytest

from kernel_checks import PATHS, on_path, reference
from memscape.engine import kernels
from memscape.engine.backend import get_backend, to_host
from memscape.engine.presets import load_preset
from memscape.engine.simulation import Simulation


SIGMAS = (0.002, 0.01, 0.05, 0.3)


def memories_of(preset):
    return Simulation(load_preset(preset).replace(particles=1, backend="numpy")).memories_host


def near_memories(memories, sigma, n=400, seed=0):
    """n particles within sigma of a memory each (a random direction, a random radius <= sigma)."""
    rng = np.random.default_rng(seed)
    m, d = memories.shape
    step = rng.standard_normal((n, d))
    step *= sigma * rng.uniform(0.0, 1.0, (n, 1)) / np.linalg.norm(step, axis=1, keepdims=True)
    return memories[rng.integers(0, m, n)] + step


CASES = {  # name: memories (M, D), float32
    "two-wells": memories_of("two-wells"),
    "ring": memories_of("ring"),
    "letters (D=256)": memories_of("letters"),
    "random D=64 off the origin": np.random.default_rng(1).standard_normal((50, 64)) + 3.0,
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("case", CASES)
def test_float32_within_tolerance_near_memories(path, sigma, case):
    memories = CASES[case].astype(np.float32)
    x = near_memories(memories.astype(np.float64), sigma).astype(np.float32)
    beta = 1.0 / sigma ** 2
    ref_lse, ref_mean = reference(x, memories, beta, "gaussian")
    with on_path(path):
        b32 = get_backend("array_api_strict" if path == "generic" else "numpy", "float32")
        xs, mems = b32.asarray(x), b32.asarray(memories)
        lse, mean = kernels.gaussian_lse_mean(xs, mems, beta)
        tol_lse, tol_mean = (to_host(t) for t in kernels.lse_tolerance(xs, mems, beta, lse))
    lse, mean = to_host(lse), to_host(mean)
    assert lse.dtype == np.float32
    assert (np.abs(lse - ref_lse) <= tol_lse).all()
    assert (np.abs(mean - ref_mean).max(axis=1) <= tol_mean).all()


def test_the_tolerance_is_tight_enough_to_catch_the_cancelling_form():
    """The plain matmul form |x|^2 - 2 x.xi + |xi|^2 in float32 misses the same tolerance by
    orders of magnitude at sigma_min: the test above can fail."""
    memories = CASES["two-wells"].astype(np.float32)
    x = near_memories(memories.astype(np.float64), 0.002).astype(np.float32)
    beta = 1.0 / 0.002 ** 2
    ref_lse, _ = reference(x, memories, beta, "gaussian")
    plain = (-0.5 * beta) * kernels.sq_dists(x, memories)
    plain_lse = np.log(np.exp(plain - plain.max(1, keepdims=True)).sum(1)) + plain.max(1)
    tol_lse, _ = kernels.lse_tolerance(x, memories, beta, kernels.gaussian_lse_mean(x, memories, beta)[0])
    assert np.max(np.abs(plain_lse - ref_lse) / tol_lse) > 100


@pytest.mark.parametrize("path", ("blocked", "generic"))
def test_rows_far_from_every_memory_are_not_recomputed(path, monkeypatch):
    """The recomputation touches only the rows whose matmul form would cancel: particles
    spread over the data at sigma = 1 (centred memories) need none of it."""
    memories = CASES["ring"]
    x = np.random.default_rng(2).standard_normal((300, 2))
    recomputed = []
    real = kernels._refine

    def counting(xp, logits, top, offset, *args):
        new_top, new_offset = real(xp, logits, top, offset, *args)
        recomputed.append(int(np.count_nonzero(to_host(new_offset) != to_host(offset))))
        return new_top, new_offset

    monkeypatch.setattr(kernels, "_refine", counting)
    with on_path(path) as backend:
        kernels.gaussian_lse_mean(backend.asarray(x), backend.asarray(memories), 1.0)
        assert recomputed and sum(recomputed) == 0
        kernels.gaussian_lse_mean(backend.asarray(near_memories(memories, 0.002)), backend.asarray(memories), 2.5e5)
        assert sum(recomputed) == 400  # every particle near a memory at sigma_min


FUSED_CPU = kernels._fused_cpu()
if FUSED_CPU is not None:  # at module level: a jitted function that dies leaves a dead weakref.proxy behind
    import numba

    @numba.njit
    def fused_exp_of_each(t, out):
        for i in range(t.shape[0]):
            out[i] = FUSED_CPU._exp(t[i])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_exp_is_within_an_ulp(dtype):
    """engine.fused_cpu's polynomial exp over the range the kernels use, [log(tiny)/2, 0],
    against exp in a wider type: at most 1 ulp (the module docstring's claim)."""
    if FUSED_CPU is None:
        pytest.skip(kernels.fused_cpu_status())
    floor = 0.5 * np.log(np.finfo(dtype).tiny)
    t = np.concatenate([np.linspace(floor, 0.0, 200_001), -np.logspace(-12, 0, 2_001)]).astype(dtype)
    got = np.empty_like(t)
    fused_exp_of_each(t, got)
    wide = np.exp(t.astype(np.longdouble))
    ulps = np.abs(got.astype(np.longdouble) - wide) / np.spacing(wide.astype(dtype)).astype(np.longdouble)
    assert ulps.max() <= 1.0
