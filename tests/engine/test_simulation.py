"""Simulation: frames per the contract, AM energy that never rises, diffusion that ends on
memories, exact init, reproducibility, live parameter changes and divergence detection."""
import json

import numpy as np
import pytest

from memscape.engine import backend as engine_backend
from memscape.engine.params import Params
from memscape.engine.presets import load_preset
from memscape.engine.simulation import DivergenceError, Simulation, run

KEYS = {"step", "x", "energy", "sigma", "denoised", "done"}


def two_wells(**kw):
    return load_preset("two-wells").replace(**{"particles": 64, "steps": 20, **kw})


def check_frame(frame, n, d, step):
    assert set(frame) == KEYS and frame["step"] == step
    assert isinstance(frame["x"], np.ndarray) and frame["x"].shape == (n, d)
    assert isinstance(frame["energy"], np.ndarray) and frame["energy"].shape == (n,)
    assert isinstance(frame["sigma"], float) and isinstance(frame["done"], bool)
    assert frame["denoised"] is None or frame["denoised"].shape == (n, d)


def test_diffusion_frames_follow_the_contract(backend):
    sim = Simulation(two_wells(), backend)
    check_frame(sim.frame(), 64, 2, 0)
    assert sim.frame()["sigma"] == sim.sigmas[0] and sim.sigmas[-1] == 0
    for t in range(1, 21):
        frame = sim.step()
        check_frame(frame, 64, 2, t)
        assert isinstance(frame["denoised"], np.ndarray)
        assert frame["sigma"] == sim.sigmas[t]
        assert frame["done"] == (t == 20)
        energy_ok = np.isnan(frame["energy"]).all() if frame["sigma"] == 0 else np.isfinite(frame["energy"]).all()
        assert energy_ok  # E_sigma(x) while sigma > 0, NaN at sigma = 0
    assert sim.done and sim.step() is sim.frame()  # stepping a finished run changes nothing


def test_am_frames_follow_the_contract(backend):
    sim = Simulation(two_wells(model="modern", steps=5), backend)
    for t in range(6):
        frame = sim.step() if t else sim.frame()
        check_frame(frame, 64, 2, t)
        assert np.isnan(frame["sigma"]) and frame["denoised"] is None
    assert sim.done


def test_one_device_to_host_copy_per_frame(backend, monkeypatch):
    copies = []
    real = engine_backend.to_host
    monkeypatch.setattr(engine_backend, "to_host", lambda a: copies.append(1) or real(a))
    for params in (two_wells(), two_wells(model="modern")):
        sim = Simulation(params, backend)
        copies.clear()
        sim.step()
        sim.frame()
        assert len(copies) == 1


@pytest.mark.parametrize("model, preset", [("modern", "ring"), ("dense-exp", "ring"),
                                           ("tinybrain", "two-wells"), ("hopfield", "binary")])
def test_am_energy_never_rises_along_a_run(backend, model, preset):
    params = load_preset(preset).replace(model=model, particles=32, steps=15, dt=0.2)
    sim = Simulation(params, backend)
    energies = [sim.frame()["energy"]] + [sim.step()["energy"] for _ in range(15)]
    rises = np.diff(np.stack(energies), axis=0)
    assert np.all(rises <= 1e-9 * (1 + np.abs(np.stack(energies[:-1]))))


def test_diffusion_heun_ends_on_the_two_wells(backend):
    params = load_preset("two-wells").replace(particles=200)
    sim = Simulation(params, backend)
    while not sim.done:
        sim.step()
    x = sim.frame()["x"]
    dist = np.min(np.linalg.norm(x[:, None, :] - sim.memories_host[None], axis=2), axis=1)
    assert dist.max() < 1e-3
    assert 0.25 < np.mean(x[:, 0] > 0) < 0.75  # both wells are reached


def test_gaussian_preset_uses_the_exact_gaussian_model(backend):
    params = load_preset("gaussian").replace(particles=4000, steps=30)
    out = run(params, backend)
    final = out["positions"][-1]
    np.testing.assert_allclose(final.mean(axis=0), [1.0, -0.5], atol=0.05)
    np.testing.assert_allclose(final.var(axis=0), 0.25, rtol=0.12)
    # not collapsed onto the 64 samples the AMs store
    dist = np.min(np.linalg.norm(final[:, None] - out["memories"][None], axis=2), axis=1)
    assert np.median(dist) > 0.02


def test_init_is_used_exactly(backend):
    init = np.array([[0.3, -0.2], [5.0, 5.0], [-1.0, 0.0]])
    for model in ("diffusion", "modern"):
        sim = Simulation(two_wells(model=model), backend, init=init)
        np.testing.assert_array_equal(sim.frame()["x"], init)
        sim.step()
        sim.reset()
        np.testing.assert_array_equal(sim.frame()["x"], init)  # reset keeps the given start


def test_bad_init_shape_is_refused(backend):
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        Simulation(two_wells(), backend, init=np.zeros((4, 3)))


def test_same_seed_same_run_other_seed_other_run(backend):
    params = two_wells(sampler="heun")
    a, b = run(params, backend), run(params, backend)
    np.testing.assert_array_equal(a["positions"], b["positions"])
    c = run(params.replace(seed=1), backend)
    assert not np.allclose(a["positions"][0], c["positions"][0])


def test_side_by_side_twins_share_the_start(backend):
    dm = Simulation(two_wells(), backend)
    am = dm.twin(two_wells(model="modern"))
    np.testing.assert_array_equal(dm.frame()["x"], am.frame()["x"])
    # the same params with another model also draw the same start from the seed
    np.testing.assert_array_equal(Simulation(two_wells(model="tinybrain"), backend).initial, dm.initial)


def test_set_params_mid_run_keeps_the_particles(backend):
    sim = Simulation(two_wells(steps=30), backend)
    for _ in range(10):
        sim.step()
    before, sigma = sim.frame()["x"].copy(), sim.frame()["sigma"]
    frame = sim.set_params(sim.params.replace(schedule="ve", steps=50, sampler="euler"))
    np.testing.assert_array_equal(frame["x"], before)
    assert frame["sigma"] <= sigma and sim.sigmas[sim.i - 1] > sigma  # nearest sigma not above
    while not sim.done:
        sim.step()
    assert sim.frame()["sigma"] == 0

    am = Simulation(two_wells(model="modern", steps=30), backend)
    for _ in range(3):
        am.step()
    before, energy = am.frame()["x"].copy(), am.frame()["energy"].copy()
    frame = am.set_params(am.params.replace(beta=1.0, dt=0.5))
    np.testing.assert_array_equal(frame["x"], before)
    assert frame["step"] == 3 and not np.allclose(frame["energy"], energy)  # the new beta's energy


def test_set_params_with_new_particle_count_resets(backend):
    sim = Simulation(two_wells(), backend)
    sim.step()
    frame = sim.set_params(sim.params.replace(particles=10))
    assert frame["step"] == 0 and frame["x"].shape == (10, 2)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow itself
def test_divergence_is_detected_not_drawn(backend):
    sim = Simulation(two_wells(model="modern", dt=1e100, steps=10), backend)
    with pytest.raises(DivergenceError) as info:
        for _ in range(10):
            sim.step()
    assert 1 <= info.value.step <= 10 and "NaN or infinite" in str(info.value)


def test_run_gives_the_npz_arrays(backend):
    out = run(two_wells(steps=7, particles=5), backend)
    assert out["positions"].shape == (8, 5, 2) and out["energy"].shape == (8, 5)
    assert out["sigma"].shape == (8,) and out["memories"].shape == (2, 2)
    used = Params.from_json(out["params"])
    assert used.steps == 7 and used.backend == backend.name and used.precision == "float64"
    am = run(two_wells(model="modern", steps=4, particles=3), backend)
    assert "sigma" not in am and am["positions"].shape == (5, 3, 2)
    assert json.loads(am["params"])["model"] == "modern"


@pytest.mark.parametrize("sampler", ["euler", "heun", "edm-churn", "euler-maruyama", "ddpm", "ddim", "langevin"])
def test_gaussian_preset_defaults_sample_the_data_distribution(sampler):
    """With the preset's own step counts and step sizes every sampler reproduces N(mu, s^2 I):
    the defaults a user meets first must already make the closed-form point."""
    params = load_preset("gaussian").replace(sampler=sampler, particles=4000, precision="float64")
    out = run(params, engine_backend.get_backend("numpy", "float64"))
    x = out["positions"][-1]
    mu, s = np.asarray(params.patterns["mean"]), params.patterns["std"]
    assert np.allclose(x.mean(axis=0), mu, atol=0.05)
    assert np.allclose(x.var(axis=0), s**2, rtol=0.15)
