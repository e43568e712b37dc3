"""Above DENSITY_ABOVE particles the landscapes draw the particles' density, not points
(issue 15): the window driven as a person does (the count typed into its control, Play),
then what the views hold; below the threshold points again; the 3D surface takes the
density where the particles are."""
from __future__ import annotations

import numpy as np
import pytest
from PyQt6 import QtCore, QtWidgets

from memscape.gui.density import BINS, DENSITY_ABOVE, legend, particle_density
from tests.gui.test_view_3d import SIZE, rgb, two_wells

pytestmark = pytest.mark.qt_log_level_fail("WARNING")


def type_particles(window, qtbot, count: int) -> None:
    """Type ``count`` into the particles field and press Return, as a person does."""
    field = window.controls.sliders["particles"].field
    qtbot.mouseClick(field, QtCore.Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClicks(field, str(count))
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.worker.run_.params.particles == count, timeout=20_000)


def play_a_few_steps(window, qtbot, wait_frames, particles: int, entries: int = 3) -> None:
    """Play until the window shows the newest of ``entries`` entries of the new run, then pause."""
    window.controls.buttons["play"].click()
    qtbot.waitUntil(lambda: window.shown is not None and len(window.shown.main.uv) == particles, timeout=60_000)
    wait_frames(window, entries, timeout=60_000)
    window.controls.buttons["play"].click()  # pause, so what is shown stays
    qtbot.waitUntil(lambda: not window.playing, timeout=20_000)
    window.show_frame(window.update_, window.shown.length - 1)
    QtWidgets.QApplication.processEvents()


def reference_bins(shown) -> np.ndarray:
    """(ny, nx) bool: the bins of the landscape holding a particle, from np.histogram2d."""
    land = shown.main.landscape
    h, _, _ = np.histogram2d(shown.main.uv[:, 0].astype(np.float64), shown.main.uv[:, 1].astype(np.float64),
                             bins=BINS, range=[(land["x"][0], land["x"][-1]), (land["y"][0], land["y"][-1])])
    return h.T > 0


def test_100000_particles_show_as_a_density_and_5000_as_points(make_window, qtbot, wait_frames):
    window = make_window(steps=8)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.menu_actions["layout2"].trigger()  # the 2D and 3D landscapes
    type_particles(window, qtbot, 100_000)
    play_a_few_steps(window, qtbot, wait_frames, 100_000)
    shown, view = window.shown, window.view2d
    assert shown.main.uv.shape == (100_000, 2)
    image = view.density.image
    assert image is not None and view.density.isVisible()
    assert len(view.particles.data) == 0  # no markers
    # the density's non-empty pixels are exactly the bins holding a particle
    np.testing.assert_array_equal(image[..., 3] > 0, reference_bins(shown))
    rect, land = view.density.mapRectToView(view.density.boundingRect()), shown.main.landscape
    assert rect.left() == pytest.approx(land["x"][0]) and rect.right() == pytest.approx(land["x"][-1])
    assert rect.top() == pytest.approx(land["y"][0]) and rect.bottom() == pytest.approx(land["y"][-1])
    words = view.density_legend.toPlainText()
    peak = int(particle_density(shown.main.uv, (land["x"][0], land["x"][-1]), (land["y"][0], land["y"][-1])).peak)
    assert view.density_legend.isVisible() and f"to {peak:,} (pale yellow)" in words
    assert "hovering the map picks no single particle" in view.toolTip()
    trails = sum(len(item.getData()[0] if item.getData()[0] is not None else []) for item in view.trails)
    assert 0 < trails  # a few hundred thinned trails on top
    if hasattr(window.view3d, "surface"):
        np.testing.assert_array_equal(window.view3d.surface._density, image)  # on the 3D surface too
        assert len(window.view3d._particles[0]) == 0  # no point sprites
        assert window.view3d.toolTip() == words  # the scale, in words (the 3D view has no hover)
    # hovering over the crowd picks nobody
    vb = view.getPlotItem().vb
    centre = view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(*np.median(shown.main.uv, axis=0))))
    view._on_mouse_moved(view.mapToScene(centre))
    assert view._hover == -1

    type_particles(window, qtbot, 5_000)  # below the threshold: points again
    play_a_few_steps(window, qtbot, wait_frames, 5_000)
    assert window.shown.main.uv.shape == (5_000, 2) and 5_000 <= DENSITY_ABOVE
    assert view.density.image is None and not view.density_legend.isVisible()
    assert len(view.particles.data) == 5_000
    np.testing.assert_array_equal(np.stack([view.particles.data["x"], view.particles.data["y"]], 1),
                                  window.shown.main.uv.astype(np.float64))
    if hasattr(window.view3d, "surface"):
        assert window.view3d.surface._density is None and len(window.view3d._particles[0]) == 5_000
        assert window.view3d.toolTip() == ""


def test_the_particle_control_reaches_100000(make_window):
    window = make_window()
    slider = window.controls.sliders["particles"]
    slider.slider.setValue(slider.slider.maximum())
    assert slider.value() == 100_000


@pytest.fixture
def view3d(qtbot):
    from memscape.gui.export.frame_renderer import gl_available
    from memscape.gui.view_3d import Landscape3DView

    if not gl_available():
        pytest.skip("no OpenGL context here")
    v = Landscape3DView()
    qtbot.addWidget(v)
    x, y, e = two_wells()
    v.set_landscape(e, (x[0], x[-1]), (y[0], y[-1]))
    v.set_layer_visible("trails", False)
    v.set_layer_visible("memories", False)
    return v, (x[0], x[-1]), (y[0], y[-1])


def test_the_3d_picture_changes_where_the_density_is(view3d):
    """The pixels the density changes on the surface are those where the same particles'
    sprites stand: a crowd near (1.2, 0.6), off the centre, seen from the default camera."""
    view, xr, yr = view3d
    crowd = np.random.default_rng(5).normal([1.2, 0.6], 0.12, size=(20_000, 2))
    bare = rgb(view.render_image(*SIZE))
    view.set_particles(crowd, None, np.tile((1.0, 0.0, 1.0, 1.0), (len(crowd), 1)))
    sprites = np.abs(rgb(view.render_image(*SIZE)) - bare).max(axis=-1) > 40
    view.set_particles(np.zeros((0, 2)), None, None)
    view.set_density(particle_density(crowd, xr, yr).rgba)
    dense = np.abs(rgb(view.render_image(*SIZE)) - bare).max(axis=-1) > 40
    assert dense.sum() > 100 and sprites.sum() > 100
    assert dense.mean() < 0.2  # only where the crowd is, not the whole surface
    rows, cols = np.nonzero(dense)
    s_rows, s_cols = np.nonzero(sprites)
    assert abs(rows.mean() - s_rows.mean()) < 0.05 * SIZE[1] and abs(cols.mean() - s_cols.mean()) < 0.05 * SIZE[0]
    grown = sprites.copy()  # the sprites' pixels, widened by a sprite's radius
    for axis in (0, 1):
        for shift in range(1, 6):
            grown |= np.roll(sprites, shift, axis) | np.roll(sprites, -shift, axis)
    assert (dense & grown).sum() > 0.9 * dense.sum()
    view.set_layer_visible("particles", False)  # the layer switch hides the density as it hides sprites
    assert (np.abs(rgb(view.render_image(*SIZE)) - bare).max(axis=-1) > 40).sum() == 0
    view.set_layer_visible("particles", True)
    assert ((np.abs(rgb(view.render_image(*SIZE)) - bare).max(axis=-1) > 40) == dense).all()
    view.set_density(None)  # none again: the bare surface
    assert (np.abs(rgb(view.render_image(*SIZE)) - bare).max(axis=-1) > 40).sum() == 0


def test_the_3d_picture_says_the_density_scale_in_its_corner(view3d):
    """A video of the 3D view alone must carry the density's scale: the legend is painted
    into the picture's top right corner (and goes with the particles' switch)."""
    view, xr, yr = view3d
    size = (640, 480)
    crowd = np.random.default_rng(6).normal([-1.0, 0.0], 0.2, size=(20_000, 2))
    density = particle_density(crowd, xr, yr)
    view.set_density(density.rgba)
    plain = rgb(view.render_image(*size))
    view.set_density(density.rgba, legend(density))
    marked = rgb(view.render_image(*size))
    changed = np.abs(marked - plain).max(axis=-1) > 40
    rows, cols = np.nonzero(changed)
    assert changed.sum() > 200
    assert rows.max() < size[1] / 2 and cols.min() > size[0] / 2  # in the top right quarter
    bright = (marked[changed] > 200).all(axis=-1).sum()
    assert bright > 50  # the words, in LEGEND_TEXT
    view.set_layer_visible("particles", False)
    hidden = rgb(view.render_image(*size))
    view.set_layer_visible("particles", True)
    view.set_density(None)
    assert (np.abs(hidden - rgb(view.render_image(*size))).max(axis=-1) > 40).sum() == 0
