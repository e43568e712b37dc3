"""``python main.py bench [--json] [--quick] [--repeat R]``: the engine's speed figures
(:mod:`memscape.engine.bench`) and the desktop app's frame rate.

The frame rate is measured in child processes (``main.py bench --app-probe ...``, which
runs :func:`memscape.gui.fps_probe.measure_fps`), so that Qt never loads in the bench
itself and a stuck window cannot hang it; it needs a display (``xvfb-run -a python main.py
bench`` on a machine without one). No Qt at import time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from memscape.engine import bench as engine_bench

APP_PARTICLES = 5_000
APP_LAYOUTS = (1, 2)  #: the layouts timed: every view; the 2D and 3D landscapes with the traces
APP_SECONDS = 4.0
MAIN = Path(__file__).resolve().parents[1] / "main.py"  #: runs from a checkout and when installed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    engine_bench.add_arguments(parser)
    parser.add_argument("--app-probe", nargs=3, type=float, metavar=("PARTICLES", "SECONDS", "LAYOUT"),
                        help=argparse.SUPPRESS)  # the child process of app_fps


def run(args: argparse.Namespace) -> int:
    if args.app_probe is not None:
        from memscape.gui.fps_probe import measure_fps

        particles, seconds, layout = args.app_probe
        measure_fps(int(particles), seconds, int(layout))
        return 0
    repeat = engine_bench.repeat_of(args)
    if repeat is None:
        return 2
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    report = engine_bench.collect(quick=args.quick, repeat=repeat, log=log)
    if args.quick:
        report["gui"] = [{"particles": APP_PARTICLES, "layout": None, "fps": None, "note": "skipped: --quick"}]
    else:
        report["gui"] = []
        for layout in APP_LAYOUTS:
            report["gui"].append(app_fps(APP_PARTICLES, APP_SECONDS, layout))
            log(app_row(report["gui"][-1]))
    print(json.dumps(report, indent=2) if args.json else
          "\n".join([engine_bench.format_report(report), *map(app_row, report["gui"])]))
    return 0


def app_fps(particles: int, seconds: float, layout: int) -> dict[str, Any]:
    """Frames per second the app draws with ``particles`` particles in window layout ``layout``."""
    result: dict[str, Any] = {"particles": particles, "layout": layout, "fps": None}
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return {**result, "note": "skipped: no display (run under `xvfb-run -a python main.py bench`)"}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MEMSCAPE_SETTINGS": os.path.join(tmp, "bench.json")}  # user settings untouched
        try:
            proc = subprocess.run([sys.executable, str(MAIN), "bench", "--app-probe", str(particles), str(seconds),
                                   str(layout)], env=env, capture_output=True, text=True, timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            return {**result, "note": "failed: the app did not finish within a minute"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {**result, "note": f"failed: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}"}
    return {**result, **json.loads(lines[-1])}


def app_row(figure: dict[str, Any]) -> str:
    fps = "-" if figure["fps"] is None else f"{figure['fps']:.1f} frames/s"
    return f"the app, {figure['particles']} particles, layout {figure['layout']}: {fps}  ({figure['note']})"
