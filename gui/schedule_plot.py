"""Schedule plot: sigma against step for the chosen schedule (log scale), the steps as
markers and a cursor at the current step. AMs have no schedule (valid for all t >= 0).

The final sigma_N = 0 has no place on a log axis; the step axis's label says it ("step, then
sigma_N = 0"), so the words are never on the curve at any size of the plot (the theme fits the
label to the axis). An AM's plot is empty and says why in its corner."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from memscape.gui.plot_cache import cache_axes
from memscape.gui.theme import place_in_corner

STEP_LABEL = "step"


class SchedulePlot(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setLabel("bottom", STEP_LABEL)
        self.setLabel("left", "sigma (log)")
        self.setLogMode(y=True)
        self.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):  # an axis never reads "(x0.001)"
            self.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        cache_axes(self.getPlotItem())
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
        place_in_corner(self.note, self.getPlotItem().vb.rect())

    def _set_step_label(self, text: str) -> None:
        axis = self.getPlotItem().getAxis("bottom")
        if axis.labelText != text:  # laying the label out again costs more than the check
            self.setLabel("bottom", text)

    def set_sigmas(self, sigmas: np.ndarray | None) -> None:
        """The falling sigma_0 > ... > sigma_N = 0 of the run, or None for an AM."""
        if sigmas is None or len(sigmas) == 0:
            self.sigmas = np.zeros(0)
            self.curve.setData([], [])
            self._set_step_label(STEP_LABEL)
            self.note.setText("associative memory: no noise schedule, valid for every t >= 0")
            self._place_note()
            return
        sigmas = np.asarray(sigmas, dtype=np.float64)
        if np.array_equal(sigmas, self.sigmas):
            return  # the same schedule, frame after frame: drawing and fitting it again costs a frame's 4 ms
        self.sigmas = sigmas
        positive = self.sigmas > 0  # log axis: the final sigma = 0 is named by the step axis's label
        steps = np.arange(len(self.sigmas))
        self.curve.setData(steps[positive], self.sigmas[positive])
        self._set_step_label(STEP_LABEL if positive.all() else f"{STEP_LABEL}, then sigma_{len(self.sigmas) - 1} = 0")
        self.note.setText("")
        self.autoRange()

    def set_step(self, step: int) -> None:
        self.cursor.setValue(step)
