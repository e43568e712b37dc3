"""The explanation strip: which row of the paper's Table 1 (science.md 1) the current mode
shows, in plain sentences. Hideable from the View menu."""
from __future__ import annotations

from PyQt6 import QtCore, QtWidgets

#: What each side of Table 1 says, in the app's words.
TABLE_1 = {
    "diffusion": (
        "<b>Diffusion</b> (Table 1, left column): the model knows only the <i>score</i> "
        "F = -grad E<sub>&sigma;</sub>, integrated while a hand-made schedule lowers &sigma; over a "
        "fixed window t &isin; [0, T]. No fixed-point guarantee: the energy trace may rise "
        "(red marks); stopping at T and annealing the noise do the work of a Lyapunov function."),
    "am": (
        "<b>Associative memory</b> (Table 1, right column): the model defines an <i>energy</i> E "
        "and follows -grad E for every t &ge; 0. E is a Lyapunov function: the energy trace never "
        "rises, and each particle stops at a fixed point (a memory, or a spurious minimum)."),
    "exact": (
        "Here both sides meet (science.md 4): the exact score of the smoothed memories is the Modern "
        "Hopfield update with &beta; = 1/&sigma;<sup>2</sup>, so diffusion is an associative memory "
        "whose temperature is annealed by the schedule."),
}


def explanation_for(model: str, sigma: float | None = None) -> str:
    """Rich text for the mode of ``model`` (and the current sigma for diffusion)."""
    if model == "diffusion":
        if sigma is None or sigma != sigma:
            now = ""
        elif sigma > 0:
            now = f" Now &sigma; = {sigma:.3g}, like &beta; = {1.0 / sigma ** 2:.3g}."
        else:
            now = " Now &sigma; = 0: the run stopped at T, where the schedule ends."
        return TABLE_1["diffusion"] + " " + TABLE_1["exact"] + now
    return TABLE_1["am"]


class ExplanationStrip(QtWidgets.QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.setContentsMargins(10, 6, 10, 6)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Minimum)
        self._key = None

    def show_mode(self, model: str, sigma: float | None = None) -> None:
        key = (model == "diffusion", None if sigma is None else round(float(sigma), 3))
        if key != self._key:
            self._key = key
            self.setText(explanation_for(model, sigma))
