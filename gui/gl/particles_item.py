"""Particles as round, depth-tested, alpha-blended point sprites with a colour each;
positions are written in place every frame, colours only when they change."""
from __future__ import annotations

import numpy as np

from memscape.gui.gl.gl_objects import Camera, LazyGLItem
from memscape.gui.gl.sprite_batch import SpriteBatch


class ParticlesItem(LazyGLItem):
    """``set_data(positions (N, 3) world, colors (N, 4) RGBA in [0, 1])``; the view repaints."""

    def __init__(self, size_px: float = 9.0, lift: float = 0.025):
        super().__init__()
        self.size_px, self.lift = size_px, lift
        self._positions = np.zeros((0, 3), np.float32)
        self._colors = np.zeros((0, 4), np.float32)
        self._dirty = {"positions": False, "colors": False}
        self.sprites = SpriteBatch()

    def set_data(self, positions: np.ndarray, colors: np.ndarray) -> None:
        positions = np.ascontiguousarray(positions, dtype=np.float32).reshape(-1, 3)
        colors = np.ascontiguousarray(np.broadcast_to(colors, (len(positions), 4)), dtype=np.float32)
        self._positions = positions
        self._dirty["positions"] = True
        if not np.array_equal(colors, self._colors):
            self._colors = colors
            self._dirty["colors"] = True

    def create_gl(self) -> None:
        self.sprites.create()
        self._dirty = {"positions": True, "colors": True}

    def delete_gl(self) -> None:
        self.sprites.delete()

    def draw(self, camera: Camera) -> None:
        if any(self._dirty.values()):
            self.sprites.upload(self, "particle", self._positions if self._dirty["positions"] else None,
                                self._colors if self._dirty["colors"] else None)
            self._dirty = {"positions": False, "colors": False}
        self.sprites.draw(camera, len(self._positions), self.size_px, self.lift)
