"""Energy trace: every particle's energy against step, their mean, and the Lyapunov
violations (steps where a particle's energy rose) marked and counted.

For an AM the energy is a Lyapunov function (science.md 1) and the count stays 0; along a
diffusion trajectory E_sigma(t)(x_t) may rise, and the marks show where.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from memscape.gui.history import HistoryView
from memscape.gui.segment_lines import segment_lines
from memscape.gui.theme import HIGHLIGHT_COLOR, VIOLATION_COLOR
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


def steady_range(shown: tuple[float, float], lo: float, hi: float, pad: float = 0.08) -> tuple[float, float]:
    """The y range for data spanning [lo, hi]: ``shown`` while the data stay inside it and
    fill at least a quarter of it, else [lo, hi] widened by ``pad`` of its span on each
    side. The axes then stand still frame after frame (a range that moves every frame
    makes the trace jitter and its axes be laid out again, a third of the plot's cost)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return shown
    s0, s1 = shown
    if s0 <= lo and hi <= s1 and (hi - lo) >= 0.25 * (s1 - s0):
        return shown
    margin = pad * (hi - lo) if hi > lo else max(abs(hi), 1.0) * pad
    return lo - margin, hi + margin


def steady_steps(last: float, span: int | None = None) -> tuple[float, float]:
    """The x range for steps 0..last of a run of ``span`` steps: [0, span], or when the run's
    length is not known (or already passed) [0, the next power of two >= last] (at least 16)."""
    if span is not None and span >= last:
        return 0.0, float(max(span, 1))
    return 0.0, float(max(16, 1 << int(np.ceil(np.log2(max(last, 1.0))))))


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
        for item in (self.lines, self.mean, self.highlight, self.marks):
            self.addItem(item)
        self.label = pg.TextItem(anchor=(1, 0), color=(255, 255, 255))
        self.label.setParentItem(self.getPlotItem().vb)
        self.getPlotItem().vb.sigResized.connect(self._place_label)
        self.getPlotItem().vb.disableAutoRange()  # set_history keeps the range steady instead
        self._range = ((0.0, 16.0), (0.0, 1.0))
        self._steps = np.zeros(0)
        self._energy = np.zeros((0, 0))
        self._highlight = -1
        self.violations = 0

    def _place_label(self) -> None:
        r = self.getPlotItem().vb.rect()
        self.label.setPos(r.right() - 6, r.top() + 4)

    def set_history(self, history: HistoryView, label: str = "energy", span: int | None = None) -> None:
        """Draw a :class:`gui.history.HistoryView`: the first MAX_LINES particles' energies,
        the mean over all and a mark at every step where some energy rose; the step axis
        covers the whole run of ``span`` steps when given."""
        self._steps = history.steps
        self._energy = history.energy
        if label != self._axis_label:  # setting it lays the axis text out again (HTML): only on change
            self.setLabel("left", label)
            self._axis_label = label
        when = shown_steps(len(self._steps), min(self._energy.shape[1], MAX_LINES), MAX_LINE_SEGMENTS)
        lines_x, lines_y = line_segments(self._steps[when], self._energy[when, :MAX_LINES])
        self.lines.setData(lines_x, lines_y)
        self.mean.setData(self._steps, history.mean)
        self._fit(span, lines_y, history.mean)
        where = history.rises > 0
        self.marks.setData(self._steps[where], history.mean[where])
        self.violations = int(history.rises.sum())
        self.label.setText(f"Lyapunov violations: {self.violations}")
        self._place_label()
        self._draw_highlight()

    def _fit(self, span: int | None, *ys: np.ndarray) -> None:
        """Show every step so far and the drawn energies, moving the range only when needed."""
        values = np.concatenate([np.asarray(y, np.float64).ravel() for y in ys])
        values = values[np.isfinite(values)]
        lo, hi = (float(values.min()), float(values.max())) if values.size else (np.nan, np.nan)
        last = float(self._steps[-1]) if len(self._steps) else 0.0
        new = (steady_steps(last, span), steady_range(self._range[1], lo, hi))
        if new != self._range:
            self._range = new
            self.getPlotItem().vb.setRange(xRange=new[0], yRange=new[1], padding=0.0)

    def set_highlight(self, index: int) -> None:
        self._highlight = index
        self._draw_highlight()

    def _draw_highlight(self) -> None:
        i = self._highlight
        if 0 <= i < self._energy.shape[1]:
            self.highlight.setData(self._steps, self._energy[:, i])
        else:
            self.highlight.setData([], [])
