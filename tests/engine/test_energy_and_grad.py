"""Simulation.energy_and_grad: energy and gradient from one softmax-kernel call where the
model has one (the exact diffusion model, Modern Hopfield, continuous dense-exp), with the
same values as the separate energy and gradient calls it replaced."""
import numpy as np
import pytest

from memscape.engine import kernels
from memscape.engine.energies import empirical
from memscape.engine.presets import load_preset
from memscape.engine.simulation import Simulation, gaussian_energy


class CountingKernels:
    """memscape.engine.kernels' two softmax kernels, counting the calls."""

    def __init__(self):
        self.calls = []

    def gaussian_lse_mean(self, x, memories, beta):
        self.calls.append("gaussian")
        return kernels.gaussian_lse_mean(x, memories, beta)

    def dot_lse_mean(self, x, memories, beta):
        self.calls.append("dot")
        return kernels.dot_lse_mean(x, memories, beta)


def two_call_reference(sim, x):
    """The energy and gradient as two separate calls, written out as before the one-call path."""
    if sim.is_diffusion and sim.patterns.gaussian is not None:  # closed form, N(mu, (s^2 + sigma^2) I)
        mu, s2 = sim.backend.asarray(sim.patterns.gaussian[0]), sim.patterns.gaussian[1]
        var = s2 + sim.landscape_sigma ** 2
        return gaussian_energy(x, sim.landscape_sigma, mu, s2), (x - mu) / var
    if sim.is_diffusion:
        s = sim.landscape_sigma
        return empirical.energy(x, s, sim.memories), (x - empirical.denoise(x, s, sim.memories)) / s ** 2
    if hasattr(sim.model, "energy_readout"):
        return sim.model.landscape(x), x - sim.model.energy_readout(x)[1]
    return sim.model.landscape(x), sim.model.landscape_grad(x)


CASES = {  # name: (preset, overrides, softmax-kernel calls expected from energy_and_grad)
    "diffusion": ("ring", {}, ["gaussian"]),
    "modern distance": ("two-wells", {"model": "modern"}, ["gaussian"]),
    "modern dot": ("two-wells", {"model": "modern", "modern_form": "dot", "beta": 2.0}, ["dot"]),
    "dense-exp": ("grid", {"model": "dense-exp", "beta": 1.5}, ["dot"]),
    "dense-poly": ("grid", {"model": "dense-poly"}, []),
    "gaussian data": ("gaussian", {}, []),
    "tinybrain": ("ring", {"model": "tinybrain"}, []),
    "hopfield": ("two-wells", {"model": "hopfield"}, []),
}


@pytest.mark.parametrize("case", CASES)
def test_one_call_equals_the_two_calls(backend, case):
    preset, overrides, expected_calls = CASES[case]
    sim = Simulation(load_preset(preset).replace(particles=4, steps=10, **overrides), backend)
    for _ in range(3):
        sim.step()
    x = backend.asarray(np.random.default_rng(1).normal(scale=1.5, size=(37, 2)))
    counting = CountingKernels()
    energy, grad = sim.energy_and_grad(x, counting)
    assert counting.calls == expected_calls
    ref_e, ref_g = two_call_reference(sim, x)
    np.testing.assert_allclose(backend.to_host(energy), backend.to_host(ref_e), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(backend.to_host(grad), backend.to_host(ref_g), rtol=1e-12, atol=1e-12)
    default_e, default_g = sim.energy_and_grad(x)  # engine.kernels by default: the same numbers
    np.testing.assert_array_equal(backend.to_host(default_e), backend.to_host(energy))
    np.testing.assert_array_equal(backend.to_host(default_g), backend.to_host(grad))


def test_empirical_energy_and_grad_is_energy_and_minus_score(backend):
    rng = np.random.default_rng(2)
    mem, x = backend.asarray(rng.normal(size=(6, 3))), backend.asarray(rng.normal(size=(9, 3)))
    for sigma in (0.3, 2.0):
        e, g = empirical.energy_and_grad(x, sigma, mem)
        np.testing.assert_array_equal(backend.to_host(e), backend.to_host(empirical.energy(x, sigma, mem)))
        np.testing.assert_allclose(backend.to_host(g), -backend.to_host(empirical.score(x, sigma, mem)),
                                   rtol=1e-12, atol=1e-12)
