"""curl: loop integrals and the Helmholtz-Hodge split tell a learned score from a gradient."""
import math

import numpy as np
import pytest

from memscape.engine.experiments import curl
from memscape.engine.experiments.runner import execute, make_settings


def test_the_exact_curl_is_zero_to_round_off_and_the_learned_one_is_not(backend):
    settings = make_settings(curl, ["resolution=24", "capacity=128", "fit_samples=2048"])
    result = execute(curl, settings, backend)
    exact, learned = result.select(field="exact")[0], result.select(field="learned")[0]
    # loops of radius h around points where |F| is ~10: round-off is ~1e-15 per term
    assert exact["max_loop"] < 1e-12 and exact["curl_rms"] < 1e-10
    assert learned["curl_rms"] > 1e9 * exact["curl_rms"] and learned["max_loop"] > 1e-3
    # the split's discretisation leaves a small rotational part of a gradient; far less than the learned one's
    assert exact["rotational_share"] < 0.01 < learned["rotational_share"]
    assert result.arrays["curl learned"].shape == (24, 24)
    assert result.summary["exact: rotational share"] == exact["rotational_share"]


def test_loop_integral_of_a_rotation_is_twice_the_area(backend):
    """F = (-y, x) has curl 2 everywhere, so its loop integral around a circle is 2 pi r^2."""
    centres = np.array([[0.0, 0.0], [1.5, -2.0]])
    loops = curl.loop_integrals(lambda p: p @ backend.asarray(np.array([[0.0, 1.0], [-1.0, 0.0]])),
                                centres, 0.3, 16, backend)
    np.testing.assert_allclose(loops, 2 * math.pi * 0.09, rtol=1e-12)


def grid(n=64):
    xs = np.linspace(-2, 2, n)
    x, y = np.meshgrid(xs, xs)
    return x, y, xs[1] - xs[0]


def test_helmholtz_hodge_keeps_a_gradient_and_removes_a_rotation():
    x, y, h = grid()
    g = np.exp(-(x ** 2 + y ** 2))
    gradient = np.stack([-2 * x * g, -2 * y * g], axis=-1)  # grad of exp(-r^2)
    rotation = np.stack([-2 * y * g, 2 * x * g], axis=-1)  # (d/dy, -d/dx) of -exp(-r^2): divergence-free
    grad_part, rot_part = curl.helmholtz_hodge(gradient, h, h)
    assert curl.rms(rot_part) < 0.02 * curl.rms(gradient)
    grad_part, rot_part = curl.helmholtz_hodge(rotation, h, h)
    assert curl.rms(grad_part) < 0.02 * curl.rms(rotation)
    np.testing.assert_allclose(grad_part + rot_part, rotation, atol=1e-12)


def test_a_preset_in_more_than_two_dimensions_is_refused():
    with pytest.raises(ValueError, match="needs 2-D memories"):
        make_settings(curl, ["preset=binary"])
