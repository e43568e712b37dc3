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


def test_sync_shows_the_two_state_lyapunov_function_which_never_rises(backend):
    """Synchronous updates: the state is (s(t), s(t-1)) and its energy L(t) = -1/2 s(t)^T W s(t-1)
    (Bruck 1990), which never rises; it starts at E(s(0)) and equals E(s) at a fixed point."""
    memories = binary_patterns(12, 40)
    model = ClassicalHopfield(backend.asarray(memories), Params(model="hopfield", update="sync"))
    x = backend.asarray(np.random.default_rng(6).normal(size=(60, 40)))
    state = model.init_state(x)
    async_model = ClassicalHopfield(backend.asarray(memories), Params(model="hopfield", update="async"))
    np.testing.assert_allclose(to_host(model.energy(state)), to_host(async_model.energy(async_model.init_state(x))))
    rng = backend.rng(0)
    trace = [to_host(model.energy(state))]
    for _ in range(8):
        new = model.step(state, rng)
        np.testing.assert_array_equal(to_host(new[1]), to_host(state[0]))  # the pair moves on by one
        np.testing.assert_allclose(to_host(model.energy(new)), to_host(model.pair_energy(new[0], state[0])))
        state = new
        trace.append(to_host(model.energy(state)))
    assert_non_increasing(np.stack(trace))


def test_sync_updates_can_cycle_between_two_states(backend):
    """One memory (1, -1): W = [[0, -1/2], [-1/2, 0]]; from (1, 1) synchronous updates swap
    (1, 1) and (-1, -1) for ever (no fixed point), and L stays constant, as Bruck's function may;
    asynchronous updates reach a fixed point (the memory or its mirror) in one sweep."""
    memories = backend.asarray(np.array([[1.0, -1.0]]))
    x = backend.asarray(np.array([[1.0, 1.0]]))
    sync = ClassicalHopfield(memories, Params(model="hopfield", update="sync"))
    state, rng, seen, energies = sync.init_state(x), backend.rng(0), [], []
    for _ in range(4):
        state = sync.step(state, rng)
        seen.append(to_host(sync.visible(state))[0].tolist())
        energies.append(float(to_host(sync.energy(state))[0]))
    assert seen == [[-1.0, -1.0], [1.0, 1.0], [-1.0, -1.0], [1.0, 1.0]]
    assert energies == [energies[0]] * 4
    asyn = ClassicalHopfield(memories, Params(model="hopfield", update="async"))
    s = asyn.step(asyn.init_state(x), backend.rng(0))
    assert to_host(s)[0].tolist() in ([1.0, -1.0], [-1.0, 1.0])
    np.testing.assert_array_equal(to_host(asyn.step(s, backend.rng(1))), to_host(s))


def test_landscape_grad_is_finite_difference(backend):
    model = ClassicalHopfield(backend.asarray(binary_patterns(3, 6)), Params(model="hopfield"))
    x = backend.asarray(np.random.default_rng(2).normal(size=(5, 6)))
    np.testing.assert_allclose(to_host(model.landscape_grad(x)), fd_grad(model.landscape, x, backend), atol=1e-7)


def test_capacity_transition_near_0138_d(backend):
    assert retrieval_error(backend, 200, 10) < 0.01  # M = 0.05 D: memories retrieved
    assert retrieval_error(backend, 200, 60) > 0.1  # M = 0.3 D: retrieval has collapsed
