"""Energy bookkeeping along a run: which particles' energy rose beyond round-off, and the two
shares a viewer can read (science.md 5).

An associative memory's energy is a Lyapunov function: along its dynamics it never rises, so
every rise beyond round-off is a fault. A diffusion model has no such function; the honest
test is a *fixed* function along the path, -log p_sigma_ref(x_t) (the frame's
"energy_fixed"), whose rises are real. The run's recording (memscape.engine.run.recording)
calls :func:`energy_rose` once per step with the previous and current rows, never across a
parameter change (the landscape itself changed); :func:`rise_shares` turns the rises into the
share of particles whose energy ever rose and the share of steps with a rise, never a raw
count of particle-steps (``simulate`` reports the same through :func:`tally_rises`). Host
NumPy only; no Qt.
"""
from __future__ import annotations

import dataclasses

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


def rise_shares(rose: np.ndarray, compared: np.ndarray) -> tuple[float, float]:
    """(share of the particles whose energy rose at least once, share of the compared steps
    with at least one rise): ``rose`` (T, N) bool, from :func:`energy_rose` of each step with
    its predecessor; ``compared`` (T,) bool, the steps that have a predecessor in their
    segment (never the first step, nor the first after a parameter change: rises are never
    compared across one). NaN when no step was compared."""
    rose, compared = np.asarray(rose, bool), np.asarray(compared, bool)
    if not compared.any():
        return float("nan"), float("nan")
    return float(rose[compared].any(axis=0).mean()), step_share(rose.any(axis=1), compared)


def step_share(rose_any: np.ndarray, compared: np.ndarray) -> float:
    """The share of the compared steps (``compared`` (T,) bool) at which some particle rose
    (``rose_any`` (T,) bool); NaN when no step was compared."""
    compared = np.asarray(compared, bool)
    steps = int(compared.sum())
    return float(np.asarray(rose_any, bool)[compared].sum()) / steps if steps else float("nan")


@dataclasses.dataclass(frozen=True)
class Rises:
    """The rises of a recorded run: which particles rose into which step, and which steps
    were compared (:func:`rise_shares`)."""

    rose: np.ndarray  #: (T, N) bool
    compared: np.ndarray  #: (T,) bool

    @property
    def steps(self) -> int:
        return int(self.compared.sum())

    @property
    def steps_with_rise(self) -> int:
        return int(self.rose[self.compared].any(axis=1).sum())

    @property
    def ever_rose(self) -> np.ndarray:
        """(N,) particles whose energy rose at least once."""
        return self.rose.any(axis=0)

    @property
    def particle_share(self) -> float:
        return rise_shares(self.rose, self.compared)[0]

    @property
    def step_share(self) -> float:
        return rise_shares(self.rose, self.compared)[1]


def tally_rises(energy: np.ndarray, precision: str | np.dtype, scale: float = 0.0) -> Rises:
    """The :class:`Rises` of one segment recorded as ``energy`` (T, N): step t compared with
    step t - 1 where some particle has both energies defined."""
    energy = np.asarray(energy, dtype=np.float64)
    rose = np.zeros(energy.shape, bool)
    compared = np.zeros(len(energy), bool)
    if len(energy) > 1:
        rose[1:] = energy_rose(energy[:-1], energy[1:], precision, scale)
        compared[1:] = (np.isfinite(energy[:-1]) & np.isfinite(energy[1:])).any(axis=1)
    return Rises(rose, compared)
