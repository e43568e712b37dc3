"""The 2D views' GL particle layer (gui/gl/points_2d.py, MEMSCAPE_DRAW=gl) under Xvfb with
Mesa: particles light the pixels the view maps them to and no others, in the raster path's
colours, and a frame drawn by both paths is nearly the same picture."""
from __future__ import annotations

import numpy as np
import pytest

SIZE = (220, 180)  #: small: Mesa is slow


def rgb(image):
    """(h, w, 3) int pixels of a QImage."""
    from PyQt6 import QtGui

    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    rows = np.frombuffer(image.constBits().asstring(stride * h), np.uint8).reshape(h, stride)
    return rows[:, :3 * w].reshape(h, w, 3).astype(int)


def make_view(qtbot, monkeypatch, path: str, layers=("colormap", "contours", "arrows", "memories")):
    """A shown (off screen) 2D view drawing with ``path`` on a two-wells map, ``layers`` hidden."""
    from PyQt6 import QtCore, QtWidgets

    from memscape.gui.view_2d import Landscape2DView

    monkeypatch.setenv("MEMSCAPE_DRAW", path)
    view = Landscape2DView()
    qtbot.addWidget(view)
    xs, ys = np.linspace(-2, 2, 48), np.linspace(-1.5, 1.5, 36)
    px, py = np.meshgrid(xs, ys)
    view.set_landscape(np.minimum((px + 1) ** 2, (px - 1) ** 2) + py ** 2, (-2, 2), (-1.5, 1.5))
    for name in layers:
        view.set_layer_visible(name, False)
    view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(*SIZE)
    view.show()
    QtWidgets.QApplication.processEvents()
    return view


def frame(view) -> np.ndarray:
    """The view's pixels, 1:1 with its viewport."""
    return rgb(view.render_image(view.viewport().width(), view.viewport().height()))


def pixel_of(view, x: float, y: float) -> tuple[int, int]:
    """(row, column) of the viewport pixel the view maps data point (x, y) to."""
    from PyQt6 import QtCore

    p = view.getPlotItem().vb.mapViewToDevice(QtCore.QPointF(x, y))
    return int(p.y()), int(p.x())


def composite(rgba, background) -> np.ndarray:
    """An RGBA (0-255) colour over an RGB background."""
    a = rgba[3] / 255.0
    return a * np.asarray(rgba[:3], float) + (1 - a) * np.asarray(background, float)


def test_the_gl_path_puts_the_particle_layer_in_the_view(qtbot, monkeypatch):
    from memscape.gui.gl.points_2d import GLParticleLayer, Sprites

    view = make_view(qtbot, monkeypatch, "gl")
    assert isinstance(view.particles, Sprites)
    assert sum(isinstance(item, GLParticleLayer) for item in view.getPlotItem().items) == 1


def test_a_particle_lights_the_pixel_it_is_mapped_to_and_none_elsewhere(qtbot, monkeypatch):
    from memscape.gui.theme import particle_colors

    view = make_view(qtbot, monkeypatch, "gl")
    empty = frame(view)
    points = np.array([[0.5, -0.3], [-1.4, 0.9], [1.7, 1.2]])
    view.set_particles(points)
    image = frame(view)
    changed = np.abs(image - empty).max(axis=-1) > 8
    rows, cols = np.indices(changed.shape)
    near_one = np.zeros_like(changed)
    for k, (x, y) in enumerate(points):
        r, c = pixel_of(view, x, y)
        expected = composite(particle_colors(len(points))[k], empty[r, c])
        assert np.abs(image[r, c] - expected).max() <= 6, (k, image[r, c], expected)
        near_one |= np.hypot(rows - r, cols - c) <= 5.5  # a 7.6-pixel disc around its centre
    assert changed.any()
    assert not (changed & ~near_one).any(), "pixels lit away from every particle"
    for k, (x, y) in enumerate(points):  # and each particle's disc is there, not just its centre
        r, c = pixel_of(view, x, y)
        assert changed[r - 2:r + 3, c - 2:c + 3].all()


def test_a_pan_moves_the_particles_with_the_view(qtbot, monkeypatch):
    from PyQt6 import QtWidgets

    view = make_view(qtbot, monkeypatch, "gl")
    view.set_particles(np.array([[0.0, 0.0]]))
    view.show_range((-1.0, 3.0), (-1.5, 1.5))
    QtWidgets.QApplication.processEvents()
    empty_view = frame(view)
    r, c = pixel_of(view, 0.0, 0.0)
    view.set_layer_visible("particles", False)
    hidden = frame(view)
    assert np.abs(empty_view[r, c] - hidden[r, c]).max() > 40  # drawn at the new mapping ...
    assert np.abs(hidden - frame(view)).max() == 0  # ... and gone when the layer is hidden


@pytest.mark.parametrize("count", [1, 12])
def test_colours_match_the_raster_path(qtbot, monkeypatch, count):
    rng = np.random.default_rng(count)
    points = np.column_stack([rng.uniform(-1.8, 1.8, count), rng.uniform(-1.3, 1.3, count)])
    centres = {}
    for path in ("raster", "gl"):
        view = make_view(qtbot, monkeypatch, path)
        view.set_particles(points)
        image = frame(view)
        centres[path] = np.array([image[pixel_of(view, x, y)] for x, y in points])
    # the centre of a disc is its fill colour over the background in both paths; overlapping
    # discs are drawn in the same order (particle k over particle k - 1)
    assert np.abs(centres["gl"] - centres["raster"]).max() <= 4


def footprint_mismatch(frames: dict, bare: np.ndarray) -> tuple[float, float]:
    """(share, mean): of the pixels either path's particles and trails cover (where its frame
    differs from ``bare``, the frame without them, by more than 40 levels of 255), the share
    where the two frames differ by more than 40, and their mean difference there."""
    level = lambda a, b: np.abs(a - b).max(axis=-1)  # noqa: E731
    covered = (level(frames["gl"], bare) > 40) | (level(frames["raster"], bare) > 40)
    diff = level(frames["gl"], frames["raster"])[covered]
    return float((diff > 40).mean()), float(diff.mean())


def compare_paths(qtbot, monkeypatch, draw, layers=()) -> tuple[float, float]:
    """:func:`footprint_mismatch` of the frames ``draw(view)`` makes in a raster and a GL view."""
    frames = {}
    for path in ("raster", "gl"):
        view = make_view(qtbot, monkeypatch, path, layers=layers)
        draw(view)
        frames[path] = frame(view)
    view.set_layer_visible("particles", False)
    view.set_layer_visible("trails", False)
    return footprint_mismatch(frames, frame(view))


def test_a_frame_with_trails_is_nearly_the_raster_frame(qtbot, monkeypatch):
    """Both paths draw one step of 40 particles with 30 steps of trails. Not equal: the
    shader anti-aliases disc edges and lines over one pixel where QPainter draws discs with
    its own coverage and trails as aliased one-pixel lines (GL: two pixels at about half the
    ink each), so the frames agree only up to those edges. Of the pixels the particles and
    trails cover, 16% (measured) differ by more than 40 levels of 255, by 20 levels on average;
    allowed 25% and 30 levels. Measured the same way, GL discs drawn 3 pixels off make it 61%
    and 70 levels, no discs 71% and 79, no trails 42% and 43."""
    rng = np.random.default_rng(3)
    start = np.column_stack([rng.uniform(-1.8, 1.8, 40), rng.uniform(-1.3, 1.3, 40)])
    trail = start + np.cumsum(rng.normal(0, 0.03, (30, 40, 2)), axis=0)
    share, mean = compare_paths(qtbot, monkeypatch, lambda view: view.set_particles(trail[-1], trail),
                                layers=("contours", "arrows", "memories"))
    assert share <= 0.25 and mean <= 30


def test_a_recorded_step_drawn_by_both_paths_is_nearly_the_same_frame(qtbot, monkeypatch):
    """A step of a real run (two-wells, 60 particles, its trails so far) drawn by draw_step
    with every layer shown: 12% and 18 levels measured, the same bounds for the same reasons."""
    from memscape.engine.presets import load_preset
    from memscape.engine.run import Run
    from memscape.gui.draw_step import Views, draw_step

    run = Run(load_preset("two-wells").replace(particles=60, steps=24, seed=5, backend="numpy"))
    run.run_to_end()
    step = run.view(16)
    share, mean = compare_paths(qtbot, monkeypatch, lambda view: draw_step(Views(view2d=view), step))
    assert share <= 0.25 and mean <= 30


def test_positions_go_to_the_gpu_once_per_frame(qtbot, monkeypatch):
    view = make_view(qtbot, monkeypatch, "gl")
    layer = view.particles._layer
    frame(view)
    before = layer.uploads.copy()
    for k in range(3):
        view.set_particles(np.array([[0.1 * k, 0.0], [0.0, 0.2]]), np.zeros((2, 2, 2)) + 0.1 * k)
        frame(view)
        frame(view)  # nothing new: the picture is painted again, nothing uploaded
    layer.uploads.subtract(before)
    assert layer.uploads["particle positions"] == 3
    assert layer.uploads["particle colors"] == 1  # two particles all along: their colours once
    assert layer.uploads["trails"] == 3
