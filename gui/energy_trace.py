"""Energy trace: every particle's energy against step, their mean, and the Lyapunov
violations (steps where a particle's energy rose) marked and counted.

For an AM the energy is a Lyapunov function (science.md 1) and the count stays 0; along a
diffusion trajectory E_sigma(t)(x_t) may rise, and the marks show where.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.theme import HIGHLIGHT_COLOR, VIOLATION_COLOR

MAX_LINES = 64  #: particles drawn as individual lines (the mean uses all)


def energy_rises(energy: np.ndarray, rtol: float = 1e-5) -> np.ndarray:
    """(T, N) energies -> (T,) number of particles whose energy rose into step t:
    E_t > E_{t-1} + rtol (1 + |E_{t-1}|) (a float32-sized tolerance); row 0 is 0."""
    e = np.asarray(energy, dtype=np.float64)
    out = np.zeros(len(e), dtype=np.int64)
    if len(e) > 1:
        prev, cur = e[:-1], e[1:]
        with np.errstate(invalid="ignore"):
            rose = cur > prev + rtol * (1.0 + np.abs(prev))
        out[1:] = np.count_nonzero(rose, axis=1)
    return out


class EnergyTracePlot(pg.PlotWidget):
    """Energy against step; ``set_history(steps, energy)`` redraws, ``set_highlight(i)`` links."""

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setLabel("bottom", "step")
        self.setLabel("left", "energy")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.lines = pg.PlotDataItem(pen=pg.mkPen(150, 170, 210, 60, width=1), connect="finite", antialias=False)
        self.mean = pg.PlotDataItem(pen=pg.mkPen(255, 210, 0, width=3), name="mean")
        self.highlight = pg.PlotDataItem(pen=pg.mkPen(*HIGHLIGHT_COLOR, width=2.5))
        self.marks = pg.ScatterPlotItem(size=10, symbol="t1", brush=pg.mkBrush(*VIOLATION_COLOR),
                                        pen=pg.mkPen("w", width=0.8))
        for item in (self.lines, self.mean, self.highlight, self.marks):
            self.addItem(item)
        self.label = pg.TextItem(anchor=(1, 0), color=(255, 255, 255))
        self.label.setParentItem(self.getPlotItem().vb)
        self.getPlotItem().vb.sigResized.connect(self._place_label)
        self._steps = np.zeros(0)
        self._energy = np.zeros((0, 0))
        self._highlight = -1
        self.violations = 0

    def _place_label(self) -> None:
        r = self.getPlotItem().vb.rect()
        self.label.setPos(r.right() - 6, r.top() + 4)

    def set_history(self, steps: np.ndarray, energy: np.ndarray, label: str = "energy") -> None:
        """``steps`` (T,), ``energy`` (T, N) recorded so far (NaN where undefined)."""
        self._steps = np.asarray(steps, dtype=np.float64)
        self._energy = np.asarray(energy, dtype=np.float64).reshape(len(self._steps), -1)
        self.setLabel("left", label)
        t, n = self._energy.shape
        shown = self._energy[:, : min(n, MAX_LINES)]
        if t:
            pad = np.full((1, shown.shape[1]), np.nan)
            ys = np.concatenate([shown, pad]).T.ravel()
            xs = np.tile(np.append(self._steps, np.nan), shown.shape[1])
            self.lines.setData(xs, ys)
            finite = np.isfinite(self._energy)
            count = finite.sum(axis=1)
            total = np.where(finite, self._energy, 0.0).sum(axis=1)
            mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
            self.mean.setData(self._steps, mean)
            rises = energy_rises(self._energy)
            where = rises > 0
            self.marks.setData(self._steps[where], mean[where])
            self.violations = int(rises.sum())
        else:
            for item in (self.lines, self.mean, self.marks):
                item.setData([], [])
            self.violations = 0
        self.label.setText(f"Lyapunov violations: {self.violations}")
        self._place_label()
        self._draw_highlight()

    def set_highlight(self, index: int) -> None:
        self._highlight = index
        self._draw_highlight()

    def _draw_highlight(self) -> None:
        i = self._highlight
        if 0 <= i < self._energy.shape[1]:
            self.highlight.setData(self._steps, self._energy[:, i])
        else:
            self.highlight.setData([], [])
