"""Encode RGB frames to mp4 (H.264), gif or a PNG sequence with PyAV, atomically.

No Qt here: frames are ``(height, width, 3)`` uint8 arrays. Every format writes to a
temporary file (or folder, for PNG) next to the target through
:func:`engine.atomic_files.atomic_path`: closed in ``finally``, flushed to disk and only
then renamed over the target. A cancelled or failed export therefore leaves no partial
file and never touches an existing good one. A PNG sequence never deletes or overwrites
anything it did not write: a folder that holds anything but an earlier export's frames
is refused unless ``force`` is given, and even then only frame files are replaced
(:func:`check_frame_folder`). Failures are :class:`ExportError` with a one-line message
naming the path and the cause.

Speed: mp4 and PNG frames are converted (PyAV's swscale, from RGB or from Qt's 32-bit pixels
as they lie in a QImage, :data:`QIMAGE_RGB32`) and encoded in one encoder thread beside the
caller, which meanwhile renders the next frame (PyAV lets go of the GIL in both), at most
:data:`IN_FLIGHT` frames ahead, so frames never pile up; H.264 uses x264's "ultrafast" preset
(:data:`X264_OPTIONS`) and its own threads.
"""
from __future__ import annotations

import collections
import contextlib
import os
import re
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np

from memscape.engine.atomic_files import TEMP_SUFFIX, atomic_path, check_target, os_error_message
from memscape.gui.export.gif import GifClip

FORMATS = ("mp4", "gif", "png")
#: the PyAV encoder each format needs
ENCODERS = {"mp4": "libx264", "gif": "gif", "png": "png"}
#: x264's speed preset: "ultrafast" leaves the rendering most of a 2-core machine (a 720p 3D
#: export went from 20 to 23-35 frames/s against "veryfast"); at crf 18 its frames are as close
#: to the rendered ones (PSNR 34-35 dB against 33.5-34, the 4:2:0 chroma dominating both), in
#: files about 2.5 times larger (1 MB a second of 720p)
X264_OPTIONS = {"crf": "18", "preset": "ultrafast"}
#: the PyAV pixel format of a QImage.Format_RGB32's bytes (0xffRRGGBB words in native order)
QIMAGE_RGB32 = "bgra" if sys.byteorder == "little" else "argb"
IN_FLIGHT = 2  #: frames handed to the encoder thread and not yet encoded, at most


class ExportError(RuntimeError):
    """An export that cannot be done; the message is one line for the user."""


def format_for_path(path: str | os.PathLike) -> str:
    """'clip.mp4' -> 'mp4', 'clip.gif' -> 'gif'; a name without suffix is a PNG-sequence folder."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("mp4", "gif"):
        return suffix
    if suffix == "":
        return "png"
    raise ExportError(f"{path}: unknown video format {suffix!r}; use .mp4, .gif or a folder name for PNG frames")


def encoded_size(fmt: str, size: tuple[int, int]) -> tuple[int, int]:
    """The frame size the format stores: H.264 in yuv420p needs even sides, so odd ones round up."""
    w, h = size
    if fmt == "mp4":
        return w + w % 2, h + h % 2
    return w, h


#: the names of a PNG sequence's frames (what an export may replace in an existing folder)
FRAME_NAME = re.compile(r"frame_\d{5,}\.png")


def frame_name(k: int) -> str:
    return f"frame_{k:05d}.png"


def is_frame_file(name: str) -> bool:
    """Whether ``name`` is a frame of a PNG sequence this app writes."""
    return FRAME_NAME.fullmatch(name) is not None


def check_frame_folder(path: str | os.PathLike, force: bool = False) -> None:
    """Raise ExportError unless a PNG sequence may be written to the folder ``path``: it does
    not exist, is empty, or holds only an earlier export's frames; with ``force`` any folder
    (its other files stay; only frame files are replaced). A file, a link or a device there
    is always refused."""
    path = Path(path)
    if not os.path.lexists(path):
        return
    if path.is_symlink() or not path.is_dir():
        raise ExportError(f"cannot write {path}: it exists and is not a folder (PNG frames go into a folder)")
    foreign = sorted(p.name for p in path.iterdir() if not (is_frame_file(p.name) or p.name.endswith(TEMP_SUFFIX)))
    if foreign and not force:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ExportError(f"cannot write {path}: the folder holds other files ({shown}); choose an empty or "
                          f"new folder, or force it (its other files are kept, frame files replaced)")


def check_output(path: str | os.PathLike, fmt: str, force: bool = False) -> None:
    """Raise ExportError unless ``path`` may receive a ``fmt`` export: its folder exists, and it
    is a new path or a regular file (mp4, gif) or a folder that :func:`check_frame_folder` allows."""
    path = Path(path)
    try:
        check_target(path, folder=fmt == "png")
    except OSError as exc:
        raise ExportError(os_error_message(path, exc)) from None
    if fmt == "png":
        check_frame_folder(path, force)


def check_encoder(fmt: str) -> None:
    """Raise ExportError when this PyAV build lacks the encoder ``fmt`` needs."""
    import av

    name = ENCODERS[fmt]
    try:
        av.codec.Codec(name, "w")
    except Exception:  # PyAV raises UnknownCodecError (its own class) for a missing encoder
        raise ExportError(f"{fmt}: this PyAV build has no {name!r} encoder; "
                          f"install a PyAV wheel with {name} (pip install av)") from None


class VideoWriter:
    """Write frames of one size to ``path`` as ``fmt`` ("mp4", "gif" or "png" folder).

    Use as a context manager: leaving the block normally commits (fsync + rename over the
    target), leaving it by an exception (a cancel, a failure, an interrupt) removes the
    temporary output. ``size`` is (width, height) of the frames to pass; see
    :func:`encoded_size`. ``force``: a PNG folder that holds other files is written
    anyway (see :func:`check_frame_folder`).
    """

    def __init__(self, path: str | os.PathLike, fmt: str, size: tuple[int, int], fps: float,
                 force: bool = False):
        if fmt not in FORMATS:
            raise ExportError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        w, h = size
        if w < 2 or h < 2:
            raise ExportError(f"frame size {w}x{h} is too small")
        if not fps > 0:
            raise ExportError(f"frames per second must be positive, got {fps}")
        check_encoder(fmt)
        self.path = Path(path)
        self.fmt = fmt
        self.size = encoded_size(fmt, size)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.force = force
        self.frames_written = 0
        self._stack = contextlib.ExitStack()
        self._tmp: Path | None = None
        self._container = None
        self._stream = None
        self._png = None
        self._gif: GifClip | None = None
        self._encoder: ThreadPoolExecutor | None = None  #: the encoder thread (mp4, png)
        self._in_flight: collections.deque[Future] = collections.deque()

    # -- lifecycle --------------------------------------------------------------
    def __enter__(self) -> "VideoWriter":
        try:
            self._open()
        except BaseException as exc:
            self._end(exc)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                if self.frames_written == 0:
                    raise ExportError(f"cannot write {self.path}: no frames were rendered")
                self._guard(self._close_container)
        except BaseException as failure:
            self._close_quietly()
            self._end(failure)
            raise
        if exc is not None:
            self._close_quietly()
        self._end(exc)  # commit, or remove the temporary

    def _end(self, exc: BaseException | None) -> None:
        """Leave the temporary output's context: rename it over the target when ``exc`` is
        None, else remove it."""
        try:
            self._stack.__exit__(type(exc) if exc is not None else None, exc,
                                 exc.__traceback__ if exc is not None else None)
        except OSError as e:
            raise ExportError(os_error_message(self.path, e)) from e

    def _guard(self, action):
        """Run ``action()``; OS errors (PyAV's included) become one-line ExportErrors."""
        try:
            return action()
        except OSError as e:
            raise ExportError(os_error_message(self.path, e)) from e

    def _open(self) -> None:
        import av

        folder = self.path.parent if str(self.path.parent) else Path(".")
        if not folder.is_dir():
            raise ExportError(f"cannot write {self.path}: the folder {folder} does not exist")
        check_output(self.path, self.fmt, self.force)
        if self.fmt == "png":
            self._tmp = self._guard(lambda: self._stack.enter_context(
                atomic_path(self.path, folder=True, removable=is_frame_file)))
            self._png = av.CodecContext.create("png", "w")
            self._png.width, self._png.height = self.size
            self._png.pix_fmt = "rgb24"
            self._encoder = ThreadPoolExecutor(1, thread_name_prefix="memscape-encoder")
            return
        self._tmp = self._guard(lambda: self._stack.enter_context(atomic_path(self.path)))
        options = {"movflags": "faststart"} if self.fmt == "mp4" else {}
        self._container = self._guard(lambda: av.open(str(self._tmp), "w", format=self.fmt,
                                                         container_options=options))
        stream = self._container.add_stream(ENCODERS[self.fmt], rate=self.fps)
        stream.width, stream.height = self.size
        if self.fmt == "mp4":
            stream.pix_fmt = "yuv420p"
            stream.options = dict(X264_OPTIONS)
            stream.codec_context.thread_type = "AUTO"
            self._encoder = ThreadPoolExecutor(1, thread_name_prefix="memscape-encoder")
        else:
            stream.pix_fmt = "pal8"
            self._gif = GifClip(self.size, self.fps)  # one palette for the clip, encoded at the end
        self._stream = stream

    def write(self, pixels: np.ndarray, pixel_format: str = "rgb24") -> None:
        """Encode one frame: (height, width, 3) uint8 RGB, or with ``pixel_format``
        :data:`QIMAGE_RGB32` (height, width, 4) uint8 as a QImage.Format_RGB32 holds it. The
        pixels are copied before this returns; the frame is encoded in the encoder thread
        (mp4, png), whose failure is raised by a later write or the close."""
        import av

        w, h = self.size
        channels = {"rgb24": 3, QIMAGE_RGB32: 4}.get(pixel_format)
        if channels is None:
            raise ValueError(f"pixel format must be rgb24 or {QIMAGE_RGB32}, got {pixel_format!r}")
        if pixels.shape != (h, w, channels) or pixels.dtype != np.uint8:
            raise ValueError(f"frame must be ({h}, {w}, {channels}) uint8, got {pixels.shape} {pixels.dtype}")
        if self.fmt == "gif":
            rgb = pixels if channels == 3 else av.VideoFrame.from_ndarray(pixels, format=pixel_format).to_ndarray(
                format="rgb24")
            self._guard(lambda: self._gif.add(np.ascontiguousarray(rgb)))
        else:
            frame = av.VideoFrame.from_ndarray(pixels, format=pixel_format)  # the copy the thread works on
            frame.pts = self.frames_written
            while len(self._in_flight) >= IN_FLIGHT:
                self._guard(self._in_flight.popleft().result)
            self._in_flight.append(self._encoder.submit(self._encode, frame, self.frames_written))
        self.frames_written += 1

    def _encode(self, frame, k: int) -> None:
        """The encoder thread: frame k converted and encoded (and written, for PNG)."""
        if self.fmt == "png":
            data = b"".join(bytes(p) for p in self._png.encode(frame.reformat(format="rgb24")))
            (self._tmp / frame_name(k)).write_bytes(data)
        else:
            self._container.mux(self._stream.encode(frame))

    def _drain(self, wait: bool = True) -> None:
        """End the encoder thread; with ``wait`` after the frames handed to it, raising the
        first failure, else dropping those not begun (a cancel or a failure elsewhere)."""
        encoder, self._encoder = self._encoder, None
        if encoder is None:
            return
        try:
            while wait and self._in_flight:
                self._guard(self._in_flight.popleft().result)
        finally:
            self._in_flight.clear()
            encoder.shutdown(wait=True, cancel_futures=True)

    def _close_container(self) -> None:
        """Flush the encoder and close the file; always closes, even when flushing fails."""
        self._drain()
        container, self._container = self._container, None
        if container is None:
            return
        try:
            if self._gif is not None:
                for k, frame in enumerate(self._gif.frames()):
                    frame.pts = k
                    container.mux(self._stream.encode(frame))
            if self._stream is not None:
                container.mux(self._stream.encode(None))
        finally:
            container.close()
            self._close_gif()

    def _close_quietly(self) -> None:
        """Close whatever is open when already failing (the temporary output goes next)."""
        with contextlib.suppress(Exception):
            self._drain(wait=False)
        container, self._container = self._container, None
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()
        self._close_gif()

    def _close_gif(self) -> None:
        gif, self._gif = self._gif, None
        if gif is not None:
            gif.close()
