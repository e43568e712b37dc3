"""Saved presets, sessions with their particles, autosave and the offer to recover after a
crash (issue 12): each through the window, as a person uses it, and back."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt6 import QtWidgets

from memscape.engine.presets import PresetError, list_presets, load_preset, save_user_preset
from memscape.gui.session import SessionError, read_session, write_session

ROOT = Path(__file__).resolve().parents[2]


def test_save_preset_as_lists_it_here_and_in_the_presets_command(make_window, qtbot):
    window = make_window(beta=7.5, particles=123)
    path = window.save_preset("my-wells")
    assert path is not None and path.parent == Path(os.environ["MEMSCAPE_HOME"]) / "presets"
    assert load_preset("my-wells") == window.params  # every parameter, read back equal
    assert ("my-wells" in dict(list_presets())) and dict(list_presets())["my-wells"].startswith("(saved)")
    assert window.controls.preset.findData("my-wells") >= 0 and window.preset == "my-wells"
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "presets"], capture_output=True, text=True,
                          env=os.environ, timeout=60)
    assert "my-wells" in done.stdout and "(saved)" in done.stdout
    assert window.save_preset("my-wells") is None and "exists" in window.alert_label.text()


@pytest.mark.parametrize("name, why", [("two-wells", "built-in"), ("../escape", "letters"), ("", "letters")])
def test_a_preset_name_that_cannot_be_saved_is_refused(name, why):
    with pytest.raises(PresetError, match=why):
        save_user_preset(name, "", load_preset("two-wells"))


def test_a_session_restores_the_run_its_particles_and_the_layout(make_window, qtbot, tmp_path):
    window = make_window(particles=40, steps=12)
    first = window.recording
    window.view2d.drop_requested.emit(1.5, -1.0, True)  # a Ctrl-click: a cluster in place of the particles
    qtbot.waitUntil(lambda: window.recording is not first)
    window.set_params(window.params.replace(beta=9.0))
    qtbot.waitUntil(lambda: window.shown.partner.params.beta == 9.0)
    window.menu_actions["layout3"].trigger()
    saved = window.session()
    path = tmp_path / "demo.json"
    write_session(path, saved)
    data = json.loads(path.read_text())
    assert data["version"] == 2 and data["arrays"] == "demo.npz" and (tmp_path / "demo.npz").is_file()
    window.close()
    again = make_window()
    assert again.open_session(path)
    qtbot.waitUntil(lambda: again.shown.main.params == saved.params, timeout=20_000)
    np.testing.assert_array_equal(again.shown.main.x if again.shown.index == 0 else again.update_.view(0).main.x,
                                  saved.start)
    np.testing.assert_allclose(saved.start.mean(axis=0), [1.5, -1.0], atol=0.1)
    assert again.params.beta == 9.0 and again.controls.sliders["beta"].value() == pytest.approx(9.0)


def test_a_damaged_session_is_one_line_and_changes_nothing(make_window, qtbot, tmp_path):
    window = make_window(particles=40, steps=12)
    path = tmp_path / "s.json"
    write_session(path, window.session())
    (tmp_path / "s.npz").write_bytes(b"PK\x03\x04 not a zip")
    before = window.params
    assert not window.open_session(path)
    text = window.alert_label.text()
    assert str(path) in text and "\n" not in text and window.params == before
    data = json.loads(path.read_text())
    data["arrays"] = "../elsewhere.npz"
    path.write_text(json.dumps(data))
    with pytest.raises(SessionError, match="beside the session"):
        read_session(path)


def test_a_version_1_session_still_opens(tmp_path):
    path = tmp_path / "old.json"
    params = load_preset("ring")
    path.write_text(json.dumps({"format": "memscape-session", "version": 1, "preset": "ring",
                                "params": json.loads(params.to_json()), "speed": 8.0, "layers": {"arrows": False}}))
    session = read_session(path)
    assert session.params == params and session.start is None and session.layout == ""


def test_the_window_autosaves_and_leaves_no_marker_when_it_closes(make_window, qtbot):
    window = make_window(particles=30, steps=10)
    autosave = window.autosave
    assert autosave.marker.is_file()
    assert autosave.save() and read_session(autosave.path).params == window.params
    window.close()
    assert not autosave.marker.exists() and autosave.path.is_file()


def test_after_a_crash_the_window_offers_the_autosaved_session(make_window, qtbot):
    home = Path(os.environ["MEMSCAPE_HOME"]) / "autosave"
    home.mkdir(parents=True)
    crashed = make_window(particles=30, steps=10, beta=6.5)
    write_session(home / "session.json", crashed.session())
    crashed.close()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (home / f"running-{dead}").write_text(dead)  # as a killed process leaves it
    window = make_window()
    qtbot.waitUntil(lambda: getattr(window, "recovery_box", None) is not None)
    box = window.recovery_box
    assert "did not close properly" in box.text()
    box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: window.shown.main.params.beta == 6.5, timeout=20_000)
    assert not (home / f"running-{dead}").exists()
    window.close()
    calm = make_window()  # a clean close before: nothing is offered
    qtbot.wait(100)
    assert getattr(calm, "recovery_box", None) is None
