"""TinyBrain: Legendre layer energies, dE/dt <= 0, reduction to Modern Hopfield (science.md 2)."""
import numpy as np
import pytest
from am_checks import (assert_descends, assert_non_increasing, assert_rate_is_the_flow_derivative, energy_trace,
                       fd_grad)
from hypothesis import given, settings
from hypothesis import strategies as st

from memscape.engine.backend import get_backend, to_host
from memscape.engine.energies.modern import ModernHopfield
from memscape.engine.energies.tinybrain import TinyBrain
from memscape.engine.params import Params

# (visible, memory) Lagrangian pairs whose energy is bounded below on the states the tests visit
PAIRS = [("identity", "softmax"), ("tanh", "softmax"), ("sigmoid", "relu-poly"), ("tanh", "tanh"),
         ("identity", "sigmoid")]


def memories(m=5, d=4, seed=0):
    return np.random.default_rng(seed).normal(0.0, 0.8, size=(m, d))


def brain(backend, lv, lm):
    p = Params(model="tinybrain", lagrangian_v=lv, lagrangian_m=lm, beta=3.0, n=3, dt=0.01, tau_v=1.0,
               tau_m=0.1)
    return TinyBrain(backend.asarray(memories()), p)


def off_equilibrium(backend, model, seed=1, n=60):
    """A state with v random and m pushed away from W v_hat, so both layers move."""
    r = np.random.default_rng(seed)
    v, m = model.init_state(backend.asarray(r.normal(0.0, 1.0, size=(n, 4))))
    return v, m + backend.asarray(r.normal(0.0, 0.5, size=(n, 5)))


def test_energy_is_the_sum_of_layer_and_synapse_energies(backend):
    model = brain(backend, "tanh", "softmax")
    v, m = off_equilibrium(backend, model)
    vh, mh = to_host(v), to_host(m)
    w = memories()
    t = np.tanh(vh)
    p = np.exp(3.0 * mh - 3.0 * mh.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    e_v = 0.5 * ((1 + t) * np.log1p(t) + (1 - t) * np.log1p(-t)).sum(1)
    e_m = (p * np.log(p)).sum(1) / 3.0
    e_syn = -np.einsum("nm,md,nd->n", p, w, t)
    np.testing.assert_allclose(to_host(model.energy((v, m))), e_v + e_m + e_syn, rtol=1e-10)


@pytest.mark.parametrize("lv,lm", PAIRS)
def test_energy_never_rises_along_the_dynamics(backend, lv, lm):
    model = brain(backend, lv, lm)
    assert_descends(model, off_equilibrium(backend, model), 30)


@pytest.mark.parametrize("lv,lm", PAIRS)
def test_energy_rate_is_negative_and_matches_finite_difference(backend, lv, lm):
    """dE/dt = -sum tau x'^T Hess L x' <= 0, and equals d/dt E(state + t velocity) at t = 0."""
    model = brain(backend, lv, lm)
    assert_rate_is_the_flow_derivative(model, off_equilibrium(backend, model))


@pytest.mark.parametrize("lv,lm", PAIRS)
def test_landscape_is_energy_at_memory_equilibrium_and_grad_is_finite_difference(backend, lv, lm):
    model = brain(backend, lv, lm)
    x = backend.asarray(np.random.default_rng(2).normal(size=(7, 4)))
    v, m = model.init_state(x)
    np.testing.assert_allclose(to_host(m), to_host(model.activations((v, m))[0]) @ memories().T, rtol=1e-12)
    np.testing.assert_allclose(to_host(model.landscape(x)), to_host(model.energy((v, m))), rtol=1e-12)
    np.testing.assert_allclose(to_host(model.landscape_grad(x)), fd_grad(model.landscape, x, backend),
                               rtol=1e-6, atol=1e-7)


def test_identity_softmax_reduces_to_dot_form_modern_hopfield(backend):
    model = brain(backend, "identity", "softmax")
    modern = ModernHopfield(backend.asarray(memories()), Params(model="modern", modern_form="dot", beta=3.0))
    x = backend.asarray(np.random.default_rng(3).normal(size=(9, 4)))
    np.testing.assert_allclose(to_host(model.landscape(x)), to_host(modern.landscape(x)), rtol=1e-12)
    np.testing.assert_allclose(to_host(model.landscape_grad(x)), to_host(modern.landscape_grad(x)), atol=1e-12)
    # and the dynamics end where the attention updates end
    state, y = model.init_state(x), x
    fast = TinyBrain(backend.asarray(memories()), model_params(dt=0.05, tau_m=0.05))
    for _ in range(400):
        state = fast.step(state, None)
    for _ in range(200):
        y = modern.step(y, None)
    np.testing.assert_allclose(to_host(state[0]), to_host(y), atol=1e-6)


def model_params(**kw):
    return Params(model="tinybrain", lagrangian_v="identity", lagrangian_m="softmax", beta=3.0, **kw)


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(PAIRS), st.floats(0.01, 5.0), st.floats(0.02, 2.0), st.integers(0, 1000))
def test_energy_never_rises_for_any_step_size(pair, dt, tau_m, seed):
    """The exponential Euler step moves each layer towards its block minimiser: E falls for any dt."""
    backend = get_backend("numpy", "float64")
    model = TinyBrain(backend.asarray(memories(seed=seed)),
                      Params(model="tinybrain", lagrangian_v=pair[0], lagrangian_m=pair[1], beta=8.0, n=3,
                             dt=dt, tau_m=tau_m))
    trace, _ = energy_trace(model, off_equilibrium(backend, model, seed), None, 10)
    assert_non_increasing(trace)


def test_step_is_first_order_in_dt(backend):
    """step(x) - (x + dt dx/dt) = O(dt^2): halving dt quarters the difference."""
    errors = []
    for dt in (1e-2, 5e-3):
        model = TinyBrain(backend.asarray(memories()), model_params(dt=dt, tau_m=0.1))
        state = off_equilibrium(backend, model)
        euler = [to_host(x + dt * u) for x, u in zip(state, model.velocities(state))]
        errors.append(max(np.abs(to_host(a) - b).max() for a, b in zip(model.step(state, None), euler)))
    assert 3.0 < errors[0] / errors[1] < 5.0
