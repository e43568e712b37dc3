"""Layered energy-based associative memories (Krotov 2021; hamux; science.md 2).

:class:`LayeredAM` is a chain of layers x_0 (visible), x_1, ..., x_{K-1}, each with a
convex Lagrangian L_k (engine.energies.lagrangians) and a time constant tau_k,
joined by synapses W_k (n_{k+1} x n_k). With x_hat_k = grad L_k(x_k):
  E = sum_k [x_k . x_hat_k - L_k(x_k)]  -  sum_k x_hat_{k+1}^T W_k x_hat_k
  tau_k dx_k/dt = -dE/dx_hat_k = I_k - x_k,  I_k = W_{k-1} x_hat_{k-1} + W_k^T x_hat_{k+1}
  dE/dt = sum_k (dE/dx_k) . dx_k/dt = -sum_k tau_k dx_k/dt^T (Hess L_k) dx_k/dt <= 0,
because dE/dx_k = Hess L_k (x_k - I_k) (:meth:`LayeredAM.energy_rate`).

Time steps (params.dt): exponential Euler, split by layer parity. A chain is bipartite,
so layers of one parity do not interact and I_k depends only on the other parity. One
step updates the odd layers, then the even ones with the new currents:
  x_k <- x_k + (1 - exp(-dt / tau_k)) (I_k - x_k).
With its neighbours fixed, E restricted to x_k is f(x_k) = E_k(x_k) - x_hat_k . I_k + const,
and along the segment x_k + t (I_k - x_k), t in [0, 1], df/dt = -(1 - t) d^T Hess L_k d <= 0
(d = I_k - x_k): every half step lowers E, for any dt. As dt -> 0 this is the Euler
step of the ODE above (first order in dt); the explicit Euler step would need dt below
tau_m over the memory layer's curvature, which the presets' dt exceeds.

Each layer's energy is minimised over x_k, its neighbours fixed, at x_k = I_k. The
hidden layers "at equilibrium" given the visible layer are found by that block
descent: a bottom-up pass, then sweeps of x_k <- I_k, each lowering E. The
landscape is E at that point and, by the envelope theorem, its gradient is
Hess L_0 (x_0 - I_0). For two layers (TinyBrain) the bottom-up pass is exact.

:class:`HierarchicalAM` is the three-layer chain visible (D) - hidden (K) - memory (M).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from memscape.engine.backend import namespace
from memscape.engine.energies.lagrangians import Identity, Lagrangian, make_lagrangian


class LayeredAM:
    """A chain of Lagrangian layers joined by synapses; the state is a tuple of (N, n_k) arrays."""

    def __init__(self, lagrangians: Sequence[Lagrangian], taus: Sequence[float],
                 weights: Sequence[Any], dt: float, sweeps: int):
        self.layers = list(lagrangians)
        self.taus = [float(t) for t in taus]
        self.weights = list(weights)
        self.dt = float(dt)
        self.sweeps = sweeps  #: most block-descent sweeps after the bottom-up pass (0: exact for two layers)
        self.xp = namespace(*self.weights)

    # -- pieces -------------------------------------------------------------
    def activations(self, state: Sequence[Any]) -> list[Any]:
        """x_hat_k = grad L_k(x_k) for every layer."""
        return [lag.activation(x) for lag, x in zip(self.layers, state)]

    def current(self, hats: Sequence[Any], k: int, below: Any = None) -> Any:
        """I_k = W_{k-1} x_hat_{k-1} + W_k^T x_hat_{k+1} (each term where the synapse exists);
        ``below`` is W_{k-1} x_hat_{k-1} when the caller already has it."""
        total = 0.0
        if k > 0:
            total = total + (hats[k - 1] @ self.weights[k - 1].T if below is None else below)
        if k < len(self.layers) - 1:
            total = total + hats[k + 1] @ self.weights[k]
        return total

    def velocities(self, state: Sequence[Any]) -> list[Any]:
        """dx_k/dt = (I_k - x_k) / tau_k."""
        hats = self.activations(state)
        return [(self.current(hats, k) - x) / tau for k, (x, tau) in enumerate(zip(state, self.taus))]

    # -- model interface ----------------------------------------------------
    def init_state(self, x: Any) -> tuple[Any, ...]:
        """The visible state x with the hidden layers at equilibrium."""
        return self.equilibrium(x)

    def visible(self, state: Sequence[Any]) -> Any:
        return state[0]

    def energy(self, state: Sequence[Any]) -> Any:
        """Sum of the layers' Legendre energies and the synapse energies -x_hat_{k+1}^T W_k x_hat_k."""
        xp = self.xp
        hats = self.activations(state)
        e = sum(lag.energy(x) for lag, x in zip(self.layers, state))
        for k, w in enumerate(self.weights):
            e = e - xp.sum((hats[k] @ w.T) * hats[k + 1], axis=1)
        return e

    def energy_rate(self, state: Sequence[Any]) -> Any:
        """Analytic dE/dt = -sum_k tau_k dx_k/dt^T (Hess L_k) dx_k/dt along the dynamics, (N,)."""
        xp = self.xp
        vel = self.velocities(state)
        return -sum(tau * xp.sum(u * lag.hvp(x, u), axis=1)
                    for lag, x, u, tau in zip(self.layers, state, vel, self.taus))

    def step(self, state: Sequence[Any], rng: Any) -> tuple[Any, ...]:
        """x_k <- x_k + (1 - exp(-dt / tau_k)) (I_k - x_k), odd layers first, then even ones."""
        state = list(state)
        hats = self.activations(state)
        for parity in (1, 0):
            for k in range(parity, len(self.layers), 2):
                rate = 1.0 - math.exp(-self.dt / self.taus[k])
                state[k] = state[k] + rate * (self.current(hats, k) - state[k])
                hats[k] = self.layers[k].activation(state[k])
        return tuple(state)

    def equilibrium(self, x: Any) -> tuple[Any, ...]:
        """Hidden layers at equilibrium for visible x: a bottom-up pass x_k = W_{k-1} x_hat_{k-1},
        then up to ``sweeps`` bottom-up passes of x_k <- I_k (block descent on E), stopping
        once no hidden neuron moves by more than 64 float eps (relative)."""
        state, hats = [x], [self.layers[0].activation(x)]
        for k in range(1, len(self.layers)):
            state.append(hats[k - 1] @ self.weights[k - 1].T)
            hats.append(self.layers[k].activation(state[k]))
        xp = self.xp
        drive = state[1]  # the fixed visible layer's input to layer 1
        tol = 64.0 * float(xp.finfo(x.dtype).eps)
        for _ in range(self.sweeps):
            converged = True
            for k in range(1, len(self.layers)):
                new = self.current(hats, k, drive if k == 1 else None)
                change = float(xp.max(xp.abs(new - state[k])))
                converged = converged and change <= tol * (1.0 + float(xp.max(xp.abs(new))))
                state[k], hats[k] = new, self.layers[k].activation(new)
            if converged:
                break
        return tuple(state)

    def landscape(self, x: Any) -> Any:
        """E(x, hidden at equilibrium)."""
        return self.energy(self.equilibrium(x))

    def landscape_grad(self, x: Any) -> Any:
        """Hess L_0(x) (x - I_0) at the hidden equilibrium (envelope theorem)."""
        state = self.equilibrium(x)
        i0 = self.current(self.activations(state), 0)
        return self.layers[0].hvp(x, x - i0)


class HierarchicalAM(LayeredAM):
    """Three layers: visible (D, params.lagrangian_v, tau_v), hidden (K = params.hidden,
    identity, tau_m) and memory (M, params.lagrangian_m, tau_m).

    Weights (deterministic from the memories and ``rng``): a feature map Q (K x D) with
    orthonormal rows or columns (:func:`feature_map`), W_1 = Q / sqrt 2 (visible ->
    hidden) and W_2 = Xi Q^T / sqrt 2 (hidden -> memory: each memory stored through
    the hidden features). With identity visible layer and a winner-take-all memory layer
    (softmax, large beta), the fixed point x = W_1^T h, h = W_1 x + W_2^T e_mu gives
    x = P (x + xi_mu) / 2 with P = Q^T Q, i.e. x = P xi_mu = xi_mu whenever the memories
    lie in the span of Q^T (always when K >= D, and when K >= rank Xi): retrieval goes
    to the memories, and the memory layer's input there is W_2 h = Xi xi_mu, as in the
    dot-form Modern Hopfield network. The coupling 1/sqrt 2 < 1 keeps the quadratic part
    1/2|x|^2 + 1/2|h|^2 - h^T W_1 x positive definite, so E is bounded below.
    """

    EQUILIBRIUM_SWEEPS = 50

    def __init__(self, memories: Any, params: Any, rng: Any):
        q = feature_map(memories, params.hidden, rng)
        scale = 1.0 / math.sqrt(2.0)
        super().__init__(
            [make_lagrangian(params.lagrangian_v, params), Identity(),
             make_lagrangian(params.lagrangian_m, params)],
            [params.tau_v, params.tau_m, params.tau_m],
            [scale * q, scale * (memories @ q.T)],
            params.dt, self.EQUILIBRIUM_SWEEPS)


def feature_map(memories: Any, k: int, rng: Any) -> Any:
    """Q (K x D): for K >= D a random matrix with orthonormal columns (Q^T Q = I); for
    K < D orthonormal rows spanning the memories' K leading principal directions
    (right singular vectors of Xi), completed by random directions when rank Xi < K."""
    xp = namespace(memories)
    d = memories.shape[1]
    if k >= d:
        return xp.linalg.qr(xp.asarray(rng.normal((k, d)), dtype=memories.dtype)).Q
    directions = xp.linalg.svd(memories, full_matrices=False).Vh.T  # (D, min(M, D)), by singular value
    extra = xp.asarray(rng.normal((d, k)), dtype=memories.dtype)
    basis = xp.linalg.qr(xp.concat([directions, extra], axis=1)).Q  # (D, min(D, M + K))
    return basis[:, :k].T
