"""One drawing function per experiment: ``DRAW[name](plot, result)`` draws an
:class:`engine.experiments.runner.Result` (finished or still filling in) into a pyqtgraph
PlotItem. No science here: every number drawn is a column, array or summary figure of the
result; the functions only choose colours, axes and where panels sit.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore

from memscape.gui import theme

SPURIOUS_COLOR = (70, 70, 78)
ROSE_COLOR = theme.VIOLATION_COLOR
STEADY_COLOR = (150, 155, 165)
#: gap between side-by-side panels, as a fraction of one panel's width
PANEL_GAP = 0.08


def series_pen(k: int, count: int, dashed: bool = False) -> Any:
    pen = pg.mkPen(pg.intColor(k, hues=max(count, 1), sat=200), width=2)
    if dashed:
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
    return pen


class SparseLogAxis(pg.AxisItem):
    """An axis that, on a log scale, writes only 1, 2 and 5 times a power of ten: when a plot
    spans a few decades pyqtgraph labels every 2..9 of each, and they run into each other."""

    def tickStrings(self, values, scale, spacing):
        strings = super().tickStrings(values, scale, spacing)
        if not self.logMode:
            return strings
        mantissa = [round(10.0 ** (v - np.floor(v)), 6) for v in values]
        return [text if m in (1.0, 2.0, 5.0, 10.0) else "" for m, text in zip(mantissa, strings)]


def _log_axes(plot: pg.PlotItem, x: bool, y: bool) -> None:
    """Log scale on the chosen axes, sparsely labelled (:class:`SparseLogAxis`)."""
    for name in ("bottom", "left"):
        old = plot.getAxis(name)
        if not isinstance(old, SparseLogAxis):
            label = old.labelText
            plot.setAxisItems({name: SparseLogAxis(name)})
            plot.setLabel(name, label)
    plot.setLogMode(x=x, y=y)


def _start(plot: pg.PlotItem, title: str, x: str, y: str, legend: tuple[int, int] | None = (10, 10)) -> None:
    """Clear ``plot`` for a new figure; ``legend`` is the legend's offset (negative: from the
    right or bottom edge), None for none."""
    plot.clear()
    plot.setAspectLocked(False)
    plot.setTitle(title)
    plot.setLabel("bottom", x)
    plot.setLabel("left", y)
    plot.showGrid(x=True, y=True, alpha=0.2)
    if plot.legend is not None:
        plot.legend.clear()
    if legend is not None:
        if plot.legend is None:
            plot.addLegend(brush=pg.mkBrush(*theme.PLOT_BACKGROUND, 210))
        plot.legend.setOffset(legend)


def _vline(plot: pg.PlotItem, x: float, label: str) -> None:
    plot.addItem(pg.InfiniteLine(pos=x, angle=90, pen=pg.mkPen((200, 200, 200), style=QtCore.Qt.PenStyle.DotLine),
                                 label=label, labelOpts={"position": 0.08, "color": (220, 220, 220)}))


def _curve(plot: pg.PlotItem, x: np.ndarray, y: np.ndarray, pen: Any, name: str, symbol: str | None = "o") -> None:
    order = np.argsort(x)
    plot.plot(x[order], y[order], pen=pen, name=name, symbol=symbol, symbolSize=5,
              symbolBrush=pen.color(), symbolPen=None)


def _groups(result: Any, *keys: str) -> list[tuple[tuple, list[dict]]]:
    """The result's rows grouped by the values of ``keys``, in order of first appearance."""
    groups: dict[tuple, list[dict]] = {}
    for row in result.rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    return list(groups.items())


def draw_capacity(plot: pg.PlotItem, result: Any) -> None:
    _start(plot, "capacity: retrieval overlap from corrupted patterns", "load M / D", "mean final overlap",
           legend=(10, -10))
    _log_axes(plot, x=True, y=False)
    models = list(dict.fromkeys(row["model"] for row in result.rows))
    dims = sorted({row["D"] for row in result.rows})
    for (model, d), rows in _groups(result, "model", "D"):
        pen = series_pen(models.index(model), len(models), dashed=d != dims[-1])
        _curve(plot, result.column("load", rows), result.column("overlap", rows), pen, f"{model}, D = {d}")
    _vline(plot, np.log10(0.138), "0.138")
    plot.setYRange(0.0, 1.05)


def draw_collapse(plot: pg.PlotItem, result: Any) -> None:
    _start(plot, "collapse: posterior weight of the training point a noisy sample came from",
           "sigma / sigma_C", "mean source weight", legend=(10, -10))
    _log_axes(plot, x=True, y=False)
    pairs = _groups(result, "D", "M")
    dims = sorted({d for (d, _), _ in pairs})
    counts = sorted({m for (_, m), _ in pairs})
    for (d, m), rows in pairs:
        pen = series_pen(dims.index(d), len(dims), dashed=m != counts[-1])
        _curve(plot, result.column("ratio", rows), result.column("source_weight", rows), pen, f"D = {d}, M = {m}")
    _vline(plot, 0.0, "sigma_C")
    plot.addItem(pg.InfiniteLine(pos=0.5, angle=0, pen=pg.mkPen((120, 120, 120), style=QtCore.Qt.PenStyle.DotLine)))
    plot.setYRange(0.0, 1.05)


def draw_speciation(plot: pg.PlotItem, result: Any) -> None:
    _start(plot, "speciation: copies branched at sigma that end on the same memory", "branch sigma", "p_same",
           legend=(10, -10))
    _log_axes(plot, x=True, y=False)
    if not result.rows:
        return
    sigma = result.column("sigma")
    _curve(plot, sigma, result.column("p_same_exact"), series_pen(0, 2), "exact sampling (quadrature)", symbol=None)
    _curve(plot, sigma, result.column("p_same"), series_pen(1, 2), "measured")
    err = pg.ErrorBarItem(x=np.log10(sigma), y=result.column("p_same"), height=2 * result.column("stderr"),
                          pen=pg.mkPen(series_pen(1, 2).color()))
    plot.addItem(err)
    _vline(plot, np.log10(result.rows[0]["sigma_predicted"]), "d/2")
    plot.setYRange(0.45, 1.02)


def draw_memorization(plot: pg.PlotItem, result: Any) -> None:
    _start(plot, "memorization: exact score against learned scores of limited capacity",
           "training points M", "share of samples", legend=(-10, 10))
    _log_axes(plot, x=True, y=False)
    series = _groups(result, "score", "capacity")
    for k, ((score, capacity), rows) in enumerate(series):
        name = "exact" if score == "exact" else f"learned, {capacity} features"
        m = result.column("M", rows)
        _curve(plot, m, result.column("memorized_fraction", rows), series_pen(k, len(series)), f"{name}: memorised")
        if score != "exact":
            _curve(plot, m, result.column("spurious_fraction", rows), series_pen(k, len(series), dashed=True),
                   f"{name}: spurious", symbol="x")
    plot.setYRange(0.0, 1.3)


def draw_temperature(plot: pg.PlotItem, result: Any) -> None:
    _start(plot, "temperature: Modern Hopfield with beta = 1/sigma^2 beside the sampler",
           "step", "largest distance between the two runs' particles", legend=(10, -10))
    _log_axes(plot, x=False, y=True)
    variants = _groups(result, "variant")
    floor = 1e-17  # a gap of exactly 0 has no logarithm
    for k, ((variant,), rows) in enumerate(variants):
        dt = "dt = 1 - sigma_i+1 / sigma_i" if variant == "matched" else f"dt = {rows[0]['dt']:g}"
        _curve(plot, result.column("step", rows), np.maximum(result.column("gap_max", rows), floor),
               series_pen(k, len(variants)), f"{variant} ({dt})")


def _panels(plot: pg.PlotItem, labels: list[str], x: np.ndarray, y: np.ndarray) -> list[float]:
    """x offsets of side-by-side panels over the extent of x and y, with a label over each."""
    width = float(x[-1] - x[0])
    offsets = [k * width * (1 + PANEL_GAP) for k in range(len(labels))]
    for label, off in zip(labels, offsets):
        text = pg.TextItem(label, anchor=(0.5, 1.0), color=(230, 230, 230))
        text.setPos(off + x[0] + width / 2, y[-1])
        plot.addItem(text)
    plot.getAxis("bottom").setTicks([[]])
    return offsets


def _image(plot: pg.PlotItem, rgba: np.ndarray, x: np.ndarray, y: np.ndarray, offset: float) -> None:
    """An (H, W, 4) image whose row i is y[i] and column j is x[j], shifted right by ``offset``."""
    item = pg.ImageItem(np.ascontiguousarray(np.transpose(rgba, (1, 0, 2))), levels=(0, 255))
    dx, dy = (x[-1] - x[0]) / max(len(x) - 1, 1), (y[-1] - y[0]) / max(len(y) - 1, 1)
    item.setRect(QtCore.QRectF(x[0] - dx / 2 + offset, y[0] - dy / 2, x[-1] - x[0] + dx, y[-1] - y[0] + dy))
    plot.addItem(item)


def _memories(plot: pg.PlotItem, uv: np.ndarray, offset: float) -> None:
    plot.addItem(pg.ScatterPlotItem(uv[:, 0] + offset, uv[:, 1], size=8, brush=pg.mkBrush(255, 255, 255),
                                    pen=pg.mkPen(0, 0, 0)))


def draw_basins(plot: pg.PlotItem, result: Any) -> None:
    _start(plot, "basins: the memory each start reaches (grey: spurious end)", "", "v", legend=None)
    _log_axes(plot, x=False, y=False)
    plot.setAspectLocked(True)
    maps = [(k.removeprefix("basin "), v) for k, v in result.arrays.items() if k.startswith("basin ")]
    if not maps:
        return
    x, y, mem = result.arrays["grid_x"], result.arrays["grid_y"], result.arrays["memories_uv"]
    colors = np.array([pg.intColor(k, hues=len(mem), sat=170).getRgb() for k in range(len(mem))] +
                      [(*SPURIOUS_COLOR, 255)], dtype=np.uint8)
    offsets = _panels(plot, [f"{name} ({result.summary.get(f'{name}: spurious share', 0):.0%} spurious)"
                             for name, _ in maps], x, y)
    for (name, basin), off in zip(maps, offsets):
        _image(plot, colors[np.where(basin < 0, len(mem), basin)], x, y, off)
        _memories(plot, mem, off)


def draw_curl(plot: pg.PlotItem, result: Any) -> None:
    _start(plot, "curl: loop integral per area of the score field (same colour scale)", "", "v", legend=None)
    _log_axes(plot, x=False, y=False)
    plot.setAspectLocked(True)
    fields = [row["field"] for row in result.rows]
    if not fields:
        return
    x, y, mem = result.arrays["grid_x"], result.arrays["grid_y"], result.arrays["memories_uv"]
    scale = max(float(np.max(np.abs(result.arrays[f"curl {f}"]))) for f in fields) or 1.0
    cmap = pg.colormap.get("CET-D1")
    labels = [f"{row['field']}: curl rms {row['curl_rms']:.2g}, rotational share {row['rotational_share']:.2g}"
              for row in result.rows]
    for f, off in zip(fields, _panels(plot, labels, x, y)):
        t = np.clip(0.5 + 0.5 * result.arrays[f"curl {f}"] / scale, 0.0, 1.0)
        _image(plot, cmap.map(t.ravel(), mode="byte").reshape(*t.shape, 4), x, y, off)
        _memories(plot, mem, off)


def draw_lyapunov(plot: pg.PlotItem, result: Any) -> None:
    _start(plot, "lyapunov: starts whose fixed-function energy ever rose (red), and where it first rose (x)",
           "", "v", legend=None)
    _log_axes(plot, x=False, y=False)
    plot.setAspectLocked(True)
    methods = _groups(result, "method")
    if not methods:
        return
    u, v = result.column("u"), result.column("v")
    x, y = np.array([u.min(), u.max()]), np.array([v.min(), v.max()])
    labels = [f"{m} ({result.summary.get(f'{m}: share of particles whose energy ever rose', 0):.0%})"
              for (m,), _ in methods]
    for ((method,), rows), off in zip(methods, _panels(plot, labels, x, y)):
        rose = result.column("rises", rows) > 0
        brushes = [pg.mkBrush(*ROSE_COLOR) if r else pg.mkBrush(*STEADY_COLOR, 120) for r in rose]
        plot.addItem(pg.ScatterPlotItem(result.column("u", rows) + off, result.column("v", rows), size=4,
                                        brush=brushes, pen=None))
        plot.addItem(pg.ScatterPlotItem(result.column("rise_u", rows)[rose] + off, result.column("rise_v", rows)[rose],
                                        size=7, symbol="x", brush=pg.mkBrush(255, 220, 0), pen=None))
        _memories(plot, result.arrays["memories_uv"], off)


DRAW: dict[str, Callable[[pg.PlotItem, Any], None]] = {
    "capacity": draw_capacity, "basins": draw_basins, "collapse": draw_collapse, "speciation": draw_speciation,
    "memorization": draw_memorization, "curl": draw_curl, "temperature": draw_temperature, "lyapunov": draw_lyapunov,
}
