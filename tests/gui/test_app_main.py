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
    (dict(preset="no-such-preset"), "not a built-in preset"),
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
