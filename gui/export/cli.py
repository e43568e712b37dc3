"""``python main.py export``: render a trajectory video (mp4, gif, PNG frames) with no window.

    python main.py export --preset two-wells --out clip.mp4 --view 2d --size 1280x720 --fps 30 --seconds 5

A run of the parameters (memscape.engine.run.Run, what the window runs) is stepped to its
end and its recording rendered by the GUI's own views, hidden
(:mod:`memscape.gui.export.frame_renderer`, the same code the Export video dialog runs), so
the picture equals the app's for the same settings. On Linux with no display, 2D views
render on the offscreen Qt platform, and the 3D view, which needs OpenGL, on a private
Xvfb server started for the export when one is installed (it dies with the export, even a
killed one, and its errors are reported); elsewhere the native platform renders
offscreen. A progress line goes to stderr.

Before any work the target is checked (:func:`gui.export.video_writer.check_output`),
and the video's frames and pixels and the run's memory and work are checked against
:mod:`engine.limits`. SIGINT, SIGTERM and SIGHUP stop the export between two frames
(:func:`engine.interrupts.deferred_signals`: raised inside Qt's painting they were
swallowed or crashed the 3D view); the temporary file goes, an existing file stays.
Exit codes: 0 written, 2 bad arguments or parameters, 1 the export failed (nothing
is left behind and an existing file is kept), 130 / 143 / 129 ended by a signal.

Qt is imported only inside :func:`run`.
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

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
    value = _finite(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive number")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a finite number")
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
    parser.add_argument("--orbit", type=_finite, default=0.0, metavar="DEG_PER_SECOND",
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

    def __init__(self, stream=None, width: int = 30):
        self.stream, self.width, self._last = stream or sys.stderr, width, None

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


#: prctl(2) option: the signal the kernel sends a child when its parent process dies
PR_SET_PDEATHSIG = 1
#: how long a private Xvfb may take to say which display it opened
XVFB_START_SECONDS = 30.0


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes Linux send SIGTERM to the child when this process dies
    (prctl PR_SET_PDEATHSIG), so a private Xvfb never outlives its export, even one ended
    by SIGKILL; None where libc has no prctl."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the export died before prctl took effect
            os._exit(1)

    return preexec


@contextlib.contextmanager
def headless_display(view: str) -> Iterator[None]:
    """Choose the Qt platform before the QApplication exists: an existing display,
    QT_QPA_PLATFORM as set, or the native platform off Linux; on Linux with no display
    the offscreen platform for 2D views and for the 3D view (which needs OpenGL, which the
    offscreen platform lacks) a private Xvfb server when one is installed. The Xvfb dies
    with this process (:func:`_die_with_parent`); what it writes to stderr is reported when
    it fails to start or exits early. The environment is restored on leaving."""
    saved = {k: os.environ.get(k) for k in ("QT_QPA_PLATFORM", "DISPLAY")}
    chosen = any(os.environ.get(k) for k in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"))
    try:
        if chosen or not sys.platform.startswith("linux"):
            yield
        elif view != "3d" or shutil.which("Xvfb") is None:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"  # 3D then fails with a clear message
            yield
        else:
            with _private_xvfb(shutil.which("Xvfb")) as display:
                os.environ["DISPLAY"] = display
                os.environ["QT_QPA_PLATFORM"] = "xcb"
                yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _private_xvfb(xvfb: str) -> Iterator[str]:
    """Start Xvfb on a free display (-displayfd) and yield its name, ':N'; stop it on leaving."""
    log = tempfile.TemporaryFile()
    read, write = os.pipe()
    proc = None
    try:
        proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                                pass_fds=(write,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log, preexec_fn=_die_with_parent())
        os.close(write)
        write = -1
        number = _read_line(read, XVFB_START_SECONDS)
        if not number.isdigit():
            raise RuntimeError("Xvfb did not start, so there is no OpenGL context for the 3D view"
                               + _last_words(proc, log))
        yield f":{number}"
        if proc.poll() is not None:
            print(f"memscape export: warning: Xvfb ended during the export{_last_words(proc, log)}", file=sys.stderr)
    finally:
        for fd in (read, write):
            if fd >= 0:
                os.close(fd)
        if proc is not None:
            _stop(proc)
        log.close()


def _read_line(fd: int, timeout: float) -> str:
    """The first line written to the pipe ``fd`` (stripped), or what came before it closed
    or ``timeout`` seconds passed."""
    data, end = b"", time.monotonic() + timeout
    while b"\n" not in data:
        ready, _, _ = select.select([fd], [], [], max(end - time.monotonic(), 0))
        chunk = os.read(fd, 64) if ready else b""
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].decode("ascii", "replace").strip()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _last_words(proc: subprocess.Popen, log) -> str:
    """': ' and the last line Xvfb wrote to stderr (with its exit code when it has ended)."""
    if proc.poll() is None:
        _stop(proc)
    log.seek(0)
    lines = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
    code = f" (exit code {proc.returncode})" if proc.returncode is not None else ""
    return f"{code}: Xvfb says {lines[-1]!r}" if lines else code


def run(args: argparse.Namespace) -> int:
    from memscape.engine.backend import BackendError
    from memscape.engine.cli.simulate import build_params
    from memscape.engine.params import ParamError
    from memscape.gui.export.video_writer import ExportError, check_output, encoded_size, format_for_path

    try:
        fmt = format_for_path(args.out)
        check_output(args.out, fmt, args.force)  # before any work: a refused target costs nothing
        params = build_params(args, note=lambda line: print(f"memscape export: note: {line}", file=sys.stderr))
        settings = RenderSettings(view=args.view, size=encoded_size(fmt, args.size), fps=args.fps,
                                  seconds=args.seconds, title=args.title,
                                  overlays=OVERLAYS if args.overlays else (), orbit=args.orbit)
        _check_run(params, settings)
    except (ParamError, ExportError, BackendError, ValueError, OSError) as exc:
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


def _check_run(params, settings: RenderSettings) -> None:
    """Refuse a video beyond the frame and pixel limits (:func:`engine.limits.check_video`) and
    an export whose run and maps cannot fit in memory or would take absurdly long
    (:func:`engine.limits.export_estimate`; the maps as the app draws them, at most
    GRID_RESOLUTION^2 points)."""
    from memscape.engine import limits
    from memscape.engine.backend import get_backend
    from memscape.engine.run.recording import DEFAULT_BUDGET
    from memscape.engine.run.run import GRID_RESOLUTION, partner_params

    limits.check_video(settings.frame_count, settings.size)
    estimate = limits.export_estimate(params, partner_params(params), settings.size, GRID_RESOLUTION ** 2,
                                      DEFAULT_BUDGET)
    limits.check_estimate(estimate, "this export", get_backend(params.backend, params.precision).name)


def _export(out: str, params, fmt: str, settings: RenderSettings, force: bool = False, label: str = "") -> int:
    """Make the QApplication as the app does (GL format first, the normal theme) and run the
    export job with a progress line; a signal stops it between two frames (module docstring)."""
    from PyQt6 import QtCore, QtWidgets

    from memscape.engine.backend import BackendError
    from memscape.engine.interrupts import deferred_signals
    from memscape.engine.simulation import DivergenceError
    from memscape.gui.export.frame_renderer import check_view_possible, export_params_job
    from memscape.gui.export.video_writer import ExportError
    from memscape.gui.theme import apply_theme

    bar = ProgressLine()
    with deferred_signals() as guard:
        QtCore.qInstallMessageHandler(_qt_message)
        app = QtWidgets.QApplication.instance()
        if app is None:
            from memscape.gui.gl.surface_format import configure_default_format

            configure_default_format()  # as gui/app.py: the GL format must precede the QApplication
            app = QtWidgets.QApplication(["memscape-export"])
        apply_theme(app, presenter=False)
        try:
            check_view_possible(settings.view)
            job = export_params_job(params, settings, out, fmt, force=force, label=label)
            with contextlib.closing(job):
                for progress in job:  # closing: an interrupt removes the temporary file at once
                    guard.check()
                    bar.update(*progress)
        except DivergenceError as exc:
            return _fail(f"the simulation diverged at {exc}", EXIT_FAILED, bar)
        except (ExportError, BackendError, RuntimeError) as exc:
            return _fail(str(exc), EXIT_FAILED, bar)
        except MemoryError:
            return _fail("this export ran out of memory; use fewer steps, particles or frames", EXIT_FAILED, bar)
        finally:
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
