"""The video export timed end to end, for ``python main.py bench``: :func:`export_fps` renders
and encodes a fixed recorded run to an mp4 in a throw-away folder and prints one line of JSON.
memscape.gui.bench runs it in a child process (``bench --export-probe VIEW WIDTH HEIGHT``), as
it does the app's frame rate, so the bench itself never imports Qt.
"""
from __future__ import annotations

import json
import os
import tempfile
import time

from memscape.engine.presets import DEFAULT_PRESET, load_preset

SECONDS = 3.0  #: the video's length; at FPS frames a second
FPS = 30.0


def export_fps(view: str, width: int, height: int) -> dict:
    """Export the default preset's run (stepped to its end first, not timed) as an mp4 of
    ``view`` at ``width`` x ``height``, SECONDS at FPS: {"fps": frames / seconds from the
    writer's opening to the file's commit, "render_ms" and "encode_ms": the median frame's
    drawing (the view and the overlays, into the array passed on) and the encoder's wait on
    the GUI thread, "frames", "note"}."""
    import numpy as np
    from PyQt6 import QtWidgets

    from memscape.engine.run import Run
    from memscape.gui.app import make_application
    from memscape.gui.export.frame_renderer import export_job
    from memscape.gui.export.settings import RenderSettings
    from memscape.gui.export.video_writer import VideoWriter
    from memscape.gui.theme import apply_theme

    app = make_application(["memscape-bench"])
    apply_theme(app, presenter=False)
    params = load_preset(DEFAULT_PRESET).replace(backend="numpy")
    run = Run(params, label=DEFAULT_PRESET)
    run.run_to_end()
    settings = RenderSettings(view=view, size=(width, height), fps=FPS, seconds=SECONDS, title=DEFAULT_PRESET)
    timings = {"render": [], "encode": []}
    write = VideoWriter.write

    def timed_write(writer, *frame):  # the time the GUI thread spends handing a frame on
        t = time.perf_counter()
        write(writer, *frame)
        timings["encode"].append(time.perf_counter() - t)

    VideoWriter.write = timed_write
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = last = time.perf_counter()
            frames = 0
            for progress in export_job(run.snapshot(), run.meta, settings, os.path.join(tmp, "bench.mp4")):
                now = time.perf_counter()
                timings["render"].append(now - last - (timings["encode"][-1] if timings["encode"] else 0.0))
                last, frames = now, progress.done
            seconds = time.perf_counter() - start
    finally:
        VideoWriter.write = write
    note = (f"{DEFAULT_PRESET} preset ({params.particles} particles, {params.steps} steps), {view}, "
            f"{width}x{height}, {frames} frames, mp4, Qt platform {QtWidgets.QApplication.platformName()}")
    return {"fps": frames / seconds, "frames": frames,
            "render_ms": 1000 * float(np.median(timings["render"][1:])),
            "encode_ms": 1000 * float(np.median(timings["encode"][1:])), "note": note}


def main(view: str, width: int, height: int) -> None:
    print(json.dumps(export_fps(view, width, height)), flush=True)
    os._exit(0)  # GL teardown is not what is measured
