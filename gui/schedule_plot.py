"""Schedule plot: sigma against step for the chosen schedule (log scale), the steps as
markers and a cursor at the current step. AMs have no schedule (valid for all t >= 0)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg


class SchedulePlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setLabel("bottom", "step")
        self.setLabel("left", "sigma (log)")
        self.setLogMode(y=True)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.curve = pg.PlotDataItem(pen=pg.mkPen(90, 150, 255, width=2), symbol="o", symbolSize=5,
                                     symbolBrush=(90, 150, 255), symbolPen=None)
        self.addItem(self.curve)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(255, 210, 0, width=2))
        self.addItem(self.cursor)
        self.note = pg.TextItem(anchor=(1.0, 1.0), color=(220, 220, 220))
        self.addItem(self.note)
        self.sigmas = np.zeros(0)

    def set_sigmas(self, sigmas: np.ndarray | None) -> None:
        """The falling sigma_0 > ... > sigma_N = 0 of the run, or None for an AM."""
        if sigmas is None or len(sigmas) == 0:
            self.sigmas = np.zeros(0)
            self.curve.setData([], [])
            self.note.setText("associative memory: no noise schedule, valid for every t >= 0")
            self.note.setPos(1, 0)
            return
        self.sigmas = np.asarray(sigmas, dtype=np.float64)
        positive = self.sigmas > 0  # log axis: the final sigma = 0 is shown by the note
        steps = np.arange(len(self.sigmas))
        self.curve.setData(steps[positive], self.sigmas[positive])
        self.note.setText("" if positive.all() else f"then sigma_{len(self.sigmas) - 1} = 0")
        if not positive.all() and positive.any():
            self.note.setPos(len(self.sigmas) - 1, np.log10(self.sigmas[positive].min()))
        self.autoRange()

    def set_step(self, step: int) -> None:
        self.cursor.setValue(step)
