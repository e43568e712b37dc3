"""A shortened soak (issue 14): the app playing and resetting with 5,000 particles holds steady
memory, threads and timers. ``python main.py bench --soak 3600`` runs the hour on request."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_playing_and_resetting_holds_memory_threads_and_timers_steady(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "bench", "--soak", "24", "--json"],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    soak = json.loads(done.stdout)
    assert soak["resets"] >= 8 and soak["frames"] > 20
    assert soak["growth_after_warmup"] < 0.05, soak["rss_mb"]
    warm = int(0.3 * len(soak["threads"]))
    assert max(soak["threads"][warm:]) <= soak["threads"][warm] + 1, soak["threads"]
    assert len(set(soak["timers"][warm:])) == 1, soak["timers"]
