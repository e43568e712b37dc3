"""Modern Hopfield network (Ramsauer et al. 2020; science.md 2 and 4), continuous x.

``params.modern_form``:
- "distance": E(x) = -(1/beta) log sum_mu exp(-beta/2 |x - xi_mu|^2),
  grad E = x - sum_mu softmax_mu(-beta/2 |x - xi_mu|^2) xi_mu
  (the exact diffusion energy with beta = 1/sigma^2, constant dropped);
- "dot": E(x) = -(1/beta) log sum_mu exp(beta xi_mu . x) + 1/2 |x|^2,
  grad E = x - Xi^T softmax(beta Xi x).

Both are 1/2|x|^2 - g(x) with g convex (for "distance", g = (1/beta) lse(beta Xi x -
beta/2 |xi|^2)), and grad g(x) is the attention readout a(x). The step
x <- x - dt grad E = (1 - dt) x + dt a(x) is dt = 1: the concave-convex procedure,
exactly the attention update. The convex upper bound U(y) = 1/2|y|^2 - g(x) -
grad g(x).(y - x) >= E(y) is a quadratic with U(x) = E(x) and minimum at a(x), so
U((1 - dt) x + dt a) = U(a) + (1 - dt)^2 (E(x) - U(a)) <= E(x): the energy never rises
for 0 < dt <= 2.
"""
from __future__ import annotations

from typing import Any

from engine.backend import namespace
from engine.kernels import dot_lse_mean, gaussian_lse_mean


class ModernHopfield:
    """Modern Hopfield network; the state is the (N, D) position itself."""

    def __init__(self, memories: Any, params: Any):
        self.xp = namespace(memories)
        self.memories = memories
        self.params = params
        self.beta = params.beta
        self.dot = params.modern_form == "dot"

    def _lse_readout(self, x: Any) -> tuple[Any, Any]:
        if self.dot:
            return dot_lse_mean(x, self.memories, self.beta)
        return gaussian_lse_mean(x, self.memories, self.beta)

    def init_state(self, x: Any) -> Any:
        return x

    def visible(self, state: Any) -> Any:
        return state

    def energy(self, state: Any) -> Any:
        return self.landscape(state)

    def step(self, state: Any, rng: Any) -> Any:
        """x <- x - dt grad E(x) = (1 - dt) x + dt a(x); dt = 1 is the attention update."""
        return state - self.params.dt * self.landscape_grad(state)

    def landscape(self, x: Any) -> Any:
        """E(x) of the chosen form (module docstring)."""
        lse, _ = self._lse_readout(x)
        e = -lse / self.beta
        if self.dot:
            e = e + 0.5 * self.xp.sum(x * x, axis=1)
        return e

    def landscape_grad(self, x: Any) -> Any:
        """grad E(x) = x - a(x), a the softmax readout of the memories."""
        _, readout = self._lse_readout(x)
        return x - readout
