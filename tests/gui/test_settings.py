"""Settings are a JSON file the app parses itself: nothing in it can run code, and every bad
value falls back to its default, alone, with a note in the status bar."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PyQt6 import QtCore

from memscape.engine.presets import DEFAULT_PRESET
from memscape.gui.controls import DEFAULT_SPEED
from memscape.gui.settings import FORMAT, Settings

ROOT = Path(__file__).resolve().parents[2]


class _RunsCode:
    """Unpickling this creates the file ``marker``: stands for any code an attacker wants run."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def crafted_qsettings_file(path: Path, marker: Path) -> None:
    """An .ini as PyQt6's QSettings writes a Python object: @Variant(... PyQt_PyObject ...pickle)."""
    q = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat)
    q.setValue("window/geometry", _RunsCode(str(marker)))
    q.setValue("run/speed", _RunsCode(str(marker)))
    q.sync()
    del q
    assert "PyQt_PyObject" in path.read_text(errors="replace")


def test_the_threat_is_real_for_qsettings(tmp_path):
    """Reading the crafted file with QSettings, even as a string, runs the payload (so the
    tests below can fail). A fresh process: QSettings caches the files it wrote."""
    path, marker = tmp_path / "evil.ini", tmp_path / "pwned"
    crafted_qsettings_file(path, marker)
    code = ("import sys; from PyQt6 import QtCore; "
            "QtCore.QSettings(sys.argv[1], QtCore.QSettings.Format.IniFormat).value('window/geometry', type=str)")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    assert marker.exists()


def test_a_crafted_settings_file_cannot_run_code(tmp_path):
    """The app started on the crafted file: nothing runs, the file is ignored and then
    replaced by plain JSON when the app closes."""
    path, marker = tmp_path / "evil.ini", tmp_path / "pwned"
    crafted_qsettings_file(path, marker)
    env = {**os.environ, "MEMSCAPE_SETTINGS": str(path)}
    done = subprocess.run([sys.executable, "main.py", "--backend", "numpy", "--quit-after", "2"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert json.loads(path.read_text())["format"] == FORMAT


def test_the_window_says_a_settings_file_was_ignored(make_window, tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    path.write_text("@Variant(\\0\\0\\0\\x7f PyQt_PyObject)")
    monkeypatch.setenv("MEMSCAPE_SETTINGS", str(path))
    window = make_window()
    assert "not valid JSON" in window.alert_label.text() and str(path) in window.alert_label.text()


def test_no_module_reads_qsettings():
    users = [p.relative_to(ROOT) for folder in ("gui", "engine") for p in (ROOT / folder).rglob("*.py")
             if "QSettings(" in p.read_text()]
    assert users == []


def write_settings(path: Path, values: dict) -> None:
    path.write_text(json.dumps({"format": FORMAT, "values": values}))


def test_each_bad_value_falls_back_alone_and_is_reported(make_window, tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    write_settings(path, {"run/speed": "fast", "window/geometry": "hello", "window/state": 12,
                          "view/presenter": "yes", "layers/contours": False,
                          "run/preset": DEFAULT_PRESET, "run/params": {"beta": -3}})
    monkeypatch.setenv("MEMSCAPE_SETTINGS", str(path))
    window = make_window()
    assert window.controls.sliders["speed"].value() == pytest.approx(DEFAULT_SPEED)
    assert window.presenter is False
    assert not window.controls.layers["contours"].isChecked()  # the good value is kept
    text = window.alert_label.text()
    assert all(key in text for key in ("run/speed", "window/geometry", "view/presenter"))
    window.close()
    saved = json.loads(path.read_text())["values"]
    assert saved["run/speed"] == pytest.approx(DEFAULT_SPEED) and saved["run/params"]["beta"] > 0


@pytest.mark.parametrize("content", [b"", b"\xff\xfe not utf-8", b"[" * 100_000, b'{"format": "other"}',
                                     b"null", json.dumps({"format": FORMAT, "values": []}).encode()])
def test_a_broken_file_gives_defaults_and_one_line(tmp_path, content):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    settings = Settings(path)
    assert settings.last_run() == (None, None)
    assert settings.value("run/speed", 20.0, float) == 20.0
    assert len(settings.problems) == 1 and "\n" not in settings.problems[0]


def test_values_round_trip_through_the_file(tmp_path):
    s = Settings(tmp_path / "sub" / "settings.json")
    s.set_value("run/speed", 33.5)
    s.set_value("view/presenter", True)
    s.sync()
    back = Settings(tmp_path / "sub" / "settings.json")
    assert back.value("run/speed", 20.0, float) == 33.5 and back.value("view/presenter", False, bool) is True
    assert back.value("run/speed", 20.0, float, 1, 30) == 20.0  # out of range: the default
    with pytest.raises(TypeError):
        s.set_value("x", float("nan"))
    geometry = base64.b64encode(b"\x00\x01").decode()
    assert isinstance(geometry, str)
