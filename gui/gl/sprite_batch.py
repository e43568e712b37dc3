"""Round point sprites with per-point colour, depth-tested and alpha-blended (not additive);
shared by the particles and the pin heads (shaders/sprites.*)."""
from __future__ import annotations

import numpy as np
from OpenGL import GL

from memscape.gui.gl.gl_objects import Camera, GLBuffer, LazyGLItem, attribute, begin_blended, set_uniforms
from memscape.gui.shader_loader import load_program

ATTRIBUTES = {"a_position": 0, "a_color": 1}


class SpriteBatch:
    """GL side of a set of sprites: ``create``/``delete`` with the context current, then
    ``draw(item, camera, positions (N, 3), colors (N, 4) or None, size_px, lift)``. Positions
    are written in place every frame; colours only when ``colors`` is given (changed)."""

    def create(self) -> None:
        self.program = load_program("sprites", ATTRIBUTES)
        self.vao = GL.glGenVertexArrays(1)
        self.positions, self.colors = GLBuffer(), GLBuffer()

    def delete(self) -> None:
        self.positions.release()
        self.colors.release()
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteProgram(self.program)

    def upload(self, item: LazyGLItem, name: str, positions: np.ndarray | None, colors: np.ndarray | None) -> None:
        """New positions and/or colours into the buffers (counted in ``item.uploads``)."""
        GL.glBindVertexArray(self.vao)
        if positions is not None:
            item.upload(f"{name} positions", self.positions, positions)
            attribute(ATTRIBUTES["a_position"], self.positions, 3)
        if colors is not None:
            item.upload(f"{name} colors", self.colors, colors)
            attribute(ATTRIBUTES["a_color"], self.colors, 4)
        GL.glBindVertexArray(0)

    def draw(self, camera: Camera, count: int, size_px: float, lift: float, **style) -> None:
        """``style``: more uniforms of shaders/sprites.frag (``u_flat``, ``u_outline``, ...)."""
        if count == 0:
            return
        begin_blended(self.program, depth_write=True)
        GL.glEnable(GL.GL_PROGRAM_POINT_SIZE)
        set_uniforms(self.program, u_modelview=camera.modelview, u_projection=camera.projection,
                     u_size=float(size_px * camera.pixel_scale), u_lift=float(lift), **style)
        GL.glBindVertexArray(self.vao)
        GL.glDrawArrays(GL.GL_POINTS, 0, count)
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
