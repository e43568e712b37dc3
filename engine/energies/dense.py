"""Dense Associative Memory (Krotov & Hopfield 2016; Demircigil et al. 2017; science.md 2).

E(s) = -sum_mu F(xi_mu . s) with F(z) = z^n ("dense-poly", n = params.n) or
F(z) = exp(z) ("dense-exp"). Two regimes, chosen from the memories:

Binary memories (every entry +-1): binary states, asynchronous updates. One step is
one sweep over the neurons in a random order; each s_i is set to whichever sign gives
the lower energy (kept on a tie), so E never rises. Energies are reported in units of
F(D), the energy of one perfect overlap: E / F(D) = -sum_mu F(xi_mu . s) / F(D), i.e.
-sum (z/D)^n or -sum exp(z - D). A positive factor changes neither the flips nor the
monotonicity, and it keeps z^n and exp(z) inside float32 for any D.

Continuous memories (e.g. 2D points): z^n and exp(z) are unbounded below on R^D, so
the state is bounded through a tanh visible Lagrangian (the continuous Dense AM of
Krotov & Hopfield 2021): internal state u, visible v = r tanh(u) with
r = max |xi_mu,i| (so memories lie in the box [-r, r]^D), and
  E(u) = r sum_i [u_i tanh u_i - log cosh u_i] - sum_mu F(xi_mu . v).
The first term is the Legendre energy of L_v(u) = r sum log cosh u; as a function of
v it is r sum_i h(v_i / r), h(t) = 1/2 [(1+t) log(1+t) + (1-t) log(1-t)], whose
gradient is u, so grad_v E = u - sum_mu F'(xi_mu . v) xi_mu. The dynamics
  du/dt = -grad_v E = sum_mu F'(xi_mu . v) xi_mu - u
(Euler steps of params.dt) give dE/dt = -du/dt^T diag(r sech^2 u) du/dt <= 0.
``landscape`` is this energy over visible points: +inf outside the box (no state is
there), and ``landscape_grad`` is grad_v E (NaN on and outside the box's boundary).

``params.update`` is not used: Dense AMs update asynchronously.
"""
from __future__ import annotations

from typing import Any

from engine.backend import logsumexp, namespace
from engine.energies.hopfield import binarize, sweep_order
from engine.energies.lagrangians import Tanh


_OPEN = 1.0 - 1e-6  #: |v| / r is clipped to this inside the open box where artanh is finite


class DenseAM:
    """Dense AM with ``params.model`` "dense-poly" (F = z^n) or "dense-exp" (F = exp z)."""

    def __init__(self, memories: Any, params: Any):
        xp = namespace(memories)
        self.xp = xp
        self.memories = memories
        self.params = params
        self.exponential = params.model == "dense-exp"
        self.n = params.n
        self.binary = bool(xp.all(xp.abs(memories) == 1.0))
        self.radius = float(xp.max(xp.abs(memories)))
        self._tanh = Tanh()
        self.dim = memories.shape[1]

    # -- separation function ------------------------------------------------
    def _f(self, z: Any) -> Any:
        """F(z) elementwise; in binary mode F(z) / F(D)."""
        xp = self.xp
        if self.exponential:
            return xp.exp(z - self.dim) if self.binary else xp.exp(z)
        return (z / self.dim) ** self.n if self.binary else z ** self.n

    def _df(self, z: Any) -> Any:
        """F'(z) elementwise; in binary mode F'(z) / F(D)."""
        xp = self.xp
        if self.exponential:
            return xp.exp(z - self.dim) if self.binary else xp.exp(z)
        if self.binary:
            return (self.n / self.dim) * (z / self.dim) ** (self.n - 1)
        return self.n * z ** (self.n - 1)

    def _strength(self, z: Any) -> Any:
        """A strictly increasing function of sum_mu F(z_mu), (N,): log sum exp z for
        "dense-exp" (exact without overflow), sum (z/D)^n for "dense-poly"."""
        if self.exponential:
            return logsumexp(self.xp, z, axis=1)
        return self.xp.sum(self._f(z), axis=1)

    def _sep_energy(self, v: Any) -> Any:
        """-sum_mu F(xi_mu . v), (N,)."""
        return -self.xp.sum(self._f(v @ self.memories.T), axis=1)

    def _sep_grad(self, v: Any) -> Any:
        """grad_v of -sum_mu F(xi_mu . v) = -sum_mu F'(xi_mu . v) xi_mu, (N, D)."""
        return -(self._df(v @ self.memories.T) @ self.memories)

    # -- model interface ----------------------------------------------------
    def init_state(self, x: Any) -> Any:
        """Binary: s = sign(x). Continuous: u = artanh(x / r), x clipped just inside the box."""
        xp = self.xp
        if self.binary:
            return binarize(x)
        t = xp.clip(x / self.radius, -_OPEN, _OPEN)
        return xp.atanh(t)

    def visible(self, state: Any) -> Any:
        return state if self.binary else self.radius * self._tanh.activation(state)

    def energy(self, state: Any) -> Any:
        """Binary: -sum F(xi . s) / F(D). Continuous: r E_tanh(u) - sum F(xi . v)."""
        if self.binary:
            return self._sep_energy(state)
        return self.radius * self._tanh.energy(state) + self._sep_energy(self.visible(state))

    def step(self, state: Any, rng: Any) -> Any:
        """Binary: one asynchronous sweep of energy-lowering flips.
        Continuous: u <- u + dt (sum_mu F'(xi_mu . v) xi_mu - u)."""
        if not self.binary:
            return state - self.params.dt * (state + self._sep_grad(self.visible(state)))
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
        """Binary: -sum F(xi . x) / F(D) at continuous x. Continuous: the energy of the
        visible point x, r sum h(x_i / r) - sum F(xi . x), +inf outside [-r, r]^D."""
        if self.binary:
            return self._sep_energy(x)
        xp = self.xp
        t = x / self.radius
        inside = xp.all(xp.abs(t) <= 1.0, axis=1)
        t = xp.clip(t, -1.0, 1.0)
        h = 0.5 * xp.sum(_xlogx(1.0 + t) + _xlogx(1.0 - t), axis=1)
        e = self.radius * h + self._sep_energy(x)
        return xp.where(inside, e, xp.full_like(e, float("inf")))

    def landscape_grad(self, x: Any) -> Any:
        """Binary: -sum F'(xi . x) xi / F(D). Continuous: artanh(x / r) - sum F'(xi . x) xi, NaN on and outside the box's boundary."""
        if self.binary:
            return self._sep_grad(x)
        xp = self.xp
        t = x / self.radius
        inside = xp.all(xp.abs(t) < 1.0, axis=1)[:, None]
        g = xp.atanh(xp.clip(t, -_OPEN, _OPEN)) + self._sep_grad(x)
        return xp.where(inside, g, xp.full_like(g, float("nan")))


def _xlogx(a: Any) -> Any:
    """a log a with 0 log 0 = 0, for a >= 0."""
    xp = namespace(a)
    pos = a > 0
    return xp.where(pos, a * xp.log(xp.where(pos, a, xp.ones_like(a))), xp.zeros_like(a))
