"""main.py as a user starts it, in a subprocess: the app opens on its default preset under
the test display (pytest-xvfb's Xvfb) and closes itself, and the help names every command."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import main

ROOT = Path(__file__).resolve().parents[1]


def run_main(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT,
                          env=env or dict(os.environ), capture_output=True, text=True, timeout=180)


@pytest.mark.display
def test_the_app_opens_on_its_default_preset_and_quits_by_itself(tmp_path):
    assert os.environ.get("DISPLAY"), "pytest-xvfb should have started a display"
    env = {**os.environ, "MEMSCAPE_SETTINGS": str(tmp_path / "settings.json"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    r = run_main("--quit-after", "3", env=env)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    assert (tmp_path / "settings.json").is_file()  # it ran far enough to save the session


def test_help_lists_every_command():
    r = run_main("--help")
    assert r.returncode == 0, r.stderr
    assert all(name in r.stdout for name in main.COMMANDS)
