"""The 3D landscape view draws what it is given: the surface's colour range, heights that
change the picture, particles, trails and pins in their colours, exact offscreen sizes."""
import os
from pathlib import Path

import numpy as np
import pytest

SIZE = (320, 240)
MAGENTA = (1.0, 0.0, 1.0, 1.0)


def two_wells(n=96, s=0.45, depth=1.0):
    """x (n,), y (n,) and E (n, n) = -log(exp(-|p-a|^2/2s^2) + depth * exp(-|p-b|^2/2s^2)),
    a = (-1, 0), b = (1, 0); rows at y, columns at x."""
    x, y = np.linspace(-2.4, 2.4, n), np.linspace(-1.8, 1.8, n)
    return x, y, energy(*np.meshgrid(x, y), s, depth)


def energy(px, py, s=0.45, depth=1.0):
    return -np.log(np.exp(-((px + 1) ** 2 + py ** 2) / (2 * s * s))
                   + depth * np.exp(-((px - 1) ** 2 + py ** 2) / (2 * s * s)))


def descend(n, steps, seed=0, s=0.45):
    """(steps, n, 2) noisy gradient descent on :func:`energy` by central differences:
    trajectories to draw (test data, not the engine's)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform([-2.2, -1.6], [2.2, 1.6], size=(n, 2))
    out, h = [p], 1e-4
    for _ in range(steps - 1):
        gx = (energy(p[:, 0] + h, p[:, 1], s) - energy(p[:, 0] - h, p[:, 1], s)) / (2 * h)
        gy = (energy(p[:, 0], p[:, 1] + h, s) - energy(p[:, 0], p[:, 1] - h, s)) / (2 * h)
        p = p - 0.006 * np.stack([gx, gy], 1) + 0.02 * rng.normal(size=p.shape)
        out.append(p)
    return np.stack(out)


def rgb(image):
    """(h, w, 3) int pixels of a QImage."""
    from PyQt6 import QtGui

    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    rows = np.frombuffer(image.constBits().asstring(stride * h), np.uint8).reshape(h, stride)
    return rows[:, :3 * w].reshape(h, w, 3).astype(int)


def near(pixels, color, tol):
    return (np.abs(pixels - np.asarray(color)).max(axis=-1) <= tol).sum()


@pytest.fixture
def view(qtbot):
    from memscape.gui.view_3d import Landscape3DView

    v = Landscape3DView()
    qtbot.addWidget(v)
    x, y, e = two_wells()
    v.set_landscape(e, (x[0], x[-1]), (y[0], y[-1]))
    return v


def test_render_image_has_exactly_the_asked_size_without_showing_a_window(view):
    for w, h in ((333, 211), (64, 480)):
        image = view.render_image(w, h)
        assert (image.width(), image.height()) == (w, h)
    assert not view.isVisible()  # an offscreen context: no window was shown


def test_surface_shows_the_colour_map_from_wells_to_rim(view):
    import pyqtgraph as pg

    px = rgb(view.render_image(*SIZE))
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 500
    viridis = pg.colormap.get("viridis").map(np.array([0.0, 1.0]), mode="byte")[:, :3].astype(int)
    # the wells' floor is lit dark purple, the clipped rim bright yellow: both ends are there
    low = px[(px[..., 2] > px[..., 1] + 20) & (px[..., 0] > px[..., 1])]  # blue-purple
    high = near(px, viridis[1], 60)
    assert len(low) > 200 and high > 200


def test_changing_heights_changes_the_image(view):
    before = rgb(view.render_image(*SIZE))
    x, y, e = two_wells(depth=0.05)  # one well much shallower
    view.set_landscape(e, (x[0], x[-1]), (y[0], y[-1]))
    after = rgb(view.render_image(*SIZE))
    changed = (np.abs(after - before).max(axis=-1) > 30).mean()
    assert changed > 0.05


def test_particles_appear_in_their_colour_and_vanish_when_hidden(view):
    xy = np.random.default_rng(1).normal(size=(200, 2)) * 0.3 + [1.0, 0.0]
    assert near(rgb(view.render_image(*SIZE)), (200, 0, 200), 70) == 0
    view.set_particles(xy, energy(xy[:, 0], xy[:, 1]), np.tile(MAGENTA, (len(xy), 1)))
    shown = rgb(view.render_image(*SIZE))
    assert near(shown, (200, 0, 200), 70) > 150  # shaded magenta balls
    view.set_layer_visible("particles", False)
    assert near(rgb(view.render_image(*SIZE)), (200, 0, 200), 70) == 0


def cyanness(px):
    return px[..., 1:].min(axis=-1) - px[..., 0]


def test_trails_and_pins_are_drawn_on_the_surface(view):
    trails = descend(30, 20)
    view.set_particles(trails[-1], None, np.tile((0.0, 1.0, 1.0, 1.0), (30, 1)))
    view.set_layer_visible("particles", False)
    bare = rgb(view.render_image(*SIZE))
    view.set_trails(trails)
    drawn = rgb(view.render_image(*SIZE))
    assert ((cyanness(drawn) - cyanness(bare)) > 60).sum() > 150  # translucent cyan lines over the surface
    view.set_memories(np.array([[-1.0, 0.0], [1.0, 0.0]]))
    pins = near(rgb(view.render_image(*SIZE)), (255, 80, 80), 50)
    assert pins > 30


def test_the_hovered_particle_s_whole_trail_is_highlighted_in_white(view):
    trails = descend(30, 20)
    view.set_particles(trails[-1], None, np.tile((0.0, 0.3, 1.0, 1.0), (30, 1)))
    view.set_trails(trails)
    plain = rgb(view.render_image(*SIZE))
    longest = int(np.linalg.norm(np.diff(trails, axis=0), axis=-1).sum(axis=0).argmax())
    view.set_highlight(longest)
    lit = rgb(view.render_image(*SIZE))
    whiter = (lit.min(axis=-1) - plain.min(axis=-1)) > 60  # white over blue trails and the surface
    assert whiter.sum() > 40
    assert len(view.highlight._records) == 19  # every step of that one particle
    view.set_highlight(-1)
    assert np.abs(rgb(view.render_image(*SIZE)) - plain).max() <= 2
    assert len(view.highlight._records) == 0


def test_orbit_turns_the_camera_and_a_full_turn_is_the_same_picture(view):
    view.set_orbit(30.0)
    a = rgb(view.render_image(*SIZE))
    view.set_orbit(120.0)
    b = rgb(view.render_image(*SIZE))
    view.set_orbit(390.0)
    c = rgb(view.render_image(*SIZE))
    assert (np.abs(a - b).max(axis=-1) > 30).mean() > 0.05
    assert np.abs(a - c).max() <= 2


def test_screenshot_of_two_wells_with_particles_and_trails(view, tmp_path):
    """The picture a person looks at; MEMSCAPE_SHOTS=folder keeps it as view3d.png."""
    from memscape.gui import theme

    trails = descend(600, 40)
    xy = trails[-1]
    view.set_particles(xy, energy(xy[:, 0], xy[:, 1]), theme.particle_colors(len(xy)) / 255.0)
    view.set_trails(trails)
    view.set_memories(np.array([[-1.0, 0.0], [1.0, 0.0]]))
    image = view.render_image(1280, 720)
    folder = Path(os.environ.get("MEMSCAPE_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    assert image.save(str(folder / "view3d.png"))
    px = rgb(image)
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 2000


def test_the_live_widget_paints_the_same_scene(view, qtbot):
    from PyQt6 import QtCore

    view.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    view.resize(*SIZE)
    view.show()
    qtbot.waitUntil(lambda: view._picture is not None and not view._dirty, timeout=5000)  # drawn, read back
    shown = rgb(view.grab().toImage())  # paintEvent: what a user sees in the dock
    assert shown.shape[:2] == (SIZE[1] * view.devicePixelRatio(), SIZE[0] * view.devicePixelRatio())
    offscreen = rgb(view.render_image(*SIZE))
    assert (np.abs(shown - offscreen).max(axis=-1) > 40).mean() < 0.01


def test_nothing_is_drawn_off_the_map(view):
    far = np.array([[9.0, 0.0], [0.0, -7.0]])
    view.set_particles(far, None, np.tile(MAGENTA, (2, 1)))
    view.set_trails(np.stack([far, far * 0.5]))
    view.set_memories(far)
    bare = rgb(view.render_image(*SIZE))
    assert len(view.particles._positions) == 0 and len(view.trails._records) == 0
    view.set_particles(np.zeros((1, 2)), None, np.tile(MAGENTA, (1, 1)))
    assert np.abs(rgb(view.render_image(*SIZE)) - bare).max() > 100  # the one inside is drawn
