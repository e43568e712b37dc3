"""Energy maps on a 2D grid: what the 2D colour map, the contours, the arrows and the
3D height field draw.

The grid lives in plane coordinates (u, v) of a :class:`engine.projection.Plane`
(for D = 2 simply the data coordinates). Every grid point is lifted to R^D and
the whole grid is evaluated as one batch of H*W points on the simulation's
backend, then copied to the host once. When the plane is the data plane itself
(D = 2), the softmax kernels of the landscape are evaluated by
:class:`engine.grid_kernels.GridKernels`, which uses the grid's row-column structure
and gives the same numbers (issue 5).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from memscape.engine import kernels as direct_kernels
from memscape.engine.backend import namespace
from memscape.engine.grid_kernels import GridKernels
from memscape.engine.projection import Plane


@dataclasses.dataclass(frozen=True)
class Grid:
    """A regular grid: W points over x_range, H over y_range. Row i, column j is the
    point (xs[j], ys[i]), so arrays on the grid have shape (H, W)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    resolution: int | tuple[int, int] = 128  #: W = H, or (W, H)

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W)."""
        w, h = (self.resolution, self.resolution) if isinstance(self.resolution, int) else self.resolution
        return h, w

    @property
    def xs(self) -> np.ndarray:
        return np.linspace(*self.x_range, self.shape[1])

    @property
    def ys(self) -> np.ndarray:
        return np.linspace(*self.y_range, self.shape[0])

    def points(self) -> np.ndarray:
        """All grid points as (H*W, 2) host float64, row by row (point i*W + j = (xs[j], ys[i]))."""
        h, w = self.shape
        pts = np.empty((h, w, 2))
        pts[:, :, 0], pts[:, :, 1] = self.xs[None, :], self.ys[:, None]
        return pts.reshape(h * w, 2)

    @classmethod
    def around(cls, uv: np.ndarray, margin: float = 0.5, resolution: int | tuple[int, int] = 128) -> "Grid":
        """A square grid centred on the points ``uv`` (M, 2) whose side is their largest
        extent (at least 1) times 1 + 2 * margin."""
        uv = np.asarray(uv, dtype=np.float64)
        lo, hi = uv.min(axis=0), uv.max(axis=0)
        centre = (lo + hi) / 2
        half = max(float(np.max(hi - lo)), 1.0) * (0.5 + margin)
        return cls((centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half), resolution)

    @classmethod
    def for_memories(cls, memories: np.ndarray, plane: Plane | None = None, margin: float = 0.5,
                     resolution: int | tuple[int, int] = 128) -> "Grid":
        """The automatic grid: around the memories projected on ``plane`` (default principal)."""
        plane = plane if plane is not None else Plane.principal(memories)
        return cls.around(plane.project(np.asarray(memories, dtype=np.float64)), margin, resolution)


def energy_map(sim, grid: Grid, plane: Plane | None = None) -> dict[str, np.ndarray]:
    """The energy (H, W) and its gradient projected onto the plane (H, W, 2), B grad E,
    at every grid point lifted onto ``plane`` (default ``sim.plane``): the AM's landscape
    or E_sigma at the simulation's current sigma (:meth:`Simulation.energy_and_grad`).
    Also returns the grid's ``x`` (W,) and ``y`` (H,) and the ``sigma`` drawn (nan for AMs).

    On the data plane (D = 2, origin 0, basis I) the grid points are the data points, and
    the landscape's softmax kernels (exact diffusion, Modern Hopfield, dense-exp) are
    evaluated as :class:`engine.grid_kernels.GridKernels`; other landscapes never call
    them and are evaluated point by point as on any other plane."""
    plane = plane if plane is not None else sim.plane
    backend = sim.backend
    data_plane = is_data_plane(plane)
    pts = backend.asarray(grid.points())
    if data_plane:
        kernels = GridKernels(backend.asarray(grid.xs), backend.asarray(grid.ys))
    else:
        pts, kernels = plane.lift(pts), direct_kernels
    energy, grad = sim.energy_and_grad(pts, kernels)
    xp = namespace(energy, grad)
    grad_uv = grad if data_plane else grad @ backend.asarray(plane.basis).T
    host = backend.to_host(xp.concat([xp.reshape(energy, (-1, 1)), grad_uv], axis=1))
    h, w = grid.shape
    return {"energy": host[:, 0].reshape(h, w), "grad": host[:, 1:].reshape(h, w, 2),
            "x": grid.xs, "y": grid.ys, "sigma": sim.landscape_sigma}


def is_data_plane(plane: Plane) -> bool:
    """Whether ``plane`` is the 2-D data plane itself (origin 0, basis I), where plane
    coordinates are data coordinates: lift and project are the identity."""
    return plane.basis.shape == (2, 2) and np.array_equal(plane.basis, np.eye(2)) and not np.any(plane.origin)
