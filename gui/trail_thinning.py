"""Which parts of the particles' trails are drawn: a bounded number of evenly picked
particles and evenly thinned steps, always ending at the newest step, so that a frame
with thousands of particles costs the same as one with a thousand (2D and 3D views)."""
from __future__ import annotations

import numpy as np

# what a frame can draw at 30 frames a second under software OpenGL (llvmpipe, 2 cores): 30,000
# thick trail segments took 22 ms of a 3D frame, 12,000 take about 9
MAX_TRAILS = 500  #: trails of at most this many particles (evenly picked) are drawn
MAX_SEGMENTS = 12_000  #: beyond this many segments a frame, older steps are thinned out


def shown_particles(particles: int, max_trails: int = MAX_TRAILS) -> np.ndarray:
    """Indices of the particles whose trails are drawn: all, or every s-th with s the
    smallest stride leaving at most ``max_trails``."""
    return np.arange(0, particles, max(1, -(-particles // max_trails)))


def shown_steps(steps: int, particles: int, max_segments: int = MAX_SEGMENTS) -> np.ndarray:
    """Indices of the trail's steps to draw, oldest first, always ending at the newest: every
    step, or every s-th with s the smallest stride keeping (kept - 1) * particles <= max_segments."""
    stride = max(1, -(-(steps - 1) * particles // max(max_segments, 1)))
    return np.arange(steps - 1, -1, -stride)[::-1]


def thinned(trail: np.ndarray, max_trails: int = MAX_TRAILS, max_segments: int = MAX_SEGMENTS
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(trail[when, who] (S, P, ...), when (S,), who (P,)): the part of a (T, N, ...) trail
    that is drawn (:func:`shown_particles`, :func:`shown_steps`)."""
    who = shown_particles(trail.shape[1], max_trails)
    when = shown_steps(len(trail), len(who), max_segments)
    return trail[when[:, None], who], when, who
