"""The Export video dialog, its progress dialog's Cancel, and Export trajectories."""
import numpy as np
import pytest
from PyQt6 import QtCore, QtWidgets

from memscape.engine.presets import load_preset
from memscape.engine.simulation import run as run_simulation
from memscape.engine.trajectory_io import load_npz
from memscape.gui.export.data_dialog import start_trajectory_export
from memscape.gui.export.dialog import ExportVideoDialog


@pytest.fixture
def params():
    return load_preset("two-wells").replace(particles=30, steps=10, backend="numpy")


def test_dialog_fields_make_the_settings(qtbot, params, tmp_path):
    dialog = ExportVideoDialog(params, name="wells", folder=tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.path.text() == str(tmp_path / "wells.mp4")
    dialog.format.setCurrentIndex(dialog.format.findData("gif"))
    assert dialog.path.text() == str(tmp_path / "wells.gif")
    dialog.resolution.setCurrentIndex(dialog.resolution.findData("1080p"))
    dialog.fps.setValue(24)
    dialog.seconds.setValue(2.5)
    dialog.view.setCurrentIndex(dialog.view.findData("3d"))
    assert dialog.orbit.isEnabled()
    dialog.orbit.setValue(30)
    dialog.overlay_boxes["params"].setChecked(False)
    s = dialog.settings()
    assert (s.size, s.fps, s.seconds, s.view, s.orbit) == ((1920, 1080), 24.0, 2.5, "3d", 30.0)
    assert s.overlays == ("title", "step") and s.title == "wells" and s.frame_count == 60
    assert dialog.frames_label.text() == "60 frames"


def test_cancel_in_the_progress_dialog_leaves_nothing_and_app_stays_live(qtbot, params, tmp_path):
    good = tmp_path / "wells.mp4"
    good.write_bytes(b"an earlier export")
    dialog = ExportVideoDialog(params, name="wells", folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.resolution.setCurrentIndex(dialog.resolution.findData("720p"))
    dialog.seconds.setValue(20)  # long enough to cancel mid-way
    events = []
    other = QtCore.QTimer()  # another part of the app, e.g. the live animation
    other.timeout.connect(lambda: events.append("app"))
    other.start(5)
    runner = dialog.start_export()
    runner.progressed.connect(lambda phase, done, total: events.append(phase))
    qtbot.waitUntil(lambda: events.count("rendering") >= 3, timeout=60_000)
    other.stop()
    first_render = events.index("rendering")
    assert "app" in events[first_render:]  # the app ran between exported frames
    assert runner.dialog is not None and runner.dialog.isVisible()
    runner.dialog.findChild(QtWidgets.QPushButton).click()  # Cancel
    assert runner.result == (False, "cancelled")
    assert good.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wells.mp4"]


@pytest.mark.parametrize("fmt", ["npz", "csv"])
def test_export_trajectories_writes_what_simulate_writes(qtbot, params, tmp_path, fmt):
    path = tmp_path / f"run.{fmt}"
    runner = start_trajectory_export(params, path, fmt, None, show_progress=False)
    qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
    assert runner.result == (True, f"wrote {path}")
    expected = run_simulation(params)
    if fmt == "npz":
        got = load_npz(path)
        assert sorted(got) == sorted(expected)
        assert np.array_equal(got["positions"], expected["positions"])
        assert str(got["params"]) == expected["params"]
    else:
        table = np.loadtxt(path, delimiter=",", skiprows=1)
        t, n, d = expected["positions"].shape
        assert table.shape == (t * n, 2 + d + 2)
        last = table[table[:, 0] == t - 1]
        assert np.allclose(last[:, 2:2 + d], expected["positions"][-1], rtol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_exports_from_the_window_start_where_its_run_started(make_window, qtbot, wait_frames, tmp_path):
    """A cluster dropped by a click is in both exports: they simulate from the run's start."""
    window = make_window(particles=30, steps=10)
    first = window.recording
    window.view2d.drop_requested.emit(1.5, -1.5)
    qtbot.waitUntil(lambda: window.recording is not first)
    start = window.recording[0][0].frame["x"]
    np.testing.assert_allclose(window.run_start(), start, rtol=1e-6)  # float64 start, float32 run
    path = tmp_path / "dropped.npz"
    runner = start_trajectory_export(window.params, path, "npz", None, show_progress=False, init=window.run_start())
    qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
    np.testing.assert_array_equal(load_npz(path)["positions"][0], start)
    window.export_actions["video"].trigger()
    dialog = next(w for w in window.findChildren(ExportVideoDialog) if w.isVisible())
    np.testing.assert_array_equal(dialog.init, window.run_start())
    dialog.reject()


def test_cancelled_trajectory_export_writes_nothing(qtbot, tmp_path):
    params = load_preset("two-wells").replace(particles=20000, steps=400, backend="numpy")
    runner = start_trajectory_export(params, tmp_path / "big.npz", "npz", None, show_progress=False)
    qtbot.wait(50)
    runner.cancel()
    assert runner.result == (False, "cancelled")
    assert list(tmp_path.iterdir()) == []


def test_main_window_offers_video_and_trajectory_export(make_window, qtbot):
    window = make_window()
    texts = [a.text() for a in window.file_menu.actions()]
    assert texts[:2] == ["Export video...", "Export trajectories..."]
    window.export_actions["record"].click()  # the record button opens the video dialog
    dialog = next(w for w in window.findChildren(ExportVideoDialog) if w.isVisible())
    assert dialog.params == window.params
    assert dialog.path.text().endswith("two-wells.mp4")
    dialog.reject()


def test_a_failed_export_is_reported_in_the_window(make_window, qtbot, tmp_path):
    window = make_window()
    window.export_actions["video"].trigger()
    dialog = next(w for w in window.findChildren(ExportVideoDialog) if w.isVisible())
    dialog.path.setText(str(tmp_path / "missing" / "clip.mp4"))
    runner = dialog.start_export(show_progress=False)
    qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
    assert runner.result[0] is False and "does not exist" in runner.result[1]
    assert window.statusBar().currentMessage().startswith("export failed: cannot write")
    box = next(w for w in window.findChildren(QtWidgets.QMessageBox) if w.isVisible())
    assert "does not exist" in box.text()
    box.close()
    assert list(tmp_path.iterdir()) == []
