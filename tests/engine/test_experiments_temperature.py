"""temperature: Modern Hopfield at beta = 1 / sigma^2 is the Euler sampler, step for step."""
import numpy as np
import pytest

from memscape.engine import schedules
from memscape.engine.experiments import temperature
from memscape.engine.experiments.runner import execute, make_settings, preset_params


@pytest.mark.parametrize("preset", ["two-wells", "ring"])
def test_the_matched_am_coincides_with_euler_and_fixed_dt_scales_the_updates(backend, preset):
    settings = make_settings(temperature, [f"preset={preset}", "steps=12", "particles=30", "fixed_dt=0.5"])
    result = execute(temperature, settings, backend)
    matched, fixed = result.select(variant="matched"), result.select(variant="fixed")
    assert len(matched) == len(fixed) == 12
    assert max(r["gap_max"] for r in matched) < 1e-10
    np.testing.assert_allclose(result.column("update_ratio", matched), 1.0, rtol=1e-9)
    sigmas = schedules.make_sigmas(preset_params(settings).replace(steps=12))
    np.testing.assert_allclose(result.column("sigma", matched), sigmas[:-1], rtol=1e-12)
    np.testing.assert_allclose(result.column("dt", matched), 1 - sigmas[1:] / sigmas[:-1], rtol=1e-12)
    # x + dt (D - x) against x + (1 - sigma_i+1 / sigma_i)(D - x) from the same state
    np.testing.assert_allclose(result.column("update_ratio", fixed), 0.5 / (1 - sigmas[1:] / sigmas[:-1]),
                               rtol=1e-9)
    assert max(r["gap_max"] for r in fixed) > 1e-2


def test_heun_is_not_the_matched_am():
    from memscape.engine.backend import get_backend

    settings = make_settings(temperature, ["sampler=heun", "steps=12", "particles=30"])
    result = execute(temperature, settings, get_backend("numpy", "float64"))
    assert max(r["gap_max"] for r in result.select(variant="matched")) > 1e-3
