"""Energy bookkeeping: rises beyond round-off, the shares a viewer reads, per segment; no rise
for any associative memory at its defaults on any preset; the default diffusion run's fixed
function rises for real (the same shares in float32 and float64)."""
import numpy as np
import pytest

from memscape.engine.backend import get_backend
from memscape.engine.energy_accounting import energy_rose, rise_shares, rise_tolerance, tally_rises
from memscape.engine.presets import list_presets, load_preset
from memscape.engine.simulation import Simulation, run

AMS = ("hopfield", "dense-poly", "dense-exp", "modern", "tinybrain", "ham")
EPS32 = float(np.finfo(np.float32).eps)


def test_tolerance_is_a_multiple_of_eps_of_the_values_and_the_scale():
    prev, cur = np.array([1.0, -100.0, 0.0]), np.array([1.0, -100.0, 0.0])
    np.testing.assert_allclose(rise_tolerance(prev, cur, "float32", scale=4.0), 8 * EPS32 * (2 * np.abs(prev) + 4.0))
    assert rise_tolerance(prev, cur, "float64")[0] == pytest.approx(8 * np.finfo(np.float64).eps * 2)


def test_a_rise_counts_only_beyond_the_tolerance_and_nan_never_counts():
    prev = np.array([10.0, 10.0, 10.0, np.nan, 10.0])
    tol = 8 * EPS32 * 20.0
    cur = np.array([10.0 + 0.5 * tol, 10.0 + 2 * tol, 9.0, 11.0, np.nan])
    np.testing.assert_array_equal(energy_rose(prev, cur, "float32"), [False, True, False, False, False])
    assert energy_rose(prev, cur, "float64")[0]  # float64 round-off is far smaller


def test_shares_count_particles_and_compared_steps():
    e = np.array([[5.0, 5.0, 5.0, 5.0],
                  [4.0, 6.0, 4.0, 4.0],   # particle 1 rose
                  [3.0, 5.0, 3.0, 3.0],   # no rise
                  [3.0, 4.0, 3.5, 2.0],   # particle 2 rose
                  [np.nan] * 4])          # nothing comparable: not a step
    rises = tally_rises(e, "float64")
    np.testing.assert_array_equal(rises.rose[1], [False, True, False, False])
    assert rises.steps == 3 and rises.steps_with_rise == 2 and rises.step_share == pytest.approx(2 / 3)
    assert rises.particle_share == pytest.approx(0.5)
    np.testing.assert_array_equal(rises.ever_rose, [False, True, True, False])
    compared = np.array([False, True, True, False, False])  # a parameter change before step 3
    assert rise_shares(rises.rose, compared) == (0.25, 0.5)
    assert all(np.isnan(rise_shares(rises.rose, np.zeros(5, bool))))


@pytest.mark.parametrize("preset", [name for name, _ in list_presets()])
@pytest.mark.parametrize("model", AMS)
def test_no_associative_memory_rises_at_its_defaults_on_any_preset(preset, model):
    """At the app's precision (float32), the whole run: an AM's energy is a Lyapunov function."""
    params = load_preset(preset).replace(model=model)
    out = run(params, get_backend("numpy", "float32"))
    scale = Simulation(params.replace(particles=1), get_backend("numpy", "float32")).energy_scale
    tally = tally_rises(out["energy"], "float32", scale)
    assert tally.steps == params.steps and tally.steps_with_rise == 0


def test_the_tolerance_still_sees_an_am_step_above_its_stability_bound():
    """Below the bound (dt <= 2) the modern network never rises; at dt = 2.5 (which params
    refuse, set here past validation) the overshoot is far above round-off."""
    params = load_preset("two-wells").replace(model="modern")
    params.dt = 2.5
    backend = get_backend("numpy", "float32")
    sim = Simulation(params, backend)
    energies = [sim.frame()["energy"]] + [sim.step()["energy"] for _ in range(5)]
    assert tally_rises(np.stack(energies), "float32", sim.energy_scale).particle_share > 0.5


def test_default_diffusion_run_fixed_function_rises_the_same_in_float32_and_float64():
    """The default run (two-wells, Heun, Karras, 300 particles): -log p_sigma_ref(x_t) rises for
    28 of 300 particles, at 10 of 40 steps, all while sigma >= 0.96; float32 round-off changes
    neither share, because the tolerance absorbs it."""
    params = load_preset("two-wells")
    shares = {}
    for precision in ("float32", "float64"):
        backend = get_backend("numpy", precision)
        out = run(params.replace(precision=precision), backend)
        scale = Simulation(params.replace(particles=1, precision=precision), backend).energy_scale
        tally = tally_rises(out["energy_fixed"], precision, scale)
        shares[precision] = (tally.particle_share, tally.step_share)
        last_rise = max(t for t in range(1, 41) if energy_rose(out["energy_fixed"][t - 1], out["energy_fixed"][t],
                                                                 precision, scale).any())
        assert out["sigma"][last_rise - 1] > 0.9
    assert shares["float32"] == shares["float64"] == (28 / 300, 10 / 40)
