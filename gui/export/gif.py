"""One palette for a whole GIF clip: FFmpeg's palettegen and paletteuse through PyAV's filter
graphs, with no Qt.

A GIF frame holds at most 256 colours. Quantising each frame to its own palette makes a
still background change colour from frame to frame (flicker), and since no two frames then
share pixel values the encoder cannot skip what did not change (8 MB for 2 s at 720p). Here
every frame first goes through ``palettegen`` (a histogram of the whole clip, median cut to
256 colours: FFmpeg's own quantiser) and into a compressed spool; once the clip is complete
the spooled frames go through ``paletteuse`` with that single palette and ordered (Bayer)
dithering, which maps a pixel by its colour and position alone, so what stands still keeps
its exact indices and the GIF encoder stores only the changed rectangle of each frame.

Memory stays bounded whatever the clip's length: palettegen keeps only its histogram and
the spool is an anonymous temporary file (nothing is left on disk, even when killed) of
zlib-compressed frames.
"""
from __future__ import annotations

import tempfile
import zlib
from fractions import Fraction
from typing import Iterator

import numpy as np

#: paletteuse: ordered dithering (stable under motion, unlike error diffusion, which makes
#: the noise crawl), and only the rectangle that changed since the last frame is mapped again
PALETTEUSE = "dither=bayer:bayer_scale=5:diff_mode=rectangle"
SPOOL_LEVEL = 1  #: zlib level of the spooled frames: fast, and rendered frames shrink a lot


class GifClip:
    """The frames of one clip of ``size`` (width, height) at ``fps``: :meth:`add` each RGB
    frame, then :meth:`frames` yields them as ``pal8`` VideoFrames sharing one palette.
    Use as a context manager (or call :meth:`close`) so the spool is released."""

    def __init__(self, size: tuple[int, int], fps: Fraction):
        import av.filter

        self.width, self.height = size
        self.time_base = Fraction(1) / Fraction(fps)
        self._spool = tempfile.TemporaryFile(prefix="memscape-gif-")
        self._lengths: list[int] = []
        self._stats = av.filter.Graph()
        self._stats_in = self._buffer(self._stats, self.width, self.height, "rgb24")
        gen = self._stats.add("palettegen", "stats_mode=full")
        self._stats_out = self._stats.add("buffersink")
        self._stats_in.link_to(gen)
        gen.link_to(self._stats_out)
        self._stats.configure()

    def __enter__(self) -> "GifClip":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._spool.close()

    def __len__(self) -> int:
        return len(self._lengths)

    def _buffer(self, graph, width: int, height: int, fmt: str, name: str | None = None):
        return graph.add_buffer(width=width, height=height, format=fmt, time_base=self.time_base, name=name)

    def _frame(self, rgb: np.ndarray, k: int):
        import av

        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts, frame.time_base = k, self.time_base
        return frame

    def add(self, rgb: np.ndarray) -> None:
        """One (height, width, 3) uint8 frame: counted into the palette and spooled."""
        k = len(self._lengths)
        self._stats_in.push(self._frame(rgb, k))
        data = zlib.compress(np.ascontiguousarray(rgb).tobytes(), SPOOL_LEVEL)
        self._spool.write(data)
        self._lengths.append(len(data))

    def palette(self):
        """The clip's palette (a 16 x 16 frame of 256 colours, FFmpeg's layout); ends the
        counting, so call it once, after the last :meth:`add`."""
        self._stats_in.push(None)
        return self._stats_out.pull()

    def frames(self) -> Iterator:
        """Every added frame in order, mapped to :meth:`palette` (pal8 VideoFrames)."""
        import av
        import av.filter

        palette = self.palette()
        graph = av.filter.Graph()
        frames_in = self._buffer(graph, self.width, self.height, "rgb24", "frames")
        palette_in = self._buffer(graph, palette.width, palette.height, palette.format.name, "palette")
        use = graph.add("paletteuse", PALETTEUSE)
        out = graph.add("buffersink")
        frames_in.link_to(use, 0, 0)
        palette_in.link_to(use, 0, 1)
        use.link_to(out)
        graph.configure()
        palette.pts, palette.time_base = 0, self.time_base
        palette_in.push(palette)
        palette_in.push(None)

        def ready():
            while True:
                try:
                    yield out.pull()
                except (av.error.BlockingIOError, av.error.EOFError):
                    return

        self._spool.seek(0)
        shape = (self.height, self.width, 3)
        for k, length in enumerate(self._lengths):
            rgb = np.frombuffer(zlib.decompress(self._spool.read(length)), np.uint8).reshape(shape)
            frames_in.push(self._frame(rgb, k))
            yield from ready()
        frames_in.push(None)
        yield from ready()
