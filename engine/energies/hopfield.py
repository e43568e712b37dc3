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
    """Binary Hopfield network; ``params.update`` picks "async" (the default) or "sync" updates.

    - async: one step is one sweep over all neurons in a random order (the same
      order for every particle), s_i <- sign(sum_j W_ij s_j). Each flip changes
      E by -|h_i| |delta s_i| <= 0 (W symmetric, zero diagonal), so E never rises;
      the state is s and its energy E(s) = -1/2 s^T W s.
    - sync: s <- sign(W s) for all neurons at once. E(s) can then oscillate in a
      2-cycle, so it is not what is shown: the state is the pair (s(t), s(t-1)) and its
      energy the two-state Lyapunov function L(t) = -1/2 s(t)^T W s(t-1) (Bruck 1990;
      Goles et al. 1985), which never rises (:meth:`pair_energy`); it starts from
      s(-1) = s(0), where L = E(s(0)), and equals E(s) at every fixed point.
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
        """L = -1/2 s(t)^T W s(t-1), non-increasing under synchronous updates (Bruck 1990):
        s(t+1) = sign(W s(t)) maximises s . W s(t), so L(t+1) = -1/2 s(t+1)^T W s(t) <=
        -1/2 s(t-1)^T W s(t) = L(t) (W symmetric)."""
        return -0.5 * self.xp.sum((s_now @ self.weights) * s_prev, axis=1)

    @property
    def synchronous(self) -> bool:
        return self.params.update == "sync"

    def init_state(self, x: Any) -> Any:
        """s = sign(x); for synchronous updates the pair (s, s), i.e. s(-1) = s(0)."""
        s = binarize(x)
        return (s, s) if self.synchronous else s

    def visible(self, state: Any) -> Any:
        return state[0] if self.synchronous else state

    def energy(self, state: Any) -> Any:
        """E(s) for asynchronous updates; L(t) = :meth:`pair_energy` for synchronous ones."""
        return self.pair_energy(*state) if self.synchronous else self.landscape(state)

    def step(self, state: Any, rng: Any) -> Any:
        """One asynchronous sweep, or one synchronous update of the pair:
        (s(t), s(t-1)) -> (sign(W s(t)), s(t)) (``params.update``)."""
        if self.synchronous:
            s = state[0]
            return flip_to(s @ self.weights, s), s
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
