"""For image memories: each particle's current state as an image, with the memory nearest
to it underneath (top row of each pair: particle; bottom row: nearest memory)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

MAX_TILES = 32


def mosaic(states: np.ndarray, nearest: np.ndarray, shape: tuple[int, int], cols: int) -> np.ndarray:
    """Tile (N, H*W) states and their (N, H*W) nearest memories into one (rows*2*(H+1), cols*(W+1))
    picture, each particle above its memory, separated by one-pixel NaN gutters (display only)."""
    h, w = shape
    n = len(states)
    rows = -(-n // cols)
    out = np.full((rows * 2 * (h + 1), cols * (w + 1)), np.nan)
    for k in range(n):
        r, c = divmod(k, cols)
        y, x = r * 2 * (h + 1), c * (w + 1)
        out[y:y + h, x:x + w] = states[k].reshape(h, w)
        out[y + h + 1:y + 2 * h + 1, x:x + w] = nearest[k].reshape(h, w)
    return out


class ImageGridView(pg.GraphicsLayoutWidget):
    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.caption = self.addLabel("", row=0, col=0)
        self.vb = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True)
        self.vb.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("CET-L1"))
        self.vb.addItem(self.image)
        self.shape: tuple[int, int] | None = None

    def set_states(self, states: np.ndarray, nearest: np.ndarray, shape: tuple[int, int]) -> None:
        """(N, D) particle states and (N, D) nearest memories, images of ``shape`` (H, W)."""
        states = np.asarray(states)[:MAX_TILES]
        nearest = np.asarray(nearest)[:MAX_TILES]
        cols = max(1, int(np.ceil(np.sqrt(len(states) * 2))))
        picture = mosaic(states, nearest, shape, cols)
        self.image.setImage(picture, levels=(-1.5, 1.5), autoLevels=False)
        self.caption.setText("each particle's state now (above) and its nearest memory (below)")
        if self.shape != shape or self.vb.state["autoRange"][0]:
            self.vb.autoRange(padding=0.02)
        self.shape = shape

    def show_message(self, text: str) -> None:
        """No images to show (point memories): say why instead."""
        self.image.clear()
        self.caption.setText(text)
        self.shape = None
