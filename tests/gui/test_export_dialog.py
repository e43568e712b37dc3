"""The Export video dialog, its progress dialog's Cancel, and Export trajectories: both export
the run the window shows, from its recording."""
import json

import numpy as np
import pytest
from PyQt6 import QtCore, QtWidgets

from memscape.engine.presets import load_preset
from memscape.engine.run import Run
from memscape.engine.trajectory_io import load_npz
from memscape.gui.export.data_dialog import start_trajectory_export
from memscape.gui.export.dialog import ExportVideoDialog


@pytest.fixture
def recorded():
    """(snapshot, meta) of a finished two-wells run."""
    run = Run(load_preset("two-wells").replace(particles=30, steps=10, backend="numpy"), label="two-wells")
    run.run_to_end()
    return run.snapshot(), run.meta


def test_dialog_fields_make_the_settings(qtbot, recorded, tmp_path):
    dialog = ExportVideoDialog(*recorded, name="wells", folder=tmp_path)
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


def test_cancel_in_the_progress_dialog_leaves_nothing_and_app_stays_live(qtbot, recorded, tmp_path):
    good = tmp_path / "wells.mp4"
    good.write_bytes(b"an earlier export")
    dialog = ExportVideoDialog(*recorded, name="wells", folder=tmp_path)
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
def test_export_trajectories_writes_the_recording_with_its_partner(qtbot, recorded, tmp_path, fmt):
    snapshot, _ = recorded
    path = tmp_path / f"run.{fmt}"
    job = start_trajectory_export(snapshot, path, fmt)
    qtbot.waitUntil(lambda: not job.running, timeout=30_000)
    assert job.result == (True, f"wrote {path}")
    main, partner = snapshot.tracks
    if fmt == "npz":
        got = load_npz(path)
        assert np.array_equal(got["positions"], main["x"]) and np.array_equal(got["partner_positions"], partner["x"])
        assert json.loads(str(got["partner_params"]))["model"] == "modern"
    else:
        rows = np.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")
        t, n, d = main["x"].shape
        assert len(rows) == 2 * t * n and set(rows["simulation"]) == {"main", "partner"}
        last = rows[(rows["simulation"] == "partner") & (rows["step"] == t - 1)]
        assert np.allclose(np.stack([last["x0"], last["x1"]], axis=1), partner["x"][-1], rtol=1e-6)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_cancelled_trajectory_export_writes_nothing(qtbot, recorded, tmp_path):
    job = start_trajectory_export(recorded[0], tmp_path / "big.csv", "csv")
    job.cancel()
    qtbot.waitUntil(lambda: not job.running, timeout=30_000)
    assert job.result == (False, "cancelled") and list(tmp_path.iterdir()) == []


def test_the_exports_of_the_window_are_of_the_run_on_screen(make_window, qtbot, wait_frames, tmp_path):
    """A cluster dropped by a click, then Export: the run is completed to its end in the worker
    thread and exactly its recording is exported."""
    window = make_window(particles=30, steps=10)
    first = window.recording
    window.view2d.drop_requested.emit(1.5, -1.5, True)
    qtbot.waitUntil(lambda: window.recording is not first)
    window.export_actions["video"].trigger()
    qtbot.waitUntil(lambda: getattr(window, "export_dialog", None) is not None, timeout=20_000)
    dialog = window.export_dialog
    assert dialog.snapshot.length == 11 and dialog.snapshot.tracks[0]["step"][-1] == 10
    start = dialog.snapshot.tracks[0]["x"][0]
    np.testing.assert_allclose(start.mean(axis=0), [1.5, -1.5], atol=0.1)
    assert dialog.path.text().endswith("two-wells.mp4")
    dialog.reject()


def test_main_window_offers_video_and_trajectory_export(make_window, qtbot):
    window = make_window()
    texts = [a.text() for a in window.file_menu.actions()]
    assert texts[:2] == ["Export video...", "Export trajectories..."]


def test_a_failed_export_is_reported_in_the_window(make_window, qtbot, tmp_path):
    window = make_window(particles=30, steps=10)
    window.export_actions["record"].click()  # the record button opens the video dialog
    qtbot.waitUntil(lambda: getattr(window, "export_dialog", None) is not None, timeout=20_000)
    dialog = window.export_dialog
    dialog.path.setText(str(tmp_path / "missing" / "clip.mp4"))
    runner = dialog.start_export(show_progress=False)
    qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
    assert runner.result[0] is False and "does not exist" in runner.result[1]
    assert window.statusBar().currentMessage().startswith("export failed: cannot write")
    box = next(w for w in window.findChildren(QtWidgets.QMessageBox) if w.isVisible())
    assert "does not exist" in box.text()
    box.close()
    assert list(tmp_path.iterdir()) == []


def open_dialog(window, qtbot, layout: int, how: str = "video") -> ExportVideoDialog:
    """The Export video dialog, opened from layout ``layout`` (by the menu or the status-bar button)."""
    window.export_dialog = None
    window.menu_actions[f"layout{layout}"].trigger()
    qtbot.wait(100)
    action = window.export_actions[how]
    action.click() if how == "record" else action.trigger()
    qtbot.waitUntil(lambda: getattr(window, "export_dialog", None) is not None, timeout=20_000)
    return window.export_dialog


def test_the_dialog_opens_on_the_view_shown_and_remembers_its_choices(make_window, qtbot, tmp_path):
    window = make_window(particles=30, steps=10)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    assert window.export_actions["record"].text().endswith("Export video...")
    for layout, view in ((3, "3d"), (1, "side-by-side")):
        dialog = open_dialog(window, qtbot, layout, "record")
        assert dialog.view.currentData() == view  # the view on screen
        dialog.reject()
    dialog = open_dialog(window, qtbot, 2)
    assert dialog.view.currentData() == "2d"
    dialog.format.setCurrentIndex(dialog.format.findData("gif"))
    dialog.fps.setValue(4)
    dialog.seconds.setValue(0.5)
    dialog.overlay_boxes["params"].setChecked(False)
    dialog.path.setText(str(tmp_path / "out" / "wells.gif"))
    (tmp_path / "out").mkdir()
    runner = dialog.start_export(show_progress=False)
    qtbot.waitUntil(lambda: not runner.running, timeout=60_000)
    assert runner.result[0] is True and (tmp_path / "out" / "wells.gif").stat().st_size > 0
    again = open_dialog(window, qtbot, 3)
    assert again.fmt() == "gif" and again.fps.value() == 4 and again.seconds.value() == 0.5
    assert not again.overlay_boxes["params"].isChecked() and again.overlay_boxes["title"].isChecked()
    assert again.path.text() == str(tmp_path / "out" / "two-wells.gif")  # the last folder, this run's name
    assert again.view.currentData() == "3d"  # the view follows the screen, not the last export
    again.reject()


def test_a_video_beyond_the_limits_is_refused_in_the_dialogs_words(qtbot, recorded, tmp_path, monkeypatch):
    refused = []
    dialog = ExportVideoDialog(*recorded, name="huge", folder=tmp_path)
    qtbot.addWidget(dialog)
    monkeypatch.setattr(dialog, "_refuse", refused.append)
    dialog.resolution.setCurrentIndex(dialog.resolution.findData("4K"))
    dialog.fps.setValue(120)
    dialog.seconds.setValue(600)  # 72,000 frames of 4K: beyond the pixel limit
    assert dialog.start_export(show_progress=False) is None
    assert refused and "resolution" in refused[0] and "--" not in refused[0]
    assert list(tmp_path.iterdir()) == []
