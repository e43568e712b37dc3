"""Modern Hopfield network: CCCP energy descent, gradient, one-step retrieval, metastable mean (science.md 2, 5)."""
import numpy as np
import pytest
from am_checks import assert_non_increasing, energy_trace, fd_grad
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp, softmax

from memscape.engine.backend import get_backend, to_host
from memscape.engine.energies.modern import ModernHopfield
from memscape.engine.params import Params

FORMS = ["distance", "dot"]


def patterns(m=6, d=8, scale=3.0, seed=0):
    """Random patterns of equal norm ``scale`` (far apart for d = 8)."""
    p = np.random.default_rng(seed).normal(size=(m, d))
    return scale * p / np.linalg.norm(p, axis=1, keepdims=True)


def model(backend, memories, form, beta, dt=1.0):
    return ModernHopfield(backend.asarray(memories), Params(model="modern", modern_form=form, beta=beta, dt=dt))


def test_energies_and_update_match_their_formulas(backend):
    xi = patterns()
    x = np.random.default_rng(1).normal(size=(7, 8))
    beta = 1.3
    logits = -0.5 * beta * ((x[:, None, :] - xi[None]) ** 2).sum(-1)
    dist = model(backend, xi, "distance", beta)
    np.testing.assert_allclose(to_host(dist.landscape(backend.asarray(x))), -logsumexp(logits, axis=1) / beta, rtol=1e-10)
    np.testing.assert_allclose(to_host(dist.step(backend.asarray(x), None)), softmax(logits, axis=1) @ xi, atol=1e-10)
    dot = model(backend, xi, "dot", beta)
    logits = beta * x @ xi.T
    np.testing.assert_allclose(to_host(dot.landscape(backend.asarray(x))),
                               -logsumexp(logits, axis=1) / beta + 0.5 * (x ** 2).sum(1), rtol=1e-10)
    # dt = 1 is the attention update x <- Xi^T softmax(beta Xi x)
    np.testing.assert_allclose(to_host(dot.step(backend.asarray(x), None)), softmax(logits, axis=1) @ xi, atol=1e-10)


@pytest.mark.parametrize("form", FORMS)
def test_landscape_grad_is_finite_difference(backend, form):
    m = model(backend, patterns(scale=1.5), form, beta=2.0)
    x = backend.asarray(np.random.default_rng(2).normal(size=(6, 8)))
    np.testing.assert_allclose(to_host(m.landscape_grad(x)), fd_grad(m.landscape, x, backend), atol=1e-7)


@pytest.mark.parametrize("form", FORMS)
def test_energy_never_rises_on_every_backend(backend, form):
    m = model(backend, patterns(scale=2.0), form, beta=4.0, dt=1.5)
    x = backend.asarray(np.random.default_rng(3).normal(0.0, 2.0, size=(80, 8)))
    trace, _ = energy_trace(m, m.init_state(x), None, 6)
    assert_non_increasing(trace)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(FORMS), st.floats(0.01, 2.0), st.floats(0.05, 30.0), st.integers(0, 1000))
def test_energy_never_rises_for_dt_up_to_2(form, dt, beta, seed):
    """The concave-convex bound: E((1 - dt) x + dt a(x)) <= E(x) for 0 < dt <= 2."""
    backend = get_backend("numpy", "float64")
    m = model(backend, patterns(m=5, d=3, scale=2.0, seed=seed), form, beta, dt)
    x = backend.asarray(np.random.default_rng(seed + 1).normal(0.0, 3.0, size=(100, 3)))
    trace, _ = energy_trace(m, m.init_state(x), None, 5)
    assert_non_increasing(trace)


@pytest.mark.parametrize("form", FORMS)
def test_one_step_retrieval_of_separated_patterns(backend, form):
    """Large beta: one step (dt = 1) from a noisy pattern lands within 1e-3 of it."""
    xi = patterns(scale=3.0)
    m = model(backend, xi, form, beta=20.0)
    noisy = xi + np.random.default_rng(4).normal(0.0, 0.3, size=xi.shape)
    out = to_host(m.step(m.init_state(backend.asarray(noisy)), None))
    assert np.abs(out - xi).max() < 1e-3


@pytest.mark.parametrize("form", FORMS)
def test_small_beta_fixed_point_is_near_the_mean(backend, form):
    """Small beta: the softmax is nearly uniform, so the single (metastable) fixed point is near the mean."""
    xi = patterns(scale=1.0)
    m = model(backend, xi, form, beta=0.01)
    x = m.init_state(backend.asarray(np.random.default_rng(5).normal(0.0, 2.0, size=(10, 8))))
    for _ in range(5):
        x = m.step(x, None)
    out = to_host(x)
    assert np.abs(to_host(m.landscape_grad(x))).max() < 1e-6  # a fixed point
    assert np.abs(out - xi.mean(axis=0)).max() < 0.02


@pytest.mark.parametrize("form", FORMS)
def test_a_step_after_the_energy_reuses_its_readout_bit_for_bit(backend, form, monkeypatch):
    """energy(x) keeps a(x) for the step from x: the same new state as a step on its own, and
    one kernel call for the pair instead of two; a different array gets its own call."""
    xi = patterns()
    x = backend.asarray(np.random.default_rng(2).normal(size=(9, 8)))
    alone = to_host(model(backend, xi, form, 0.7, dt=0.5).step(x, None))
    am = model(backend, xi, form, 0.7, dt=0.5)
    calls = []
    real = am.energy_readout
    monkeypatch.setattr(am, "energy_readout", lambda s, *a: calls.append(1) or real(s, *a))
    am.energy(x)
    np.testing.assert_array_equal(to_host(am.step(x, None)), alone)
    assert len(calls) == 1
    am.step(x + 0.0, None)
    assert len(calls) == 2
