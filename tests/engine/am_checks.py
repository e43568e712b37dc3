"""Shared checks for the associative-memory tests: finite differences and energy traces."""
import numpy as np

from memscape.engine.backend import to_host


def fd_grad(f, x, backend, h=1e-6):
    """Central finite differences of f: (N, D) -> (N,), returned as a host (N, D) array."""
    xh = to_host(x).astype(np.float64)
    out = np.empty_like(xh)
    for j in range(xh.shape[1]):
        e = np.zeros_like(xh)
        e[:, j] = h
        out[:, j] = (to_host(f(backend.asarray(xh + e))) - to_host(f(backend.asarray(xh - e)))) / (2 * h)
    return out


def energy_trace(model, state, rng, steps):
    """Host (steps + 1, N) energies along ``steps`` steps of the model's dynamics, and the last state."""
    trace = [to_host(model.energy(state))]
    for _ in range(steps):
        state = model.step(state, rng)
        trace.append(to_host(model.energy(state)))
    return np.stack(trace), state


def assert_non_increasing(trace, tol=1e-10):
    """Every particle's energy never rises by more than ``tol`` (relative to its scale) from step to step."""
    scale = 1.0 + np.abs(trace).max()
    rises = np.diff(trace, axis=0)
    assert np.all(np.isfinite(trace))
    assert rises.max() <= tol * scale, f"energy rose by {rises.max():.3g}"


def assert_descends(model, state, steps):
    """Along ``steps`` steps of a deterministic model: the energy never rises and ends lower."""
    trace, _ = energy_trace(model, state, None, steps)
    assert_non_increasing(trace)
    assert np.all(trace[-1] < trace[0])


def assert_rate_is_the_flow_derivative(model, state, h=1e-6):
    """``model.energy_rate(state)`` equals d/dt E(state + t velocity) at t = 0 (central
    differences along the velocities), and is never positive."""
    vel = model.velocities(state)
    plus = tuple(x + h * u for x, u in zip(state, vel))
    minus = tuple(x - h * u for x, u in zip(state, vel))
    fd = (to_host(model.energy(plus)) - to_host(model.energy(minus))) / (2 * h)
    rate = to_host(model.energy_rate(state))
    np.testing.assert_allclose(rate, fd, rtol=1e-5, atol=1e-7)
    assert np.all(rate <= 0.0)
