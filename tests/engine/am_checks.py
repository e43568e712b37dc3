"""Shared checks for the associative-memory tests: finite differences and energy traces."""
import numpy as np

from engine.backend import to_host


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
