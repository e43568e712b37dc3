"""Build the associative memory named by ``params.model`` (docs/architecture.md), refuse the
layered energies that are unbounded below on the given memories, and put an AM's energy on
the diffusion scale where it has one."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from memscape.engine.backend import to_host
from memscape.engine.energies.dense import DenseAM
from memscape.engine.energies.empirical import log_normaliser
from memscape.engine.energies.ham import HierarchicalAM, LayeredAM
from memscape.engine.energies.hopfield import ClassicalHopfield
from memscape.engine.energies.lagrangians import Identity, ReluPoly
from memscape.engine.energies.modern import ModernHopfield
from memscape.engine.energies.tinybrain import TinyBrain
from memscape.engine.params import ParamError

AM_MODELS = {
    "hopfield": ClassicalHopfield,
    "dense-poly": DenseAM,
    "dense-exp": DenseAM,
    "modern": ModernHopfield,
    "tinybrain": TinyBrain,
}

#: power iterations per start of the gain search (:func:`_quadratic_gain`)
GAIN_ITERATIONS = 200
#: the gain search also starts from each relu-poly coordinate when there are at most this many
MAX_UNIT_STARTS = 64


def build_model(params: Any, memories: Any, rng: Any) -> Any:
    """The AM for ``params.model`` on ``memories`` (M, D); ``rng`` (Backend.rng) draws
    the HAM's hidden feature map. "diffusion" is not an AM here: the simulation runs it
    with the exact score (engine.energies.empirical). A layered energy that is unbounded
    below on these memories (:func:`unbounded_reason`) raises :class:`ParamError`."""
    if params.model == "ham":
        model = HierarchicalAM(memories, params, rng)
    elif params.model not in AM_MODELS:
        raise ParamError(f"model: {params.model!r} is not an associative memory; "
                         f"build_model takes {', '.join([*AM_MODELS, 'ham'])}")
    else:
        model = AM_MODELS[params.model](memories, params)
    reason = unbounded_reason(model, params.model)
    if reason:
        raise ParamError(f"lagrangian_v, lagrangian_m: {reason}")
    return model


def nats_affine(params: Any, memories: np.ndarray) -> tuple[float, float] | None:
    """(a, b) such that a E + b is the AM's energy E in nats on the diffusion scale, or None.

    The distance-form Modern Hopfield energy E_beta = -(1/beta) lse(-beta/2 |x - xi|^2) is
    sigma^2 times the mixture term of E_sigma at sigma^2 = 1/beta (science.md 4), so
    beta E_beta + log M + (D/2) log(2 pi / beta) = -log p_sigma(x), sigma = beta^-1/2:
    a = beta, b = :func:`engine.energies.empirical.log_normaliser` (M, D, beta^-1/2).
    No other AM's energy is a log-density."""
    if params.model != "modern" or params.modern_form != "distance":
        return None
    m, d = memories.shape
    return float(params.beta), log_normaliser(m, d, 1.0 / math.sqrt(params.beta))


def unbounded_reason(model: Any, name: str) -> str | None:
    """Why a layered AM (TinyBrain, HAM) has an energy unbounded below on its weights, or None.

    :func:`engine.params.unbounded_layers` refuses the layer pairs that are unbounded for any
    memories (identity joined to relu-poly with n >= 3). What is left depends on the weights:
    - relu-poly joined to relu-poly with n >= 3 (activations y >= 0): the synapse term
      -y_b^T W y_a outgrows both conjugates along y_a = t e_i, y_b = t e_j as soon as some
      W_ji > 0, and is never negative when every W_ji <= 0;
    - runs of adjacent layers whose conjugates are quadratic (identity: 1/2|y|^2; relu-poly
      with n = 2: 1/2|y|^2 on y >= 0): there the energy is the quadratic form
      1/2 (|y|^2 - y^T H y), H the run's synapses as a symmetric block matrix, unbounded
      below exactly when the gain max y^T H y / |y|^2 over admissible y (y >= 0 on relu-poly
      layers) exceeds 1: the energy then falls like -t^2 along t y (:func:`_quadratic_gain`).
    The message names the layers and the gain."""
    if not isinstance(model, LayeredAM):
        return None
    layers, weights = model.layers, [np.asarray(to_host(w), dtype=np.float64) for w in model.weights]
    names = ["visible", "memory"] if len(layers) == 2 else ["visible", "hidden", "memory"]
    for k, w in enumerate(weights):
        a, b = layers[k], layers[k + 1]
        if isinstance(a, ReluPoly) and isinstance(b, ReluPoly) and a.n >= 3 and np.any(w > 0):
            return (f"the {name} energy is unbounded below with relu-poly {names[k]} and {names[k + 1]} layers at "
                    f"n = {a.n} on these memories (a positive weight joins them, and the synapse grows like "
                    f"|y|^2 while each layer's energy grows like |y|^(n/(n-1))); use n = 2, or softmax, tanh "
                    f"or sigmoid for one of them")
    quadratic = [isinstance(lag, Identity) or (isinstance(lag, ReluPoly) and lag.n == 2) for lag in layers]
    k = 0
    while k < len(layers):
        if not quadratic[k]:
            k += 1
            continue
        end = k
        while end + 1 < len(layers) and quadratic[end + 1]:
            end += 1
        if end > k:
            gain = _quadratic_gain(layers[k:end + 1], weights[k:end])
            if gain > 1.0 + 1e-6:
                kinds = " - ".join(f"{layers[j].name} {names[j]}" for j in range(k, end + 1))
                return (f"the {name} energy is unbounded below on these memories: with {kinds} layers it is a "
                        f"quadratic form there, and the synapses' gain is {gain:.3g} > 1 (memories too long for "
                        f"these layers); use softmax, tanh or sigmoid for the memory layer, or shorter memories")
        k = end + 1
    return None


def _quadratic_gain(layers: list, weights: list[np.ndarray]) -> float:
    """Largest gain of the quadratic run ``layers`` (each Identity or relu-poly n = 2) joined
    by ``weights`` (W_k: n_{k+1} x n_k): max over admissible y of (sum_k 2 y_{k+1}^T W_k y_k) /
    |y|^2, whose value above 1 makes 1/2|y|^2 - sum y_{k+1}^T W_k y_k negative somewhere (the
    energy, t^2 times that, is then unbounded below). The form's matrix is H = [[0, W^T],
    [W, 0]] chained; without relu-poly layers the answer is its largest eigenvalue, otherwise
    a projected power iteration on the relu-poly coordinates (kept >= 0) from several starts
    gives a lower bound, which is enough for a certificate."""
    sizes = [w.shape[1] for w in weights] + [weights[-1].shape[0]]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    h = np.zeros((offsets[-1], offsets[-1]))
    for k, w in enumerate(weights):
        r, c = slice(offsets[k + 1], offsets[k + 2]), slice(offsets[k], offsets[k + 1])
        h[r, c], h[c, r] = w, w.T
    values, vectors = np.linalg.eigh(h)
    if not any(isinstance(lag, ReluPoly) for lag in layers):
        return float(values[-1])
    signed = np.zeros(offsets[-1], dtype=bool)
    for k, lag in enumerate(layers):
        signed[offsets[k]:offsets[k + 1]] = isinstance(lag, ReluPoly)
    units = np.eye(offsets[-1])[signed] if signed.sum() <= MAX_UNIT_STARTS else np.empty((0, offsets[-1]))
    starts = [vectors[:, -1], -vectors[:, -1], np.ones(offsets[-1]), *units]
    best = -math.inf
    shift = max(float(-values[0]), 0.0)  # H + shift I is positive semi-definite: each step climbs
    for y in starts:
        quotient = -math.inf
        for _ in range(GAIN_ITERATIONS):
            y = np.where(signed, np.maximum(y, 0.0), y)
            norm = np.linalg.norm(y)
            if norm == 0:
                break
            y = y / norm
            hy = h @ y
            new = float(y @ hy)
            if new <= quotient + 1e-12:
                break
            quotient = new
            y = hy + shift * y
        best = max(best, quotient)
    return best
