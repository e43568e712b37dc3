"""TinyBrain: visible and memory neurons on a bipartite graph (science.md 2, the paper's
Figure 2), a two-layer :class:`engine.energies.ham.LayeredAM`.

v (D) and m (M) with Lagrangians L_v = params.lagrangian_v, L_m = params.lagrangian_m
(beta = params.beta for softmax, n = params.n for relu-poly) and W = memories (M x D):
  E = [v . v_hat - L_v(v)] + [m . m_hat - L_m(m)] - m_hat^T W v_hat
  tau_v dv/dt = W^T m_hat - v,   tau_m dm/dt = W v_hat - m
  dE/dt = -tau_v dv/dt^T Hess L_v dv/dt - tau_m dm/dt^T Hess L_m dm/dt <= 0
(:meth:`energy_rate`). A step of params.dt is the exponential Euler step of
:class:`~engine.energies.ham.LayeredAM` (m first, then v), which never raises E.
The state is the tuple (v, m).

``landscape(v)`` puts the memory neurons at equilibrium, m = W v_hat (tau_m -> 0);
m . m_hat - L_m(m) - m_hat . m = -L_m(W v_hat), so the effective energy is
  E_eff(v) = v . v_hat - L_v(v) - L_m(W v_hat),
  grad E_eff = Hess L_v(v) (v - W^T grad L_m(W v_hat)).
For identity v and softmax m this is -(1/beta) log sum_mu exp(beta xi_mu . v) + 1/2|v|^2:
the dot-form Modern Hopfield energy, whose gradient flow it then follows.
"""
from __future__ import annotations

from typing import Any

from memscape.engine.energies.ham import LayeredAM
from memscape.engine.energies.lagrangians import make_lagrangian


class TinyBrain(LayeredAM):
    """Visible layer (D) and memory layer (M) joined by W = memories."""

    def __init__(self, memories: Any, params: Any):
        super().__init__(
            [make_lagrangian(params.lagrangian_v, params), make_lagrangian(params.lagrangian_m, params)],
            [params.tau_v, params.tau_m], [memories], params.dt, sweeps=0)
