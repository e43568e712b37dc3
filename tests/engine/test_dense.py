"""Dense Associative Memory: binary flips and the continuous relaxation (science.md 2, 5)."""
import numpy as np
import pytest
from am_checks import assert_non_increasing, energy_trace, fd_grad
from test_hopfield import binary_patterns, retrieval_error

from hypothesis import given, settings
from hypothesis import strategies as st

from memscape.engine.backend import get_backend, to_host
from memscape.engine.energies.dense import BinaryDenseAM, ContinuousDenseAM, DenseAM
from memscape.engine.energies.modern import ModernHopfield
from memscape.engine.params import Params

MODELS = ["dense-poly", "dense-exp"]


def ring(m, radius=1.0):
    a = 2 * np.pi * np.arange(m) / m
    return radius * np.stack([np.cos(a), np.sin(a)], axis=1)


@pytest.mark.parametrize("model_name", MODELS)
def test_binary_energy_in_units_of_one_perfect_overlap(backend, model_name):
    memories = binary_patterns(5, 30)
    model = DenseAM(backend.asarray(memories), Params(model=model_name, n=3, beta=0.5))
    assert isinstance(model, BinaryDenseAM)
    s = binary_patterns(8, 30, seed=4)
    z = s @ memories.T
    want = -((z / 30) ** 3).sum(1) if model_name == "dense-poly" else -np.exp(0.5 * (z - 30)).sum(1)
    np.testing.assert_allclose(to_host(model.energy(backend.asarray(s))), want, rtol=1e-12)


@pytest.mark.parametrize("model_name,n", [("dense-poly", 2), ("dense-poly", 3), ("dense-poly", 4), ("dense-exp", 3)])
def test_binary_async_energy_never_rises(backend, model_name, n):
    """M = 0.5 D, random starts: flips happen and none raises E."""
    model = DenseAM(backend.asarray(binary_patterns(15, 30)), Params(model=model_name, n=n))
    state = model.init_state(backend.asarray(np.random.default_rng(n).normal(size=(40, 30))))
    trace, _ = energy_trace(model, state, backend.rng(0), 4)
    assert_non_increasing(trace)
    assert np.any(trace[-1] < trace[0])


def test_dense_poly_stores_more_than_classical(backend):
    """D = 100, M = 30 (0.3 D): the classical network has collapsed, n = 3 retrieves every memory."""
    assert retrieval_error(backend, 100, 30) > 0.1
    assert retrieval_error(backend, 100, 30, model=lambda mem, p: DenseAM(mem, p.replace(model="dense-poly", n=3))) < 1e-3


def test_dense_exp_binary_energy_is_finite_in_float32(backend32):
    """exp(xi . s) overflows float32 at D = 300; the reported E / F(D) does not."""
    memories = binary_patterns(4, 300)
    model = DenseAM(backend32.asarray(memories), Params(model="dense-exp", beta=1.0))
    e = to_host(model.energy(model.init_state(backend32.asarray(memories))))
    assert np.all(np.isfinite(e)) and np.all(e <= -1.0)


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(MODELS), st.integers(2, 12), st.floats(0.05, 2.0), st.integers(0, 1000))
def test_continuous_energy_never_rises_for_dt_up_to_2(model_name, n, dt, seed):
    backend = get_backend("numpy", "float64")
    model = DenseAM(backend.asarray(ring(5, 1.5)), Params(model=model_name, n=n, beta=3.0, dt=dt))
    assert isinstance(model, ContinuousDenseAM)
    x = np.random.default_rng(seed).normal(0.0, 2.0, size=(100, 2))
    trace, _ = energy_trace(model, model.init_state(backend.asarray(x)), backend.rng(0), 10)
    assert_non_increasing(trace)


def test_continuous_energy_never_rises_on_every_backend(backend):
    model = DenseAM(backend.asarray(ring(5, 1.5)), Params(model="dense-poly", n=3, dt=0.5))
    x = np.random.default_rng(1).normal(0.0, 2.0, size=(50, 2))
    trace, _ = energy_trace(model, model.init_state(backend.asarray(x)), backend.rng(0), 10)
    assert_non_increasing(trace)
    assert np.all(trace[-1] < trace[0])


def test_continuous_poly_energy_formula(backend):
    memories = ring(4, 1.0)
    model = DenseAM(backend.asarray(memories), Params(model="dense-poly", n=3))
    x = np.random.default_rng(2).normal(size=(6, 2))
    r = np.maximum(x @ memories.T, 0.0)
    want = 0.5 * (x ** 2).sum(1) - ((r ** 3).sum(1)) ** (1 / 3)
    np.testing.assert_allclose(to_host(model.energy(backend.asarray(x))), want, rtol=1e-12)


def test_continuous_exp_is_the_dot_form_modern_hopfield(backend):
    memories = backend.asarray(ring(6, 1.0))
    params = Params(model="dense-exp", beta=4.0)
    dense = DenseAM(memories, params)
    modern = ModernHopfield(memories, params.replace(model="modern", modern_form="dot"))
    x = backend.asarray(np.random.default_rng(3).normal(size=(9, 2)))
    np.testing.assert_allclose(to_host(dense.landscape(x)), to_host(modern.landscape(x)), rtol=1e-12)
    np.testing.assert_allclose(to_host(dense.landscape_grad(x)), to_host(modern.landscape_grad(x)), atol=1e-12)


def test_continuous_poly_retrieves_with_large_n(backend):
    """dt = 1 jumps to the readout Xi^T (relu(z)/g)^(n-1), which at n = 40 is the nearest memory."""
    memories = ring(5, 1.0)
    model = DenseAM(backend.asarray(memories), Params(model="dense-poly", n=40, dt=1.0))
    x = memories + np.random.default_rng(4).normal(0.0, 0.2, size=memories.shape)
    out = to_host(model.step(model.init_state(backend.asarray(x)), backend.rng(0)))
    np.testing.assert_allclose(out, memories, atol=1e-3)


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("binary", [True, False])
def test_landscape_grad_is_finite_difference(backend, model_name, binary):
    memories = binary_patterns(4, 6) if binary else ring(5, 1.0)
    model = DenseAM(backend.asarray(memories), Params(model=model_name, n=3, beta=2.0))
    x = backend.asarray(np.random.default_rng(3).normal(0.0, 0.5, size=(8, memories.shape[1])))
    np.testing.assert_allclose(to_host(model.landscape_grad(x)), fd_grad(model.landscape, x, backend),
                               rtol=1e-6, atol=1e-7)
