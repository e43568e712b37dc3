"""Text drawn over exported frames: a title, a parameter readout, and the step with sigma.

Sizes follow the frame height, so a 720p and a 4K export of the same settings look
alike. Each text sits on a translucent dark box so it reads over any colour map.
"""
from __future__ import annotations

import dataclasses
import math

from PyQt6 import QtCore, QtGui

from engine.params import Params

OVERLAYS = ("title", "params", "step")


@dataclasses.dataclass(frozen=True)
class OverlayText:
    """The strings one frame shows; an empty string is not drawn."""

    title: str = ""
    params: str = ""
    step: str = ""


def params_readout(params: Params) -> str:
    """One line naming what runs: the model and, for diffusion, sampler and schedule;
    for associative memories beta and dt; then steps and particles."""
    if params.model == "diffusion":
        what = f"diffusion · {params.sampler} · {params.schedule} · σ {params.sigma_max:g}→{params.sigma_min:g}"
    else:
        what = f"{params.model} · β {params.beta:g} · dt {params.dt:g}"
    return f"{what} · {params.steps} steps · {params.particles} particles"


def step_readout(step: int, steps: int, sigma: float) -> str:
    """'step 12/40   σ = 0.532' (no sigma for associative memories, whose sigma is nan)."""
    text = f"step {step}/{steps}"
    if not math.isnan(sigma):
        text += f"   σ = {sigma:.3g}"
    return text


def draw_overlays(image: QtGui.QImage, text: OverlayText) -> None:
    """Draw the title (top left), the step and sigma (top right) and the parameter readout
    (bottom left) onto ``image`` in place."""
    h = image.height()
    margin = max(4, round(h * 0.02))
    painter = QtGui.QPainter(image)
    try:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
        placements = ((text.title, 0.045, True, QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop),
                      (text.step, 0.035, False, QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignTop),
                      (text.params, 0.03, False, QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignBottom))
        for string, rel_size, bold, align in placements:
            if string:
                _draw_label(painter, image.rect(), string, max(7, round(h * rel_size)), bold, align, margin)
    finally:
        painter.end()


def _draw_label(painter: QtGui.QPainter, area: QtCore.QRect, string: str, pixel_size: int,
                bold: bool, align: QtCore.Qt.AlignmentFlag, margin: int) -> None:
    font = QtGui.QFont()
    font.setPixelSize(pixel_size)
    font.setBold(bold)
    painter.setFont(font)
    pad = max(2, pixel_size // 4)
    inner = area.adjusted(margin + pad, margin + pad, -(margin + pad), -(margin + pad))
    box = painter.boundingRect(inner, int(align.value), string)
    painter.fillRect(box.adjusted(-pad, -pad, pad, pad), QtGui.QColor(0, 0, 0, 150))
    painter.setPen(QtGui.QColor(255, 255, 255))
    painter.drawText(box, int(align.value), string)
