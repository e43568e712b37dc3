"""The experiments' figures: :mod:`gui.experiments.plots` draws a result into a pyqtgraph
PlotItem (the app's panel and ``experiment --plot`` use the same functions),
:mod:`gui.experiments.render` renders one to a PNG without a window."""
