"""Particle trajectories drawn on the surface as thick lines (instanced quads) that fade
with age: the newest segment is opaque, the oldest transparent."""
from __future__ import annotations

import numpy as np

from memscape.gui.gl.gl_objects import Camera, LazyGLItem
from memscape.gui.gl.line_batch import LineBatch, segment_records


def fade(count: int) -> np.ndarray:
    """(count,) opacity by age, oldest first: (k + 1) / count, so the newest is 1."""
    return (np.arange(count) + 1.0) / count


class TrailsItem(LazyGLItem):
    """``set_data(paths (T, N, 3) world, oldest first, colors (N, 4))``; the view repaints.
    The caller picks the particles and steps to draw (:func:`gui.trail_thinning.thinned`)
    before computing their points."""

    def __init__(self, width_px: float = 3.0, lift: float = 0.012, opacity: float = 0.9, fading: bool = True):
        super().__init__()
        self.width_px, self.lift, self.opacity, self.fading = width_px, lift, opacity, fading
        self._records = np.zeros((0, 14), np.float32)
        self._dirty = False
        self.lines = LineBatch()

    def set_data(self, paths: np.ndarray, colors: np.ndarray) -> None:
        paths = np.asarray(paths, dtype=np.float32)
        steps, n = paths.shape[:2]
        if steps < 2 or n == 0:
            self._records = np.zeros((0, 14), np.float32)
        else:
            rgba = np.empty((steps, n, 4), np.float32)
            rgba[...] = np.broadcast_to(colors, (n, 4))
            rgba[..., 3] *= self.opacity * (fade(steps)[:, None] if self.fading else 1.0)
            records = segment_records(paths[:-1].reshape(-1, 3), paths[1:].reshape(-1, 3),
                                      rgba[:-1].reshape(-1, 4), rgba[1:].reshape(-1, 4))
            self._records = records[np.isfinite(records).all(axis=1)]
        self._dirty = True

    def create_gl(self) -> None:
        self.lines.create()
        self._dirty = True

    def delete_gl(self) -> None:
        self.lines.delete()

    def draw(self, camera: Camera) -> None:
        if self._dirty:
            self.lines.upload(self, "trails", self._records)
            self._dirty = False
        self.lines.draw(camera, self.width_px, self.lift)
