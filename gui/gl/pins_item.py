"""Memories as pins standing on the surface: a vertical stem and a round head."""
from __future__ import annotations

import numpy as np

from memscape.gui.gl.gl_objects import Camera, LazyGLItem
from memscape.gui.gl.line_batch import LineBatch, segment_records
from memscape.gui.gl.sprite_batch import SpriteBatch


class PinsItem(LazyGLItem):
    """``set_data(bases (M, 3) world)``: a pin of ``height`` world units on each base point."""

    def __init__(self, height: float = 0.3, color=(1.0, 0.31, 0.31, 1.0), stem_px: float = 3.5,
                 head_px: float = 18.0):
        super().__init__()
        self.height, self.stem_px, self.head_px = height, stem_px, head_px
        self.color = np.asarray(color, np.float32)
        self._bases = np.zeros((0, 3), np.float32)
        self._dirty = False
        self.stems, self.heads = LineBatch(), SpriteBatch()

    def set_data(self, bases: np.ndarray) -> None:
        self._bases = np.ascontiguousarray(bases, dtype=np.float32).reshape(-1, 3)
        self._dirty = True

    def create_gl(self) -> None:
        self.stems.create()
        self.heads.create()
        self._dirty = True

    def delete_gl(self) -> None:
        self.stems.delete()
        self.heads.delete()

    def draw(self, camera: Camera) -> None:
        if self._dirty:
            tops = self._bases + np.float32([0.0, 0.0, self.height])
            colors = np.broadcast_to(self.color, (len(tops), 4))
            self.stems.upload(self, "stems", segment_records(self._bases, tops, colors, colors))
            self.heads.upload(self, "pin", tops, np.ascontiguousarray(colors))
            self._dirty = False
        self.stems.draw(camera, self.stem_px, 0.0)
        self.heads.draw(camera, len(self._bases), self.head_px, 0.0)
