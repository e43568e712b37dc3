"""Parameters that cannot give a finite run are refused with a message naming the cause:
steps above a known stability bound, infinite values, and layered energies unbounded below
(for any memories in Params, on the given memories in build_model). Every refusal is checked
against the dynamics it prevents."""
import itertools

import numpy as np
import pytest

from memscape.engine import models
from memscape.engine.backend import get_backend
from memscape.engine.params import LAGRANGIANS, ParamError, Params
from memscape.engine.presets import load_preset
from memscape.engine.simulation import DivergenceError, Simulation


def test_sigma_ref_zero_or_absent_means_sigma_min():
    assert Params().sigma_ref == 0.0 and Params().fixed_sigma == Params().sigma_min
    assert Params(sigma_ref=0.05).fixed_sigma == 0.05
    old = Params().to_dict()
    del old["sigma_ref"]  # a file written before the field existed
    assert Params.from_dict(old).fixed_sigma == Params().sigma_min


@pytest.mark.parametrize("model", ["modern", "dense-poly", "dense-exp"])
def test_dt_above_the_concave_convex_bound_is_refused(model):
    Params(model=model, dt=2.0)
    with pytest.raises(ParamError, match=r"dt: 2.5 is above the stability bound 2"):
        Params(model=model, dt=2.5)
    Params(model="tinybrain", dt=50.0)  # exponential Euler never raises E: no bound


def test_langevin_step_above_its_bound_is_refused():
    with pytest.raises(ParamError, match="langevin_eps: 5.0 is above the stability bound 4"):
        Params(sampler="langevin", langevin_eps=5.0)


@pytest.mark.parametrize("key", ["beta", "sigma_max", "dt", "init_scale", "sigma_ref"])
def test_infinite_values_are_refused_except_s_tmax(key):
    with pytest.raises(ParamError, match=f"{key}: expected a finite number"):
        Params.from_dict({**Params().to_dict(), key: float("inf")})
    assert Params(s_tmax=float("inf")).s_tmax == float("inf")


@pytest.mark.parametrize("model, lv, lm, layer", [
    ("tinybrain", "identity", "relu-poly", "memory"), ("tinybrain", "relu-poly", "identity", "visible"),
    ("ham", "softmax", "relu-poly", "memory"), ("ham", "relu-poly", "softmax", "visible")])
def test_relu_poly_beside_an_identity_layer_is_refused_for_n_3(model, lv, lm, layer):
    with pytest.raises(ParamError, match=rf"unbounded below .* n = 3.*for the {layer} layer"):
        Params(model=model, lagrangian_v=lv, lagrangian_m=lm, n=3)
    Params(model=model, lagrangian_v=lv, lagrangian_m=lm, n=2)  # the boundary case depends on the memories


def build(preset, **kw):
    params = load_preset(preset).replace(particles=50, **kw)
    return Simulation(params, get_backend("numpy", "float64"))


def test_identity_layers_with_memories_longer_than_one_are_refused_and_would_diverge(monkeypatch):
    """TinyBrain with identity layers: E = 1/2|v|^2 - 1/2|W v|^2 on the two wells (||W|| = sqrt 2)."""
    with pytest.raises(ParamError, match=r"gain is 1.41 > 1"):
        build("two-wells", model="tinybrain", lagrangian_m="identity")
    monkeypatch.setattr(models, "unbounded_reason", lambda model, name: None)
    sim = build("two-wells", model="tinybrain", lagrangian_m="identity", dt=2.0, steps=100_000)
    with pytest.raises(DivergenceError), np.errstate(all="ignore"):
        while not sim.done:
            sim.step()


def test_short_memories_keep_identity_layers_bounded():
    sim = build("two-wells", model="tinybrain", lagrangian_m="identity", patterns={"kind": "two-wells", "distance": 1.0},
                steps=200)
    energies = [sim.frame()["energy"]] + [sim.step()["energy"] for _ in range(200)]
    assert np.min(energies) > -1.0  # ||W|| = 1/sqrt 2: 1/2|v|^2 - 1/2|W v|^2 >= 0


def test_relu_poly_n2_memory_layer_is_bounded_on_opposite_memories_and_refused_on_close_ones():
    """With v free and m = relu(W v): 1/2 m^T (I - W W^T) m for m >= 0. Two opposite unit memories:
    2 m1 m2 >= 0, bounded (flat); two close ring points: m = e_i + e_j makes it negative."""
    sim = build("two-wells", model="tinybrain", lagrangian_m="relu-poly", n=2, steps=100)
    energies = [sim.frame()["energy"]] + [sim.step()["energy"] for _ in range(100)]
    assert np.min(energies) >= -1e-9
    with pytest.raises(ParamError, match="unbounded below on these memories"):
        build("ring", model="tinybrain", lagrangian_m="relu-poly", n=2)


def test_relu_poly_on_both_layers_is_refused_when_a_weight_is_positive():
    with pytest.raises(ParamError, match="relu-poly visible and memory layers at n = 3"):
        build("two-wells", model="tinybrain", lagrangian_v="relu-poly", lagrangian_m="relu-poly", n=3)
    negative = {"kind": "points", "points": [[-1.0, -0.5], [-0.5, -1.0]]}  # -y^T W y >= 0 for y >= 0
    sim = build("two-wells", model="tinybrain", lagrangian_v="relu-poly", lagrangian_m="relu-poly", n=3,
                patterns=negative, steps=50)
    assert np.isfinite([sim.step()["energy"] for _ in range(50)]).all()


@pytest.mark.parametrize("preset", ["two-wells", "ring"])
def test_every_accepted_layered_combination_stays_bounded(preset):
    """Over all Lagrangian pairs for TinyBrain and HAM (n = 2 and 3): either refused, or a run
    of 60 steps stays finite with its energy bounded."""
    refused = 0
    for model, lv, lm, n in itertools.product(("tinybrain", "ham"), LAGRANGIANS, LAGRANGIANS, (2, 3)):
        try:
            sim = build(preset, model=model, lagrangian_v=lv, lagrangian_m=lm, n=n, steps=60)
        except ParamError as exc:
            assert "unbounded below" in str(exc)
            refused += 1
            continue
        energies = [sim.frame()["energy"]] + [sim.step()["energy"] for _ in range(60)]
        assert np.min(energies) > -1e3, (model, lv, lm, n)
    assert refused >= 10
