"""Side by side: an associative memory (Modern Hopfield, beta) and diffusion on the same
memories, from the same initial particles, stepped in lock-step (the paper's Figure 1)."""
from __future__ import annotations

import numpy as np
from PyQt6 import QtCore, QtWidgets

from memscape.gui.energy_trace import EnergyTracePlot
from memscape.gui.view_2d import Landscape2DView


class SideBySideView(QtWidgets.QWidget):
    hovered = QtCore.pyqtSignal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.am = Landscape2DView("Associative memory")
        self.dm = Landscape2DView("Diffusion")
        self.am_energy = EnergyTracePlot()
        self.dm_energy = EnergyTracePlot()
        for col, (view, trace) in enumerate(((self.am, self.am_energy), (self.dm, self.dm_energy))):
            view.hovered.connect(self._on_hover)
            layout.addWidget(view, 0, col)
            layout.addWidget(trace, 1, col)
        layout.setRowStretch(0, 3)
        layout.setRowStretch(1, 1)
        # the two panels show one range: a pan or zoom of either is copied to the other (not
        # pyqtgraph's view links, which line views up by their pixel positions on screen)
        for view, other in ((self.am, self.dm), (self.dm, self.am)):
            view.getPlotItem().vb.sigRangeChangedManually.connect(
                lambda *_, v=view, o=other: o.show_range(*v.shown_range()))

    def _on_hover(self, index: int) -> None:
        self.set_highlight(index)
        self.hovered.emit(index)

    def set_highlight(self, index: int) -> None:
        for item in (self.am, self.dm, self.am_energy, self.dm_energy):
            item.set_highlight(index)

    def set_titles(self, am_title: str, dm_title: str) -> None:
        self.am.setTitle(am_title)
        self.dm.setTitle(dm_title)

    def views(self) -> tuple[Landscape2DView, Landscape2DView]:
        return self.am, self.dm

    def fit(self, points: np.ndarray | None = None) -> None:
        """Both panels: the landscape and most of ``points`` (see Landscape2DView.fit)."""
        self.am.fit(points)
        self.dm.show_range(*self.am.shown_range())

    def shown_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return self.am.shown_range()

    def show_range(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        for view in self.views():
            view.show_range(x_range, y_range)

    def set_layer_visible(self, name: str, on: bool) -> None:
        for view in self.views():
            view.set_layer_visible(name, on)

    def particle_sets(self) -> tuple[np.ndarray, np.ndarray]:
        """What each side shows now (tests compare them)."""
        return self.am._xy.copy(), self.dm._xy.copy()
