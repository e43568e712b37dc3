"""Dense Associative Memory (Krotov & Hopfield 2016; Demircigil et al. 2017; science.md 2).

E(s) = -sum_mu F(xi_mu . s) with F(z) = z^n ("dense-poly", n = params.n) or
F(z) = exp(beta z) ("dense-exp", beta = params.beta; beta = 1 is Demircigil et al.).
``DenseAM(memories, params)`` builds one of two regimes, chosen from the memories:

:class:`BinaryDenseAM` (every memory entry is +-1): binary states, asynchronous
updates; one step is a sweep over the neurons in a random order, each s_i set to
whichever sign gives the lower energy (kept on a tie), so E never rises. Energies are
reported in units of F(D), the energy of one perfect overlap: -sum (z/D)^n or
-sum exp(beta (z - D)). A positive factor changes neither the flips nor the
monotonicity, and it keeps z^n and exp(z) inside float32 for any D.

:class:`ContinuousDenseAM` (any other memories, e.g. 2D points): -sum F(xi . x) is
unbounded below on R^D, so the continuous relaxation adds the confining term
1/2 |x|^2 to a monotone transform of the separation sum, g = Phi(sum_mu F(xi_mu . x)):
  dense-poly: E(x) = 1/2 |x|^2 - (sum_mu relu(xi_mu . x)^n)^(1/n)
  dense-exp:  E(x) = 1/2 |x|^2 - (1/beta) log sum_mu exp(beta xi_mu . x)
On binary states |s|^2 = D is constant, so E is there an increasing function of the
(rectified) binary energy. g is convex (an n-norm of rectified overlaps; a log-sum-exp),
so this is a :class:`~engine.energies.modern.ConcaveConvexAM`: gradient descent of step
params.dt never raises E for 0 < dt <= 2, and dt = 1 jumps to the readout
a(x) = grad g = Xi^T (relu(z) / g)^(n-1) (resp. Xi^T softmax(beta z)), which sharpens
onto the nearest memory as n (resp. beta) grows. dense-exp is then the dot-form Modern
Hopfield network (Ramsauer et al. 2020), its continuous generalisation.

``params.update`` is not used: binary Dense AMs update asynchronously.
"""
from __future__ import annotations

from typing import Any

from memscape.engine.backend import logsumexp, namespace
from memscape.engine.energies.hopfield import BinaryStates, sweep_order
from memscape.engine.energies.modern import ConcaveConvexAM
from memscape.engine import kernels as direct_kernels


class DenseAM:
    """Dense AM for ``params.model`` "dense-poly" or "dense-exp"; constructing it gives a
    :class:`BinaryDenseAM` for +-1 memories and a :class:`ContinuousDenseAM` otherwise."""

    def __new__(cls, memories: Any, params: Any):
        if cls is DenseAM:
            xp = namespace(memories)
            cls = BinaryDenseAM if bool(xp.all(xp.abs(memories) == 1.0)) else ContinuousDenseAM
        return super().__new__(cls)


class BinaryDenseAM(DenseAM, BinaryStates):
    """Binary states, asynchronous energy-lowering flips, energies in units of F(D)."""

    def __init__(self, memories: Any, params: Any):
        self.xp = namespace(memories)
        self.memories = memories
        self.params = params
        self.dim = memories.shape[1]

    def _f(self, z: Any) -> Any:
        """F(z) / F(D) elementwise."""
        p = self.params
        if p.model == "dense-exp":
            return self.xp.exp(p.beta * (z - self.dim))
        return (z / self.dim) ** p.n

    def _df(self, z: Any) -> Any:
        """F'(z) / F(D) elementwise."""
        p = self.params
        if p.model == "dense-exp":
            return p.beta * self.xp.exp(p.beta * (z - self.dim))
        return (p.n / self.dim) * (z / self.dim) ** (p.n - 1)

    def _strength(self, z: Any) -> Any:
        """A strictly increasing function of sum_mu F(z_mu), (N,): log sum exp(beta z) for
        dense-exp (exact without overflow), sum (z/D)^n for dense-poly."""
        if self.params.model == "dense-exp":
            return logsumexp(self.xp, self.params.beta * z, axis=1)
        return self.xp.sum(self._f(z), axis=1)

    def step(self, state: Any, rng: Any) -> Any:
        """One asynchronous sweep: s_i <- the sign with the larger sum_mu F(xi_mu . s)."""
        xp = self.xp
        s = xp.asarray(state, copy=True)
        z = s @ self.memories.T
        for i in sweep_order(rng, s.shape[1]):
            i = int(i)
            xi_i = self.memories[:, i][None, :]
            z_rest = z - s[:, i][:, None] * xi_i
            up = self._strength(z_rest + xi_i)
            down = self._strength(z_rest - xi_i)
            s_i = xp.where(up > down, xp.ones_like(up), xp.where(down > up, -xp.ones_like(up), s[:, i]))
            s[:, i] = s_i
            z = z_rest + s_i[:, None] * xi_i
        return s

    def landscape(self, x: Any) -> Any:
        """E = -sum_mu F(xi_mu . x) / F(D): the energy of a binary state, and at continuous x
        what the maps draw."""
        return -self.xp.sum(self._f(x @ self.memories.T), axis=1)

    def landscape_grad(self, x: Any) -> Any:
        """-sum_mu F'(xi_mu . x) xi_mu / F(D)."""
        return -(self._df(x @ self.memories.T) @ self.memories)


class ContinuousDenseAM(DenseAM, ConcaveConvexAM):
    """E(x) = 1/2 |x|^2 - g(x), g the n-norm of the rectified overlaps (dense-poly) or
    (1/beta) log sum exp(beta xi . x) (dense-exp); see the module docstring."""

    def energy_readout(self, x: Any, kernels: Any = direct_kernels) -> tuple[Any, Any]:
        xp, p = self.xp, self.params
        half_sq = 0.5 * xp.sum(x * x, axis=1)
        if p.model == "dense-exp":
            lse, readout = kernels.dot_lse_mean(x, self.memories, p.beta)
            return half_sq - lse / p.beta, readout
        r = x @ self.memories.T
        r = xp.maximum(r, xp.zeros_like(r))
        # g = top * (sum (r/top)^n)^(1/n): no overflow for any n; g = 0 when no overlap is positive
        top = xp.max(r, axis=1, keepdims=True)
        safe_top = xp.where(top > 0, top, xp.ones_like(top))
        g = safe_top * xp.sum((r / safe_top) ** p.n, axis=1, keepdims=True) ** (1.0 / p.n)
        g = xp.where(top > 0, g, xp.zeros_like(g))
        weights = (r / xp.where(g > 0, g, xp.ones_like(g))) ** (p.n - 1)
        return half_sq - g[:, 0], weights @ self.memories
