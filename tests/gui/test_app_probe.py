"""The bench's app probe (gui/app_probe.py) in a child process under the tests' display: one
JSON line saying how the particles were drawn, and with --profile the GUI thread's calls."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("particles, drawn_as", [(200, "points"), (20_000, "their density")])
def test_the_probe_draws_frames_and_says_how(particles, drawn_as, tmp_path, qapp):
    profile = tmp_path / "profile.txt"
    env = {**os.environ, "MEMSCAPE_SETTINGS": str(tmp_path / "settings.json")}
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "bench", "--app-probe", str(particles), "1", "2",
                        "--profile", str(profile)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    figure = json.loads(r.stdout.strip().splitlines()[-1])
    assert figure["fps"] is not None and figure["fps"] > 0  # frames were drawn
    assert f"particles drawn as {drawn_as}" in figure["note"]
    table = profile.read_text()
    assert "show_frame" in table and "draw_step" in table and "Ordered by: internal time" in table
