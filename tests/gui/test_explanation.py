"""The explanation strip says only true things: each sentence checked against the engine where it
can be, and no reference to files outside the app."""
import html
import re

import numpy as np
import pytest

from memscape.engine.backend import get_backend
from memscape.engine.energies import empirical
from memscape.engine.energies.hopfield import ClassicalHopfield
from memscape.engine.energies.modern import ModernHopfield
from memscape.engine.presets import list_presets, load_preset
from memscape.engine.simulation import Simulation
from memscape.gui.explanation import TABLE_1, ExplanationStrip, explanation_for


def plain(rich):
    return html.unescape(re.sub(r"<[^>]+>", "", rich))


def every_text():
    for name, _ in list_presets():
        params = load_preset(name)
        for model in ("diffusion", "hopfield", "modern"):
            for update in ("async", "sync"):
                for sigma in (None, 0.5, 0.0):
                    yield explanation_for(model, sigma, params.replace(update=update))
    yield explanation_for("diffusion")


def test_no_sentence_cites_a_file_outside_the_app():
    for text in [*TABLE_1.values(), *every_text()]:
        assert not re.search(r"\w+\.(md|py|txt)\b", plain(text)), text


def test_the_denoiser_not_the_score_is_the_modern_hopfield_update():
    """The sentence: D(x, sigma) is the Modern Hopfield update at beta = 1/sigma^2, and one Euler
    step of size sigma^2 on E_sigma lands on D. Checked on the engine's own functions."""
    text = plain(explanation_for("diffusion", 0.5, load_preset("ring")))
    assert "exact denoiser of the smoothed memories" in text and "is the Modern Hopfield update with β = 1/σ2" in text
    assert "β = 1/σ2 = 4." in text  # sigma = 0.5
    assert "score of the smoothed memories is the Modern Hopfield update" not in text
    backend = get_backend("numpy", "float64")
    sim = Simulation(load_preset("ring").replace(particles=20), backend)
    x, sigma = backend.asarray(sim.frame()["x"]), 0.5
    d = backend.to_host(empirical.denoise(x, sigma, sim.memories))
    hopfield = ModernHopfield(sim.memories, load_preset("ring").replace(model="modern", beta=1 / sigma ** 2, dt=1.0))
    np.testing.assert_allclose(backend.to_host(hopfield.step(x, None)), d, atol=1e-12)
    euler = backend.to_host(x - sigma ** 2 * empirical.energy_grad(x, sigma, sim.memories))
    np.testing.assert_allclose(euler, d, atol=1e-12)


def test_the_gaussian_preset_is_the_gaussian_not_a_mixture_of_samples():
    params = load_preset("gaussian")
    text = plain(explanation_for("diffusion", 0.5, params))
    assert "the exact model is that Gaussian" in text and "not a mixture of the samples" in text
    assert "Modern Hopfield update" not in text  # the Gaussian's denoiser is linear, not a softmax
    # the engine agrees: the energy is the exact -log N(x; mu, (s^2 + sigma^2) I), not the samples' mixture
    backend = get_backend("numpy", "float64")
    sim = Simulation(params.replace(particles=10), backend)
    frame = sim.frame()
    gauss = backend.to_host(empirical.gaussian_energy(backend.asarray(frame["x"]), frame["sigma"],
                                                      backend.asarray([1.0, -0.5]), 0.25))
    np.testing.assert_allclose(frame["energy"], gauss, rtol=1e-12)


@pytest.mark.parametrize("update", ["async", "sync"])
def test_which_hopfield_update_is_used_and_what_energy_is_shown(update):
    params = load_preset("binary").replace(update=update)
    text = plain(explanation_for("hopfield", None, params))
    assert f"{'asynchronous' if update == 'async' else 'synchronous'} updates" in text
    backend = get_backend("numpy", "float64")
    model = ClassicalHopfield(backend.asarray(np.array([[1.0, -1.0, 1.0, 1.0]])), params)
    state = model.init_state(backend.asarray(np.array([[1.0, 1.0, -1.0, 1.0]])))
    if update == "sync":
        assert "two-state function L = -½ s(t)TW s(t-1)" in text and "cycle" in text
        np.testing.assert_allclose(backend.to_host(model.energy(state)), backend.to_host(model.pair_energy(*state)))
    else:
        assert "E = -½ sTW s" in text
        np.testing.assert_allclose(backend.to_host(model.energy(state)), backend.to_host(model.landscape(state)))


def test_strip_shows_the_text_and_keeps_its_api(qtbot):
    strip = ExplanationStrip()
    qtbot.addWidget(strip)
    strip.show_mode("diffusion", 0.5)
    assert strip.text() == explanation_for("diffusion", 0.5)
    strip.show_mode("modern", params=load_preset("two-wells").replace(model="modern"))
    assert "Associative memory" in strip.text()
