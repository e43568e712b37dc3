"""Stored patterns ("memories"), generated from a preset's ``[patterns]`` table.

``make_patterns(params.patterns)`` picks the generator named by ``kind`` and
calls it with the table's other entries as keyword options. Everything is
generated here from the options and an integer ``seed``: nothing is
downloaded, and the same table always gives the same memories. Generators
return host float64 arrays of shape (M, D); the engine moves them to its
backend.
"""
from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any, Callable

import numpy as np

from memscape.engine.params import ParamError


@dataclasses.dataclass(frozen=True)
class PatternSet:
    """Memories (M, D) plus what the views and the exact diffusion model need to know."""

    memories: np.ndarray
    image_shape: tuple[int, int] | None = None
    """(height, width) when every memory is an image flattened row by row."""
    gaussian: tuple[np.ndarray, float] | None = None
    """(mean (D,), variance s^2) when the data are one Gaussian N(mean, s^2 I): the
    exact diffusion model is then the Gaussian one, not the mixture of the samples."""

    def sample_noised(self, count: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
        """``count`` host draws from p_sigma, the data distribution smoothed by noise sigma
        (science.md 4 and 5): a memory chosen uniformly plus N(0, sigma^2 I), i.e.
        (1/M) sum_mu N(xi_mu, sigma^2 I); for Gaussian data exactly N(mean, (s^2 + sigma^2) I).
        The reverse process starts from this at sigma_max."""
        d = self.memories.shape[1]
        if self.gaussian is not None:
            mean, s2 = self.gaussian
            return mean + math.sqrt(s2 + sigma * sigma) * rng.standard_normal((count, d))
        chosen = rng.integers(0, self.memories.shape[0], count)
        return self.memories[chosen] + sigma * rng.standard_normal((count, d))


def two_wells(distance: float = 2.0) -> PatternSet:
    """The paper's Figure 1: two memories at (-d/2, 0) and (d/2, 0)."""
    _positive("distance", distance)
    return PatternSet(np.array([[-distance / 2, 0.0], [distance / 2, 0.0]]))


def ring(count: int = 8, radius: float = 1.0, jitter: float = 0.0, seed: int = 0) -> PatternSet:
    """``count`` points on a circle of ``radius`` (science.md 5, the circle toy).

    Point k sits at angle 2 pi (k + jitter u_k) / count with u_k uniform in
    [-1/2, 1/2): jitter 0 spaces them evenly, jitter near 1 makes close pairs."""
    _positive("count", count)
    _positive("radius", radius)
    if not 0.0 <= jitter < 1.0:
        raise ParamError(f"patterns.jitter: {jitter!r} is out of range; expected 0 <= jitter < 1")
    u = np.random.default_rng(seed).uniform(-0.5, 0.5, count)
    theta = 2 * np.pi * (np.arange(count) + jitter * u) / count
    return PatternSet(radius * np.stack([np.cos(theta), np.sin(theta)], axis=1))


def spiral(count: int = 24, turns: float = 1.5, radius: float = 2.0, inner: float = 0.3,
           noise: float = 0.0, seed: int = 0) -> PatternSet:
    """Archimedean spiral r = inner + (radius - inner) t, theta = 2 pi turns t, t in [0, 1],
    with optional Gaussian noise of standard deviation ``noise`` on each point."""
    _positive("count", count)
    _positive("radius", radius)
    if not 0.0 <= inner < radius:
        raise ParamError(f"patterns.inner: {inner!r} is out of range; expected 0 <= inner < radius")
    t = np.linspace(0.0, 1.0, count)
    r = inner + (radius - inner) * t
    theta = 2 * np.pi * turns * t
    pts = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return PatternSet(pts + noise * np.random.default_rng(seed).standard_normal(pts.shape))


def grid(rows: int = 3, cols: int = 3, spacing: float = 1.0) -> PatternSet:
    """A rows x cols lattice of points ``spacing`` apart, centred on the origin."""
    _positive("rows", rows)
    _positive("cols", cols)
    _positive("spacing", spacing)
    ys, xs = np.meshgrid((np.arange(rows) - (rows - 1) / 2) * spacing,
                         (np.arange(cols) - (cols - 1) / 2) * spacing, indexing="ij")
    return PatternSet(np.stack([xs.ravel(), ys.ravel()], axis=1))


def gaussian(mean: list | float | None = None, std: float = 1.0, dim: int = 2, count: int = 64,
             seed: int = 0) -> PatternSet:
    """One Gaussian N(mean, std^2 I) in ``dim`` dimensions (mean: a number for every
    coordinate, a list, or the origin); ``count`` samples of it are the memories an AM
    stores, while diffusion uses the exact Gaussian model."""
    _positive("std", std)
    _positive("dim", dim)
    _positive("count", count)
    mu = np.asarray(0.0 if mean is None else mean, dtype=np.float64)
    if mu.ndim == 0:
        mu = np.full(dim, float(mu))
    if mu.shape != (dim,):
        raise ParamError(f"patterns.mean: expected a number or a list of {dim} numbers (dim), got {mean!r}")
    samples = mu + std * np.random.default_rng(seed).standard_normal((count, dim))
    return PatternSet(samples, gaussian=(np.array(mu), float(std) ** 2))


def binary(dim: int = 64, count: int = 6, seed: int = 0) -> PatternSet:
    """``count`` random patterns of +-1 with ``dim`` entries (classical Hopfield's memories)."""
    _positive("dim", dim)
    _positive("count", count)
    rng = np.random.default_rng(seed)
    return PatternSet(rng.choice(np.array([-1.0, 1.0]), size=(count, dim)))


def letters(letters: str = "HOPFIELD", size: int = 16) -> PatternSet:
    """Capital letters of the shipped 5x7 font, scaled by whole pixels and centred on a
    size x size canvas; ink +1, background -1; one flattened image per memory."""
    if size < 16:
        raise ParamError(f"patterns.size: {size!r} is out of range; expected >= 16")
    unknown = sorted({c for c in letters if c not in _FONT})
    if not letters or unknown:
        raise ParamError(f"patterns.letters: {letters!r} must be capital letters A-Z"
                         + (f" (not {''.join(unknown)!r})" if unknown else ""))
    if len(set(letters)) != len(letters):
        raise ParamError(f"patterns.letters: {letters!r} repeats a letter; memories must differ")
    scale = (size - 2) // 7
    images = np.full((len(letters), size, size), -1.0)
    top, left = (size - 7 * scale) // 2, (size - 5 * scale) // 2
    for k, c in enumerate(letters):
        glyph = np.array([[ch == "#" for ch in row] for row in _FONT[c]], dtype=bool)
        big = np.kron(glyph, np.ones((scale, scale), dtype=bool))
        images[k, top:top + 7 * scale, left:left + 5 * scale][big] = 1.0
    return PatternSet(images.reshape(len(letters), size * size), image_shape=(size, size))


def points(points: list = ((-1.0, 0.0), (1.0, 0.0))) -> PatternSet:
    """Memories given point by point (the GUI adds and drags memories this way)."""
    try:
        pts = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        pts = np.empty(0)
    if pts.ndim != 2 or pts.shape[0] < 1 or pts.shape[1] < 1 or not np.all(np.isfinite(pts)):
        raise ParamError(f"patterns.points: expected a non-empty list of equal-length lists of numbers, got {points!r}")
    return PatternSet(pts)


GENERATORS: dict[str, Callable[..., PatternSet]] = {
    "two-wells": two_wells, "ring": ring, "spiral": spiral, "grid": grid,
    "gaussian": gaussian, "binary": binary, "letters": letters, "points": points,
}


def make_patterns(spec: dict[str, Any]) -> PatternSet:
    """The PatternSet of a ``[patterns]`` table: ``kind`` names the generator, the other
    entries are its options. Unknown kinds, unknown options and values of the wrong type
    raise ParamError naming ``patterns.<key>``."""
    kind = spec.get("kind")
    if kind not in GENERATORS:
        raise ParamError(f"patterns.kind: {kind!r} is not one of {', '.join(GENERATORS)}")
    gen = GENERATORS[kind]
    sig = inspect.signature(gen)
    options = {k: v for k, v in spec.items() if k != "kind"}
    for key, value in options.items():
        if key not in sig.parameters:
            raise ParamError(f"patterns.{key}: unknown option for kind {kind!r}; "
                             f"known: {', '.join(sig.parameters) or 'none'}")
        options[key] = _check_option(key, value, sig.parameters[key].default)
    return gen(**options)


def _check_option(key: str, value: Any, default: Any) -> Any:
    """Check an option against the type of its default (ints are accepted for floats)."""
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, type(default))
    elif isinstance(default, int):
        ok = isinstance(value, int)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and math.isfinite(value)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:  # list-valued options (mean, points) also take numbers; the generator checks the shape
        ok = isinstance(value, (list, tuple, int, float))
    if not ok:
        raise ParamError(f"patterns.{key}: expected {_kind_name(default)}, got {value!r}")
    return value


def _kind_name(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "an integer"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "a string"
    return "a list of numbers"


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ParamError(f"patterns.{name}: {value!r} is out of range; expected > 0")


# A 5x7 bitmap font for the capital letters (one string per row, '#' is ink).
_FONT: dict[str, tuple[str, ...]] = {
    "A": (".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "B": ("####.", "#...#", "#...#", "####.", "#...#", "#...#", "####."),
    "C": (".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."),
    "D": ("####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."),
    "E": ("#####", "#....", "#....", "####.", "#....", "#....", "#####"),
    "F": ("#####", "#....", "#....", "####.", "#....", "#....", "#...."),
    "G": (".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"),
    "H": ("#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "I": (".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."),
    "J": ("..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."),
    "K": ("#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"),
    "L": ("#....", "#....", "#....", "#....", "#....", "#....", "#####"),
    "M": ("#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"),
    "N": ("#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"),
    "O": (".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "P": ("####.", "#...#", "#...#", "####.", "#....", "#....", "#...."),
    "Q": (".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#"),
    "R": ("####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"),
    "S": (".####", "#....", "#....", ".###.", "....#", "....#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."),
    "U": ("#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."),
    "V": ("#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "W": ("#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."),
    "X": ("#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"),
    "Y": ("#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."),
    "Z": ("#####", "....#", "...#.", "..#..", ".#...", "#....", "#####"),
}
