"""Schedule plot: sigma against step for the chosen schedule (log scale), the steps as
markers and a cursor at the current step. AMs have no schedule (valid for all t >= 0).

The note ("then sigma_N = 0", or why an AM has no schedule) sits in the plot's top right
corner, wrapped to the plot's width, in a band above sigma_0 that the range keeps free for
it: a falling schedule never reaches into it, so the note is never on the curve."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from memscape.gui.theme import CORNER_MARGIN_PX, place_in_corner


class SchedulePlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setLabel("bottom", "step")
        self.setLabel("left", "sigma (log)")
        self.setLogMode(y=True)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setToolTip("the noise level sigma of each step (log scale); the yellow line is the step on screen")
        self.curve = pg.PlotDataItem(pen=pg.mkPen(90, 150, 255, width=2), symbol="o", symbolSize=5,
                                     symbolBrush=(90, 150, 255), symbolPen=None)
        self.addItem(self.curve)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(255, 210, 0, width=2))
        self.addItem(self.cursor)
        vb = self.getPlotItem().vb
        self.note = pg.TextItem(anchor=(1.0, 0.0), color=(220, 220, 220))
        self.note.setParentItem(vb)  # placed in the view's pixels, not on the data
        vb.sigResized.connect(self._place_note)
        self.sigmas = np.zeros(0)

    def _place_note(self) -> None:
        vb = self.getPlotItem().vb
        place_in_corner(self.note, vb.rect())
        positive = self.sigmas[self.sigmas > 0]
        if not len(positive):
            return
        # log10 sigma from the last positive level to sigma_0, padded, and above it a band
        # as tall as the note (in pixels, so it holds at any size)
        lo, hi = np.log10(positive.min()), np.log10(positive.max())
        pad = 0.05 * max(hi - lo, 0.1)
        lo, hi = lo - pad, hi + pad
        band = self.note.mapRectToParent(self.note.boundingRect()).bottom() + CORNER_MARGIN_PX \
            if self.note.toPlainText() else 0.0
        height = vb.rect().height()
        if 0 < band < 0.8 * height:
            hi += (hi - lo) * band / (height - band)
        vb.setYRange(lo, hi, padding=0.0)

    def set_sigmas(self, sigmas: np.ndarray | None) -> None:
        """The falling sigma_0 > ... > sigma_N = 0 of the run, or None for an AM."""
        if sigmas is None or len(sigmas) == 0:
            self.sigmas = np.zeros(0)
            self.curve.setData([], [])
            self.note.setText("associative memory: no noise schedule, valid for every t >= 0")
            self._place_note()
            return
        self.sigmas = np.asarray(sigmas, dtype=np.float64)
        positive = self.sigmas > 0  # log axis: the final sigma = 0 is shown by the note
        steps = np.arange(len(self.sigmas))
        self.curve.setData(steps[positive], self.sigmas[positive])
        self.note.setText("" if positive.all() else f"then sigma_{len(self.sigmas) - 1} = 0")
        self.getPlotItem().vb.setXRange(0, len(self.sigmas) - 1, padding=0.02)
        self._place_note()

    def set_step(self, step: int) -> None:
        self.cursor.setValue(step)
