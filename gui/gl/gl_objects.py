"""Small wrappers over raw GL objects shared by the items: buffers that count their uploads,
vertex arrays, uniforms, the camera matrices of the frame being drawn, and the base item
that makes its GL objects lazily, with the context current, in ``paint``."""
from __future__ import annotations

import ctypes
from collections import Counter
from dataclasses import dataclass

import numpy as np
from OpenGL import GL
from pyqtgraph.opengl import GLGraphicsItem

# normal alpha blending whose destination alpha stays 1: frames grabbed from the FBO are opaque
BLEND = (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA, GL.GL_ONE, GL.GL_ONE_MINUS_SRC_ALPHA)


class GLBuffer:
    """One buffer object; ``upload`` re-allocates only when the byte size changes and
    otherwise writes in place (glBufferSubData)."""

    def __init__(self, target: int = GL.GL_ARRAY_BUFFER):
        self.target = target
        self.id: int | None = None
        self.nbytes = 0

    def upload(self, data: np.ndarray) -> None:
        data = np.ascontiguousarray(data)
        if self.id is None:
            self.id = int(GL.glGenBuffers(1))
        GL.glBindBuffer(self.target, self.id)
        if data.nbytes != self.nbytes:
            GL.glBufferData(self.target, data.nbytes, data, GL.GL_DYNAMIC_DRAW)
            self.nbytes = data.nbytes
        elif data.nbytes:
            GL.glBufferSubData(self.target, 0, data.nbytes, data)

    def release(self) -> None:
        if self.id is not None:
            GL.glDeleteBuffers(1, [self.id])
        self.id, self.nbytes = None, 0


def attribute(location: int, buffer: GLBuffer, size: int, stride: int = 0, offset: int = 0,
              divisor: int = 0) -> None:
    """Float vertex attribute ``location`` read from ``buffer`` (the VAO must be bound);
    ``divisor`` 1 makes it per instance."""
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, buffer.id)
    GL.glEnableVertexAttribArray(location)
    GL.glVertexAttribPointer(location, size, GL.GL_FLOAT, GL.GL_FALSE, stride, ctypes.c_void_p(offset))
    GL.glVertexAttribDivisor(location, divisor)


def set_uniforms(program: int, **values) -> None:
    """Uniforms by name: floats, int (sampler units), 2/3/4-vectors, or (4, 4) column-major matrices."""
    for name, value in values.items():
        loc = GL.glGetUniformLocation(program, name)
        if loc < 0:
            continue  # optimised away by the driver
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            GL.glUniform1i(loc, int(value))
            continue
        v = np.asarray(value, dtype=np.float32)
        if v.shape == (4, 4):
            GL.glUniformMatrix4fv(loc, 1, GL.GL_FALSE, v)
        else:
            (GL.glUniform1f, GL.glUniform2f, GL.glUniform3f, GL.glUniform4f)[v.size - 1](loc, *v.ravel())


def begin_blended(program: int, depth_write: bool) -> None:
    """GL state of the translucent items: depth test on, depth writes as asked, alpha
    blending (:data:`BLEND`), ``program`` in use."""
    GL.glEnable(GL.GL_DEPTH_TEST)
    GL.glDepthMask(GL.GL_TRUE if depth_write else GL.GL_FALSE)
    GL.glEnable(GL.GL_BLEND)
    GL.glBlendFuncSeparate(*BLEND)
    GL.glUseProgram(program)


@dataclass(frozen=True)
class Camera:
    """The frame's matrices as (4, 4) column-major float32 and the viewport in pixels."""

    modelview: np.ndarray
    projection: np.ndarray
    viewport: tuple[int, int]

    @classmethod
    def of(cls, item: GLGraphicsItem) -> "Camera":
        def matrix(m):
            return np.asarray(m.data(), dtype=np.float32).reshape(4, 4)
        x, y, w, h = (int(v) for v in GL.glGetIntegerv(GL.GL_VIEWPORT))
        return cls(matrix(item.modelViewMatrix()), matrix(item.projectionMatrix()), (w, h))

    @property
    def eye(self) -> np.ndarray:
        """The camera's position in world coordinates: the inverse modelview applied to the origin."""
        mv = self.modelview.T  # row-major
        return (-mv[:3, :3].T @ mv[:3, 3]).astype(np.float32)

    @property
    def pixel_scale(self) -> float:
        """Sizes in pixels are given for a 720-pixel-high view and grow with the height (4K
        export); small views keep at least 0.6 of them so lines and sprites stay visible."""
        return max(self.viewport[1] / 720.0, 0.6)


class LazyGLItem(GLGraphicsItem.GLGraphicsItem):
    """An item whose GL objects are made on the first ``paint`` with the context current and
    dropped by :meth:`release_gl` (when the context goes away). ``uploads`` counts, per buffer
    name, how often data went to the GPU (tests check the upload path with it)."""

    def __init__(self):
        super().__init__()
        self.uploads: Counter[str] = Counter()
        self._created = False

    def paint(self) -> None:
        if not self._created:
            self.create_gl()
            self._created = True
        self.draw(Camera.of(self))

    def release_gl(self) -> None:
        """Delete the GL objects (their context current) and mark everything for upload again."""
        if self._created:
            self.delete_gl()
        self._created = False

    def upload(self, name: str, buffer: GLBuffer, data: np.ndarray) -> None:
        buffer.upload(data)
        self.uploads[name] += 1

    def create_gl(self) -> None:
        raise NotImplementedError

    def delete_gl(self) -> None:
        raise NotImplementedError

    def draw(self, camera: Camera) -> None:
        raise NotImplementedError
