"""Load ``shaders/NAME.vert`` and ``shaders/NAME.frag`` into a linked GL program.

The files carry no ``#version`` line: :func:`version_line` picks it for the current context
(``330 core`` on OpenGL 3.3+, ``150`` on 3.2, ``140`` on 3.1), so the same source runs in a
core or a compatibility profile. Errors name the file and carry the driver's log.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from OpenGL import GL
from PyQt6 import QtGui

#: The GLSL: the ``shaders`` folder of the installed ``memscape`` package (package data; in a
#: checkout its shaders/), found through the package rather than this file's location.
SHADER_DIR = Path(str(resources.files("memscape") / "shaders"))
FRAG_OUTPUT = "frag_color"  #: every fragment shader's single output, bound to draw buffer 0


class ShaderError(RuntimeError):
    """A shader that is missing, does not compile or does not link (the message says which)."""


def version_line(fmt: QtGui.QSurfaceFormat) -> str:
    """The ``#version`` directive for a context of format ``fmt`` (GLSL 1.40 at least:
    the shaders use ``in``/``out``, ``texelFetch`` and buffer textures)."""
    if fmt.renderableType() == QtGui.QSurfaceFormat.RenderableType.OpenGLES:
        raise ShaderError("the 3D view needs desktop OpenGL 3.1 or later, not OpenGL ES")
    version = (fmt.majorVersion(), fmt.minorVersion())
    if version >= (3, 3):
        return "#version 330 core"
    if version >= (3, 1):
        return {(3, 2): "#version 150", (3, 1): "#version 140"}[version]
    raise ShaderError(f"the 3D view needs OpenGL 3.1 or later; this context is {version[0]}.{version[1]}")


def shader_source(path: Path, version: str) -> str:
    """The file's text after ``version``; ``#line 1`` keeps the log's line numbers the file's."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ShaderError(f"cannot read shader {path}: {exc}") from exc
    return f"{version}\n#line 1\n{text}"


def compile_shader(kind: int, path: Path, version: str) -> int:
    """One compiled shader object of ``kind`` (GL_VERTEX_SHADER / GL_FRAGMENT_SHADER)."""
    shader = GL.glCreateShader(kind)
    GL.glShaderSource(shader, shader_source(path, version))
    GL.glCompileShader(shader)
    if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
        log = _text(GL.glGetShaderInfoLog(shader))
        GL.glDeleteShader(shader)
        raise ShaderError(f"{path.name} does not compile ({version}):\n{log}")
    return shader


def load_program(name: str, attributes: dict[str, int]) -> int:
    """Compile and link ``shaders/{name}.vert`` + ``.frag`` with the current context current;
    ``attributes`` maps each vertex input to its location (bound before linking)."""
    context = QtGui.QOpenGLContext.currentContext()
    if context is None:
        raise ShaderError(f"loading shader {name!r} needs a current OpenGL context")
    version = version_line(context.format())
    shaders = [compile_shader(GL.GL_VERTEX_SHADER, SHADER_DIR / f"{name}.vert", version)]
    try:
        shaders.append(compile_shader(GL.GL_FRAGMENT_SHADER, SHADER_DIR / f"{name}.frag", version))
        program = GL.glCreateProgram()
        for shader in shaders:
            GL.glAttachShader(program, shader)
        for attribute, location in attributes.items():
            GL.glBindAttribLocation(program, location, attribute)
        GL.glBindFragDataLocation(program, 0, FRAG_OUTPUT)
        GL.glLinkProgram(program)
        linked = GL.glGetProgramiv(program, GL.GL_LINK_STATUS)
        for shader in shaders:
            GL.glDetachShader(program, shader)
        if not linked:
            log = _text(GL.glGetProgramInfoLog(program))
            GL.glDeleteProgram(program)
            raise ShaderError(f"{name}.vert + {name}.frag do not link ({version}):\n{log}")
        return program
    finally:
        for shader in shaders:
            GL.glDeleteShader(shader)


def _text(log) -> str:
    return log.decode("utf-8", "replace") if isinstance(log, bytes) else str(log)
