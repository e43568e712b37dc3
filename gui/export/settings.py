"""What an exported video looks like, with no Qt: the CLI parses into these at import time.

Frame k of a video of F frames shows step s_k = floor(k * T / (F - 1) + 1/2) of a
T-step run (:func:`frame_steps`): the first frame is the initial noise, the last the
end state, and the run is simulated once and kept whole.
"""
from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np

OVERLAYS = ("title", "params", "step")
VIEWS = ("2d", "3d", "side-by-side")
RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080), "4K": (3840, 2160)}


@dataclasses.dataclass(frozen=True)
class RenderSettings:
    """What a video looks like; the CLI's options and the dialog's fields map onto these."""

    view: str = "2d"
    size: tuple[int, int] = RESOLUTIONS["720p"]  #: (width, height) in pixels
    fps: float = 30.0
    seconds: float = 5.0
    title: str = ""
    overlays: tuple[str, ...] = OVERLAYS  #: which of the title (if any), "params", "step" to draw
    orbit: float = 0.0  #: 3D camera turn in degrees per second of video
    presenter: bool = False  #: the app's high-contrast presenter theme
    #: the 2D views' x and y range, as on screen; None fits the landscape
    view_range: tuple[tuple[float, float], tuple[float, float]] | None = None
    #: the 3D camera of the first frame (distance, elevation and azimuth in degrees), as on
    #: screen; None: a new 3D view's camera
    camera: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"view: {self.view!r} is not one of {', '.join(VIEWS)}")
        if not (0 < self.fps < math.inf and 0 < self.seconds < math.inf):
            raise ValueError("fps and seconds must be positive finite numbers")
        if not math.isfinite(self.orbit) or (self.camera is not None and not all(map(math.isfinite, self.camera))):
            raise ValueError("orbit and the camera must be finite numbers of degrees")
        unknown = set(self.overlays) - set(OVERLAYS)
        if unknown:
            raise ValueError(f"overlays: unknown {sorted(unknown)}; expected some of {', '.join(OVERLAYS)}")
        if min(self.size) < 16:
            raise ValueError(f"size {self.size[0]}x{self.size[1]} is too small (at least 16x16)")

    @property
    def frame_count(self) -> int:
        """round(fps * seconds) frames, at least two (the start and the end of the run)."""
        return max(2, round(self.fps * self.seconds))


def frame_steps(frames: int, steps: int) -> np.ndarray:
    """The step frame k shows: floor(k * steps / (frames - 1) + 1/2), k = 0..frames-1."""
    k = np.arange(frames)
    return np.floor(k * steps / (frames - 1) + 0.5).astype(int)


class Progress(NamedTuple):
    phase: str  #: "simulating" or "rendering"
    done: int
    total: int
