"""Hierarchical AM (three layers) and build_model: Lyapunov energy, gradients, retrieval (science.md 2)."""
import numpy as np
import pytest
from am_checks import (assert_descends, assert_non_increasing, assert_rate_is_the_flow_derivative, energy_trace,
                       fd_grad)

from memscape.engine.backend import to_host
from memscape.engine.energies.dense import ContinuousDenseAM
from memscape.engine.energies.ham import HierarchicalAM, feature_map
from memscape.engine.energies.hopfield import ClassicalHopfield
from memscape.engine.energies.modern import ModernHopfield
from memscape.engine.energies.tinybrain import TinyBrain
from memscape.engine.models import build_model
from memscape.engine.params import ParamError, Params


def memories(m=4, d=3, seed=0):
    """Well separated points of norm 2."""
    p = np.random.default_rng(seed).normal(size=(m, d))
    return 2.0 * p / np.linalg.norm(p, axis=1, keepdims=True)


def model_params(lv="identity", lm="softmax", dt=0.01):
    return Params(model="ham", lagrangian_v=lv, lagrangian_m=lm, hidden=6, beta=4.0, dt=dt, tau_v=1.0, tau_m=0.1)


def ham(backend, lv="identity", lm="softmax", seed=0):
    return HierarchicalAM(backend.asarray(memories()), model_params(lv, lm), backend.rng(seed))


def off_equilibrium(backend, model, seed=1, n=50):
    r = np.random.default_rng(seed)
    state = model.init_state(backend.asarray(r.normal(0.0, 1.0, size=(n, 3))))
    return tuple(x + backend.asarray(r.normal(0.0, 0.5, size=x.shape)) for x in state)


LAYERS = [("identity", "softmax"), ("tanh", "softmax"), ("sigmoid", "tanh")]


def test_three_layers_with_seeded_weights(backend):
    a, b, c = ham(backend), ham(backend), ham(backend, seed=1)
    assert [w.shape for w in a.weights] == [(6, 3), (4, 6)]
    np.testing.assert_array_equal(to_host(a.weights[0]), to_host(b.weights[0]))
    assert not np.allclose(to_host(a.weights[0]), to_host(c.weights[0]))
    # W_1 = Q / sqrt 2 with Q^T Q = I, W_2 = Xi Q^T / sqrt 2
    q = np.sqrt(2.0) * to_host(a.weights[0])
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(to_host(a.weights[1]), memories() @ q.T / np.sqrt(2.0), atol=1e-12)


def test_narrow_hidden_layer_keeps_the_memories(backend):
    """K < D: the feature map's rows are orthonormal and span the memories, so P xi = xi."""
    xi = np.random.default_rng(5).choice([-1.0, 1.0], size=(5, 40))
    q = to_host(feature_map(backend.asarray(xi), 8, backend.rng(0)))
    assert q.shape == (8, 40)
    np.testing.assert_allclose(q @ q.T, np.eye(8), atol=1e-12)
    np.testing.assert_allclose(xi @ q.T @ q, xi, atol=1e-12)
    model = HierarchicalAM(backend.asarray(xi), Params(model="ham", hidden=8, beta=1.0, dt=0.2), backend.rng(0))
    noisy = np.where(np.random.default_rng(6).random(xi.shape) < 0.15, -xi, xi)
    state = model.init_state(backend.asarray(noisy))
    for _ in range(100):
        state = model.step(state, None)
    np.testing.assert_allclose(to_host(model.visible(state)), xi, atol=1e-3)


@pytest.mark.parametrize("lv,lm", LAYERS)
def test_energy_never_rises_along_the_dynamics(backend, lv, lm):
    model = ham(backend, lv, lm)
    trace, _ = energy_trace(model, off_equilibrium(backend, model), None, 30)
    assert_non_increasing(trace)
    assert np.all(trace[-1] < trace[0])


@pytest.mark.parametrize("dt", [0.2, 3.0])
def test_energy_never_rises_for_steps_longer_than_tau(backend, dt):
    """dt > tau_m = 0.1: the explicit Euler step would blow up; the split exponential step keeps E falling."""
    model = HierarchicalAM(backend.asarray(memories()), model_params(dt=dt), backend.rng(0))
    assert_descends(model, off_equilibrium(backend, model), 20)


@pytest.mark.parametrize("lv,lm", LAYERS)
def test_energy_rate_is_negative_and_matches_finite_difference(backend, lv, lm):
    model = ham(backend, lv, lm)
    assert_rate_is_the_flow_derivative(model, off_equilibrium(backend, model))


@pytest.mark.parametrize("lv,lm", LAYERS)
def test_landscape_grad_is_finite_difference(backend, lv, lm):
    """Hidden layers at equilibrium (block descent), gradient by the envelope theorem."""
    model = ham(backend, lv, lm)
    x = backend.asarray(np.random.default_rng(2).normal(size=(6, 3)))
    eq = model.equilibrium(x)
    vel = model.velocities(eq)
    assert max(np.abs(to_host(u)).max() for u in vel[1:]) < 1e-9  # hidden layers are at rest
    np.testing.assert_allclose(to_host(model.landscape_grad(x)), fd_grad(model.landscape, x, backend),
                               rtol=1e-5, atol=1e-6)


def test_retrieval_goes_to_the_memories(backend):
    """Large beta, noisy memories as starts: the visible layer settles on the memory."""
    xi = memories()
    p = Params(model="ham", hidden=6, beta=20.0, dt=0.05, tau_v=1.0, tau_m=0.2)
    model = HierarchicalAM(backend.asarray(xi), p, backend.rng(0))
    state = model.init_state(backend.asarray(xi + np.random.default_rng(3).normal(0.0, 0.3, size=xi.shape)))
    for _ in range(400):
        state = model.step(state, None)
    np.testing.assert_allclose(to_host(model.visible(state)), xi, atol=1e-3)


@pytest.mark.parametrize("name,cls", [("hopfield", ClassicalHopfield), ("dense-poly", ContinuousDenseAM),
                                      ("dense-exp", ContinuousDenseAM), ("modern", ModernHopfield),
                                      ("tinybrain", TinyBrain), ("ham", HierarchicalAM)])
def test_build_model_dispatches_on_params_model(backend, name, cls):
    model = build_model(Params(model=name), backend.asarray(memories()), backend.rng(0))
    assert isinstance(model, cls)
    x = backend.asarray(np.random.default_rng(4).normal(size=(5, 3)))
    state = model.step(model.init_state(x), backend.rng(1))
    assert to_host(model.visible(state)).shape == (5, 3)
    assert to_host(model.energy(state)).shape == (5,)
    assert to_host(model.landscape_grad(x)).shape == (5, 3)


def test_build_model_rejects_diffusion(backend):
    with pytest.raises(ParamError, match="diffusion"):
        build_model(Params(model="diffusion"), backend.asarray(memories()), backend.rng(0))
