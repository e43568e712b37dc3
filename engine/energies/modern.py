"""Modern Hopfield network (Ramsauer et al. 2020; science.md 2 and 4), continuous x.

``params.modern_form``:
- "distance": E(x) = -(1/beta) log sum_mu exp(-beta/2 |x - xi_mu|^2),
  grad E = x - sum_mu softmax_mu(-beta/2 |x - xi_mu|^2) xi_mu
  (the exact diffusion energy with beta = 1/sigma^2, constant dropped);
- "dot": E(x) = -(1/beta) log sum_mu exp(beta xi_mu . x) + 1/2 |x|^2,
  grad E = x - Xi^T softmax(beta Xi x).

Both are of the :class:`ConcaveConvexAM` kind, so the step x <- x - dt grad E with
dt = 1 is exactly the attention update and the energy never rises for 0 < dt <= 2.
"""
from __future__ import annotations

import abc
from typing import Any

from memscape.engine.backend import namespace
from memscape.engine import kernels as direct_kernels


class ConcaveConvexAM(abc.ABC):
    """An AM with energy E(x) = 1/2 |x|^2 - g(x), g convex, and readout a(x) = grad g(x).

    The state is the (N, D) position itself; grad E = x - a(x) and one step is
    x <- x - dt grad E = (1 - dt) x + dt a(x), dt = params.dt; dt = 1 is the
    concave-convex procedure (Yuille & Rangarajan 2003). Lyapunov bound: the convex
    upper bound U(y) = 1/2|y|^2 - g(x) - a(x).(y - x) >= E(y) is a quadratic with
    U(x) = E(x) and its minimum at a(x), so U((1 - dt) x + dt a) = U(a) +
    (1 - dt)^2 (E(x) - U(a)) <= E(x): E never rises for 0 < dt <= 2.
    Subclasses give :meth:`energy_readout`; ``kernels`` is where it takes its softmax
    kernels from (:mod:`engine.kernels`, or an :class:`engine.grid_kernels.GridKernels`
    when x is that grid's points), so :meth:`landscape_and_grad` is one kernel call.
    """

    def __init__(self, memories: Any, params: Any):
        self.xp = namespace(memories)
        self.memories = memories
        self.params = params
        self._readout_at: tuple[Any, Any] | None = None  #: (state, a(state)) of the last :meth:`energy`

    @abc.abstractmethod
    def energy_readout(self, x: Any, kernels: Any = direct_kernels) -> tuple[Any, Any]:
        """(E(x) (N,), a(x) (N, D))."""

    def init_state(self, x: Any) -> Any:
        return x

    def visible(self, state: Any) -> Any:
        return state

    def energy(self, state: Any) -> Any:
        """E(state), from :meth:`energy_readout`, whose readout a(state) is kept for a
        :meth:`step` from this same state (a simulation asks for the energy of each new
        state and then steps from it: one kernel call per step instead of two)."""
        energy, readout = self.energy_readout(state)
        self._readout_at = (state, readout)
        return energy

    def step(self, state: Any, rng: Any) -> Any:
        """x <- x - dt grad E(x) = x - dt (x - a(x)) = (1 - dt) x + dt a(x); a(x) is the one
        :meth:`energy` kept when it was called with this very array (states are new arrays
        after every step and never changed in place), else one :meth:`energy_readout`."""
        kept = self._readout_at
        readout = kept[1] if kept is not None and kept[0] is state else self.energy_readout(state)[1]
        return state - self.params.dt * (state - readout)

    def landscape(self, x: Any) -> Any:
        return self.energy_readout(x)[0]

    def landscape_grad(self, x: Any) -> Any:
        """grad E(x) = x - a(x)."""
        return self.landscape_and_grad(x)[1]

    def landscape_and_grad(self, x: Any, kernels: Any = direct_kernels) -> tuple[Any, Any]:
        """(E(x), grad E(x) = x - a(x)) from one :meth:`energy_readout` call."""
        energy, readout = self.energy_readout(x, kernels)
        return energy, x - readout


class ModernHopfield(ConcaveConvexAM):
    """Modern Hopfield network of ``params.modern_form`` with inverse temperature ``params.beta``.

    For "distance", g(x) = (1/beta) lse(beta Xi x - beta/2 |xi|^2) and a(x) is the
    softmax(-beta/2 |x - xi|^2) mean of the memories; for "dot", g(x) = (1/beta) lse(beta Xi x).
    """

    def energy_readout(self, x: Any, kernels: Any = direct_kernels) -> tuple[Any, Any]:
        beta = self.params.beta
        if self.params.modern_form == "dot":
            lse, readout = kernels.dot_lse_mean(x, self.memories, beta)
            return 0.5 * self.xp.sum(x * x, axis=1) - lse / beta, readout
        lse, readout = kernels.gaussian_lse_mean(x, self.memories, beta)
        return -lse / beta, readout
