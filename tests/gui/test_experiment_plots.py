"""The experiments' drawing functions draw results as they fill in, one PlotItem reused."""
import numpy as np
import pyqtgraph as pg

from memscape.engine.backend import get_backend
from memscape.engine.experiments import EXPERIMENTS
from memscape.engine.experiments.runner import Result, execute, make_settings
from memscape.gui.experiments.plots import DRAW
from test_cli_experiment import SMALL  # the small settings the command's tests run


def test_one_plot_draws_every_experiment_empty_partial_and_whole(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    backend = get_backend("numpy", "float64")
    assert set(DRAW) == set(EXPERIMENTS) == set(SMALL)
    for name, module in EXPERIMENTS.items():
        settings = make_settings(module, SMALL[name])
        DRAW[name](plot, Result(name, module.COLUMNS, settings))  # nothing has arrived yet
        empty = len(plot.items)
        counts = []
        execute(module, settings, backend,
                on_update=lambda result, update: (DRAW[name](plot, result), counts.append(len(plot.items))))
        assert counts and counts[-1] > empty, name
        assert name.split()[0] in plot.titleLabel.text
        shown = [item for item in plot.items if isinstance(item, pg.PlotDataItem)]
        for item in shown:
            x, y = item.getData()
            assert x is None or np.all(np.isfinite(x)), name
