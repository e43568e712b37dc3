"""Classical Hopfield network: Lyapunov energy, gradient, capacity near 0.138 D (science.md 2, 5)."""
import numpy as np
from am_checks import assert_non_increasing, energy_trace, fd_grad

from memscape.engine.backend import to_host
from memscape.engine.energies.hopfield import ClassicalHopfield
from memscape.engine.params import Params


def binary_patterns(m, d, seed=0):
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=(m, d))


def corrupt(patterns, fraction, seed=1):
    flip = np.random.default_rng(seed).random(patterns.shape) < fraction
    return np.where(flip, -patterns, patterns)


def retrieval_error(backend, d, m, sweeps=4, model=ClassicalHopfield):
    """Fraction of wrong bits after ``sweeps`` async sweeps from every memory with 10% of bits flipped."""
    memories = binary_patterns(m, d)
    model = model(backend.asarray(memories), Params(model="hopfield", update="async"))
    state = model.init_state(backend.asarray(corrupt(memories, 0.1)))
    rng = backend.rng(0)
    for _ in range(sweeps):
        state = model.step(state, rng)
    return np.mean(to_host(state) != memories)


def test_hebbian_weights_and_energy(backend):
    memories = binary_patterns(4, 12)
    model = ClassicalHopfield(backend.asarray(memories), Params(model="hopfield"))
    w = memories.T @ memories / 12
    np.fill_diagonal(w, 0.0)
    np.testing.assert_allclose(to_host(model.weights), w, atol=1e-14)
    s = binary_patterns(7, 12, seed=3)
    np.testing.assert_allclose(to_host(model.energy(backend.asarray(s))),
                               -0.5 * np.einsum("ni,ij,nj->n", s, w, s), atol=1e-12)


def test_init_state_is_sign_with_zero_up(backend):
    model = ClassicalHopfield(backend.asarray(binary_patterns(2, 3)), Params(model="hopfield"))
    s = model.init_state(backend.asarray(np.array([[-0.2, 0.0, 3.0]])))
    np.testing.assert_array_equal(to_host(s), [[-1.0, 1.0, 1.0]])


def test_async_energy_never_rises(backend):
    """Above capacity (M = 0.3 D) so that many flips happen; 60 random particles."""
    model = ClassicalHopfield(backend.asarray(binary_patterns(12, 40)), Params(model="hopfield", update="async"))
    state = model.init_state(backend.asarray(np.random.default_rng(5).normal(size=(60, 40))))
    trace, final = energy_trace(model, state, backend.rng(0), 15)
    assert_non_increasing(trace)
    assert np.any(trace[-1] < trace[0])
    # a bounded energy that falls at every flip: every particle ends in a fixed point
    np.testing.assert_array_equal(to_host(model.step(final, backend.rng(1))), to_host(final))


def test_sync_pair_energy_never_rises(backend):
    """Synchronous updates: L(t) = -s(t)^T W s(t-1) is the Lyapunov function (Bruck 1990)."""
    model = ClassicalHopfield(backend.asarray(binary_patterns(12, 40)), Params(model="hopfield", update="sync"))
    prev = model.init_state(backend.asarray(np.random.default_rng(6).normal(size=(60, 40))))
    rng = backend.rng(0)
    now = model.step(prev, rng)
    pair = [to_host(model.pair_energy(now, prev))]
    for _ in range(8):
        prev, now = now, model.step(now, rng)
        pair.append(to_host(model.pair_energy(now, prev)))
    assert_non_increasing(np.stack(pair))


def test_landscape_grad_is_finite_difference(backend):
    model = ClassicalHopfield(backend.asarray(binary_patterns(3, 6)), Params(model="hopfield"))
    x = backend.asarray(np.random.default_rng(2).normal(size=(5, 6)))
    np.testing.assert_allclose(to_host(model.landscape_grad(x)), fd_grad(model.landscape, x, backend), atol=1e-7)


def test_capacity_transition_near_0138_d(backend):
    assert retrieval_error(backend, 200, 10) < 0.01  # M = 0.05 D: memories retrieved
    assert retrieval_error(backend, 200, 60) > 0.1  # M = 0.3 D: retrieval has collapsed
