"""A live demo a lecturer drives without a stumble (issue 11): keys whatever has focus, full
screen, pacing, loop mode, the mouse on the landscape, the controls that do nothing for a
sampler, and the Help menu. Each test drives the window with keys, clicks and slider moves,
as a person does, then checks what the views hold."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

import memscape
from memscape.engine.presets import DEFAULT_PRESET, load_preset
from memscape.gui.controls import DEFAULT_SPEED, SPEED_RANGE
from memscape.gui.energy_trace import MAX_LINES
from memscape.gui.help import GESTURES, key_rows

pytestmark = pytest.mark.qt_log_level_fail("WARNING")
Key = QtCore.Qt.Key
README = Path(__file__).resolve().parents[2] / "README.md"


def on_screen(window, qtbot, layout: int = 1, size=(1200, 800)):
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.menu_actions[f"layout{layout}"].trigger()
    qtbot.wait(100)


def press(window, qtbot, key, modifier=QtCore.Qt.KeyboardModifier.NoModifier):
    """A key as the keyboard sends it: to the widget with the focus, else the window."""
    qtbot.keyClick(QtWidgets.QApplication.focusWidget() or window, key, modifier)


def play_to_end(window, qtbot, timeout=30_000):
    window.worker.send("speed", 1000.0)
    if not window.playing:
        if window.isActiveWindow():
            press(window, qtbot, Key.Key_Space)
        else:
            window.controls.buttons["play"].click()
    qtbot.waitUntil(lambda: window.shown.done and not window.playing, timeout=timeout)


def widget_pos(view, x, y) -> QtCore.QPoint:
    vb = view.getPlotItem().vb
    return view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(x, y)))


def move_mouse(widget, pos: QtCore.QPoint, buttons=QtCore.Qt.MouseButton.NoButton) -> None:
    event = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(pos),
                              QtCore.QPointF(widget.mapToGlobal(pos)), QtCore.Qt.MouseButton.NoButton,
                              buttons, QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(widget, event)


# -- keys and focus ------------------------------------------------------------------------
def test_space_plays_after_typing_a_value_and_enter(make_window, qtbot):
    window = make_window(steps=40)
    on_screen(window, qtbot)
    field = window.controls.sliders["steps"].field
    qtbot.mouseClick(field, QtCore.Qt.MouseButton.LeftButton)
    assert QtWidgets.QApplication.focusWidget() is field
    field.selectAll()
    qtbot.keyClicks(field, "300")
    press(window, qtbot, Key.Key_Return)
    qtbot.waitUntil(lambda: window.worker.run_.params.steps == 300)
    assert QtWidgets.QApplication.focusWidget() is not field  # the keys are the window's again
    with qtbot.waitSignal(window.worker.playing_changed) as started:
        press(window, qtbot, Key.Key_Space)
    assert started.args == [True] and field.text() == "300"
    # Escape in a field leaves the value as it was
    beta = window.controls.sliders["beta"].field
    qtbot.mouseClick(beta, QtCore.Qt.MouseButton.LeftButton)
    beta.selectAll()
    qtbot.keyClicks(beta, "77")
    press(window, qtbot, Key.Key_Escape)
    assert beta.text() == "4" and not beta.hasFocus() and window.worker.run_.params.beta == 4.0


def test_the_keys_act_whatever_has_the_focus(make_window, qtbot):
    window = make_window(steps=200)
    on_screen(window, qtbot, 1)
    c = window.controls
    for widget in (c.combos["sampler"], c.sliders["beta"].slider, c.buttons["reseed"], c.layers["arrows"],
                   c.scrubber, window.side.am, window.energy):
        widget.setFocus()
        assert QtWidgets.QApplication.focusWidget() is widget
        before = window.worker.run_.recording.snapshot().length
        press(window, qtbot, Key.Key_N)  # one step
        qtbot.waitUntil(lambda: window.shown.length == before + 1)
        press(window, qtbot, Key.Key_2)
        qtbot.waitUntil(lambda: window.in_sight("view2d"))
        press(window, qtbot, Key.Key_1)
        qtbot.waitUntil(lambda: window.in_sight("side"))
    assert window.shown.main.step == 7 and not window.playing


def test_f_shows_the_window_full_screen_and_escape_leaves(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot)
    press(window, qtbot, Key.Key_F)
    qtbot.waitUntil(window.isFullScreen)
    press(window, qtbot, Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    press(window, qtbot, Key.Key_F)
    qtbot.waitUntil(window.isFullScreen)
    press(window, qtbot, Key.Key_F)  # F again: back
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert not window.menu_actions["leave_fullscreen"].isEnabled()  # elsewhere Escape is a field's


def test_c_hides_the_controls_and_the_views_get_the_width(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot, 1)
    width = window.side.width()
    press(window, qtbot, Key.Key_C)
    qtbot.waitUntil(lambda: window.docks["controls"].isHidden())
    qtbot.waitUntil(lambda: window.side.width() > width + 150)
    press(window, qtbot, Key.Key_2)  # a layout keeps them hidden
    qtbot.waitUntil(lambda: window.in_sight("view2d"))
    assert window.docks["controls"].isHidden()
    press(window, qtbot, Key.Key_C)
    qtbot.waitUntil(lambda: not window.docks["controls"].isHidden())


# -- pacing ---------------------------------------------------------------------------------
def test_the_default_run_lasts_about_ten_seconds_at_the_default_speed(make_window):
    assert 8.0 <= load_preset(DEFAULT_PRESET).steps / DEFAULT_SPEED <= 12.0
    window = make_window(DEFAULT_PRESET)
    assert window.controls.sliders["speed"].value() == pytest.approx(DEFAULT_SPEED)
    assert window.worker.speed == pytest.approx(DEFAULT_SPEED)
    assert window.speed_label.text() == f"{DEFAULT_SPEED:g} steps/s"


def test_slow_motion_down_to_a_step_every_five_seconds_and_a_single_step_key(make_window, qtbot):
    window = make_window(steps=100)
    on_screen(window, qtbot)
    for _ in range(8):
        press(window, qtbot, Key.Key_Minus)
    qtbot.waitUntil(lambda: window.worker.speed == pytest.approx(SPEED_RANGE[0]))
    assert SPEED_RANGE[0] <= 0.25 and window.speed_label.text() == "a step every 5 s"
    assert window.controls.sliders["speed"].field.text() == "0.2"
    press(window, qtbot, Key.Key_Plus)
    qtbot.waitUntil(lambda: window.worker.speed == pytest.approx(0.4))
    for k in range(1, 4):
        press(window, qtbot, Key.Key_N)
        qtbot.waitUntil(lambda: window.shown.main.step == k)
    assert not window.playing and window.shown.length == 4


def test_the_end_says_what_to_press_and_r_replays(make_window, qtbot):
    window = make_window(steps=20)
    on_screen(window, qtbot)
    play_to_end(window, qtbot)
    qtbot.waitUntil(lambda: "Finished" in window.statusBar().currentMessage())
    message = window.statusBar().currentMessage()
    assert "R replays" in message and "L loops" in message
    assert window.controls.buttons["play"].text() == "Replay"
    first = window.recording
    window.worker.send("speed", 2.0)
    press(window, qtbot, Key.Key_R)
    qtbot.waitUntil(lambda: window.recording is not first and window.playing)
    assert "Finished" not in window.statusBar().currentMessage()


def test_loop_mode_replays_the_run_on_its_own(make_window, qtbot):
    window = make_window(steps=10)
    on_screen(window, qtbot)
    press(window, qtbot, Key.Key_L)
    assert window.menu_actions["loop"].isChecked() and window.controls.buttons["loop"].isChecked()
    play_to_end(window, qtbot)
    qtbot.waitUntil(lambda: "replays itself" in window.statusBar().currentMessage())
    seen = {id(window.recording)}
    for _ in range(2):  # no key pressed: it starts again by itself, twice
        qtbot.waitUntil(lambda: id(window.recording) not in seen, timeout=20_000)
        seen.add(id(window.recording))
        qtbot.waitUntil(lambda: window.shown.done, timeout=20_000)
    window.controls.buttons["loop"].click()  # the button works as L does
    assert not window.menu_actions["loop"].isChecked()
    qtbot.waitUntil(lambda: not window.worker.looping)
    qtbot.waitUntil(lambda: window.shown.done and not window.playing, timeout=20_000)
    last = window.recording
    qtbot.wait(2500)  # longer than the loop's pause: nothing replays now
    assert window.recording is last


# -- mouse -----------------------------------------------------------------------------------
def test_a_click_adds_a_cluster_and_ctrl_click_replaces_them_all(make_window, qtbot):
    window = make_window(particles=100)
    on_screen(window, qtbot, 2)
    view = window.view2d
    first = window.recording
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget_pos(view, 2.0, 2.0))
    qtbot.waitUntil(lambda: window.recording is not first)
    start = window.update_.view(0).main.x
    assert len(start) == 164  # the 100 and a cluster of 64 beside them
    np.testing.assert_allclose(start[100:].mean(axis=0), [2.0, 2.0], atol=0.3)
    second = window.recording
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.ControlModifier,
                     widget_pos(view, -2.0, 2.0))
    qtbot.waitUntil(lambda: window.recording is not second)
    start = window.update_.view(0).main.x
    assert len(start) == 164
    np.testing.assert_allclose(start.mean(axis=0), [-2.0, 2.0], atol=0.3)  # all of them, there


def test_right_click_or_delete_removes_a_memory_and_ctrl_z_brings_it_back(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot, 2)
    view = window.view2d
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.ShiftModifier,
                     widget_pos(view, 0.0, 1.5))
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 3)
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.RightButton, pos=widget_pos(view, 0.0, 1.5))
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 2)
    assert not any(w.isVisible() for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, QtWidgets.QMenu))
    move_mouse(view.viewport(), widget_pos(view, 1.0, 0.0))  # over the memory at (1, 0)
    assert view.hovered_memory == 1 and len(view.memory_mark.data) == 1
    press(window, qtbot, Key.Key_Delete)
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 1)
    np.testing.assert_allclose(window.shown.segment.memories, [[-1.0, 0.0]], atol=1e-6)
    press(window, qtbot, Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 2)
    press(window, qtbot, Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 3)
    press(window, qtbot, Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 2)
    for _ in range(3):
        press(window, qtbot, Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "nothing to undo" in window.statusBar().currentMessage())
    np.testing.assert_allclose(window.shown.segment.memories, [[-1.0, 0.0], [1.0, 0.0]], atol=1e-6)


def test_a_drag_keeps_the_history_marks_a_change_and_is_undone_at_once(make_window, qtbot):
    window = make_window(steps=100)
    on_screen(window, qtbot, 2)
    for k in range(1, 6):
        press(window, qtbot, Key.Key_N)
        qtbot.waitUntil(lambda: window.shown.main.step == k)
    before = [window.update_.view(i).main.x.copy() for i in range(6)]
    view = window.view2d
    start, end = widget_pos(view, 1.0, 0.0), widget_pos(view, 2.0, -1.5)
    qtbot.mousePress(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 9):
        qtbot.wait(20)  # pyqtgraph drops mouse moves that come faster than its rate limit
        move_mouse(view.viewport(), start + (end - start) * (k / 8), QtCore.Qt.MouseButton.LeftButton)
    np.testing.assert_allclose(view._memory_xy[1], [2.0, -1.5], atol=0.1)  # the star follows the mouse
    qtbot.mouseRelease(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=end)
    qtbot.waitUntil(lambda: np.allclose(window.shown.segment.memories[1], [2.0, -1.5], atol=0.1))
    shown = window.shown
    assert shown.main.step == 5 and shown.segment.reason == "memories"
    for i in range(6):
        np.testing.assert_array_equal(window.update_.view(i).main.x, before[i])  # the history is kept
    press(window, qtbot, Key.Key_N)
    qtbot.waitUntil(lambda: window.shown.main.step == 6)
    assert 5 in window.shown.main.history.steps[window.shown.main.history.segment_starts]  # marked
    xs, _ = window.energy.segments.getData()
    assert 5.0 in xs
    press(window, qtbot, Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)  # the whole drag, at once
    qtbot.waitUntil(lambda: np.allclose(window.shown.segment.memories[1], [1.0, 0.0]))


def test_a_memory_added_after_the_end_takes_effect_at_once(make_window, qtbot):
    window = make_window(steps=10)
    on_screen(window, qtbot, 2)
    play_to_end(window, qtbot)
    before = window.view2d.image.image.copy()
    view = window.view2d
    qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.ShiftModifier,
                     widget_pos(view, 0.0, 2.0))
    qtbot.waitUntil(lambda: window.shown.segment.memories.shape[0] == 3)
    assert len(view._memory_xy) == 3 and not np.allclose(view.image.image, before)
    qtbot.waitUntil(lambda: window.shown.done and window.shown.length == 11, timeout=20_000)  # it replayed
    near = np.linalg.norm(window.shown.main.x - [0.0, 2.0], axis=1) < 0.2
    assert near.any()  # particles reached the new memory


def test_hovering_highlights_the_whole_trace_and_trail_and_clears_on_leave(make_window, qtbot):
    window = make_window(particles=1000, steps=40)
    on_screen(window, qtbot, 2)
    play_to_end(window, qtbot)
    shown = window.shown
    energy = shown.main.history.energy
    drawn = energy[:, :MAX_LINES]
    # a particle beyond the lines drawn whose trace reaches above them: it used to be cut off
    top = np.nanmax(np.where(np.isfinite(energy), energy, -np.inf), axis=0)
    candidates = [i for i in np.argsort(-top) if i >= MAX_LINES]
    i = int(candidates[0])
    assert top[i] > np.nanmax(drawn)
    view = window.view2d
    move_mouse(view.viewport(), widget_pos(view, *shown.main.uv[i]))
    assert view._hover >= 0
    i = view._hover
    hx, hy = window.energy.highlight.getData()
    np.testing.assert_array_equal(hy, energy[:, i])
    (_, _), (y0, y1) = window.energy.getPlotItem().vb.viewRange()
    finite = energy[:, i][np.isfinite(energy[:, i])]
    assert y0 <= finite.min() and finite.max() <= y1  # inside the trace's range
    assert len(view.highlight.getData()[0]) == len(shown.main.trail)  # the whole 2D trail
    if hasattr(window.view3d, "set_highlight"):
        assert window.view3d._highlight == i
        window.view3d._sync()
        assert len(window.view3d.highlight._records) == len(shown.main.trail) - 1  # the whole 3D trail
    QtWidgets.QApplication.sendEvent(view, QtCore.QEvent(QtCore.QEvent.Type.Leave))  # the mouse leaves the view
    qtbot.waitUntil(lambda: view._hover == -1)
    assert window.energy.highlight.getData()[0] is None or len(window.energy.highlight.getData()[0]) == 0
    assert len(view.highlight.getData()[0] if view.highlight.getData()[0] is not None else []) == 0
    if hasattr(window.view3d, "set_highlight"):
        assert window.view3d._highlight == -1


# -- controls ---------------------------------------------------------------------------------
def test_sliders_that_do_nothing_are_disabled_and_say_why(make_window, qtbot):
    window = make_window()  # heun on karras
    c = window.controls
    assert not c.sliders["churn"].isEnabled() and not c.sliders["eta"].isEnabled() and c.sliders["rho"].isEnabled()
    assert "edm-churn" in c.sliders["churn"].slider.toolTip() and "now is heun" in c.sliders["churn"].toolTip()
    assert "ddim" in c.labels["eta"].toolTip() and not c.labels["eta"].isEnabled()
    c.combos["sampler"].setCurrentText("edm-churn")
    qtbot.waitUntil(lambda: window.worker.run_.params.sampler == "edm-churn")
    assert c.sliders["churn"].isEnabled() and not c.sliders["eta"].isEnabled()
    c.combos["sampler"].setCurrentText("ddim")
    qtbot.waitUntil(lambda: c.sliders["eta"].isEnabled())
    c.combos["schedule"].setCurrentText("ve")
    qtbot.waitUntil(lambda: not c.sliders["rho"].isEnabled())
    assert "karras" in c.sliders["rho"].field.toolTip()
    c.combos["model"].setCurrentText("modern")  # beside an AM, diffusion still runs with these
    qtbot.waitUntil(lambda: window.worker.run_.params.model == "modern")
    assert c.sliders["eta"].isEnabled()


def test_rho_churn_and_eta_take_typed_values_like_beta_and_dt(make_window, qtbot):
    window = make_window(sampler="edm-churn")
    on_screen(window, qtbot)
    for name, text, value in (("rho", "5", 5.0), ("churn", "12.5", 12.5), ("dt", "0.05", 0.05)):
        field = window.controls.sliders[name].field
        qtbot.mouseClick(field, QtCore.Qt.MouseButton.LeftButton)
        field.selectAll()
        qtbot.keyClicks(field, text)
        press(window, qtbot, Key.Key_Return)
        qtbot.waitUntil(lambda: getattr(window.worker.run_.params, name) == pytest.approx(value))
        assert window.controls.sliders[name].value() == pytest.approx(value, rel=0.02)


def test_a_drag_near_the_upper_sigma_handle_moves_only_that_handle(make_window, qtbot):
    window = make_window(steps=1000)
    on_screen(window, qtbot)
    press(window, qtbot, Key.Key_Space)  # while it plays
    qtbot.waitUntil(lambda: window.playing)
    slider = window.controls.sigma.slider
    lo, hi = window.params.sigma_min, window.params.sigma_max
    opt = slider._styleOption
    handle = slider._handleRect(1, opt)
    start = QtCore.QPoint(handle.left() - 4, handle.center().y())  # just off the handle, on the bar
    qtbot.mousePress(slider, QtCore.Qt.MouseButton.LeftButton, pos=start)
    for dx in (10, 20, 30):
        move_mouse(slider, start + QtCore.QPoint(dx, 0), QtCore.Qt.MouseButton.LeftButton)
    qtbot.mouseRelease(slider, QtCore.Qt.MouseButton.LeftButton, pos=start + QtCore.QPoint(30, 0))
    qtbot.waitUntil(lambda: window.worker.run_.params.sigma_max > 1.2 * hi)
    assert window.worker.run_.params.sigma_min == pytest.approx(lo, rel=1e-6)
    qtbot.waitUntil(lambda: window.shown.segment.params.sigma_max > 1.2 * hi)  # a new segment ...
    assert window.playing  # ... and the run goes on


def test_markers_and_trails_do_not_bury_the_scene(make_window, qtbot):
    from memscape.gui.view_2d import MEMORY_SIZE, TRAIL_ALPHA

    window = make_window("gaussian", particles=200, steps=10)
    size = window.view2d.memories.opts["size"]
    assert len(window.view2d._memory_xy) == 64 and size < MEMORY_SIZE / 1.5
    assert window.view2d.memories.opts["brush"].color().alpha() < 255
    window.close()
    wells = make_window(steps=40)
    play_to_end(wells, qtbot)
    assert wells.view2d._trail_share == 1.0  # smooth Heun paths: trails as they were
    newest = wells.view2d.trails[-1].opts["pen"].color().alpha()
    assert newest == TRAIL_ALPHA[1]
    langevin = make_window(sampler="langevin", steps=40)
    play_to_end(langevin, qtbot)
    assert langevin.view2d._trail_share < 0.6  # Langevin's jagged paths fade
    assert langevin.view2d.trails[-1].opts["pen"].color().alpha() < 0.6 * newest


# -- help --------------------------------------------------------------------------------------
def test_question_mark_shows_every_key_and_gesture_and_the_readme_lists_them(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot)
    press(window, qtbot, Key.Key_Question)
    qtbot.waitUntil(lambda: getattr(window, "help_sheet", None) is not None and window.help_sheet.isVisible())
    text = window.help_sheet.text.toPlainText()
    rows = [row for _, menu in key_rows(window.menuBar()) for row in menu]
    wanted = {"Space", "N", "R", "L", "S", "T", "F", "Esc", "O", "1", "2", "3", "A", "C", "-", "+", "Del",
              "Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+E", "?"}
    keys = {k for keys, _ in rows for k in keys.split(" or ")}
    assert wanted <= keys
    section = README.read_text().split("## Keys and gestures", 1)[1].split("\n## ", 1)[0]
    for keys_text, what in rows:
        assert keys_text in text and what in text
        for k in keys_text.split(" or "):
            assert f"`{k}`" in section, f"README lacks the key {k}"
    for gesture, what in GESTURES:
        assert gesture in text and gesture in section
    window.help_sheet.close()


def test_the_about_box_names_version_licence_paper_and_backend(make_window, qtbot):
    window = make_window()
    window.help_actions["about"].trigger()
    box = window.about_box
    text = box.text()
    for words in (memscape.__version__, "GPL-3.0-or-later", "Memory in Plain Sight", "2309.16750",
                  window.device_label.text()):
        assert words in text
    assert "NumPy" in window.device_label.text()
    box.close()


def test_every_control_combo_box_and_label_has_a_tooltip(make_window):
    window = make_window()
    kinds = (QtWidgets.QLabel, QtWidgets.QComboBox, QtWidgets.QAbstractSlider, QtWidgets.QAbstractButton,
             QtWidgets.QLineEdit)
    def shown(w):
        return isinstance(w, kinds) and not isinstance(w, QtWidgets.QScrollBar)

    widgets = [w for w in window.controls.findChildren(QtWidgets.QWidget) if shown(w)]
    widgets += [w for w in window.statusBar().findChildren(QtWidgets.QWidget) if shown(w) and w is not window.alert_label]
    assert len(widgets) > 50
    bare = [f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}" for w in widgets if not w.toolTip()]
    assert not bare, f"no tooltip: {bare}"
