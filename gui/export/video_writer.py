"""Encode RGB frames to mp4 (H.264), gif or a PNG sequence with PyAV, atomically.

No Qt here: frames are ``(height, width, 3)`` uint8 arrays. Every format writes
to a temporary file (or folder, for PNG) next to the target, is closed in
``finally``, flushed to disk with fsync and only then renamed over the target
with ``os.replace``. A cancelled or failed export therefore leaves no partial
file and never touches an existing good one. Failures are :class:`ExportError`
with a one-line message naming the path and the cause.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

FORMATS = ("mp4", "gif", "png")
#: the PyAV encoder each format needs
ENCODERS = {"mp4": "libx264", "gif": "gif", "png": "png"}


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


def os_error_message(path: str | os.PathLike, exc: BaseException) -> str:
    """One line for an OSError (or PyAV's errno-carrying errors): 'cannot write PATH: reason'."""
    code = getattr(exc, "errno", None)
    reason = os.strerror(code) if isinstance(code, int) and code > 0 else (getattr(exc, "strerror", None) or str(exc))
    if code == errno.ENOSPC:
        reason = "the disk is full (no space left on device)"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"the folder is not writable ({reason.lower()})"
    return f"cannot write {path}: {reason}"


def check_encoder(fmt: str) -> None:
    """Raise ExportError when this PyAV build lacks the encoder ``fmt`` needs."""
    import av

    name = ENCODERS[fmt]
    try:
        av.codec.Codec(name, "w")
    except Exception:  # PyAV raises UnknownCodecError (its own class) for a missing encoder
        raise ExportError(f"{fmt}: this PyAV build has no {name!r} encoder; "
                          f"install a PyAV wheel with {name} (pip install av)") from None


def _fsync_path(path: Path) -> None:
    """Flush one file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def gif_palette(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantise one RGB frame to 256 colours for GIF: the palette is the 256 most frequent
    colours at 5 bits per channel, and every colour of the frame maps to its nearest palette entry
    (squared RGB distance) through a 32768-entry table.
    Returns (indices (h, w) uint8, palette (256, 4) uint8 ARGB as PyAV's pal8 wants)."""
    q = (rgb >> 3).astype(np.int32)
    keys = (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]
    counts = np.bincount(keys.ravel(), minlength=1 << 15)
    used = np.flatnonzero(counts)
    chosen = used[np.argsort(counts[used])[::-1][:256]]
    # colour of each 15-bit key at the centre of its bin
    def to_rgb(k: np.ndarray) -> np.ndarray:
        return (np.stack([(k >> 10) & 31, (k >> 5) & 31, k & 31], axis=-1) * 8 + 4).astype(np.int32)
    pal_rgb = to_rgb(chosen)
    used_rgb = to_rgb(used)
    lut = np.zeros(1 << 15, dtype=np.uint8)
    for start in range(0, len(used), 4096):  # nearest entry of each used colour, in blocks
        d = ((used_rgb[start:start + 4096, None, :] - pal_rgb[None, :, :]) ** 2).sum(-1)
        lut[used[start:start + 4096]] = d.argmin(axis=1)
    palette = np.zeros((256, 4), dtype=np.uint8)
    palette[:, 0] = 255
    palette[:len(chosen), 1:] = np.clip(pal_rgb, 0, 255)
    return lut[keys], palette


class VideoWriter:
    """Write frames of one size to ``path`` as ``fmt`` ("mp4", "gif" or "png" folder).

    Use as a context manager: leaving the block normally commits (fsync + rename over the
    target), leaving it by an exception (a cancel, a failure) removes the temporary output.
    ``size`` is (width, height) of the frames to pass; see :func:`encoded_size`.
    """

    def __init__(self, path: str | os.PathLike, fmt: str, size: tuple[int, int], fps: float):
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
        self.frames_written = 0
        self._tmp: Path | None = None
        self._container = None
        self._stream = None
        self._png = None

    # -- lifecycle --------------------------------------------------------------
    def __enter__(self) -> "VideoWriter":
        try:
            self._open()
        except BaseException:
            self._discard()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._commit()
        else:
            self._discard()

    def _guard(self, action):
        """Run ``action()``; OS errors (PyAV's included) become one-line ExportErrors."""
        try:
            return action()
        except OSError as e:
            raise ExportError(os_error_message(self.path, e)) from e

    def _open(self) -> None:
        import av

        folder = self.path.parent
        if not folder.is_dir():
            raise ExportError(f"cannot write {self.path}: the folder {folder} does not exist")
        prefix = f".{self.path.name}."
        if self.fmt == "png":
            self._tmp = Path(self._guard(lambda: tempfile.mkdtemp(dir=folder, prefix=prefix, suffix=".tmp")))
            self._png = av.CodecContext.create("png", "w")
            self._png.width, self._png.height = self.size
            self._png.pix_fmt = "rgb24"
            return
        fd, tmp = self._guard(lambda: tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp"))
        os.close(fd)
        self._tmp = Path(tmp)
        options = {"movflags": "faststart"} if self.fmt == "mp4" else {}
        self._container = self._guard(lambda: av.open(str(self._tmp), "w", format=self.fmt,
                                                         container_options=options))
        stream = self._container.add_stream(ENCODERS[self.fmt], rate=self.fps)
        stream.width, stream.height = self.size
        if self.fmt == "mp4":
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": "18", "preset": "fast"}
        else:
            stream.pix_fmt = "pal8"
        self._stream = stream

    def write(self, rgb: np.ndarray) -> None:
        """Encode one (height, width, 3) uint8 frame."""
        import av

        w, h = self.size
        if rgb.shape != (h, w, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"frame must be ({h}, {w}, 3) uint8, got {rgb.shape} {rgb.dtype}")
        rgb = np.ascontiguousarray(rgb)
        if self.fmt == "png":
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            data = b"".join(bytes(p) for p in self._png.encode(frame))
            name = self._tmp / f"frame_{self.frames_written:05d}.png"
            self._guard(lambda: name.write_bytes(data))
        else:
            if self.fmt == "gif":
                frame = av.VideoFrame.from_ndarray(gif_palette(rgb), format="pal8")
            else:
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = self.frames_written
            self._guard(lambda: self._container.mux(self._stream.encode(frame)))
        self.frames_written += 1

    def _close_container(self) -> None:
        """Flush the encoder and close the file; always closes, even when flushing fails."""
        container, self._container = self._container, None
        if container is None:
            return
        try:
            if self._stream is not None:
                self._guard(lambda: container.mux(self._stream.encode(None)))
        finally:
            self._guard(container.close)

    def _commit(self) -> None:
        """Finish the file, fsync it, rename it over the target."""
        try:
            if self.frames_written == 0:
                raise ExportError(f"cannot write {self.path}: no frames were rendered")
            self._close_container()
            if self.fmt == "png":
                self._guard(lambda: [_fsync_path(p) for p in sorted(self._tmp.iterdir())])
                self._guard(lambda: self._replace_folder())
            else:
                self._guard(lambda: _fsync_path(self._tmp))
                self._guard(lambda: os.replace(self._tmp, self.path))
            self._tmp = None
        finally:
            self._discard()

    def _replace_folder(self) -> None:
        """Rename the finished PNG folder over the target. A directory cannot be replaced in one
        step, so an old target is first moved aside and only deleted once the new one is in place."""
        old = None
        if self.path.exists():
            if not self.path.is_dir():
                raise ExportError(f"cannot write {self.path}: it exists and is not a folder")
            old = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}.old."))
            os.replace(self.path, old / "previous")
        try:
            os.replace(self._tmp, self.path)
        except OSError:
            if old is not None:
                os.replace(old / "previous", self.path)
                old.rmdir()
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _discard(self) -> None:
        """Close whatever is open and remove the temporary output (cancel or failure)."""
        try:
            if self._container is not None:
                container, self._container = self._container, None
                try:
                    container.close()
                except Exception:  # already failing: the temporary file is removed below
                    pass
        finally:
            tmp, self._tmp = self._tmp, None
            if tmp is not None and tmp.exists():
                if tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    tmp.unlink()
