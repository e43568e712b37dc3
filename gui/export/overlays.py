"""Text around exported frames: a title, a parameter readout, and the step with sigma.

The texts sit in a band above the view (title left, step and sigma right) and one below
it (parameters), so they never hide the plots' own titles or data. Sizes follow the
frame height, so a 720p and a 4K export of the same settings look alike.
"""
from __future__ import annotations

import dataclasses
import math

from PyQt6 import QtCore, QtGui

from memscape.engine.params import Params


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


def band_heights(height: int, text: OverlayText) -> tuple[int, int]:
    """Pixel heights of the band above the view (title, step and sigma) and below it
    (parameter readout); 0 where there is nothing to show. About 7% and 5% of the frame."""
    top = round(height * 0.07) if (text.title or text.step) else 0
    bottom = round(height * 0.05) if text.params else 0
    return top, bottom


def draw_overlays(image: QtGui.QImage, text: OverlayText, background: QtGui.QColor) -> None:
    """Fill the bands of :func:`band_heights` with ``background`` and draw the title (top
    left), the step and sigma (top right) and the parameter readout (bottom left) in them."""
    w, h = image.width(), image.height()
    top, bottom = band_heights(h, text)
    margin = max(4, round(h * 0.015))
    painter = QtGui.QPainter(image)
    try:
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
        painter.setPen(QtGui.QColor(235, 238, 245))
        Align = QtCore.Qt.AlignmentFlag
        if top:
            band = QtCore.QRect(0, 0, w, top)
            painter.fillRect(band, background)
            inner = band.adjusted(margin, 0, -margin, 0)
            _draw(painter, inner, text.title, round(top * 0.55), True, Align.AlignLeft | Align.AlignVCenter)
            _draw(painter, inner, text.step, round(top * 0.45), False, Align.AlignRight | Align.AlignVCenter)
        if bottom:
            band = QtCore.QRect(0, h - bottom, w, bottom)
            painter.fillRect(band, background)
            _draw(painter, band.adjusted(margin, 0, -margin, 0), text.params, round(bottom * 0.55), False,
                  Align.AlignLeft | Align.AlignVCenter)
    finally:
        painter.end()


def _draw(painter: QtGui.QPainter, rect: QtCore.QRect, string: str, pixel_size: int, bold: bool,
          align: QtCore.Qt.AlignmentFlag) -> None:
    if not string:
        return
    font = QtGui.QFont()
    font.setPixelSize(max(6, pixel_size))
    font.setBold(bold)
    painter.setFont(font)
    painter.drawText(rect, int(align.value), string)
