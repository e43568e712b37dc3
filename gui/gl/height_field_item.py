"""The energy as a lit, colour-mapped height surface with contour lines (shaders/height_field.*).

The (u, v) grid in [0, 1]^2 and the triangle-strip indices depend only on the grid shape and are
uploaded once; each frame uploads only the heights, in place. The same height buffer is also
bound as a buffer texture, from which the vertex shader reads each vertex's neighbours for
the normal, so normals cost no upload. A second texture, the particles' density (RGBA bins
over the same rectangle), is mixed over the surface's colour where it is given.
"""
from __future__ import annotations

import numpy as np
from OpenGL import GL

from memscape.gui.gl.gl_objects import Camera, GLBuffer, LazyGLItem, attribute, set_uniforms
from memscape.gui.shader_loader import load_program

ATTRIBUTES = {"a_uv": 0, "a_z": 1}
LIGHT_DIRECTION = (-0.45, -0.35, 0.82)  #: towards the light, world coordinates (from above, front left)


def grid_uv(shape: tuple[int, int]) -> np.ndarray:
    """(H*W, 2) float32 (u, v) in [0, 1]^2, row-major: vertex k = row * W + col, u along a row."""
    h, w = shape
    u, v = np.meshgrid(np.linspace(0.0, 1.0, w, dtype=np.float32), np.linspace(0.0, 1.0, h, dtype=np.float32))
    return np.stack([u.ravel(), v.ravel()], axis=1)


RESTART = 0xFFFFFFFF  #: primitive restart index ending each strip


def grid_strips(shape: tuple[int, int]) -> np.ndarray:
    """((H-1)(2W+1),) uint32: one triangle strip per band of cells between rows r and r+1
    (vertices alternate r+1, r along the band), each ended by RESTART. Strips send a third of
    the indices of separate triangles (software GL shades a vertex per index: 35% faster)."""
    h, w = shape
    rows = np.arange(h - 1)[:, None] * w + np.arange(w)[None, :]
    strips = np.stack([rows + w, rows], axis=2).reshape(h - 1, 2 * w)
    return np.concatenate([strips, np.full((h - 1, 1), RESTART)], axis=1).ravel().astype(np.uint32)


class HeightFieldItem(LazyGLItem):
    """``set_data(z (H, W), x_range, y_range)``: heights in world units, row i at y, column j at x."""

    def __init__(self, contour_levels: int = 14):
        super().__init__()
        self.contour_levels = contour_levels
        self.colormap = True  #: viridis by height, else a flat grey
        self.contours = True
        self.density = True  #: the particles' density drawn when one is set (the "particles" layer)
        self._z: np.ndarray | None = None
        self._origin = np.zeros(2, np.float32)
        self._extent = np.ones(2, np.float32)
        self._z_range = (0.0, 1.0)
        self._shape: tuple[int, int] | None = None  #: the shape the grid buffers hold
        self._z_dirty = False
        self._density: np.ndarray | None = None  #: (ny, nx, 4) uint8 RGBA over the grid's rectangle
        self._density_dirty = False

    def set_data(self, z: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float],
                 z_range: tuple[float, float] | None = None) -> None:
        """Heights z (H, W) over [x_range] x [y_range]; ``z_range`` the heights the colour map
        spans (default: z's min and max)."""
        z = np.ascontiguousarray(z, dtype=np.float32)
        if z.ndim != 2 or min(z.shape) < 2:
            raise ValueError(f"heights must be (H, W) with H, W >= 2, got {z.shape}")
        self._z = z
        self._z_dirty = True
        self._origin = np.array([x_range[0], y_range[0]], np.float32)
        self._extent = np.array([x_range[1] - x_range[0], y_range[1] - y_range[0]], np.float32)
        self._z_range = z_range or (float(z.min()), float(z.max()))
        self.update()

    def set_density(self, rgba: np.ndarray | None) -> None:
        """The particles' density as (ny, nx, 4) uint8 RGBA bins over the same rectangle as
        the heights (row i at y, as ``gui.density.density_rgba`` gives it), mixed over the
        surface's colour by its alpha, each bin shown flat (nearest); None: none."""
        if rgba is None and self._density is None:
            return
        self._density = None if rgba is None else np.ascontiguousarray(rgba, dtype=np.uint8)
        self._density_dirty = True
        self.update()

    def _upload_density(self) -> None:
        """The density's texture (a clear 1 x 1 one when there is none)."""
        rgba = self._density if self._density is not None else np.zeros((1, 1, 4), np.uint8)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.density_texture)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, rgba.shape[1], rgba.shape[0], 0, GL.GL_RGBA,
                        GL.GL_UNSIGNED_BYTE, rgba)
        for name, value in ((GL.GL_TEXTURE_MIN_FILTER, GL.GL_NEAREST), (GL.GL_TEXTURE_MAG_FILTER, GL.GL_NEAREST),
                            (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE), (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)):
            GL.glTexParameteri(GL.GL_TEXTURE_2D, name, value)
        self._density_dirty = False

    def create_gl(self) -> None:
        self.program = load_program("height_field", ATTRIBUTES)
        self.vao = GL.glGenVertexArrays(1)
        self.uv, self.heights = GLBuffer(), GLBuffer()
        self.indices = GLBuffer(GL.GL_ELEMENT_ARRAY_BUFFER)
        self.height_texture = GL.glGenTextures(1)
        self.density_texture = GL.glGenTextures(1)
        self._shape = None
        self._z_dirty = True
        self._density_dirty = True

    def delete_gl(self) -> None:
        for buffer in (self.uv, self.heights, self.indices):
            buffer.release()
        GL.glDeleteTextures(2, [self.height_texture, self.density_texture])
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteProgram(self.program)

    def _upload(self) -> None:
        """The grid and indices when the shape changed (once), then the heights in place."""
        GL.glBindVertexArray(self.vao)
        if self._shape != self._z.shape:
            self._shape = self._z.shape
            self.upload("uv", self.uv, grid_uv(self._shape))
            self.upload("indices", self.indices, grid_strips(self._shape))  # recorded in the VAO
            attribute(ATTRIBUTES["a_uv"], self.uv, 2)
        self.upload("z", self.heights, self._z)
        attribute(ATTRIBUTES["a_z"], self.heights, 1)
        GL.glBindTexture(GL.GL_TEXTURE_BUFFER, self.height_texture)
        GL.glTexBuffer(GL.GL_TEXTURE_BUFFER, GL.GL_R32F, self.heights.id)
        self._z_dirty = False

    def draw(self, camera: Camera) -> None:
        if self._z is None:
            return
        if self._z_dirty:
            self._upload()
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glDisable(GL.GL_BLEND)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glUseProgram(self.program)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_BUFFER, self.height_texture)
        GL.glActiveTexture(GL.GL_TEXTURE1)
        if self._density_dirty:
            self._upload_density()
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.density_texture)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        h, w = self._shape
        light = np.asarray(LIGHT_DIRECTION, np.float32)
        set_uniforms(self.program, u_modelview=camera.modelview, u_projection=camera.projection,
                     u_origin=self._origin, u_extent=self._extent, u_size=np.array([w, h], np.float32),
                     u_heights=0, u_z_range=np.asarray(self._z_range, np.float32),
                     u_levels=float(self.contour_levels), u_eye=camera.eye,
                     u_light=light / np.linalg.norm(light), u_colormap=float(self.colormap),
                     u_contours=float(self.contours), u_pixel_scale=camera.pixel_scale,
                     u_density=1, u_density_on=float(self.density and self._density is not None))
        GL.glBindVertexArray(self.vao)
        GL.glEnable(GL.GL_PRIMITIVE_RESTART)
        GL.glPrimitiveRestartIndex(RESTART)
        GL.glDrawElements(GL.GL_TRIANGLE_STRIP, (h - 1) * (2 * w + 1), GL.GL_UNSIGNED_INT, None)
        GL.glDisable(GL.GL_PRIMITIVE_RESTART)
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
        GL.glActiveTexture(GL.GL_TEXTURE1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        GL.glActiveTexture(GL.GL_TEXTURE0)
