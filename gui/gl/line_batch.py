"""Thick anti-aliased line segments as instanced quads (the core profile has no wide lines),
with a colour per segment end; shared by the trails and the pin stems (shaders/thick_lines.*)."""
from __future__ import annotations

import numpy as np
from OpenGL import GL

from memscape.gui.gl.gl_objects import Camera, GLBuffer, LazyGLItem, attribute, begin_blended, set_uniforms
from memscape.gui.shader_loader import load_program

ATTRIBUTES = {"a_p0": 0, "a_p1": 1, "a_c0": 2, "a_c1": 3}
STRIDE = 14 * 4  #: per segment: p0 (3), p1 (3), c0 (4), c1 (4) floats


def segment_records(p0: np.ndarray, p1: np.ndarray, c0: np.ndarray, c1: np.ndarray) -> np.ndarray:
    """(S, 14) float32: the interleaved per-instance data of S segments p0 -> p1 (S, 3) with
    end colours c0, c1 (S, 4)."""
    return np.concatenate([p0, p1, c0, c1], axis=1, dtype=np.float32)


class LineBatch:
    """GL side of a set of segments: ``create``/``delete`` with the context current,
    ``upload(item, name, records)`` (from :func:`segment_records`), ``draw(camera, ...)``
    with the depth test on and depth writes off (lines never hide the sprites drawn later)."""

    def create(self) -> None:
        self.program = load_program("thick_lines", ATTRIBUTES)
        self.vao = GL.glGenVertexArrays(1)
        self.segments = GLBuffer()
        self.count = 0

    def delete(self) -> None:
        self.segments.release()
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteProgram(self.program)

    def upload(self, item: LazyGLItem, name: str, records: np.ndarray) -> None:
        self.count = len(records)
        if self.count == 0:
            return
        GL.glBindVertexArray(self.vao)
        item.upload(name, self.segments, records)
        for attr, size, offset in (("a_p0", 3, 0), ("a_p1", 3, 12), ("a_c0", 4, 24), ("a_c1", 4, 40)):
            attribute(ATTRIBUTES[attr], self.segments, size, STRIDE, offset, divisor=1)
        GL.glBindVertexArray(0)

    def draw(self, camera: Camera, width_px: float, lift: float) -> None:
        if self.count == 0:
            return
        begin_blended(self.program, depth_write=False)
        width = float(width_px * camera.pixel_scale)
        set_uniforms(self.program, u_modelview=camera.modelview, u_projection=camera.projection,
                     u_viewport=np.asarray(camera.viewport, np.float32), u_width=width, u_lift=float(lift))
        GL.glBindVertexArray(self.vao)
        GL.glDrawArraysInstanced(GL.GL_TRIANGLE_STRIP, 0, 4, self.count)
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
        GL.glDepthMask(GL.GL_TRUE)
