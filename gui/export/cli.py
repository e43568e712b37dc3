"""``python main.py export``: render a trajectory video (mp4, gif, PNG frames) with no window.

    python main.py export --preset two-wells --out clip.mp4 --view 2d --size 1280x720 --fps 30 --seconds 5

A run of the parameters (memscape.engine.run.Run, what the window runs) is stepped to its
end and its recording rendered by the GUI's own views, hidden
(:mod:`memscape.gui.export.frame_renderer`, the same code the Export video dialog runs), so
the picture equals the app's for the same settings. 2D views render on the
offscreen Qt platform; the 3D view needs OpenGL, so with no display an Xvfb server
is started for the export when one is installed. A progress line goes to stderr.
Exit codes: 0 written, 2 bad arguments or parameters, 1 the export failed (nothing
is left behind and an existing file is kept).

Qt is imported only inside :func:`run`.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

from memscape.engine.cli.simulate import add_param_arguments
from memscape.engine.presets import DEFAULT_PRESET
from memscape.gui.export.settings import OVERLAYS, RESOLUTIONS, VIEWS, RenderSettings

EXIT_FAILED, EXIT_USAGE = 1, 2


def _size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720); also the names 720p, 1080p and 4K."""
    named = {name.lower(): size for name, size in RESOLUTIONS.items()}
    if text.lower() in named:
        return named[text.lower()]
    w, sep, h = text.lower().partition("x")
    try:
        size = (int(w), int(h))
    except ValueError:
        size = None
    if not sep or size is None or min(size) < 16 or max(size) > 8192:
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT between 16 and 8192, e.g. 1280x720")
    return size


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive number")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default=DEFAULT_PRESET,
                        help=f"built-in preset name or path to a preset .toml (default: {DEFAULT_PRESET})")
    parser.add_argument("--out", required=True, metavar="FILE.mp4|FILE.gif|FOLDER",
                        help="video to write: .mp4 (H.264), .gif, or a folder name for PNG frames")
    parser.add_argument("--view", choices=VIEWS, default="2d", help="which view to film (default: 2d)")
    parser.add_argument("--size", type=_size, default=(1280, 720), metavar="WxH",
                        help="frame size in pixels, or 720p/1080p/4K (default: 1280x720)")
    parser.add_argument("--fps", type=_positive, default=30.0, help="frames per second (default: 30)")
    parser.add_argument("--seconds", type=_positive, default=5.0, help="length of the video (default: 5)")
    parser.add_argument("--orbit", type=float, default=0.0, metavar="DEG_PER_SECOND",
                        help="3D view: turn the camera by this many degrees per second")
    parser.add_argument("--title", default="", help="title drawn in the top left corner")
    parser.add_argument("--no-overlays", dest="overlays", action="store_false",
                        help="no title, parameter readout, step or sigma on the frames")
    parser.add_argument("--force", action="store_true",
                        help="PNG frames: write into a folder that holds other files (they are kept; "
                             "only frame_NNNNN.png files are replaced)")
    add_param_arguments(parser)


class ProgressLine:
    """A one-line terminal progress bar on stderr, redrawn with a carriage return."""

    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream, self.width, self._last = stream, width, None

    def update(self, phase: str, done: int, total: int) -> None:
        filled = self.width * done // max(total, 1)
        line = f"\r{phase:<11} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"
        if line != self._last:
            self.stream.write(line)
            self.stream.flush()
            self._last = line

    def finish(self) -> None:
        if self._last is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._last = None


@contextlib.contextmanager
def headless_display(view: str) -> Iterator[None]:
    """Choose the Qt platform before the QApplication exists: an existing display or
    QT_QPA_PLATFORM as set; else offscreen for 2D views, and for the 3D view (which needs
    OpenGL, which the offscreen platform lacks) a private Xvfb server when one is installed."""
    if os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        yield
        return
    xvfb = shutil.which("Xvfb") if view == "3d" else None
    if xvfb is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # 3D then fails with a clear message
        yield
        return
    read, write = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as fh:
            number = fh.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start, so there is no OpenGL context for the 3D view")
        os.environ["DISPLAY"] = f":{number}"
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run(args: argparse.Namespace) -> int:
    from memscape.engine.cli.simulate import build_params
    from memscape.engine.params import ParamError
    from memscape.gui.export.video_writer import ExportError, check_output, encoded_size, format_for_path

    try:
        params = build_params(args)
        fmt = format_for_path(args.out)
        check_output(args.out, fmt, args.force)  # before any work: a refused target costs nothing
        settings = RenderSettings(view=args.view, size=encoded_size(fmt, args.size), fps=args.fps,
                                  seconds=args.seconds, title=args.title,
                                  overlays=OVERLAYS if args.overlays else (), orbit=args.orbit)
    except (ParamError, ExportError, ValueError, OSError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    try:
        with headless_display(args.view):
            code = _export(args.out, params, fmt, settings, args.force, Path(args.preset).stem)
    except RuntimeError as exc:
        return _fail(str(exc), EXIT_FAILED)
    if code == 0:
        w, h = settings.size
        print(f"wrote {args.out}: {settings.frame_count} frames, {w}x{h}, {settings.fps:g} fps ({settings.view} view)")
    return code


def _export(out: str, params, fmt: str, settings: RenderSettings, force: bool = False, label: str = "") -> int:
    """Make the QApplication as the app does (GL format first, the normal theme) and run the
    export job with a progress line."""
    from PyQt6 import QtCore, QtWidgets

    from memscape.engine.backend import BackendError
    from memscape.engine.simulation import DivergenceError
    from memscape.gui.export.frame_renderer import check_view_possible, export_params_job
    from memscape.gui.export.video_writer import ExportError
    from memscape.gui.theme import apply_theme

    QtCore.qInstallMessageHandler(_qt_message)
    app = QtWidgets.QApplication.instance()
    if app is None:
        from memscape.gui.gl.surface_format import configure_default_format

        configure_default_format()  # as gui/app.py: the GL format must precede the QApplication
        app = QtWidgets.QApplication(["memscape-export"])
    apply_theme(app, presenter=False)
    bar = ProgressLine()
    try:
        check_view_possible(settings.view)
        for progress in export_params_job(params, settings, out, fmt, force=force, label=label):
            bar.update(*progress)
    except DivergenceError as exc:
        return _fail(f"the simulation diverged at {exc}", EXIT_FAILED, bar)
    except (ExportError, BackendError, RuntimeError) as exc:
        return _fail(str(exc), EXIT_FAILED, bar)
    except KeyboardInterrupt:
        return _fail("interrupted; nothing was written", EXIT_FAILED, bar)
    bar.finish()
    return 0


def _qt_message(kind, context, message: str) -> None:
    """Qt's messages to stderr, less the offscreen platform's note that hidden windows
    have no size hints (it says nothing about the export)."""
    if "does not support propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def _fail(message: str, code: int, bar: ProgressLine | None = None) -> int:
    if bar is not None:
        bar.finish()
    print(f"memscape export: error: {message}", file=sys.stderr)
    return code
