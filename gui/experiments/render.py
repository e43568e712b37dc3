"""Render an experiment's figure to a PNG without a window (``experiment --plot``).

The figure is the app's own drawing function (:data:`gui.experiments.plots.DRAW`) in a
hidden PlotWidget, exported with pyqtgraph's ImageExporter. With no QApplication yet, one
is made on Qt's offscreen platform (no display or OpenGL needed). The PNG is written
atomically (:func:`engine.atomic_files.write_bytes_atomic`).
"""
from __future__ import annotations

import os
from typing import Any

SIZE = (1400, 800)


def render_png(result: Any, path: str | os.PathLike, size: tuple[int, int] = SIZE) -> None:
    """Draw ``result`` at ``size`` pixels and write it to ``path`` as a PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter
    from PyQt6 import QtCore, QtWidgets

    from memscape.engine.atomic_files import os_error_message, write_bytes_atomic
    from memscape.gui import theme
    from memscape.gui.experiments.plots import DRAW

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["memscape"])
    widget = pg.PlotWidget(background=theme.plot_background(False))
    try:
        widget.resize(*size)
        DRAW[result.name](widget.getPlotItem(), result)
        widget.show()  # lays the plot out at its size (offscreen: nothing appears)
        app.processEvents()
        exporter = ImageExporter(widget.getPlotItem())
        exporter.parameters()["width"] = size[0]
        image = exporter.export(toBytes=True)
        buffer = QtCore.QBuffer()
        buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise OSError(f"cannot write {path}: Qt could not encode the PNG")
        data = bytes(buffer.data())
        try:
            write_bytes_atomic(path, data)
        except OSError as exc:
            raise OSError(os_error_message(path, exc)) from exc
    finally:
        widget.close()
        widget.deleteLater()
        app.processEvents()
