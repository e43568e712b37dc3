"""The explanation strip: which row of the paper's Table 1 the current mode shows, in plain
sentences, each one true of what the engine runs (tests/gui/test_explanation.py checks them
against it). Hideable from the View menu."""
from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

#: What each side of Table 1 says, in the app's words.
TABLE_1 = {
    "diffusion": (
        "<b>Diffusion</b> (Table 1, left column): the model knows only the <i>score</i> "
        "&nabla; log p<sub>&sigma;</sub> = -&nabla;E<sub>&sigma;</sub>, integrated while a hand-made "
        "schedule lowers &sigma; over a fixed window t &isin; [0, T]. No energy is guaranteed to fall: "
        "at every step the landscape E<sub>&sigma;</sub> moves under the particles, and a fixed function "
        "(-log p at &sigma;<sub>ref</sub>) can rise along the path; stopping at T and annealing the "
        "noise do the work of a Lyapunov function."),
    "am": (
        "<b>Associative memory</b> (Table 1, right column): the model defines an <i>energy</i> E "
        "and follows -&nabla;E for every t &ge; 0. E is a Lyapunov function: it never rises along the "
        "dynamics, and each particle settles at a fixed point (a memory, or a spurious minimum)."),
    "exact": (
        "Here both sides meet: the exact <i>denoiser</i> of the smoothed memories, "
        "D(x, &sigma;) = &Sigma;<sub>&mu;</sub> softmax(-|x - &xi;<sub>&mu;</sub>|<sup>2</sup> / 2&sigma;<sup>2</sup>) "
        "&xi;<sub>&mu;</sub>, is the Modern Hopfield update with &beta; = 1/&sigma;<sup>2</sup> (one Euler "
        "step of size &sigma;<sup>2</sup> on E<sub>&sigma;</sub> lands on D), so diffusion is an associative "
        "memory whose temperature is annealed by the schedule."),
    "gaussian": (
        "Here the data are one Gaussian N(&mu;, s<sup>2</sup>I): the exact model is that Gaussian, "
        "smoothed to N(&mu;, (s<sup>2</sup> + &sigma;<sup>2</sup>)I), not a mixture of the samples an "
        "associative memory would store; its denoiser is linear in x."),
    "async": (
        "Classical Hopfield with asynchronous updates: one neuron at a time takes the sign of its "
        "field, and each flip lowers E = -&frac12; s<sup>T</sup>W s or leaves it."),
    "sync": (
        "Classical Hopfield with synchronous updates: every neuron flips at once, which can cycle "
        "between two states, so the energy shown is the two-state function "
        "L = -&frac12; s(t)<sup>T</sup>W s(t-1) (Bruck 1990), which never rises; a particle ends at a "
        "fixed point or in a two-state cycle."),
}


def explanation_for(model: str, sigma: float | None = None, params=None) -> str:
    """Rich text for the mode of ``model`` (and the current sigma for diffusion). ``params``
    (engine.params.Params), when given, makes it specific: the Gaussian preset's exact model,
    and which update the classical Hopfield network uses."""
    gaussian = params is not None and params.patterns.get("kind") == "gaussian"
    if model == "diffusion":
        if sigma is None or sigma != sigma:
            now = ""
        elif sigma > 0 and gaussian:
            now = f" Now &sigma; = {sigma:.3g}."
        elif sigma > 0:
            now = (f" Now &sigma; = {sigma:.3g}: the denoiser is the Modern Hopfield update at "
                   f"&beta; = 1/&sigma;<sup>2</sup> = {1.0 / sigma ** 2:.3g}.")
        else:
            now = " Now &sigma; = 0: the run stopped at T, where the schedule ends."
        return TABLE_1["diffusion"] + " " + TABLE_1["gaussian" if gaussian else "exact"] + now
    if model == "hopfield" and params is not None:
        return TABLE_1["am"] + " " + TABLE_1["sync" if params.update == "sync" else "async"]
    return TABLE_1["am"]


class ExplanationStrip(QtWidgets.QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.setContentsMargins(10, 6, 10, 6)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Minimum)
        self._text = None

    def show_mode(self, model: str, sigma: float | None = None, params=None) -> None:
        """Show :func:`explanation_for` (model, sigma, params); redraws only when it changes."""
        text = explanation_for(model, sigma, params)
        if text != self._text:
            self._text = text
            self.setText(text)
