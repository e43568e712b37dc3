"""An offscreen OpenGL context in the app's surface format (gui/gl/surface_format.py): what
the 3D view, the 2D views' GL particle layer and the start-up probe of the renderer
(gui/render_path.py) draw with. No window is made: the views paint the pictures read back."""
from __future__ import annotations

import contextlib

from PyQt6 import QtCore, QtGui, QtOpenGL

from memscape.gui.gl.surface_format import surface_format


def offscreen_context(parent: QtCore.QObject | None = None,
                      screen: QtGui.QScreen | None = None) -> tuple[QtGui.QOpenGLContext, QtGui.QOffscreenSurface]:
    """(context, surface), both children of ``parent`` (they go with it, and the GL objects
    made in the context with them), the context not current; RuntimeError saying why when
    there is no OpenGL (no display, or a platform without offscreen surfaces)."""
    if QtGui.QGuiApplication.instance() is None:
        raise RuntimeError("no OpenGL context before the application exists")
    surface = QtGui.QOffscreenSurface(screen or QtGui.QGuiApplication.primaryScreen(), parent)
    surface.setFormat(surface_format())
    surface.create()
    context = QtGui.QOpenGLContext(parent)
    context.setFormat(surface_format())
    if not surface.isValid() or not context.create() or not context.makeCurrent(surface):
        platform = QtGui.QGuiApplication.platformName()
        raise RuntimeError(f"no OpenGL context on the {platform!r} platform (needs a display or Xvfb)")
    context.doneCurrent()
    return context, surface


def sized_framebuffer(fbo: QtOpenGL.QOpenGLFramebufferObject | None, width: int, height: int,
                      attachment: QtOpenGL.QOpenGLFramebufferObject.Attachment,
                      samples: int = 0) -> QtOpenGL.QOpenGLFramebufferObject:
    """``fbo`` when it is ``width`` x ``height``, else a new framebuffer object of that size with
    ``attachment`` (depth and stencil, or none) and ``samples`` (the context current)."""
    if fbo is not None and (fbo.width(), fbo.height()) == (width, height):
        return fbo
    fmt = QtOpenGL.QOpenGLFramebufferObjectFormat()
    fmt.setAttachment(attachment)
    fmt.setSamples(samples)
    return QtOpenGL.QOpenGLFramebufferObject(width, height, fmt)


@contextlib.contextmanager
def made_current(context: QtGui.QOpenGLContext, surface: QtGui.QOffscreenSurface, what: str):
    """``context`` current on ``surface`` for the block, done after it; RuntimeError naming
    ``what`` ("the 3D view's") when it cannot be made current."""
    if not context.makeCurrent(surface):
        raise RuntimeError(f"cannot make {what} OpenGL context current")
    try:
        yield
    finally:
        context.doneCurrent()
