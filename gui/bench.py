"""``python main.py bench [--json] [--quick] [--repeat R]``: the engine's speed figures
(:mod:`memscape.engine.bench`), the desktop app's frame rate (5,000 particles as points and
100,000 as their density, in each of APP_LAYOUTS) and the video export's (a fixed run exported
headless, frames per second end to end); ``bench --soak SECONDS``: the
app playing and resetting with 5,000 particles for that long, its memory curve, threads and
timers.

The app is measured in child processes (``main.py bench --app-probe ...`` and ``--soak-probe``,
which run :mod:`memscape.gui.app_probe`; ``--export-probe`` runs
:mod:`memscape.gui.export.bench_probe`), so that Qt never loads in the bench itself and a stuck
window cannot hang it; they need a display (``xvfb-run -a python main.py bench`` on a machine
without one). No Qt at import time.
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
#: the live-density figure: this many particles, drawn as their density (gui.density)
APP_DENSITY_PARTICLES = 100_000
APP_LAYOUTS = (1, 2)  #: the layouts timed: every view; the 2D and 3D landscapes with the traces
APP_SECONDS = 4.0
#: the exports timed (view, width, height): 2D, 3D and side by side at 720p, 3D at 1080p
EXPORTS = (("2d", 1280, 720), ("3d", 1280, 720), ("side-by-side", 1280, 720), ("3d", 1920, 1080))
EXPORT_SECONDS = 60.0  #: an export probe that takes longer than this (plus a minute) failed
SOAK_WARMUP = 0.3  #: the share of a soak's samples taken as warm-up, before memory must stay flat
MAIN = Path(__file__).resolve().parents[1] / "main.py"  #: runs from a checkout and when installed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    engine_bench.add_arguments(parser)
    parser.add_argument("--soak", type=float, metavar="SECONDS",
                        help="play and reset the app with 5,000 particles this long (e.g. 3600) and print "
                             "its memory curve, threads and timers")
    parser.add_argument("--app-probe", nargs=3, type=float, metavar=("PARTICLES", "SECONDS", "LAYOUT"),
                        help=argparse.SUPPRESS)  # the child process of app_fps
    parser.add_argument("--profile", metavar="FILE",
                        help="with --app-probe PARTICLES SECONDS LAYOUT (one app figure, e.g. 100000 4 2): "
                             "write cProfile's table of the GUI thread's calls to FILE")
    parser.add_argument("--soak-probe", nargs=2, type=float, metavar=("PARTICLES", "SECONDS"),
                        help=argparse.SUPPRESS)  # the child process of app_soak
    parser.add_argument("--export-probe", nargs=3, metavar=("VIEW", "WIDTH", "HEIGHT"),
                        help=argparse.SUPPRESS)  # the child process of export_fps


def run(args: argparse.Namespace) -> int:
    if args.profile is not None and args.app_probe is None:
        print("memscape bench: --profile goes with --app-probe PARTICLES SECONDS LAYOUT", file=sys.stderr)
        return 2
    if args.app_probe is not None:
        from memscape.gui.app_probe import measure_fps

        particles, seconds, layout = args.app_probe
        measure_fps(int(particles), seconds, int(layout), profile=args.profile)
        return 0
    if args.export_probe is not None:
        from memscape.gui.export.bench_probe import main

        view, width, height = args.export_probe
        main(view, int(width), int(height))
        return 0
    if args.soak_probe is not None:
        from memscape.gui.app_probe import soak

        soak(int(args.soak_probe[0]), args.soak_probe[1])
        return 0
    if args.soak is not None:
        if not args.soak > 0:
            print("memscape bench: --soak needs a positive number of seconds", file=sys.stderr)
            return 2
        result = app_soak(APP_PARTICLES, args.soak)
        print(json.dumps(result, indent=2) if args.json else soak_report(result))
        return 0 if "rss_mb" in result else 1
    repeat, backend = engine_bench.repeat_of(args), engine_bench.backend_of(args)
    if repeat is None or backend is None:
        return 2
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    report = engine_bench.collect(quick=args.quick, repeat=repeat, log=log, backend=backend)
    if args.quick:
        report["gui"] = [{"particles": n, "layout": None, "fps": None, "note": "skipped: --quick"}
                         for n in (APP_PARTICLES, APP_DENSITY_PARTICLES)]
        report["export"] = [{"view": None, "size": None, "fps": None, "note": "skipped: --quick"}]
    else:
        report["gui"], report["export"] = [], []
        for particles in (APP_PARTICLES, APP_DENSITY_PARTICLES):
            for layout in APP_LAYOUTS:
                report["gui"].append(app_fps(particles, APP_SECONDS, layout))
                log(app_row(report["gui"][-1]))
        for view, width, height in EXPORTS:
            report["export"].append(export_fps(view, width, height))
            log(export_row(report["export"][-1]))
    print(json.dumps(report, indent=2) if args.json else
          "\n".join([engine_bench.format_report(report), *map(app_row, report["gui"]),
                     *map(export_row, report["export"])]))
    return 0


def _child(probe: list[str], seconds: float) -> dict[str, Any]:
    """Run ``main.py bench PROBE...`` in a child process with throw-away settings; its JSON
    line, or {"note": why it gave none}."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return {"note": "skipped: no display (run under `xvfb-run -a python main.py bench`)"}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MEMSCAPE_SETTINGS": os.path.join(tmp, "bench.json")}  # user settings untouched
        try:
            proc = subprocess.run([sys.executable, str(MAIN), "bench", *probe], env=env, capture_output=True,
                                  text=True, timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            return {"note": "failed: the app did not finish within a minute of its time"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"note": f"failed: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}"}
    return json.loads(lines[-1])


def app_fps(particles: int, seconds: float, layout: int) -> dict[str, Any]:
    """Frames per second the app draws with ``particles`` particles in window layout ``layout``."""
    return {"particles": particles, "layout": layout, "fps": None,
            **_child(["--app-probe", str(particles), str(seconds), str(layout)], seconds)}


def export_fps(view: str, width: int, height: int) -> dict[str, Any]:
    """Frames per second of a headless export of ``view`` at ``width`` x ``height`` (see
    memscape.gui.export.bench_probe.export_fps), with its median frame's render and encode times."""
    return {"view": view, "size": [width, height], "fps": None,
            **_child(["--export-probe", view, str(width), str(height)], EXPORT_SECONDS)}


def app_soak(particles: int, seconds: float) -> dict[str, Any]:
    """The soak's samples (see memscape.gui.app_probe.soak), and how memory moved after the
    warm-up (the first SOAK_WARMUP share of the samples)."""
    result = {"particles": particles, "seconds": seconds,
              **_child(["--soak-probe", str(particles), str(seconds)], seconds)}
    rss = [r for r in result.get("rss_mb", []) if r is not None]
    if len(rss) >= 4:
        warm = rss[int(SOAK_WARMUP * len(rss))]
        result["growth_after_warmup"] = max(rss[int(SOAK_WARMUP * len(rss)):]) / warm - 1.0
    return result


def soak_report(result: dict[str, Any]) -> str:
    if "rss_mb" not in result:
        return f"soak: {result['note']}"
    lines = [f"soak: {result['particles']} particles, {result['seconds']:g} s, {result['resets']} resets, "
             f"{result['frames']} frames drawn",
             f"{'t (s)':>8s} {'RSS (MB)':>9s} {'threads':>8s} {'timers':>7s}"]
    lines += [f"{t:8.1f} {('-' if m is None else f'{m:9.1f}'):>9s} {n:8d} {k:7d}"
              for t, m, n, k in zip(result["t"], result["rss_mb"], result["threads"], result["timers"])]
    if "growth_after_warmup" in result:
        lines.append(f"resident memory after the warm-up grew by at most {100 * result['growth_after_warmup']:.1f}%")
    return "\n".join(lines)


def export_row(figure: dict[str, Any]) -> str:
    size = "" if figure["size"] is None else f" at {figure['size'][0]}x{figure['size'][1]}"
    if figure["fps"] is None:
        return f"export {figure['view']}{size}: -  ({figure['note']})"
    return (f"export {figure['view']}{size}: {figure['fps']:.1f} frames/s end to end (median frame: render "
            f"{figure['render_ms']:.1f} ms, encoder wait {figure['encode_ms']:.1f} ms)  ({figure['note']})")


def app_row(figure: dict[str, Any]) -> str:
    fps = "-" if figure["fps"] is None else f"{figure['fps']:.1f} frames/s"
    return f"the app, {figure['particles']} particles, layout {figure['layout']}: {fps}  ({figure['note']})"
