"""The experiments panel: the plot fills in while the app stays live, Cancel stops between
items, a bad setting is one line, and the exports write the table and the picture."""
import numpy as np
import pytest
from PyQt6 import QtCore

from memscape.gui.experiments.panel import ExperimentPanel


@pytest.fixture
def panel(qtbot):
    p = ExperimentPanel(backend="numpy")
    qtbot.addWidget(p)
    yield p
    p.cancel()
    p.wait(30)


def choose(panel, name, **settings):
    panel.choice.setCurrentIndex(panel.choice.findData(name))
    for key, text in settings.items():
        panel.fields[key].setText(text)


def test_the_plot_fills_in_as_items_finish_and_the_app_stays_live(panel, qtbot, tmp_path):
    choose(panel, "basins", methods="modern,heun", resolution="12", am_steps="60")
    seen, ticks = [], []
    panel.progressed.connect(lambda result: seen.append(result.done))
    timer = QtCore.QTimer(interval=5, timeout=lambda: ticks.append(1))
    timer.start()
    with qtbot.waitSignal(panel.finished, timeout=120_000) as done:
        qtbot.mouseClick(panel.run_button, QtCore.Qt.MouseButton.LeftButton)
    timer.stop()
    result, outcome = done.args
    assert outcome == "done" and result.complete and seen == [1, 2]
    assert ticks  # the event loop ran while the experiment computed
    assert panel.progress.value() == panel.progress.maximum() == 2
    assert len(panel.plot.getPlotItem().items) > 0
    assert panel.export("csv", tmp_path / "basins.csv") and panel.export("png", tmp_path / "basins.png")
    header = (tmp_path / "basins.csv").read_text().splitlines()[0].split(",")
    assert header == list(result.columns)
    assert (tmp_path / "basins.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cancel_stops_between_items(panel, qtbot):
    choose(panel, "capacity")
    with qtbot.waitSignal(panel.progressed, timeout=120_000):
        panel.start()
    panel.cancel_button.click()
    with qtbot.waitSignal(panel.finished, timeout=120_000) as done:
        pass
    result, outcome = done.args
    assert outcome == "cancelled" and 0 < result.done < result.total
    assert panel.run_button.isEnabled() and "cancelled after" in panel.status.text()


def test_a_bad_setting_is_one_line_and_runs_nothing(panel, qtbot):
    choose(panel, "basins", resolution="many")
    panel.start()
    assert not panel.running and "resolution" in panel.status.text() and "\n" not in panel.status.text()
    assert np.all([not b.isEnabled() for b in (panel.csv_button, panel.png_button)])


def test_the_window_has_the_panel_and_closing_it_stops_a_running_experiment(make_window, qtbot):
    window = make_window()
    panel = window.experiments
    assert window.docks["experiments"].widget() is panel
    window.docks["experiments"].raise_()
    choose(panel, "capacity")
    panel.start()
    qtbot.waitUntil(lambda: panel.running)
    window.close()  # the fixture then checks that no thread outlived the window
    assert not panel.running
    words, items = panel.status.text(), len(panel.plot.getPlotItem().items)
    qtbot.wait(100)  # the thread's last news, queued before it ended, is not drawn into the closed window
    assert panel.status.text() == words == "running capacity..." and len(panel.plot.getPlotItem().items) == items
