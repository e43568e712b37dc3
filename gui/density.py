"""The particles of a frame as a density, for the 2D and 3D landscapes when there are too
many of them to read as points (:data:`DENSITY_ABOVE`).

:func:`particle_density` counts the particles in each bin of a BINS x BINS grid over the
landscape's rectangle [x0, x1] x [y0, y1] (the extent of its energy map): the value of a bin
is the number of particles whose plane coordinates (u, v) lie in it, **particles per bin**
(bin j along x covers [x0 + j dx, x0 + (j+1) dx) with dx = (x1 - x0) / BINS, the last bin
closed on the right, as ``np.histogram2d`` bins; likewise along y). Particles outside the
rectangle, or with a coordinate that is not finite, are not counted and are reported as
``outside``. One ``np.bincount`` of the flat bin indices per frame; no loop over particles.

:func:`density_rgba` colours the counts on a **log scale from 1 particle per bin to the
frame's fullest bin**: t = log(count) / log(max) (t = 1 where every non-empty bin holds the
maximum), colour DENSITY_COLORMAP(DENSITY_COLOR_SPAN[0] + t * span), opacity
DENSITY_ALPHA[0] + t * (DENSITY_ALPHA[1] - DENSITY_ALPHA[0]); an empty bin is fully
transparent, so the landscape shows through. :func:`legend` says so in words, with the
maximum, for the view's corner; :func:`hover_note` adds what hovering does, for a tooltip.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pyqtgraph as pg

#: a display choice: above this many particles the landscapes draw the density, not points. A
#: particle's marker is 7 px across (about 38 px^2), so in a 600 x 600 px view (360,000 px^2)
#: 10,000 markers cover the view's area once over: beyond that points are an opaque smear in
#: which no single particle can be read, and drawing them costs most of a frame
DENSITY_ABOVE = 10_000
BINS = 128  #: bins along each side of the landscape's rectangle (the texture's size)
DENSITY_COLORMAP = "inferno"  #: warm hues over the energy map's viridis
DENSITY_COLOR_SPAN = (0.35, 1.0)  #: the part of the colour map the log scale runs over
DENSITY_ALPHA = (150, 245)  #: opacity (of 255) of a bin with 1 particle and of the fullest bin


def shows_density(particles: int) -> bool:
    """Whether a frame of ``particles`` particles is drawn as a density (above DENSITY_ABOVE)."""
    return particles > DENSITY_ABOVE


@dataclasses.dataclass(frozen=True)
class Density:
    """Particles per bin over a rectangle."""

    counts: np.ndarray  #: (ny, nx) int64: counts[i, j] particles with v in y-bin i, u in x-bin j
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    outside: int  #: particles not counted: outside the rectangle or not finite

    @property
    def bin_size(self) -> tuple[float, float]:
        """(dx, dy): the width and height of one bin in plane units."""
        ny, nx = self.counts.shape
        return ((self.x_range[1] - self.x_range[0]) / nx, (self.y_range[1] - self.y_range[0]) / ny)

    @functools.cached_property
    def rgba(self) -> np.ndarray:
        """:func:`density_rgba` of these counts, made once however many views draw them."""
        return density_rgba(self)

    @property
    def peak(self) -> int:
        """The count of the fullest bin (0 when no particle is inside)."""
        return int(self.counts.max()) if self.counts.size else 0


def _bin_index(values: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Bin of each value in ``n`` equal bins of [lo, hi] (-1 outside or not finite): floor of
    the scaled value, corrected against the bin edges ``np.linspace(lo, hi, n + 1)`` so that
    every value lands in the bin np.histogram2d puts it in (edges[j] <= v < edges[j+1], the
    last bin closed on the right)."""
    edges = np.linspace(lo, hi, n + 1)
    inside = (values >= lo) & (values <= hi)  # False for NaN
    scaled = np.where(inside, (values - lo) * (n / (hi - lo)), 0.0)
    index = np.minimum(scaled.astype(np.intp), n - 1)
    index -= values < edges[index]  # rounding put it one bin too high
    index += (values >= edges[index + 1]) & (index < n - 1)  # ... or one too low
    return np.where(inside, index, -1)


def particle_density(uv: np.ndarray, x_range: tuple[float, float], y_range: tuple[float, float],
                     bins: int = BINS) -> Density:
    """The :class:`Density` of the particles at ``uv`` (N, 2) over [x_range] x [y_range] in
    ``bins`` x ``bins`` bins (see the module docstring)."""
    uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
    (x0, x1), (y0, y1) = map(float, x_range), map(float, y_range)
    j = _bin_index(uv[:, 0], x0, x1, bins)
    i = _bin_index(uv[:, 1], y0, y1, bins)
    counted = (i >= 0) & (j >= 0)
    flat = i[counted] * bins + j[counted]
    counts = np.bincount(flat, minlength=bins * bins).reshape(bins, bins)
    return Density(counts, (x0, x1), (y0, y1), int(len(uv) - flat.size))


@functools.lru_cache(maxsize=1)
def _lut() -> np.ndarray:
    """(256, 4) uint8: the colour and opacity of t = k / 255 on the log scale."""
    t = np.linspace(0.0, 1.0, 256)
    lo, hi = DENSITY_COLOR_SPAN
    rgb = pg.colormap.get(DENSITY_COLORMAP).map(lo + (hi - lo) * t, mode="float")[:, :3]
    alpha = DENSITY_ALPHA[0] + (DENSITY_ALPHA[1] - DENSITY_ALPHA[0]) * t
    return np.concatenate([np.round(255 * rgb), np.round(alpha)[:, None]], axis=1).astype(np.uint8)


def log_scale(counts: np.ndarray) -> np.ndarray:
    """t in [0, 1] of each count: log(count) / log(max count), 1 where the max is 1; NaN where
    a bin is empty."""
    counts = np.asarray(counts)
    peak = counts.max(initial=0)
    with np.errstate(divide="ignore"):
        logs = np.log(np.where(counts > 0, counts, 1).astype(np.float64))
    t = logs / np.log(peak) if peak > 1 else np.ones(counts.shape)
    return np.where(counts > 0, t, np.nan)


def density_rgba(density: Density) -> np.ndarray:
    """(ny, nx, 4) uint8 RGBA of the counts, row i at y-bin i (see the module docstring)."""
    t = log_scale(density.counts)
    empty = np.isnan(t)
    rgba = _lut()[np.round(255 * np.where(empty, 0.0, t)).astype(np.intp)]
    rgba[empty] = 0
    return rgba


def legend(density: Density) -> str:
    """The scale in a few words, for the view's corner: what a bin holds, the log colour
    scale's two ends and the particles left out."""
    dx, dy = density.bin_size
    words = f"particles per {dx:.3g} \u00d7 {dy:.3g} bin, log scale: 1 (purple) to {density.peak:,} (pale yellow)"
    if density.outside:
        words += f"; {density.outside:,} outside the map not shown"
    return words


def hover_note(density: Density) -> str:
    """The legend with what it leaves unsaid, for the 2D view's tooltip: empty bins are
    clear, and in a density no single particle can be hovered."""
    return (f"Density of the particles: {legend(density)}. Empty bins are clear. Above {DENSITY_ABOVE:,} "
            "particles, hovering the map picks no single particle.")
