"""Retrieval counts of the associative memories on the presets (each memory an attractor or
not), the presets tuned so that the side-by-side partner retrieves, and the note shown where
a model genuinely cannot."""
import pytest

from memscape.engine.presets import load_preset
from memscape.engine.retrieval import retrieval_note, retrieved


def count(preset, **kw):
    return int(retrieved(load_preset(preset).replace(**kw)).sum())


@pytest.mark.parametrize("preset, total", [("two-wells", 2), ("ring", 8), ("grid", 16), ("spiral", 24),
                                           ("letters", 8), ("binary", 6)])
def test_the_diffusion_partner_retrieves_every_memory_at_the_preset_beta(preset, total):
    """The side-by-side partner is the distance-form Modern Hopfield network at the preset's beta."""
    params = load_preset(preset).replace(model="modern", modern_form="distance")
    assert int(retrieved(params).sum()) == total
    assert retrieval_note(params) is None


def test_letters_partner_at_the_old_beta_merged_the_letters():
    assert count("letters", model="modern", beta=0.05) == 1
    note = retrieval_note(load_preset("letters").replace(model="modern", beta=0.05))
    assert note.startswith("The distance-form Modern Hopfield network keeps 1 of 8 memories")
    assert "2/sqrt(beta) = 8.94" in note and "a larger beta" in note


def test_continuous_polynomial_dense_am_retrieves_the_ring_at_the_preset_n():
    assert load_preset("ring").n == 16 and count("ring", model="dense-poly") == 8
    assert count("ring", model="dense-poly", n=3) == 0
    assert "n = 3 is too soft" in retrieval_note(load_preset("ring").replace(model="dense-poly", n=3))


def test_binary_dense_am_keeps_every_letter_at_the_preset_n():
    assert count("letters", model="dense-poly") == 8 and count("letters", model="dense-poly", n=3) == 3


def test_dot_form_keeps_only_the_longest_grid_memories_and_says_why():
    """Unequal norms: beta xi . x favours long memories; on the 4 x 4 grid only the 4 corners
    (|xi| = 2.12) are attractors. A genuine property of the dot form, shown as a note."""
    params = load_preset("grid").replace(model="modern", modern_form="dot")
    assert int(retrieved(params).sum()) == 4
    note = retrieval_note(params)
    assert note.startswith("The dot-form Modern Hopfield network keeps 4 of 16 memories")
    assert "unequal length (|xi| from 0.707 to 2.12)" in note
    assert count("grid", model="modern", modern_form="distance") == 16


def test_classical_hopfield_notes_correlated_letters_and_continuous_memories():
    assert count("binary", model="hopfield") == 6 and retrieval_note(load_preset("binary")) is None
    note = retrieval_note(load_preset("letters").replace(model="hopfield"))
    assert "keeps 0 of 8" in note and "correlated" in note
    assert "not" in retrieval_note(load_preset("two-wells").replace(model="hopfield"))


def test_diffusion_has_no_note():
    assert retrieval_note(load_preset("grid")) is None
