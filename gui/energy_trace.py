"""Energy trace: every particle's energy against step, their mean, the steps where the
run's fixed function rose (marked), where a parameter change began a new segment (a
vertical line; nothing is compared across it), and the share of particles and of steps
with a rise.

For an associative memory the energy is a Lyapunov function and the shares stay 0; along a
diffusion trajectory the fixed function -log p at a reference sigma may rise, and the marks
show where.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore

from memscape.engine.run import EnergyHistory
from memscape.gui.plot_cache import cache_axes
from memscape.gui.segment_lines import segment_lines
from memscape.gui.theme import (HIGHLIGHT_COLOR, LANDSCAPE_MOVE_COLOR, SAMPLER_MOVE_COLOR, SEGMENT_COLOR,
                                 VIOLATION_COLOR, place_in_corner)
from memscape.gui.trail_thinning import shown_steps

MAX_LINES = 64  #: particles drawn as individual lines (the mean uses all)
MAX_LINE_SEGMENTS = 8_000  #: beyond this, the lines skip evenly spaced steps (the plot is a few hundred pixels wide)


def line_segments(steps: np.ndarray, energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of the line segments (step t-1 -> t of every column of ``energy`` (T, K)), as
    consecutive point pairs for ``connect="pairs"``; segments with a NaN end are left out."""
    t = len(steps)
    if t < 2 or energy.shape[1] == 0:
        return np.zeros(0), np.zeros(0)
    x = np.empty((t - 1, energy.shape[1], 2))
    y = np.empty_like(x)
    x[..., 0], x[..., 1] = steps[:-1, None], steps[1:, None]
    y[..., 0], y[..., 1] = energy[:-1], energy[1:]
    keep = np.isfinite(y).all(axis=-1)
    return x[keep].ravel(), y[keep].ravel()


def energy_range(lo: float, hi: float, pad: float = 0.08) -> tuple[float, float] | None:
    """The y range for energies spanning [lo, hi] (everything drawn up to the shown step):
    widened by ``pad`` of the span on each side, then outward to whole multiples of a tenth
    of the power of ten at or below the widened span; None when nothing finite is drawn. A
    function of the history alone, so the window and an exported frame of the same step agree,
    and it only grows as a run goes on, in steps of that tenth: the axes stand still, and are
    not laid out and painted again (most of a trace's cost), until an extreme passes a step."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    margin = pad * (hi - lo) if hi > lo else max(abs(hi), 1.0) * pad
    lo, hi = lo - margin, hi + margin
    unit = 10.0 ** np.floor(np.log10(hi - lo)) / 10.0
    return float(np.floor(lo / unit) * unit), float(np.ceil(hi / unit) * unit)


def steady_steps(last: float, span: int | None = None) -> tuple[float, float]:
    """The x range for steps 0..last of a run of ``span`` steps: [0, span], or when the run's
    length is not known (or already passed) [0, the next power of two >= last] (at least 16)."""
    if span is not None and span >= last:
        return 0.0, float(max(span, 1))
    return 0.0, float(max(16, 1 << int(np.ceil(np.log2(max(last, 1.0))))))


def rise_readout(history: EnergyHistory, subject: str = "") -> str:
    """'E rose: 12% of particles, at 3% of steps' (or 'E never rose'): shares of the run's
    fixed function, never a raw count; ``subject`` names the function."""
    lead = f"{subject} " if subject else ""
    if history.particles_rose == 0:
        return f"{lead}never rose"
    return (f"{lead}rose: {percent(history.share_of_particles)} of particles, "
            f"{percent(history.share_of_steps)} of steps")


def percent(share: float) -> str:
    """A share in [0, 1] as a percentage to two significant figures, never in exponent form
    ('1e+02%' was shown for 0.996) and never rounded to a bound it has not reached: '100%'
    only for all, '0%' only for none; '>99%' and '<0.01%' in between."""
    x = 100.0 * share
    if share >= 1.0 or share <= 0.0:
        return f"{x:.0f}%"
    if x >= 99.5:
        return ">99%"
    if x < 0.01:
        return "<0.01%"
    return f"{x:.0f}%" if x >= 10 else f"{x:.2g}%"


class EnergyTracePlot(pg.PlotWidget):
    """Energy against step; ``set_history(history)`` redraws, ``set_highlight(i)`` links."""

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setLabel("bottom", "step")
        self.setLabel("left", "energy")
        self._axis_label = "energy"
        self.showGrid(x=True, y=True, alpha=0.2)
        self.lines = segment_lines(pg.mkPen(150, 170, 210, 60, width=1))
        self.mean = segment_lines(pg.mkPen(255, 210, 0, width=3), connect="finite")
        self.highlight = pg.PlotDataItem(pen=pg.mkPen(*HIGHLIGHT_COLOR, width=2.5))
        self.marks = pg.ScatterPlotItem(size=10, symbol="t1", brush=pg.mkBrush(*VIOLATION_COLOR),
                                        pen=pg.mkPen("w", width=0.8))
        self.segments = segment_lines(pg.mkPen(*SEGMENT_COLOR, width=1.5, style=QtCore.Qt.PenStyle.DashLine))
        # the split of the mean's change: the landscape moved under the particles, the sampler moved them
        self.landscape = segment_lines(pg.mkPen(*LANDSCAPE_MOVE_COLOR, width=2), connect="finite")
        self.sampler = segment_lines(pg.mkPen(*SAMPLER_MOVE_COLOR, width=2), connect="finite")
        for item in (self.lines, self.landscape, self.sampler, self.mean, self.highlight, self.marks, self.segments):
            self.addItem(item)
        for axis in ("left", "bottom"):  # an energy axis never reads "(x0.001)"
            self.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        cache_axes(self.getPlotItem())
        self.label = pg.TextItem(anchor=(1, 0), color=(255, 255, 255))
        self.label.setParentItem(self.getPlotItem().vb)
        self.getPlotItem().vb.sigResized.connect(self._place_label)
        self.getPlotItem().vb.disableAutoRange()  # set_history keeps the range steady instead
        self._range = ((0.0, 16.0), (0.0, 1.0))
        self._steps = np.zeros(0)
        self._energy = np.zeros((0, 0))
        self._highlight = -1
        self._drawn: tuple = (None, np.zeros(0), np.zeros(0))  #: span and the energies drawn, for the range
        self.text = ""  #: what the readout says now
        self._readout = ""  #: the readout's HTML, and the marks' and segment lines' data, as last set
        self._marks = self._segments = (np.zeros(0), np.zeros(0))

    def _place_label(self) -> None:
        place_in_corner(self.label, self.getPlotItem().vb.rect())  # wrapped in a narrow panel

    def set_history(self, history: EnergyHistory, label: str = "energy", span: int | None = None,
                    nats: bool = False, split: bool = False, subject: str = "") -> None:
        """Draw an :class:`memscape.engine.run.EnergyHistory`: the first MAX_LINES particles'
        energies (on the -log p scale with ``nats``), the mean over all, with ``split`` the mean
        energy at the segment's start plus the running landscape moves and plus the running
        sampler moves, a mark at every step where the fixed function rose, a line at every
        segment start, and the shares; the step axis covers the whole run of ``span`` steps."""
        self._steps = history.steps
        self._energy = history.energy_nats if nats else history.energy
        mean = history.nats_mean if nats else history.mean
        if label != self._axis_label:  # setting it lays the axis text out again (HTML): only on change
            self.setLabel("left", label)
            self._axis_label = label
        when = shown_steps(len(self._steps), min(self._energy.shape[1], MAX_LINES), MAX_LINE_SEGMENTS)
        lines_x, lines_y = line_segments(self._steps[when], self._energy[when, :MAX_LINES])
        self.lines.setData(lines_x, lines_y)
        self.mean.setData(self._steps, mean)
        land, samp = history.split() if split else (np.zeros(0), np.zeros(0))
        self.landscape.setData(self._steps[:len(land)], land)
        self.sampler.setData(self._steps[:len(samp)], samp)
        self._drawn = (span, lines_y, mean, land, samp)
        self._fit(span, lines_y, mean, land, samp, self._highlighted())
        # the marks, the segment lines and the readout change at a few steps of a run: each is
        # set again only then (setting a scatter rebuilds its points, setting HTML lays it out)
        where = history.rise_steps
        marks = (self._steps[where], mean[where])
        if not all(map(np.array_equal, marks, self._marks)):
            self._marks = marks
            self.marks.setData(*marks)
        at = self._steps[history.segment_starts].astype(np.float64)
        segments = (np.repeat(at, 2), np.tile(self._range[1], len(at)))
        if not all(map(np.array_equal, segments, self._segments)):
            self._segments = segments
            self.segments.setData(*segments)
        self.text = rise_readout(history, subject)
        key = "" if not split else (f"<br><span style='color: rgb{LANDSCAPE_MOVE_COLOR}'>━ landscape moved</span>"
                                    f"&nbsp; <span style='color: rgb{SAMPLER_MOVE_COLOR}'>━ sampler moved</span>")
        readout = f"<div style='text-align: right'>{html.escape(self.text)}{key}</div>"
        if readout != self._readout:
            self._readout = readout
            self.label.setHtml(readout)
            self._place_label()
        self._draw_highlight()

    def _fit(self, span: int | None, *ys: np.ndarray) -> None:
        """Show every step so far and the drawn energies, moving the range only when needed."""
        values = np.concatenate([np.asarray(y, np.float64).ravel() for y in ys])
        values = values[np.isfinite(values)]
        lo, hi = (float(values.min()), float(values.max())) if values.size else (np.nan, np.nan)
        last = float(self._steps[-1]) if len(self._steps) else 0.0
        new = (steady_steps(last, span), energy_range(lo, hi) or self._range[1])
        if new != self._range:
            self._range = new
            vb = self.getPlotItem().vb
            vb.setRange(xRange=new[0], yRange=new[1], padding=0.0)
            vb.updateMatrix()  # now, not in the paint: items told of it there would ask for a second paint

    def set_highlight(self, index: int) -> None:
        """Draw particle ``index``'s whole trace in white (-1: none); the range grows to hold
        it while it is highlighted (a particle past the first MAX_LINES may reach beyond the
        lines drawn) and returns when the highlight clears."""
        if index == self._highlight:
            return
        self._highlight = index
        self._fit(*self._drawn, self._highlighted())
        at = self._segments[0]
        if len(at):
            self._segments = (at, np.tile(self._range[1], len(at) // 2))
            self.segments.setData(*self._segments)
        self._draw_highlight()

    def _highlighted(self) -> np.ndarray:
        i = self._highlight
        return self._energy[:, i] if 0 <= i < self._energy.shape[1] else np.zeros(0)

    def _draw_highlight(self) -> None:
        if 0 <= self._highlight < self._energy.shape[1]:
            self.highlight.setData(self._steps, self._highlighted())
        else:
            self.highlight.setData([], [])
