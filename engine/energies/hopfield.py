"""Classical Hopfield network (Hopfield 1982; science.md 2).

Binary states s in {-1, +1}^D, Hebbian weights W = (1/D) sum_mu xi_mu xi_mu^T with a
zero diagonal, energy E(s) = -1/2 s^T W s. Capacity is about 0.138 D random patterns.
"""
from __future__ import annotations

from typing import Any

from memscape.engine.backend import namespace


def binarize(x: Any) -> Any:
    """sign(x) with sign(0) = +1, in the float type of x."""
    xp = namespace(x)
    return xp.where(x >= 0, xp.ones_like(x), -xp.ones_like(x))


def flip_to(field: Any, s: Any) -> Any:
    """The asynchronous rule s <- sign(field), keeping s where the field is exactly 0."""
    xp = namespace(field, s)
    return xp.where(field > 0, xp.ones_like(s), xp.where(field < 0, -xp.ones_like(s), s))


def sweep_order(rng: Any, d: int) -> Any:
    """A random order of the D neurons for one asynchronous sweep (host integers)."""
    return rng.host.permutation(d)


class BinaryStates:
    """What the binary networks share: particles start at s = sign(x), the state is what
    is shown, and the energy of a state is the landscape at it (``landscape`` comes from
    the network)."""

    def init_state(self, x: Any) -> Any:
        """Continuous x -> binary s = sign(x), sign(0) = +1."""
        return binarize(x)

    def visible(self, state: Any) -> Any:
        return state

    def energy(self, state: Any) -> Any:
        """E(s): the network's energy function (:meth:`landscape`) at the binary state."""
        return self.landscape(state)


class ClassicalHopfield(BinaryStates):
    """Binary Hopfield network; ``params.update`` picks "async" or "sync" updates.

    - async: one step is one sweep over all neurons in a random order (the same
      order for every particle), s_i <- sign(sum_j W_ij s_j). Each flip changes
      E by -|h_i| |delta s_i| <= 0 (W symmetric, zero diagonal), so E never rises.
    - sync: s <- sign(W s) for all neurons at once. E can then oscillate in a
      2-cycle; the Lyapunov function of synchronous updates is
      L(t) = -s(t)^T W s(t-1) (Bruck 1990), see :meth:`pair_energy`.
    """

    def __init__(self, memories: Any, params: Any):
        xp = namespace(memories)
        self.xp = xp
        self.memories = memories
        self.params = params
        d = memories.shape[1]
        w = (memories.T @ memories) / d
        self.weights = w * (1.0 - xp.eye(d, dtype=memories.dtype))

    def pair_energy(self, s_now: Any, s_prev: Any) -> Any:
        """L = -s(t)^T W s(t-1), non-increasing under synchronous updates (Bruck 1990)."""
        return -self.xp.sum((s_now @ self.weights) * s_prev, axis=1)

    def step(self, state: Any, rng: Any) -> Any:
        """One asynchronous sweep or one synchronous update (``params.update``)."""
        if self.params.update == "sync":
            return flip_to(state @ self.weights, state)
        s = self.xp.asarray(state, copy=True)
        for i in sweep_order(rng, s.shape[1]):
            i = int(i)
            s[:, i] = flip_to(s @ self.weights[:, i], s[:, i])
        return s

    def landscape(self, x: Any) -> Any:
        """E = -1/2 x^T W x per particle: the energy of a binary state, and the quadratic
        form at continuous x (what the maps draw)."""
        return -0.5 * self.xp.sum((x @ self.weights) * x, axis=1)

    def landscape_grad(self, x: Any) -> Any:
        """grad (-1/2 x^T W x) = -W x."""
        return -(x @ self.weights)
