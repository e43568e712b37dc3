"""The desktop app's frame rate for ``python main.py bench`` (memscape.gui.bench runs
:func:`measure_fps` in a child process, so the bench itself never imports Qt)."""
from __future__ import annotations

import json
import os
import time


def measure_fps(particles: int, seconds: float, layout: int = 1, warmup_s: float = 1.0) -> None:
    """Build the main window (default preset, ``layout`` 1, 2 or 3 as its keys choose, 1500 x
    920) with ``particles`` particles, the worker at the app's top speed of 120 steps/s, count
    the frames it draws in ``seconds`` after ``warmup_s``, print {"fps", "note"} as JSON and
    exit at once."""
    from PyQt6 import QtCore, QtWidgets

    from memscape.engine.presets import DEFAULT_PRESET, load_preset
    from memscape.gui.app import make_application

    app = make_application(["memscape-bench"])
    from memscape.gui.main_window import MainWindow

    params = load_preset(DEFAULT_PRESET)
    params = params.replace(particles=particles, steps=max(params.steps, int(200 * (warmup_s + seconds))))
    window = MainWindow(DEFAULT_PRESET, params)
    window.worker.send("speed", 120.0)
    stamps: list[float] = []
    draw = window.show_frame

    def counted(*a):
        draw(*a)
        stamps.append(time.perf_counter())

    window.show_frame = counted
    window.resize(1500, 920)
    window.show()
    window._apply_layout(layout)
    shown: list[str] = []

    def note_views():  # once the layout is on screen
        shown.extend(window.docks[name].windowTitle() for name in window.docks
                     if window.in_sight(name) and name not in ("controls", "explanation"))

    QtCore.QTimer.singleShot(int(warmup_s * 1000), note_views)
    QtCore.QTimer.singleShot(int((warmup_s + seconds) * 1000), app.quit)
    t_end = time.perf_counter() + warmup_s + seconds
    app.exec()
    drawn = [t for t in stamps if t >= t_end - seconds]
    fps = (len(drawn) - 1) / (drawn[-1] - drawn[0]) if len(drawn) >= 2 else None
    note = (f"{DEFAULT_PRESET} preset, {params.model}, layout {layout} ({', '.join(shown)}), 1500x920, "
            f"Qt platform {QtWidgets.QApplication.platformName()}")
    print(json.dumps({"fps": fps, "note": note}), flush=True)
    os._exit(0)  # the worker thread and GL teardown are not what is measured
