"""``curl``: a learned score need not be the gradient of any energy; the exact score is one
(science.md 1 and 6; Horvat and Pfister, ICLR 2024).

On a ``resolution`` x ``resolution`` grid around the memories of a 2-D preset, at noise
level ``sigma``, two fields are compared: the exact score grad log p_sigma
(:func:`engine.energies.empirical.score`) and a :mod:`engine.learned_score` fit to the same
memories. For each field:
- the curl map: the loop integral of the field around a circle of radius r (one grid
  spacing) about every grid point, divided by the circle's area pi r^2, so by Stokes the
  mean curl over the disc. The trapezoid rule with ``nodes`` points converges exponentially
  for smooth periodic integrands, so a gradient field's loop integrals are zero to round-off;
- the Helmholtz-Hodge split F = grad phi + R on the grid: phi from an FFT Poisson solve,
  Delta phi = div F, with the field mirrored across the grid's edges (phi reflected evenly,
  i.e. zero normal flux of F - grad phi there), so that the spectral projection
  G_k = k (k . F_k) / |k|^2 needs no periodic field. R = F - grad phi is divergence-free.
  On the grid the split is a discretisation: even a gradient field leaves a small R (its
  rms is reported for the exact score too);
- rms values over the grid, and the largest loop integral around the circles.
Scores grow like 1/sigma^2; ``rotational_share`` = rms(R) / rms(F) is the scale-free figure.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Iterator

import numpy as np

from memscape.engine.backend import Backend
from memscape.engine.energies import empirical
from memscape.engine.experiments.runner import SettingError, Update, preset_params, setting
from memscape.engine.landscape import Grid
from memscape.engine.learned_score import FitSettings, fit
from memscape.engine.patterns import make_patterns

NAME = "curl"
SUMMARY = "curl, loop integrals and Helmholtz-Hodge split of the learned score next to the exact one"
COLUMNS = ("field", "sigma", "field_rms", "curl_rms", "grad_rms", "rotational_rms", "rotational_share", "max_loop")


@dataclasses.dataclass(frozen=True)
class Settings:
    preset: str = setting("ring", "a preset with 2-D memories")
    sigma: float = setting(0.3, "the noise level of the fields", low=1e-4)
    resolution: int = setting(64, "grid points per side", low=8)
    nodes: int = setting(32, "points on each loop (trapezoid rule)", low=4)
    capacity: int = setting(256, "learned score: random features", low=1)
    bandwidth: float = setting(6.0, "learned score: feature frequency scale", low=1e-6)
    fit_samples: int = setting(8192, "learned score: noisy training samples", low=1)
    seed: int = setting(0, "random seed of the learned score's fit", low=0)
    overrides: tuple[str, ...] = setting((), "run parameters of the preset (any other key=value)")


def loop_integrals(score: Callable[[Any], Any], centres: np.ndarray, radius: float, nodes: int,
                   backend: Backend) -> np.ndarray:
    """The loop integral of a 2-D field around the circle of ``radius`` about each centre
    (P, 2): sum_j F(c + r u_j) . r u_j' (2 pi / nodes), u_j = (cos t_j, sin t_j)."""
    t = 2.0 * np.pi * np.arange(nodes) / nodes
    u = np.stack([np.cos(t), np.sin(t)], axis=1)
    tangent = radius * np.stack([-np.sin(t), np.cos(t)], axis=1)
    pts = (centres[:, None, :] + radius * u[None, :, :]).reshape(-1, 2)
    f = backend.to_host(score(backend.asarray(pts))).reshape(centres.shape[0], nodes, 2)
    return np.einsum("pjd,jd->p", f, tangent) * (2.0 * np.pi / nodes)


def helmholtz_hodge(field: np.ndarray, dx: float, dy: float) -> tuple[np.ndarray, np.ndarray]:
    """(grad phi, R) of a field (H, W, 2) on a grid of spacings dx (columns) and dy (rows),
    by the mirrored FFT projection of the module docstring."""
    h, w, _ = field.shape
    fx, fy = field[..., 0], field[..., 1]
    # phi even across both edges: its x-derivative is odd in x and even in y, and so on
    ex = np.concatenate([fx, -fx[:, ::-1]], axis=1)
    ex = np.concatenate([ex, ex[::-1, :]], axis=0)
    ey = np.concatenate([fy, fy[:, ::-1]], axis=1)
    ey = np.concatenate([ey, -ey[::-1, :]], axis=0)
    kx = 2.0 * np.pi * np.fft.fftfreq(2 * w, dx)[None, :]
    ky = 2.0 * np.pi * np.fft.fftfreq(2 * h, dy)[:, None]
    fxk, fyk = np.fft.fft2(ex), np.fft.fft2(ey)
    k2 = kx * kx + ky * ky
    k2[0, 0] = 1.0
    along = (kx * fxk + ky * fyk) / k2
    gx = np.real(np.fft.ifft2(kx * along))[:h, :w]
    gy = np.real(np.fft.ifft2(ky * along))[:h, :w]
    grad = np.stack([gx, gy], axis=-1)
    return grad, field - grad


def rms(a: np.ndarray) -> float:
    """sqrt(mean |a|^2) over the grid (vector entries summed per point)."""
    a = np.asarray(a)
    per_point = (a * a).sum(axis=-1) if a.ndim == 3 else a * a
    return float(math.sqrt(per_point.mean()))


def validate(settings: Settings) -> None:
    """The preset's memories are 2-D."""
    d = make_patterns(preset_params(settings).patterns).memories.shape[1]
    if d != 2:
        raise SettingError(f"preset {settings.preset}: the curl experiment needs 2-D memories, got D = {d}")


def run(settings: Settings, backend: Backend) -> Iterator[Update]:
    validate(settings)
    st = settings
    params = preset_params(st)
    memories_host = make_patterns(params.patterns).memories
    memories = backend.asarray(memories_host)
    grid = Grid.for_memories(memories_host, resolution=st.resolution)
    pts = grid.points()
    dx, dy = grid.xs[1] - grid.xs[0], grid.ys[1] - grid.ys[0]
    radius = float(min(dx, dy))
    learned = fit(memories, FitSettings(capacity=st.capacity, bandwidth=st.bandwidth, samples=st.fit_samples,
                                        sigma_min=params.sigma_min, sigma_max=params.sigma_max, seed=st.seed),
                  backend)
    fields = [("exact", lambda x: empirical.score(x, st.sigma, memories)),
              ("learned", lambda x: learned.score(x, st.sigma))]
    base = {"grid_x": grid.xs, "grid_y": grid.ys, "memories_uv": memories_host}
    h, w = grid.shape
    for done, (name, score) in enumerate(fields, start=1):
        field = backend.to_host(score(backend.asarray(pts))).reshape(h, w, 2)
        loops = loop_integrals(score, pts, radius, st.nodes, backend)
        curl = (loops / (math.pi * radius * radius)).reshape(h, w)
        grad, rot = helmholtz_hodge(field, dx, dy)
        row = {"field": name, "sigma": st.sigma, "field_rms": rms(field), "curl_rms": rms(curl),
               "grad_rms": rms(grad), "rotational_rms": rms(rot), "rotational_share": rms(rot) / rms(field),
               "max_loop": float(np.max(np.abs(loops)))}
        arrays = {**(base if done == 1 else {}), f"curl {name}": curl, f"field {name}": field,
                  f"rotational {name}": rot}
        summary = {f"{name}: rotational share": row["rotational_share"], f"{name}: curl rms": row["curl_rms"],
                   f"{name}: largest loop integral": row["max_loop"]}
        yield Update(done, len(fields), [row], arrays=arrays, summary=summary)
