"""``python main.py`` as a user starts it: the window on a chosen preset, quitting by itself,
and clear errors for a bad preset or backend."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from memscape.engine.backend import BackendError, get_backend
from memscape.gui.app import run_app

ROOT = Path(__file__).resolve().parents[2]


def test_main_opens_the_chosen_preset_and_remembers_it(tmp_path):
    settings = tmp_path / "settings.json"
    env = {**os.environ, "MEMSCAPE_SETTINGS": str(settings), "LIBGL_ALWAYS_SOFTWARE": "1"}
    done = subprocess.run([sys.executable, "main.py", "--preset", "ring", "--backend", "numpy",
                           "--quit-after", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    saved = json.loads(settings.read_text())
    assert saved["values"]["run/preset"] == "ring"


@pytest.mark.parametrize("argv, message", [
    (dict(preset="no-such-preset"), "not a built-in or saved preset"),
    (dict(backend="cupy"), "--backend cupy"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    if argv.get("backend") == "cupy":
        try:
            get_backend("cupy")
        except BackendError:
            pass
        else:
            pytest.skip("CuPy sees a GPU here")
    args = argparse.Namespace(**{"preset": None, "backend": "numpy", "quit_after": 1.0, **argv})
    assert run_app(args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("signame, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_closes_the_app_as_quit_does(tmp_path, signame, code):
    """Ctrl-C in the terminal, or a kill, closes the window: settings saved, no crash marker."""
    import signal
    import time

    settings = tmp_path / "settings.json"
    env = {**os.environ, "MEMSCAPE_SETTINGS": str(settings), "MEMSCAPE_HOME": str(tmp_path / "home"),
           "LIBGL_ALWAYS_SOFTWARE": "1"}
    proc = subprocess.Popen([sys.executable, "main.py", "--backend", "numpy"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    marker = tmp_path / "home" / "autosave" / f"running-{proc.pid}"
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), "the app did not start"
    time.sleep(3)  # its first run on screen, which the last autosave writes
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "closing the window" in err and "Traceback" not in err
    assert settings.is_file() and not marker.exists()
    assert (tmp_path / "home" / "autosave" / "session.json").is_file()
