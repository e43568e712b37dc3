"""Energy bookkeeping along a run: which particles' energy rose beyond round-off, and the two
shares a viewer can read (science.md 5).

An associative memory's energy is a Lyapunov function: along its dynamics it never rises, so
every rise beyond round-off is a fault. A diffusion model has no such function; the honest
test is a *fixed* function along the path, -log p_sigma_ref(x_t) (the frame's
"energy_fixed"), whose rises are real. The run owner calls :func:`energy_rose` once per step
with the previous and current rows (through :meth:`RiseTally.add`) into a :class:`RiseTally`, which
reports the share of particles whose energy ever rose and the share of steps with a rise,
never a raw count of particle-steps. A tally covers one segment of a run: rises are never
compared across a parameter change (the landscape itself changed), so the owner calls
:meth:`RiseTally.reset` there. Host NumPy only; no Qt.
"""
from __future__ import annotations

import numpy as np

#: a rise counts when it exceeds this many machine epsilons of the values' magnitude (see
#: :func:`rise_tolerance`)
ROUNDOFF_MULTIPLE = 8.0


def rise_tolerance(prev: np.ndarray, cur: np.ndarray, precision: str | np.dtype, scale: float = 0.0
                   ) -> np.ndarray:
    """The largest change of E that round-off can explain, per particle:
    tol = 8 eps (|E_prev| + |E_cur| + scale), eps the machine epsilon of ``precision``.

    Why: each energy is computed from terms whose magnitude is at most about |E| + scale,
    where ``scale`` is the size of the largest terms that cancel inside the kernel
    (:attr:`engine.simulation.Simulation.energy_scale`: the distance form |x|^2 - 2 x.xi +
    |xi|^2 carries an absolute error of about eps beta (|x|^2 + |xi|^2), engine/kernels.py;
    beta |xi|^2 for the diffusion energy at sigma_ref, |xi|^2 for an AM's energy, whose unit
    is a squared distance). A value formed by a few (at most 4) roundings of such terms is
    off by at most 4 eps (|E| + scale); the difference of two values by 8 eps (|E_prev| +
    |E_cur| + scale). Measured on every preset's associative memories at their defaults in
    float32, the largest rise was 1.4 eps (|E_prev| + |E_cur| + scale): the multiple 8 leaves
    room and still flags any rise of a relative size above about 1e-6 in float32."""
    eps = float(np.finfo(np.dtype(precision)).eps)
    prev = np.asarray(prev, dtype=np.float64)
    cur = np.asarray(cur, dtype=np.float64)
    return ROUNDOFF_MULTIPLE * eps * (np.abs(prev) + np.abs(cur) + float(scale))


def energy_rose(prev: np.ndarray, cur: np.ndarray, precision: str | np.dtype, scale: float = 0.0
                ) -> np.ndarray:
    """(N,) bool: E_cur > E_prev + :func:`rise_tolerance` (prev, cur: (N,) energies of the
    same particles at two consecutive steps). NaN on either side never counts."""
    prev = np.asarray(prev, dtype=np.float64)
    cur = np.asarray(cur, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return cur - prev > rise_tolerance(prev, cur, precision, scale)


class RiseTally:
    """Rises over one segment of a run: the share of particles whose energy ever rose and
    the share of steps with at least one rise. A step counts once any particle had both
    energies defined (not NaN); shares are NaN before the first such step."""

    def __init__(self, particles: int):
        self.particles = int(particles)
        self.reset()

    def reset(self) -> None:
        """Start a new segment (after a parameter change, or a restart)."""
        self.steps = 0  #: steps counted in this segment
        self.steps_with_rise = 0  #: of those, steps where some particle's energy rose
        self.ever_rose = np.zeros(self.particles, dtype=bool)  #: (N,) particles that rose at least once

    def add(self, prev: np.ndarray, cur: np.ndarray, precision: str | np.dtype, scale: float = 0.0
            ) -> np.ndarray:
        """One step from the (N,) energies ``prev`` to ``cur``: counts it and returns which
        particles rose (:func:`energy_rose`), e.g. to mark them."""
        prev = np.asarray(prev, dtype=np.float64).reshape(self.particles)
        cur = np.asarray(cur, dtype=np.float64).reshape(self.particles)
        rose = energy_rose(prev, cur, precision, scale)
        if np.any(np.isfinite(prev) & np.isfinite(cur)):
            self.steps += 1
            self.steps_with_rise += int(rose.any())
            self.ever_rose |= rose
        return rose

    @property
    def particle_share(self) -> float:
        """Share of particles whose energy rose at least once in this segment."""
        return float(self.ever_rose.mean()) if self.steps else float("nan")

    @property
    def step_share(self) -> float:
        """Share of this segment's steps with at least one rise."""
        return self.steps_with_rise / self.steps if self.steps else float("nan")


def tally_rises(energy: np.ndarray, precision: str | np.dtype, scale: float = 0.0) -> RiseTally:
    """The :class:`RiseTally` of a whole recorded segment, ``energy`` (T+1, N)."""
    energy = np.asarray(energy, dtype=np.float64)
    tally = RiseTally(energy.shape[1])
    for t in range(1, energy.shape[0]):
        tally.add(energy[t - 1], energy[t], precision, scale)
    return tally
