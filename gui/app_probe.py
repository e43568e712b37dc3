"""The desktop app measured as it runs, for ``python main.py bench``: its frame rate
(:func:`measure_fps`) and a soak (:func:`soak`: playing and resetting, memory, threads and
timers sampled every second). memscape.gui.bench runs each in a child process, so the bench
itself never imports Qt; each prints one line of JSON and exits at once."""
from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import threading
import time

from memscape.engine.atomic_files import write_bytes_atomic


def _window(particles: int, steps: int, layout: int):
    """(app, window): the main window on the default preset with ``particles`` particles and a
    run of ``steps`` steps, 1500 x 920 in ``layout`` (1, 2 or 3 as its keys choose), the worker
    at the app's top speed of 120 steps/s."""
    from memscape.engine.presets import DEFAULT_PRESET, load_preset
    from memscape.gui.app import make_application

    app = make_application(["memscape-bench"])
    from memscape.gui.main_window import MainWindow

    params = load_preset(DEFAULT_PRESET).replace(particles=particles, steps=steps)
    window = MainWindow(DEFAULT_PRESET, params)
    window.worker.send("speed", 120.0)
    window.resize(1500, 920)
    window.show()
    window._apply_layout(layout)
    return app, window


def measure_fps(particles: int, seconds: float, layout: int = 1, warmup_s: float = 1.0,
                profile: str | None = None) -> None:
    """Count the frames the window draws in ``seconds`` after ``warmup_s`` (a run long enough
    not to end meanwhile) and print {"fps", "note"}; with ``profile``, cProfile's table of the
    GUI thread's calls (by internal time, then cumulative; the simulation thread is not in it)
    goes to that file."""
    from PyQt6 import QtCore, QtWidgets

    from memscape.engine.presets import DEFAULT_PRESET
    from memscape.gui.density import shows_density

    app, window = _window(particles, int(200 * (warmup_s + seconds)), layout)
    stamps: list[float] = []
    draw = window.show_frame

    def counted(*a):
        draw(*a)
        stamps.append(time.perf_counter())

    window.show_frame = counted
    shown: list[str] = []

    def note_views():  # once the layout is on screen
        shown.extend(window.docks[name].windowTitle() for name in window.docks
                     if window.in_sight(name) and name not in ("controls", "explanation"))

    QtCore.QTimer.singleShot(int(warmup_s * 1000), note_views)
    QtCore.QTimer.singleShot(int((warmup_s + seconds) * 1000), app.quit)
    t_end = time.perf_counter() + warmup_s + seconds
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    app.exec()
    if profiler is not None:
        profiler.disable()
        table = io.StringIO()
        for key in ("tottime", "cumulative"):
            pstats.Stats(profiler, stream=table).sort_stats(key).print_stats(40)
        write_bytes_atomic(profile, table.getvalue().encode())
    drawn = [t for t in stamps if t >= t_end - seconds]
    fps = (len(drawn) - 1) / (drawn[-1] - drawn[0]) if len(drawn) >= 2 else None
    drawn_as = "their density" if shows_density(particles) else "points"
    note = (f"{DEFAULT_PRESET} preset, {window.params.model}, layout {layout} ({', '.join(shown)}), 1500x920, "
            f"particles drawn as {drawn_as}, Qt platform {QtWidgets.QApplication.platformName()}")
    print(json.dumps({"fps": fps, "note": note}), flush=True)
    os._exit(0)  # the worker thread and GL teardown are not what is measured


def resident_mb() -> float | None:
    """This process's resident memory in MB (Linux: /proc; elsewhere None)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError, IndexError):
        return None


def soak(particles: int, seconds: float, reset_every: float = 2.0, layout: int = 1) -> None:
    """Play the default preset and press Reset (and Play) every ``reset_every`` seconds for
    ``seconds``; every second sample the resident memory, the threads and the live QTimers,
    then print {"t", "rss_mb", "threads", "timers", "resets", "frames"}."""
    from PyQt6 import QtCore

    app, window = _window(particles, 40, layout)
    samples = {"t": [], "rss_mb": [], "threads": [], "timers": [], "resets": 0, "frames": 0}
    start = time.monotonic()
    draw = window.show_frame

    def counted(*a):
        draw(*a)
        samples["frames"] += 1

    window.show_frame = counted

    def sample():
        samples["t"].append(round(time.monotonic() - start, 2))
        samples["rss_mb"].append(resident_mb())
        tasks = "/proc/self/task"  # every thread of the process, Qt's and the libraries' too
        samples["threads"].append(len(os.listdir(tasks)) if os.path.isdir(tasks) else threading.active_count())
        samples["timers"].append(len(app.findChildren(QtCore.QTimer)) + len(window.findChildren(QtCore.QTimer)))

    def reset():
        samples["resets"] += 1
        window.worker.send("reset")
        window.worker.send("play", True)

    window.worker.send("play", True)
    every_second = QtCore.QTimer(interval=1000, timeout=sample)
    resets = QtCore.QTimer(interval=int(reset_every * 1000), timeout=reset)
    every_second.start()
    resets.start()
    QtCore.QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    print(json.dumps(samples), flush=True)
    os._exit(0)
