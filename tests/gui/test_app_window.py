"""The desktop app's window: opens on the default preset, sliders reach the engine, the 2D
view draws something, the run is recorded and replayed exactly, divergence is reported."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

from memscape.engine.params import Params
from memscape.engine.presets import DEFAULT_PRESET, load_preset
from memscape.engine.simulation import Simulation
from memscape.gui.controls import SLIDERS
from memscape.gui.energy_trace import percent

pytestmark = pytest.mark.qt_log_level_fail("WARNING")  # Qt warnings fail these tests


def distinct_colours(image) -> int:
    ptr = image.convertToFormat(image.Format.Format_RGB32).constBits()
    ptr.setsize(image.sizeInBytes())
    pixels = np.frombuffer(ptr, dtype=np.uint32)
    return len(np.unique(pixels))


def test_window_opens_on_the_default_preset(make_window):
    window = make_window(DEFAULT_PRESET)
    segment = window.shown.segment
    assert segment.params == load_preset(DEFAULT_PRESET)
    np.testing.assert_allclose(segment.memories, [[-1.0, 0.0], [1.0, 0.0]])
    assert "NumPy" in window.device_label.text()
    assert window.controls.preset.currentData() == DEFAULT_PRESET
    assert window.controls.combos["model"].currentText() == "diffusion"


# slider -> (slider-space value to move to, the Params field and the value it must reach)
def _target(spec):
    mid = math.sqrt(spec.low * spec.high) if spec.log else (spec.low + spec.high) / 2
    value = float(round(mid)) if spec.integer else mid
    return (math.log10(value) if spec.log else value), value


def test_moving_each_slider_changes_the_engine_parameter(make_window, qtbot):
    window = make_window()
    for spec in SLIDERS:  # one window for all: each slider in turn, as a user drags it
        position, value = _target(spec)
        window.controls.sliders[spec.name].slider.setValue(position)
        if spec.name == "speed":
            qtbot.waitUntil(lambda: window.worker.speed == pytest.approx(value, rel=1e-3))
            continue
        qtbot.waitUntil(lambda: getattr(window.worker.run_.params, spec.name) == pytest.approx(value, rel=1e-3))
        assert getattr(window.params, spec.name) == pytest.approx(value, rel=1e-3), spec.name


def test_sigma_range_slider_changes_both_ends(make_window, qtbot):
    window = make_window()
    window.controls.sigma.slider.setValue((math.log10(0.01), math.log10(5.0)))
    qtbot.waitUntil(lambda: window.worker.run_.params.sigma_max == pytest.approx(5.0, rel=1e-3))
    assert window.worker.run_.params.sigma_min == pytest.approx(0.01, rel=1e-3)
    assert window.worker.run_.main.sigmas[0] == pytest.approx(5.0, rel=1e-3)


def test_the_2d_view_renders_a_landscape(make_window):
    window = make_window()
    image = window.view2d.render_image(400, 300)
    assert image.width() == 400 and image.height() == 300
    assert distinct_colours(image) > 50  # a colour map, not a blank canvas


def test_diffusion_landscape_changes_as_sigma_falls(make_window, qtbot, wait_frames):
    window = make_window()
    shown_first = window.view2d.image.image.copy()
    for _ in range(6):
        window.controls.buttons["step"].click()
    wait_frames(window, 7)
    views = [window.update_.view(i) for i in range(7)]
    sigmas = [v.main.landscape["sigma"] for v in views]
    assert all(a > b for a, b in zip(sigmas, sigmas[1:]))
    assert not np.allclose(views[0].main.landscape["energy"], views[6].main.landscape["energy"])
    assert not np.allclose(window.view2d.image.image, shown_first)


def test_side_by_side_starts_both_models_from_the_same_particles(make_window, qtbot, wait_frames):
    window = make_window()
    am, dm = window.side.particle_sets()
    np.testing.assert_array_equal(am, dm)
    first = window.update_.view(0)
    assert {first.main.model, first.partner.model} == {"diffusion", "modern"}
    np.testing.assert_array_equal(first.main.x, first.partner.x)
    for _ in range(3):
        window.controls.buttons["step"].click()
    wait_frames(window, 4)
    am, dm = window.side.particle_sets()
    assert am.shape == dm.shape and not np.allclose(am, dm)  # different dynamics, lock-step
    third = window.update_.view(3)
    assert third.main.step == third.partner.step == 3


def test_a_diverging_setting_is_stopped_reported_and_reset(make_window, qtbot, monkeypatch):
    # Params and build_model refuse what is known to diverge (dt above a stability bound, energies
    # unbounded below); with that refusal bypassed, TinyBrain with identity layers on the two
    # wells (E = 1/2|v|^2 - 1/2|W v|^2, ||W|| = sqrt 2) diverges after about 70 steps
    from memscape.engine import models

    monkeypatch.setattr(models, "unbounded_reason", lambda model, name: None)
    window = make_window(model="tinybrain", lagrangian_m="identity", dt=2.0, steps=200)
    with qtbot.waitSignal(window.worker.failed, timeout=20000) as blocker:
        window.controls.buttons["play"].click()
    assert "diverged" in blocker.args[0]
    qtbot.waitUntil(lambda: "diverged" in window.statusBar().currentMessage())
    assert "diverged" in window.alert_label.text() and not window.alert_label.isHidden()
    qtbot.waitUntil(lambda: window.shown.main.step == 0)
    assert window.controls.buttons["play"].text() == "Play"


def test_the_scrubber_replays_recorded_steps_exactly(make_window, qtbot, wait_frames):
    window = make_window()
    for _ in range(8):
        window.controls.buttons["step"].click()
    wait_frames(window, 9)
    fresh = Simulation(window.params, window.worker.run_.backend)
    expected = [fresh.frame()["x"].copy()] + [fresh.step()["x"].copy() for _ in range(8)]
    for index in (4, 8, 2, 4):
        window.controls.scrubber.setValue(index)  # as a user drag does
        main = window.shown.main
        assert main.step == index
        np.testing.assert_array_equal(main.x, expected[index])
        np.testing.assert_array_equal(window.view2d._xy, main.uv)
        assert len(window.energy._steps) == index + 1


def test_an_associative_memory_shows_no_lyapunov_violation(make_window, qtbot, wait_frames):
    window = make_window(model="modern", dt=0.5)
    for _ in range(10):
        window.controls.buttons["step"].click()
    wait_frames(window, 11)
    assert window.energy.text == "E never rose" and window.side.am_energy.text == "E never rose"
    assert window.shown.main.history.share_of_particles == 0.0


def test_shift_click_adds_a_memory_and_the_landscape_follows(make_window, qtbot, wait_frames):
    window = make_window()
    before = window.shown.main.landscape["energy"].copy()
    window.view2d.memory_added.emit(0.0, 1.2)
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 3)
    after = window.shown.main.landscape["energy"]
    assert not np.allclose(before, after)
    window.view2d.memory_moved.emit(2, 0.5, -1.0)
    qtbot.waitUntil(lambda: np.allclose(window.shown.segment.memories[2], [0.5, -1.0]))


def test_hovering_a_particle_highlights_its_trajectory_and_energy(make_window, qtbot, wait_frames):
    window = make_window()
    for _ in range(3):
        window.controls.buttons["step"].click()
    wait_frames(window, 4)
    window.show()
    qtbot.waitExposed(window)
    window.menu_actions["layout2"].trigger()
    qtbot.wait(50)
    view = window.view2d
    target = view._xy[0]
    scene_pos = view.getPlotItem().vb.mapViewToScene(QtCore.QPointF(*target))
    view._on_mouse_moved(scene_pos)
    assert view._hover >= 0
    i = view._hover
    np.testing.assert_array_equal(window.energy.highlight.getData()[1], window.energy._energy[:, i])
    assert len(view.highlight.getData()[0]) == 4
    if hasattr(window.view3d, "set_highlight"):  # the 3D view follows too
        assert window.view3d._highlight == i


def test_screenshot_key_writes_a_png(make_window, qtbot, tmp_path):
    window = make_window()
    path = window.screenshot()
    assert path is not None and path.suffix == ".png" and path.stat().st_size > 1000
    path.unlink()


def test_close_stops_the_worker_and_saves_the_run(make_window, tmp_path):
    from memscape.gui.settings import Settings

    window = make_window(beta=2.5)
    window.close()
    assert window.worker.isFinished()
    preset, params = Settings().last_run()
    assert preset == DEFAULT_PRESET and isinstance(params, Params) and params.beta == 2.5


def test_a_ctrl_click_drops_particles_there_in_place_of_the_others(make_window, qtbot, wait_frames):
    window = make_window()
    first = window.recording
    window.view2d.drop_requested.emit(1.5, -1.5, True)
    qtbot.waitUntil(lambda: window.recording is not first)
    start = window.update_.view(0)
    assert len(start.main.x) == window.params.particles
    np.testing.assert_allclose(start.main.x.mean(axis=0), [1.5, -1.5], atol=0.1)
    np.testing.assert_array_equal(start.partner.x, start.main.x)  # the partner too


def test_a_refused_parameter_change_reverts_the_controls(make_window, qtbot):
    window = make_window()
    good = window.params
    bad = good.replace(patterns={"kind": "points", "points": [[0.0, 0.0], [1.0]]})  # ragged: refused
    with qtbot.waitSignals([window.worker.params_changed, window.worker.failed], timeout=20000):
        window.set_params(bad)
    qtbot.waitUntil(lambda: window.params == good)
    assert "points" in window.statusBar().currentMessage()
    assert window.worker.run_.params == good


def test_a_saved_session_restores_the_parameters(make_window, qtbot, tmp_path):
    from memscape.gui.session import read_session, write_session

    window = make_window(beta=3.0, churn=5.0)
    window.controls.layers["arrows"].setChecked(False)
    path = tmp_path / "s.json"
    write_session(path, window.session())
    window.set_params(window.params.replace(beta=9.0, churn=0.0))
    qtbot.waitUntil(lambda: window.worker.run_.params.beta == 9.0)
    window.controls.layers["arrows"].setChecked(True)
    window.apply_session(read_session(path))
    qtbot.waitUntil(lambda: window.worker.run_.params.beta == 3.0)
    assert window.worker.run_.params.churn == 5.0
    assert not window.controls.layers["arrows"].isChecked() and not window.view2d.arrows.isVisible()


def test_the_image_preset_shows_particles_beside_their_nearest_memory(make_window, qtbot, wait_frames):
    window = make_window("letters")
    window.worker.send("speed", 1000.0)
    window.controls.buttons["play"].click()
    wait_frames(window, 41)
    main = window.shown.main
    h, w = window.shown.image_shape
    picture = window.images.image.image
    assert picture.shape[1] >= w and np.isfinite(picture).any()
    # at the end of the run every particle sits on the memory shown beneath it
    np.testing.assert_allclose(main.x, window.shown.segment.memories[main.nearest], atol=0.05)


def _shown(window, qtbot, layout: int):
    window.resize(1000, 700)  # software GL: a smaller window draws faster
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.menu_actions[f"layout{layout}"].trigger()
    qtbot.wait(50)


def test_keys_switch_layouts_and_drive_the_run(make_window, qtbot):
    window = make_window(steps=1000)
    window.worker.send("speed", 1.0)  # the run cannot end between the two presses of space
    _shown(window, qtbot, 1)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_2)
    qtbot.waitUntil(lambda: window.in_sight("view2d") and not window.in_sight("side"))
    qtbot.keyClick(window, QtCore.Qt.Key.Key_1)
    qtbot.waitUntil(lambda: window.in_sight("side") and not window.in_sight("view2d"))
    with qtbot.waitSignal(window.worker.playing_changed) as started:
        qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    assert started.args == [True]
    with qtbot.waitSignal(window.worker.playing_changed) as stopped:
        qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    assert stopped.args == [False]
    first = window.recording
    qtbot.keyClick(window, QtCore.Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.recording is not first and window.shown.length == 1)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_T)
    assert window.presenter and QtWidgets.QApplication.instance().font().pointSize() >= 14
    qtbot.keyClick(window, QtCore.Qt.Key.Key_T)
    assert not window.presenter


def test_mouse_shift_click_adds_and_drag_moves_a_memory(make_window, qtbot):
    window = make_window()
    _shown(window, qtbot, 2)
    view = window.view2d
    vb = view.getPlotItem().vb

    def widget_pos(x, y):
        return view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))

    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton,
                     QtCore.Qt.KeyboardModifier.ShiftModifier, widget_pos(0.0, 1.0))
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 3)
    np.testing.assert_allclose(window.shown.segment.memories[2], [0.0, 1.0], atol=0.1)
    start, end = widget_pos(1.0, 0.0), widget_pos(1.5, -1.0)
    qtbot.mousePress(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 6):
        p = start + (end - start) * (k / 5)
        event = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(p),
                                  QtCore.QPointF(view.viewport().mapToGlobal(p)),
                                  QtCore.Qt.MouseButton.NoButton, QtCore.Qt.MouseButton.LeftButton,
                                  QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(view.viewport(), event)
    qtbot.mouseRelease(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=end)
    qtbot.waitUntil(lambda: np.allclose(window.shown.segment.memories[1], [1.5, -1.0], atol=0.1))


def test_a_live_schedule_change_redraws_the_schedule_plot(make_window, qtbot, wait_frames):
    window = make_window()
    assert len(window.schedule.sigmas) == window.params.steps + 1
    window.controls.sliders["steps"].slider.setValue(math.log10(80))
    qtbot.waitUntil(lambda: len(window.schedule.sigmas) == 81)
    np.testing.assert_array_equal(window.schedule.sigmas, window.worker.run_.main.sigmas)
    window.controls.combos["model"].setCurrentText("tinybrain")
    qtbot.waitUntil(lambda: "tinybrain" in window.side.am.getPlotItem().titleLabel.text)
    assert len(window.schedule.sigmas) == 81  # the diffusion twin keeps the schedule


def test_the_dock_layout_and_overlays_persist_between_runs(make_window, qtbot):
    first = make_window()
    first.docks["explanation"].close()  # the user closes the strip
    first.controls.layers["contours"].setChecked(False)
    assert first.docks["explanation"].isHidden()
    first.close()
    second = make_window()
    assert second.docks["explanation"].isHidden()
    assert not second.controls.layers["contours"].isChecked()
    assert not second.view2d.contours.isVisible()


def test_changing_beta_reshapes_the_associative_memory_landscape(make_window, qtbot):
    window = make_window()
    am_before = window.shown.partner.landscape["energy"].copy()
    window.controls.sliders["beta"].slider.setValue(math.log10(0.5))  # below 4/d^2 = 1: one well
    qtbot.waitUntil(lambda: window.worker.run_.partner.params.beta == pytest.approx(0.5, rel=1e-3))
    qtbot.waitUntil(lambda: window.shown.partner.params.beta == pytest.approx(0.5, rel=1e-3))
    am_after = window.shown.partner.landscape["energy"]
    assert not np.allclose(am_before, am_after)
    row = am_after[am_after.shape[0] // 2]  # along y = 0: the two wells have merged into one
    assert np.argmin(row) in range(len(row) // 2 - 3, len(row) // 2 + 4)


def test_the_orbit_key_turns_the_3d_camera(make_window, qtbot):
    window = make_window()
    if not hasattr(window.view3d, "set_orbit"):
        pytest.skip(f"no 3D view here: {window.view3d.text()}")
    _shown(window, qtbot, 3)
    before = window.view3d.opts["azimuth"]
    qtbot.keyClick(window, QtCore.Qt.Key.Key_O)
    qtbot.waitUntil(lambda: abs(window.view3d.opts["azimuth"] - before) > 1.0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_O)
    assert not window._orbit.isActive()


def test_two_quick_shift_clicks_add_two_memories(make_window, qtbot):
    window = make_window()
    window.view2d.memory_added.emit(0.0, 1.0)
    window.view2d.memory_added.emit(0.0, -1.0)  # before the worker has answered the first
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 4)


def test_the_default_runs_trace_shows_the_normalised_energy_its_split_and_the_fixed_function(make_window, qtbot,
                                                                                              wait_frames):
    """Issue 10's picture: diffusion's -log p_sigma falls as the sampler goes downhill, the landscape
    moves under it, and the fixed function -log p(sigma_ref) rises for real for a share of particles."""
    from memscape.engine.energy_accounting import tally_rises
    from memscape.engine.simulation import run

    window = make_window()
    window.worker.send("speed", 1000.0)
    window.controls.buttons["play"].click()
    wait_frames(window, 41)
    history = window.shown.main.history
    land, samp = window.energy.landscape.getData()[1], window.energy.sampler.getData()[1]
    mean = history.mean
    np.testing.assert_allclose((land + samp - mean[0])[:-1], mean[:-1], atol=1e-9)  # the split adds up
    assert samp[-2] < samp[0] and land[-2] > land[0]  # downhill on a landscape that rises under it
    arrays = run(window.params, window.worker.run_.backend)
    scale = window.worker.run_.main.energy_scale
    rises = tally_rises(arrays["energy_fixed"], "float32", scale)
    assert window.energy.text == (f"\u2212log p(\u03c3_ref) rose: {percent(rises.particle_share)} of particles, "
                                  f"{percent(rises.step_share)} of steps")
    assert 0 < rises.particle_share < 0.5


def test_a_model_that_cannot_keep_every_memory_says_so(make_window, qtbot):
    """The dot-form Modern Hopfield network on the grid keeps only the long memories: the window
    says how many it keeps (measured once the run's first step is on screen)."""
    window = make_window("grid", model="modern", modern_form="dot")
    qtbot.waitUntil(lambda: "keeps" in window.alert_label.text(), timeout=20_000)
    assert "of 16 memories" in window.alert_label.text() and not window.alert_label.isHidden()
