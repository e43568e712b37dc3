"""The presenter theme (issue 11): every text grows, turning it off restores the exact previous
look, it is never saved half-applied, and no value is clipped in either theme, on a
1920x1080 or a 1024x768 projector."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets

from memscape.gui import theme

pytestmark = pytest.mark.qt_log_level_fail("WARNING")
Key = QtCore.Qt.Key


def on_screen(window, qtbot, size=(1920, 1080), layout: int = 1):
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.menu_actions[f"layout{layout}"].trigger()
    qtbot.wait(150)


def press(window, qtbot, key):
    qtbot.keyClick(QtWidgets.QApplication.focusWidget() or window, key)
    qtbot.wait(150)


def plots(window):
    return (window.view2d, window.energy, window.schedule, *window.side.views(),
            window.side.am_energy, window.side.dm_energy)


DOCK_OF_PLOT = ("view2d", "energy", "schedule", "side", "side", "side", "side")


def label_points(axis) -> float:
    return float(axis.labelStyle["font-size"].removesuffix("pt"))


def title_points(view) -> float:
    text = view.getPlotItem().titleLabel.text
    return float(text.split("font-size: ")[1].split("pt")[0])


def look(window) -> dict:
    """Everything the theme decides that can be seen: every widget's font, every dock's and
    the window's geometry, the plots' fonts and titles."""
    out = {"window": window.geometry().getRect()}
    for name, dock in window.docks.items():  # (a tab behind another has no geometry to see)
        out[f"dock {name}"] = (window.in_sight(name), dock.geometry().getRect() if window.in_sight(name) else None)
    out["fonts"] = sorted((type(w).__name__, w.font().pointSizeF(), w.font().bold())
                          for w in window.findChildren(QtWidgets.QWidget) if w.isVisible())
    for k, plot in enumerate(plots(window)):
        item = plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            out[f"plot {k} {name}"] = (axis.style["tickFont"].pointSizeF(), dict(axis.labelStyle))
            if window.in_sight(DOCK_OF_PLOT[k]):  # (not a view in a tab behind another)
                out.setdefault("axis lengths", []).append((axis.width(), axis.height()))
        if window.in_sight(DOCK_OF_PLOT[k]):
            out[f"plot {k} title"] = (item.titleLabel.text, item.titleLabel.opts.get("size"))
    out["readout"] = window.energy.label.textItem.font().pointSizeF()
    out["explanation"] = window.explanation_area.maximumHeight()
    out["app font"] = QtWidgets.QApplication.font().pointSizeF()
    return out


def text_sizes(window) -> dict:
    """The point sizes of one text of each kind the issue names."""
    return {"dock": window.docks["energy"].font().pointSizeF(),
            "box": window.controls.layers["trails"].font().pointSizeF(),
            "title": title_points(window.side.dm), "axis": label_points(window.energy.getPlotItem().getAxis("bottom")),
            "readout": window.energy.label.textItem.font().pointSizeF(),
            "note": window.schedule.note.textItem.font().pointSizeF(),
            "explanation": window.explanation.font().pointSizeF(),
            "button": window.export_actions["record"].font().pointSizeF()}


def test_the_presenter_theme_grows_every_text(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot)
    normal = theme.fonts(False)
    before = text_sizes(window)
    assert before["dock"] == normal.app and before["readout"] == normal.readout
    press(window, qtbot, Key.Key_T)
    assert window.presenter
    big = theme.fonts(True)
    after = text_sizes(window)
    for what in before:
        assert after[what] > before[what], what
    assert after["axis"] == big.axis and after["readout"] == big.readout
    assert window.export_actions["record"].font().bold() and window.explanation.font().bold()
    # the explanation strip wraps its sentences and can scroll to the last of them
    label = window.explanation
    assert label.wordWrap() and label.height() >= label.heightForWidth(label.width())
    assert window.explanation_area.widget() is label
    # the dock titles are drawn in the larger font: their bars are taller
    dock = window.docks["energy"]
    assert dock.widget().geometry().top() >= QtGui.QFontMetrics(dock.font()).height()


def test_turning_it_off_restores_the_exact_previous_look(make_window, qtbot):
    window = make_window()
    on_screen(window, qtbot, (1500, 900))
    qtbot.wait(300)
    before = look(window)
    for _ in range(2):  # on and off twice: nothing accumulates
        press(window, qtbot, Key.Key_T)
        assert window.presenter and look(window) != before
        assert window.docks["controls"].width() > before["dock controls"][1][2]  # wider for larger fonts
        press(window, qtbot, Key.Key_T)
        assert not window.presenter
        qtbot.wait(200)
        after = look(window)
        # a grid may share an odd pixel between its columns the other way round
        np.testing.assert_allclose(after.pop("axis lengths"), before["axis lengths"], atol=2)
        changed = {k: (before[k], after.get(k)) for k in before if k != "axis lengths" and after.get(k) != before[k]}
        assert not changed


def test_a_presenter_state_is_not_saved_broken(make_window, qtbot):
    first = make_window()
    on_screen(first, qtbot, (1500, 900))
    normal = look(first)
    press(first, qtbot, Key.Key_T)
    assert first.presenter
    first.close()  # closed in the presenter theme
    second = make_window()
    on_screen(second, qtbot, (1500, 900))
    assert second.presenter  # the theme comes back on ...
    assert QtWidgets.QApplication.font().pointSizeF() == theme.fonts(True).app
    press(second, qtbot, Key.Key_T)
    qtbot.wait(200)
    restored = look(second)  # ... over the layout saved in the normal theme
    assert restored["dock controls"] == normal["dock controls"]
    assert restored["app font"] == normal["app font"] and restored["plot 1 bottom"] == normal["plot 1 bottom"]


def test_on_a_small_projector_the_presenter_theme_hides_the_controls(make_window, qtbot):
    window = make_window(steps=10)
    on_screen(window, qtbot, (1024, 768))
    press(window, qtbot, Key.Key_T)
    assert window.docks["controls"].isHidden()
    assert "C shows them" in window.statusBar().currentMessage()
    window.worker.send("speed", 1000.0)
    press(window, qtbot, Key.Key_Space)
    qtbot.waitUntil(lambda: "Finished" in window.statusBar().currentMessage(), timeout=20_000)
    qtbot.waitUntil(lambda: window.fps_label.text() == "", timeout=5_000)  # idle: no frame rate
    qtbot.wait(200)
    bar = window.statusBar()  # the end-of-run message fits beside the readings
    first = min(w.geometry().left() for w in bar.findChildren(QtWidgets.QWidget, options=QtCore.Qt.FindChildOption.FindDirectChildrenOnly)
                if w.isVisible() and w.geometry().left() > 0)
    assert bar.fontMetrics().horizontalAdvance(bar.currentMessage()) < first
    press(window, qtbot, Key.Key_T)
    qtbot.wait(200)
    assert not window.docks["controls"].isHidden()


def text_room(widget) -> float:
    """The width a widget has for its text: a line edit's contents rectangle less Qt's inner
    margins, a label's contents rectangle."""
    if isinstance(widget, QtWidgets.QLineEdit):
        opt = QtWidgets.QStyleOptionFrame()
        widget.initStyleOption(opt)
        rect = widget.style().subElementRect(QtWidgets.QStyle.SubElement.SE_LineEditContents, opt, widget)
        m = widget.textMargins()
        return rect.width() - 4 - m.left() - m.right()
    return widget.contentsRect().width() - 2 * widget.margin()


def clipped(window) -> list[str]:
    """Every value shown in a field or label of the controls and the status bar whose text
    is wider than its room."""
    out = []
    widgets = window.controls.findChildren(QtWidgets.QLineEdit) + window.controls.findChildren(QtWidgets.QLabel)
    widgets += [window.step_label, window.speed_label, window.device_label, window.fps_label]
    for w in widgets:
        if not w.isVisible() or (isinstance(w, QtWidgets.QLabel) and w.wordWrap()):
            continue
        text = QtGui.QTextDocumentFragment.fromHtml(w.text()).toPlainText() if isinstance(w, QtWidgets.QLabel) else w.text()
        if w.fontMetrics().horizontalAdvance(text) > text_room(w):
            out.append(f"{type(w).__name__} {text!r}: {w.fontMetrics().horizontalAdvance(text)} > {text_room(w)}")
    for dock, view in (("view2d", window.view2d), ("side", window.side.am), ("side", window.side.dm)):
        if not window.in_sight(dock):
            continue
        shown = QtGui.QTextDocumentFragment.fromHtml(view.getPlotItem().titleLabel.text).toPlainText()
        if view.title() and shown.replace("\n", " ").replace("\u2029", " ").replace("\u2028", " ") != view.title():
            out.append(f"title {shown!r} of {view.title()!r}")  # titles: smaller or on two lines, never cut
    return out


@pytest.mark.parametrize("size", [(1920, 1080), (1024, 768)])
def test_no_value_is_clipped_in_either_theme_with_four_digit_values(make_window, qtbot, size):
    window = make_window(steps=1000, particles=5000, sigma_max=80.0)
    on_screen(window, qtbot, size)
    # a drag of the sigma range, as a user leaves it
    window.controls.sigma.slider.setValue((math.log10(0.001234), math.log10(77.77)))
    qtbot.waitUntil(lambda: window.worker.run_.params.sigma_max == pytest.approx(77.77, rel=1e-3))
    window.controls.sliders["dt"].slider.setValue(math.log10(0.001234))
    window.controls.set_recording(1001, 1000, 1000)  # "step 1000 (frame 1001 of 1001)"
    window.step_label.setText("step 1000   sigma 0.001234")
    window.controls.sliders["speed"].setValue(0.2)
    window._show_speed(0.2)
    for presenter in (False, True, False):
        if window.presenter != presenter:
            press(window, qtbot, Key.Key_T)
        if window.docks["controls"].isHidden():
            press(window, qtbot, Key.Key_C)  # the user shows them again
        qtbot.wait(200)
        assert window.controls.sigma.high.text() == "77.77" and window.controls.sliders["steps"].field.text() == "1000"
        assert window.controls.sliders["particles"].field.text() == "5000"
        assert not clipped(window), (presenter, clipped(window))


def test_the_schedule_names_the_final_zero_off_the_curve(make_window, qtbot):
    window = make_window()
    for size, presenter in (((1920, 1080), False), ((1024, 768), True)):
        on_screen(window, qtbot, size)
        if window.presenter != presenter:
            press(window, qtbot, Key.Key_T)
        qtbot.wait(200)
        axis = window.schedule.getPlotItem().getAxis("bottom")
        assert axis.labelText == f"step, then sigma_{window.params.steps} = 0"
        assert window.schedule.note.toPlainText() == ""  # nothing written over the curve
        label = axis.label.mapRectToParent(axis.label.boundingRect())
        assert 0 <= label.left() and label.right() <= axis.width() + 1  # whole, under the plot
        assert len(window.schedule.curve.getData()[0]) == window.params.steps
