"""Live edits, as a lecturer makes them while the app plays (issue 9): each test drives the
window with keys, clicks and slider moves, then checks what the views hold."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PyQt6 import QtCore

from memscape.gui.draw_step import trace_label

pytestmark = pytest.mark.qt_log_level_fail("WARNING")


def on_screen(window, qtbot, layout: int = 1):
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.menu_actions[f"layout{layout}"].trigger()
    qtbot.wait(100)


def play_to_end(window, qtbot, timeout=30_000):
    window.worker.send("speed", 1000.0)
    window.menu_actions["play"].trigger()
    qtbot.waitUntil(lambda: window.shown.done and not window.playing, timeout=timeout)


def ranges(window):
    return [np.array(v.getPlotItem().vb.viewRange()) for v in (window.view2d, *window.side.views())]


def test_layouts_never_change_a_views_range(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot, 1)
    play_to_end(window, qtbot)
    before = [v.shown_range() for v in (window.view2d, *window.side.views())]
    for key in (QtCore.Qt.Key.Key_3, QtCore.Qt.Key.Key_1, QtCore.Qt.Key.Key_2, QtCore.Qt.Key.Key_1):
        qtbot.keyClick(window, key)
        qtbot.wait(100)
    after = [v.shown_range() for v in (window.view2d, *window.side.views())]
    np.testing.assert_allclose(after, before, rtol=1e-9)
    (x0, x1), (y0, y1) = window.side.am.getPlotItem().vb.viewRange()
    assert x1 - x0 < 30 and y1 - y0 < 30  # the landscape fills the panel, not a dot in it
    am, dm = window.side.am, window.side.dm
    np.testing.assert_allclose(am.shown_range(), dm.shown_range(), rtol=1e-9)  # the two panels show one range
    np.testing.assert_allclose(np.mean(ranges(window)[1], axis=1), np.mean(ranges(window)[2], axis=1), atol=0.05)


def test_each_trace_stays_under_its_own_panel_when_the_model_changes(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot, 1)
    play_to_end(window, qtbot)
    for model in ("hopfield", "modern"):
        window.controls.combos["model"].setCurrentText(model)
        qtbot.waitUntil(lambda: window.shown.main.model == model)
        am, dm = window.shown.am, window.shown.dm
        nats = am.history.has_nats  # the distance-form modern network shares diffusion's -log p scale
        assert nats == (model == "modern")
        assert window.side.am_energy._axis_label == trace_label(am, nats)
        assert window.side.dm_energy._axis_label == trace_label(dm) == "\u2212log p\u03c3(x)"
        np.testing.assert_array_equal(window.side.am_energy._energy, am.history.energy_nats if nats else am.history.energy)
        np.testing.assert_array_equal(window.side.dm_energy._energy, dm.history.energy)
        assert window.side.am_energy.text == "E never rose"
        assert "associative memory" in window.side.am.getPlotItem().titleLabel.text.lower()


def test_a_parameter_changed_while_playing_starts_a_segment_and_no_rise_is_counted(make_window, qtbot):
    window = make_window(model="modern", steps=1000, dt=0.05)
    on_screen(window, qtbot, 1)
    window.worker.send("speed", 40.0)
    window.menu_actions["play"].trigger()
    for beta in (100.0, 0.01, 4.0):
        qtbot.wait(250)
        window.controls.sliders["beta"].slider.setValue(math.log10(beta))
    qtbot.wait(250)
    window.menu_actions["play"].trigger()
    qtbot.waitUntil(lambda: not window.playing)
    shown = window.shown
    assert len(shown.main.history.segment_starts) >= 3
    assert window.energy.text == "E never rose" and window.side.am_energy.text == "E never rose"
    xs, _ = window.energy.segments.getData()
    np.testing.assert_array_equal(np.unique(xs), shown.main.history.steps[shown.main.history.segment_starts])


def test_raising_steps_after_a_finished_run_keeps_both_runs_in_lock_step(make_window, qtbot):
    window = make_window(steps=40)
    on_screen(window, qtbot, 1)
    play_to_end(window, qtbot)
    window.controls.sliders["steps"].field.setText("200")
    window.controls.sliders["steps"].field.editingFinished.emit()
    qtbot.waitUntil(lambda: window.shown.main.params.steps == 200)
    play_to_end(window, qtbot)
    shown = window.shown
    assert shown.main.step == shown.partner.step == 200
    assert window.schedule.cursor.value() == shown.dm.step == 200
    assert len(window.side.dm_energy._steps) == len(window.side.am_energy._steps) == 201


def test_play_after_scrubbing_back_continues_from_the_step_on_screen(make_window, qtbot):
    window = make_window(steps=40)
    on_screen(window, qtbot, 1)
    play_to_end(window, qtbot)
    recorded = window.update_.view(10).main.x.copy()
    window.controls.scrubber.setValue(10)  # as a drag does
    assert window.shown.main.step == 10
    window.worker.send("speed", 2.0)
    window.menu_actions["play"].trigger()
    qtbot.waitUntil(lambda: window.shown.main.step > 10 and window.live, timeout=20_000)
    window.menu_actions["play"].trigger()
    first = window.update_.view(0)
    assert window.shown.length > 11 and window.update_.view(10).main.step == 10
    np.testing.assert_array_equal(window.update_.view(10).main.x, recorded)  # the past is kept
    assert first.main.step == 0


def test_a_preset_fits_the_views_to_its_landscape_and_raises_the_tab_that_shows_it(make_window, qtbot):
    window = make_window("gaussian")
    on_screen(window, qtbot, 2)
    for name in ("letters", "two-wells"):
        window.controls.preset.setCurrentIndex(window.controls.preset.findData(name))
        window.controls.preset.activated.emit(window.controls.preset.currentIndex())
        qtbot.waitUntil(lambda: window.shown.label == name, timeout=20_000)
        qtbot.wait(200)
    assert window.in_sight("view2d") and not window.in_sight("images")  # not the letters' Images tab
    (x0, x1), (y0, y1) = window.view2d.shown_range()
    grid = window.shown.segment.grid
    assert x0 <= grid.x_range[0] and x1 >= grid.x_range[1]  # the whole landscape in view ...
    assert abs((x0 + x1) / 2) < 0.5 and abs((y0 + y1) / 2) < 0.5  # ... centred on the two wells
    assert x1 - x0 < 4 * (grid.x_range[1] - grid.x_range[0])


def test_views_fit_the_particles_on_reset_and_on_the_fit_key(make_window, qtbot):
    window = make_window(sigma_max=98.0, particles=2000)
    on_screen(window, qtbot, 2)
    uv = window.shown.main.uv
    (x0, x1), (y0, y1) = window.view2d.shown_range()
    inside = (uv[:, 0] >= x0) & (uv[:, 0] <= x1) & (uv[:, 1] >= y0) & (uv[:, 1] <= y1)
    assert inside.mean() > 0.95
    play_to_end(window, qtbot)  # the particles have collapsed onto the memories
    qtbot.keyClick(window, QtCore.Qt.Key.Key_A)
    (x0, x1), _ = window.view2d.shown_range()
    grid = window.shown.segment.grid
    assert x1 - x0 <= 1.1 * (grid.x_range[1] - grid.x_range[0])


def test_the_frame_rate_reading_is_empty_when_nothing_is_drawn(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot, 2)
    window.worker.send("speed", 60.0)
    window.menu_actions["play"].trigger()
    qtbot.waitUntil(lambda: window.fps_label.text().endswith("fps"), timeout=10_000)
    qtbot.waitUntil(lambda: not window.playing, timeout=20_000)
    qtbot.waitUntil(lambda: window.fps_label.text() == "", timeout=5_000)
