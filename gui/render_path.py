"""Which path draws the 2D views' particles and trails: "gl" (point sprites and line quads
rendered by OpenGL, gui/gl/points_2d.py) or "raster" (pyqtgraph's QPainter items).

At start-up the GL renderer string is read once from a throw-away offscreen context, made as
the 3D view makes its own (gui/gl/offscreen.py), and cached. A software rasteriser
(llvmpipe, softpipe, swrast, Windows' Basic Render Driver or GDI Generic, anything calling
itself "software") gets the raster path: there GL would rasterise on the same CPU cores as
QPainter and read the picture back besides. A hardware renderer gets the GL path. No context
at all, or one older than the shaders need (OpenGL 3.1), gets the raster path, and
:attr:`RenderPath.reason` says why.

The environment variable ``MEMSCAPE_DRAW`` (``raster`` or ``gl``) overrides the choice for
tests and users; any other value is named in one line on stderr and the choice stays
automatic. Video export always draws the 2D views with the raster path (:func:`raster_only`),
so a 2D or side-by-side video does not depend on the machine's GPU or driver.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
from dataclasses import dataclass

RASTER, GL_PATH = "raster", "gl"
PATHS = (RASTER, GL_PATH)
ENV = "MEMSCAPE_DRAW"
#: lower-case pieces of the renderer strings of software OpenGL implementations
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software", "basic render driver", "gdi generic")
GL_NEEDED = (3, 1)  #: the shaders' least OpenGL version (gui/shader_loader.version_line)


@dataclass(frozen=True)
class RenderPath:
    """The drawing path, the GL renderer string ("" without a context) and why this path
    ("" for a hardware renderer chosen automatically)."""

    path: str
    renderer: str
    reason: str

    def label(self, full: bool = False) -> str:
        """The status bar's words, the renderer's name cut before its details ("Drawing: GL
        (NVIDIA GeForce RTX 3060)", "Drawing: raster (llvmpipe: software GL)"); ``full``:
        the whole renderer string (the About box)."""
        name = self.renderer if full else short_name(self.renderer)
        words = ": ".join(part for part in (name, self.reason) if part)
        return f"Drawing: {'GL' if self.path == GL_PATH else 'raster'} ({words})"


def short_name(renderer: str) -> str:
    """The renderer string before its details: "llvmpipe (LLVM 15.0.7, 256 bits)" ->
    "llvmpipe", "NVIDIA GeForce RTX 3060/PCIe/SSE2" -> "NVIDIA GeForce RTX 3060"."""
    return renderer.split(" (")[0].split("/")[0].split(";")[0].strip() or renderer


def is_software(renderer: str) -> bool:
    """Whether the GL renderer string names a software rasteriser (:data:`SOFTWARE_RENDERERS`)."""
    name = renderer.lower()
    return any(piece in name for piece in SOFTWARE_RENDERERS)


def choose(renderer: str | None, version: tuple[int, int] | None = None, error: str = "",
           override: str | None = None) -> RenderPath:
    """The path for a context with this renderer string and OpenGL version (``renderer``
    None: no context, ``error`` says why), given ``MEMSCAPE_DRAW``'s value ``override``
    (None or "": automatic; a bad value has been reported by :func:`override`)."""
    if renderer is None:
        return RenderPath(RASTER, "", error or "no OpenGL context")
    if version is not None and tuple(version) < GL_NEEDED:
        return RenderPath(RASTER, renderer, f"OpenGL {version[0]}.{version[1]}, the GL path needs "
                                            f"{GL_NEEDED[0]}.{GL_NEEDED[1]}")
    if override in PATHS:
        return RenderPath(override, renderer, f"{ENV}={override}")
    if is_software(renderer):
        return RenderPath(RASTER, renderer, "software GL")
    return RenderPath(GL_PATH, renderer, "")


def override() -> str | None:
    """``MEMSCAPE_DRAW`` when it is ``raster`` or ``gl``; unset or empty: None; any other value:
    one line on stderr naming it (once per value), then None (automatic)."""
    value = os.environ.get(ENV, "").strip().lower()
    if not value:
        return None
    if value not in PATHS:
        _warn_once(f"memscape: {ENV}={os.environ[ENV]!r}: expected raster or gl; choosing from the GL renderer")
        return None
    return value


@functools.lru_cache(maxsize=None)
def _warn_once(line: str) -> None:
    print(line, file=sys.stderr)


@functools.lru_cache(maxsize=1)
def probe() -> tuple[str | None, tuple[int, int] | None, str]:
    """(renderer string, OpenGL version, error) of a throw-away offscreen context in the app's
    surface format, read once per process (the QGuiApplication must exist); renderer None
    and the error's words when no context can be made."""
    from OpenGL import GL

    from memscape.gui.gl.offscreen import offscreen_context

    try:
        context, surface = offscreen_context()
    except RuntimeError as exc:
        return None, None, str(exc)
    try:
        if not context.makeCurrent(surface):
            return None, None, "the offscreen OpenGL context cannot be made current"
        raw = GL.glGetString(GL.GL_RENDERER)
        renderer = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "unknown renderer")
        fmt = context.format()
        context.doneCurrent()
        return renderer, (fmt.majorVersion(), fmt.minorVersion()), ""
    finally:
        surface.destroy()  # the context goes with the last reference, at return


_raster_only = 0  #: how many :func:`raster_only` blocks are open


def current() -> RenderPath:
    """The drawing path for views made now: raster inside :func:`raster_only`, else chosen
    from the renderer (probed once) and ``MEMSCAPE_DRAW`` (read each call, so tests can set it)."""
    if _raster_only:
        return RenderPath(RASTER, "", "video export: the same on every machine")
    renderer, version, error = probe()
    return choose(renderer, version, error, override())


@contextlib.contextmanager
def raster_only():
    """2D views made inside the block draw with the raster path whatever the machine (video
    export: a video does not depend on the machine's GPU or driver)."""
    global _raster_only
    _raster_only += 1
    try:
        yield
    finally:
        _raster_only -= 1
