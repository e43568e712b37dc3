"""Simulation: frames per the contract (the normalised energy, the fixed function and the
split of every step's change), AM energy that never rises, diffusion that starts from
p_sigma_max and ends on memories, exact init, reproducibility, live parameter changes and
divergence detection that names the cause."""
import json
import math

import numpy as np
import pytest
from scipy.stats import chisquare

from memscape.engine import backend as engine_backend
from memscape.engine import models
from memscape.engine.energies import empirical
from memscape.engine.energy_accounting import rise_tolerance
from memscape.engine.params import Params
from memscape.engine.presets import load_preset
from memscape.engine.simulation import DivergenceError, Simulation, run

ENERGIES = ("energy", "energy_fixed", "landscape_move", "sampler_move", "energy_nats")
KEYS = {"step", "x", "sigma", "denoised", "done", *ENERGIES}


def two_wells(**kw):
    return load_preset("two-wells").replace(**{"particles": 64, "steps": 20, **kw})


def check_frame(frame, n, d, step):
    assert set(frame) == KEYS and frame["step"] == step
    assert isinstance(frame["x"], np.ndarray) and frame["x"].shape == (n, d)
    for key in ENERGIES:
        assert isinstance(frame[key], np.ndarray) and frame[key].shape == (n,) and frame[key].dtype == np.float64
    assert isinstance(frame["sigma"], float) and isinstance(frame["done"], bool)
    assert frame["denoised"] is None or frame["denoised"].shape == (n, d)


def test_diffusion_frames_follow_the_contract(backend):
    sim = Simulation(two_wells(), backend)
    first = sim.frame()
    check_frame(first, 64, 2, 0)
    assert first["sigma"] == sim.sigmas[0] and sim.sigmas[-1] == 0
    assert np.isnan(first["landscape_move"]).all() and np.isnan(first["sampler_move"]).all()  # no step yet
    for t in range(1, 21):
        frame = sim.step()
        check_frame(frame, 64, 2, t)
        assert isinstance(frame["denoised"], np.ndarray)
        assert frame["sigma"] == sim.sigmas[t]
        assert frame["done"] == (t == 20)
        defined = frame["sigma"] > 0  # E_sigma(x) and the split while sigma > 0, NaN at sigma = 0
        for key in ("energy", "landscape_move", "sampler_move", "energy_nats"):
            assert (np.isfinite(frame[key]).all() if defined else np.isnan(frame[key]).all()), key
        assert np.isfinite(frame["energy_fixed"]).all()  # the fixed function is defined at every step
        np.testing.assert_array_equal(frame["energy_nats"], frame["energy"])
    assert sim.done and sim.step() is sim.frame()  # stepping a finished run changes nothing


def test_diffusion_energy_is_normalised_minus_log_p_and_the_fixed_function_uses_sigma_ref(backend):
    sim = Simulation(two_wells(), backend)
    assert sim.sigma_ref == sim.params.sigma_min == 0.002  # sigma_ref = 0 means sigma_min
    for _ in range(5):
        frame = sim.step()
    x = backend.asarray(frame["x"])
    np.testing.assert_allclose(frame["energy"], backend.to_host(empirical.energy(x, frame["sigma"], sim.memories)),
                               rtol=1e-12)
    np.testing.assert_allclose(frame["energy_fixed"], backend.to_host(empirical.energy(x, 0.002, sim.memories)),
                               rtol=1e-12)
    other = Simulation(two_wells(sigma_ref=0.3), backend)
    assert other.sigma_ref == 0.3
    np.testing.assert_allclose(other.frame()["energy_fixed"],
                               backend.to_host(empirical.energy(backend.asarray(other.frame()["x"]), 0.3,
                                                                other.memories)), rtol=1e-12)


def test_gaussian_preset_energy_is_the_exact_gaussian(backend):
    sim = Simulation(load_preset("gaussian").replace(particles=50, steps=10), backend)
    frame = sim.step()
    mu, s2 = np.array([1.0, -0.5]), 0.25
    for key, sigma in (("energy", frame["sigma"]), ("energy_fixed", 0.002)):
        v = s2 + sigma ** 2
        exact = np.sum((frame["x"] - mu) ** 2, axis=1) / (2 * v) + math.log(2 * math.pi * v)
        np.testing.assert_allclose(frame[key], exact, rtol=1e-12)


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("sampler", ["heun", "euler-maruyama"])
def test_each_step_splits_into_landscape_and_sampler_moves(precision, sampler):
    """landscape_move = E_{i+1}(x_i) - E_i(x_i), sampler_move = E_{i+1}(x_{i+1}) - E_{i+1}(x_i), and
    their sum is the change of the frame's energy (float64 bookkeeping of the device values)."""
    backend = engine_backend.get_backend("numpy", precision)
    sim = Simulation(two_wells(sampler=sampler), backend)
    prev = sim.frame()
    for _ in range(sim.steps):
        frame = sim.step()
        if frame["sigma"] > 0:
            x_prev = backend.asarray(prev["x"])
            crossed = backend.to_host(empirical.energy(x_prev, frame["sigma"], sim.memories)).astype(np.float64)
            tol = 8 * np.finfo(precision).eps * (1 + np.abs(crossed))
            np.testing.assert_allclose(frame["landscape_move"], crossed - prev["energy"], atol=tol.max())
            np.testing.assert_allclose(frame["sampler_move"], frame["energy"] - crossed, atol=tol.max())
            np.testing.assert_allclose(frame["landscape_move"] + frame["sampler_move"], frame["energy"] - prev["energy"],
                                       rtol=1e-14, atol=1e-14)
        prev = frame


@pytest.mark.parametrize("sampler", ["euler", "heun", "ddim"])
@pytest.mark.parametrize("preset", ["two-wells", "ring", "grid"])
def test_deterministic_samplers_go_downhill_on_the_landscape_they_are_given(sampler, preset):
    """The picture to take home: the sampler moves downhill on the current landscape at nearly
    every step (measured: at most 0.7% of particle-steps rise, by at most 2e-3, near the ridges
    where a finite step overshoots); the stochastic samplers' noise goes uphill about a third
    of the time. Heun on the two wells never goes uphill."""
    backend = engine_backend.get_backend("numpy", "float64")
    sim = Simulation(load_preset(preset).replace(sampler=sampler, particles=200), backend)
    uphill, compared = 0, 0
    while not sim.done:
        prev, frame = sim.frame(), sim.step()
        if frame["sigma"] > 0:
            rose = frame["sampler_move"] > rise_tolerance(prev["energy"], frame["energy"], "float64")
            uphill, compared = uphill + rose.sum(), compared + rose.size
            assert np.all(frame["sampler_move"] < 1e-2)
    assert uphill / compared < 0.01
    if (preset, sampler) == ("two-wells", "heun"):
        assert uphill == 0


def test_stochastic_samplers_go_uphill_often():
    backend = engine_backend.get_backend("numpy", "float64")
    sim = Simulation(two_wells(sampler="euler-maruyama", particles=200), backend)
    moves = [sim.step()["sampler_move"] for _ in range(sim.steps - 1)]
    assert 0.2 < np.mean(np.stack(moves) > 0) < 0.6


def test_am_frames_follow_the_contract(backend):
    sim = Simulation(two_wells(model="modern", steps=5), backend)
    for t in range(6):
        prev = sim.frame()
        frame = sim.step() if t else prev
        check_frame(frame, 64, 2, t)
        assert np.isnan(frame["sigma"]) and frame["denoised"] is None
        np.testing.assert_array_equal(frame["energy_fixed"], frame["energy"])
        if t == 0:
            assert np.isnan(frame["landscape_move"]).all() and np.isnan(frame["sampler_move"]).all()
        else:
            np.testing.assert_array_equal(frame["landscape_move"], 0.0)
            np.testing.assert_array_equal(frame["sampler_move"], frame["energy"] - prev["energy"])
    assert sim.done
    assert np.isnan(Simulation(two_wells(model="tinybrain", steps=2), backend).frame()["energy_nats"]).all()


def test_modern_hopfield_energy_in_nats_is_minus_log_p_at_sigma_beta_to_the_minus_half(backend):
    """science.md 4: E_beta = sigma^2 times the mixture term of E_sigma at sigma^2 = 1/beta, so
    beta E + log M + (D/2) log(2 pi / beta) is -log p_sigma: both traces on one scale."""
    sim = Simulation(two_wells(model="modern", beta=4.0, steps=3), backend)
    for _ in range(2):
        frame = sim.step()
    p = backend.to_host(empirical.energy(backend.asarray(frame["x"]), 0.5, sim.memories))
    np.testing.assert_allclose(frame["energy_nats"], p, rtol=1e-12)
    dot = Simulation(two_wells(model="modern", modern_form="dot", steps=1), backend)
    assert np.isnan(dot.frame()["energy_nats"]).all()  # the dot form is no log-density


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
@pytest.mark.parametrize("model", ["diffusion", "modern"])
def test_values_too_large_for_the_precision_are_named_not_a_step_size(model):
    backend = engine_backend.get_backend("numpy", "float32")
    with pytest.raises(DivergenceError) as info:
        Simulation(two_wells(model=model, sigma_max=1e20), backend)
    message = str(info.value)
    assert info.value.step == 0 and "NaN or infinite" in message
    assert "sigma_max = 1e+20" in message and "too large for float32" in message and "use float64" in message
    assert "smaller step cannot help" in message
    with pytest.raises(DivergenceError, match="the initial values gave values up to 1e\\+20"):
        Simulation(two_wells(model=model), backend, init=np.array([[1e20, 0.0], [0.0, 1.0]]))
    assert np.isfinite(Simulation(two_wells(model=model, sigma_max=1e20, precision="float64"),
                                  engine_backend.get_backend("numpy", "float64")).frame()["x"]).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_an_am_energy_unbounded_below_is_named_as_the_cause(backend, monkeypatch):
    """With the refusal bypassed, TinyBrain with identity layers on two memories of length 1
    (E = 1/2|v|^2 - 1/2|W v|^2, ||W|| = sqrt 2) falls without bound whatever dt; the divergence
    names the unbounded energy instead of suggesting a smaller step."""
    monkeypatch.setattr(models, "unbounded_reason", lambda model, name: None)
    sim = Simulation(two_wells(model="tinybrain", lagrangian_m="identity", dt=2.0, steps=100_000), backend)
    with pytest.raises(DivergenceError) as info:
        while not sim.done:
            sim.step()
    assert "unbounded below" in str(info.value) and "smaller step cannot help" in str(info.value)


def test_run_gives_the_npz_arrays(backend):
    out = run(two_wells(steps=7, particles=5), backend)
    assert out["positions"].shape == (8, 5, 2) and out["energy"].shape == (8, 5)
    assert out["sigma"].shape == (8,) and out["memories"].shape == (2, 2)
    assert out["energy_fixed"].shape == (8, 5) and np.isfinite(out["energy_fixed"]).all()
    assert out["landscape_move"].shape == out["sampler_move"].shape == (7, 5)
    np.testing.assert_allclose((out["landscape_move"] + out["sampler_move"])[:-1], np.diff(out["energy"], axis=0)[:-1],
                               rtol=1e-12, atol=1e-12)
    assert np.isnan(out["sampler_move"][-1]).all()  # the step to sigma = 0
    used = Params.from_json(out["params"])
    assert used.steps == 7 and used.backend == backend.name and used.precision == "float64"
    assert used.sigma_ref == 0.002  # resolved: sigma_ref = 0 means sigma_min
    am = run(two_wells(model="modern", steps=4, particles=3), backend)
    assert not {"sigma", "energy_fixed", "landscape_move", "sampler_move"} & set(am)
    assert am["positions"].shape == (5, 3, 2) and am["energy"].shape == (5, 3)
    assert json.loads(am["params"])["model"] == "modern"


def test_diffusion_starts_from_p_sigma_max_and_reaches_every_grid_memory_equally(backend32):
    """The reverse process starts from p_sigma_max (a memory drawn uniformly plus sigma_max
    noise), so the exact PF-ODE reaches each of the 16 grid memories equally often (chi-square;
    a start from N(mean of the memories, sigma_max^2 I) favoured the central ones)."""
    params = load_preset("grid").replace(particles=8000, seed=3)
    sim = Simulation(params, backend32)
    start = sim.frame()["x"]
    while not sim.done:
        sim.step()
    x, memories = sim.frame()["x"], sim.memories_host
    nearest = np.argmin(np.linalg.norm(x[:, None] - memories[None], axis=2), axis=1)
    assert np.linalg.norm(x - memories[nearest], axis=1).max() < 1e-2
    counts = np.bincount(nearest, minlength=16)
    assert chisquare(counts).pvalue > 0.01, counts
    # the start itself: every particle within a few sigma_max of some memory, the memories drawn uniformly
    assert start.std() == pytest.approx(math.sqrt(np.var(memories) + 3.0 ** 2), rel=0.03)


def test_gaussian_preset_starts_from_its_exact_p_sigma_max_and_ends_with_its_variance():
    backend = engine_backend.get_backend("numpy", "float64")
    params = load_preset("gaussian").replace(particles=40_000, precision="float64")
    sim = Simulation(params, backend)
    np.testing.assert_allclose(sim.frame()["x"].var(axis=0), 0.25 + 4.0 ** 2, rtol=0.02)
    while not sim.done:
        sim.step()
    x = sim.frame()["x"]
    np.testing.assert_allclose(x.mean(axis=0), [1.0, -0.5], atol=0.01)
    np.testing.assert_allclose(x.var(axis=0), 0.25, rtol=0.025)


def test_init_scale_keeps_its_meaning_where_it_is_set(backend):
    sim = Simulation(two_wells(init_scale=0.5, particles=4000), backend)
    np.testing.assert_allclose(sim.initial.mean(axis=0), [0.0, 0.0], atol=0.05)
    np.testing.assert_allclose(sim.initial.std(axis=0), 0.5, rtol=0.05)


def test_perfect_samples_of_p_sigma_show_no_rising_artefact():
    """Particles that really follow p_sigma (x = xi + sigma n, one memory and one n per particle,
    at every sigma of the schedule) have a mean normalised energy that falls with sigma, as the
    entropy of p_sigma does; the unnormalised -log sum exp(-|x - xi|^2 / 2 sigma^2) of the same
    particles rises to about D/2, the artefact that the old trace showed as violations."""
    backend = engine_backend.get_backend("numpy", "float64")
    params = load_preset("ring").replace(particles=4000, seed=2)
    sim = Simulation(params, backend)
    memories, d = sim.memories_host, sim.memories_host.shape[1]
    rng = np.random.default_rng(0)
    chosen, noise = rng.integers(0, len(memories), 4000), rng.standard_normal((4000, d))
    normalised, dropped = [], []
    for sigma in sim.sigmas[:-1]:
        x = backend.asarray(memories[chosen] + sigma * noise)
        e = backend.to_host(empirical.energy(x, sigma, sim.memories))
        normalised.append(e.mean())
        dropped.append((e - empirical.log_normaliser(len(memories), d, sigma)).mean())
    assert np.all(np.diff(normalised) < 0)
    assert dropped[-1] - dropped[0] > 0.8 * d / 2 and dropped[-1] == pytest.approx(d / 2, rel=0.05)


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


@pytest.mark.parametrize("preset", ["two-wells", "gaussian"])
def test_the_denoiser_a_frame_kept_is_the_one_a_fresh_call_gives(backend, preset, monkeypatch):
    """The step from x_i reuses D(x_i, sigma_i) from the frame's energy call: the run is bit
    for bit the run that calls the denoiser afresh, and a 2-D Heun step then makes three
    kernel calls (the predictor's denoiser, the frame's pair of energies, the fixed function)."""
    params = load_preset(preset).replace(particles=32, steps=8)
    kept, fresh = Simulation(params, backend), Simulation(params, backend)
    monkeypatch.setattr(fresh, "_denoise_known", fresh._denoise)
    for _ in range(params.steps):
        a, b = kept.step(), fresh.step()
        for key in ("x", "denoised", *ENERGIES):
            np.testing.assert_array_equal(a[key], b[key])
    if preset == "two-wells":
        calls = []
        real = empirical.direct_kernels.gaussian_lse_mean
        monkeypatch.setattr(empirical.direct_kernels, "gaussian_lse_mean",
                            lambda *a: calls.append(a[0].shape[0]) or real(*a))
        sim = Simulation(params, backend)
        calls.clear()
        sim.step()
        assert sorted(calls) == [32, 32, 64]


def test_learned_score_particles_follow_the_fit_not_the_kept_exact_denoiser(monkeypatch):
    """With score = "learned" the frames' exact energies must not stand in for the fit's denoiser."""
    params = load_preset("two-wells").replace(particles=16, steps=4, score="learned", capacity=32)
    sim = Simulation(params)
    asked = []
    real = sim._denoise
    monkeypatch.setattr(sim, "_denoise", lambda x, sigma: asked.append(sigma) or real(x, sigma))
    sim.step()
    assert asked[0] == sim.sigmas[0] and len(asked) == 2  # Heun: the fit at x_0 and at the predictor
