"""The default OpenGL surface format; ``gui/app.py`` calls :func:`configure_default_format`
before the QApplication exists (Qt reads both settings only then)."""
from __future__ import annotations

from PyQt6 import QtGui

GL_VERSION = (3, 3)  #: core profile 3.3 (GLSL 330): what macOS offers, and pyqtgraph 0.14's GLViewMixin binds a VAO for it
SAMPLES = 0  #: no multisampling on screen: 4x made a frame 2.5x slower on software GL (llvmpipe);
#: the shaders anti-alias contours, sprites and lines themselves (exports too: gui.view_3d.EXPORT_SAMPLES)


def surface_format() -> QtGui.QSurfaceFormat:
    """Core profile 3.3 with a 24-bit depth buffer and an 8-bit stencil."""
    fmt = QtGui.QSurfaceFormat()
    fmt.setRenderableType(QtGui.QSurfaceFormat.RenderableType.OpenGL)
    fmt.setVersion(*GL_VERSION)
    fmt.setProfile(QtGui.QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setDepthBufferSize(24)
    fmt.setStencilBufferSize(8)
    fmt.setSamples(SAMPLES)
    return fmt


def configure_default_format() -> None:
    """Set :func:`surface_format` as every context's default (the 3D view's own context and any
    that Qt makes)."""
    QtGui.QSurfaceFormat.setDefaultFormat(surface_format())
