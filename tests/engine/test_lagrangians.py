"""Layer Lagrangians: activation = grad L, Hessian products, Legendre energies (science.md 2)."""
import numpy as np
import pytest
from am_checks import fd_grad
from hypothesis import given, settings
from hypothesis import strategies as st

from memscape.engine.backend import to_host
from memscape.engine.energies.lagrangians import LAGRANGIANS
from memscape.engine.params import LAGRANGIANS as LAGRANGIAN_NAMES

NAMES = list(LAGRANGIAN_NAMES)


def make(name, beta=2.0, n=3):
    return LAGRANGIANS[name](beta=beta, n=n)


def sample(backend, seed=0, shape=(6, 5), scale=1.5):
    return backend.asarray(np.random.default_rng(seed).normal(0.0, scale, shape))


def test_every_params_name_has_a_lagrangian():
    assert sorted(LAGRANGIANS) == sorted(LAGRANGIAN_NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_activation_is_the_gradient_of_the_lagrangian(backend, name):
    lag, x = make(name), sample(backend)
    np.testing.assert_allclose(to_host(lag.activation(x)), fd_grad(lag.value, x, backend), atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_hvp_is_the_derivative_of_the_activation(backend, name):
    lag, x, u = make(name), sample(backend, 1), sample(backend, 2)
    h = 1e-6
    fd = (to_host(lag.activation(x + h * u)) - to_host(lag.activation(x - h * u))) / (2 * h)
    np.testing.assert_allclose(to_host(lag.hvp(x, u)), fd, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_legendre_energy_gradient_is_hessian_times_state(backend, name):
    """dE/dx_hat = x, i.e. grad_x E = Hess L x: what makes the layer dynamics descend E."""
    lag, x = make(name), sample(backend, 3)
    np.testing.assert_allclose(to_host(lag.hvp(x, x)), fd_grad(lag.energy, x, backend), atol=1e-6)


def test_legendre_energies_have_their_closed_forms(backend):
    beta, n = 2.0, 3
    x = sample(backend, 4)
    xh = to_host(x)
    p = np.exp(beta * xh - beta * xh.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    t = np.tanh(xh)
    s = 1.0 / (1.0 + np.exp(-xh))
    r = np.maximum(xh, 0.0)
    expected = {
        "identity": 0.5 * (xh ** 2).sum(1),
        "softmax": (p * np.log(p)).sum(1) / beta,
        "tanh": 0.5 * ((1 + t) * np.log1p(t) + (1 - t) * np.log1p(-t)).sum(1),
        "sigmoid": (s * np.log(s) + (1 - s) * np.log1p(-s)).sum(1),
        "relu-poly": (1.0 - 1.0 / n) * (r ** n).sum(1),
    }
    for name, want in expected.items():
        np.testing.assert_allclose(to_host(make(name, beta, n).energy(x)), want, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", NAMES)
def test_large_states_stay_finite(backend32, name):
    x = backend32.asarray(np.array([[-300.0, -40.0, 0.0, 40.0, 300.0]]))
    lag = make(name, n=2)
    for a in (lag.value(x), lag.activation(x), lag.energy(x)):
        assert np.all(np.isfinite(to_host(a)))


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(NAMES), st.integers(0, 10_000), st.floats(0.1, 10.0))
def test_lagrangians_are_convex(name, seed, beta):
    """u^T Hess L u >= 0: the condition for dE/dt <= 0 in every layered AM."""
    from memscape.engine.backend import get_backend
    backend = get_backend("numpy", "float64")
    lag = make(name, beta=beta, n=2 + seed % 3)
    x, u = sample(backend, seed, scale=3.0), sample(backend, seed + 1)
    assert np.all(to_host((u * lag.hvp(x, u)).sum(axis=1)) >= -1e-12)
