"""Which memories an associative memory keeps as attractors, and a note for the ones it does not.

A memory is *retrieved* by an AM at its parameters when a state started near it ends near
it: for continuous memories xi_mu + 0.1 g_mu u (g_mu the distance to the nearest other
memory, u a random unit vector), counted when the final state is within 0.25 g_mu of xi_mu;
for the models with +-1 states (classical Hopfield; dense AMs on +-1 memories) xi_mu with
one entry flipped, counted when the final state is xi_mu exactly (the classical network on
memories that are not +-1 retrieves none). The AM runs until its state stops changing (at most :data:`MAX_STEPS` steps), on
NumPy in float64, with the same model weights as the app's simulation (same seed).

Some models genuinely cannot keep every memory: the dot-product forms (dot-form Modern
Hopfield, dense AMs and TinyBrain/HAM with a softmax memory layer on continuous memories)
favour long memories; at a small beta (or n) close memories merge into one minimum; the
classical Hopfield network stores only weakly correlated patterns. :func:`retrieval_note`
says which, with the measured count, for the GUI to show.
"""
from __future__ import annotations

import math

import numpy as np

from memscape.engine.backend import get_backend
from memscape.engine.params import CONCAVE_CONVEX_MODELS, Params
from memscape.engine.patterns import make_patterns
from memscape.engine.simulation import Simulation

MAX_STEPS = 1000  #: steps a retrieval test runs at most
START_FRACTION = 0.1  #: continuous starts: this fraction of the gap to the nearest other memory away
END_FRACTION = 0.25  #: ... and counted when the end is within this fraction of it
SEED = 0  #: the starts' random directions and flipped entries
SETTLED = 1e-12  #: a run stops once no coordinate moves by more than this, relative


def retrieved(params: Params) -> np.ndarray:
    """(M,) bool: which memories the AM of ``params`` retrieves (module docstring)."""
    memories = make_patterns(params.patterns).memories
    m, d = memories.shape
    binary = _binary_states(params, memories)
    if params.model == "hopfield" and not _is_binary(memories):
        return np.zeros(m, dtype=bool)
    rng = np.random.default_rng(SEED)
    gap = _gaps(memories)
    if m == 1:  # no other memory to be confused with: a start at unit scale from it
        gap = np.full(1, max(1.0, float(np.linalg.norm(memories[0]))))
    if binary:
        start = memories.copy()
        start[np.arange(m), rng.integers(0, d, m)] *= -1.0
    else:
        u = rng.standard_normal((m, d))
        start = memories + START_FRACTION * gap[:, None] * u / np.linalg.norm(u, axis=1, keepdims=True)
    sim = Simulation(params.replace(particles=m, steps=MAX_STEPS, backend="numpy", precision="float64"),
                     get_backend("numpy", "float64"), init=start)
    x = sim.frame()["x"]
    while not sim.done:
        new = sim.step()["x"]
        still = np.max(np.abs(new - x)) <= SETTLED * (1.0 + np.max(np.abs(new)))
        x = new
        if still:
            break
    if binary:
        return np.all(x == memories, axis=1)
    return np.linalg.norm(x - memories, axis=1) < END_FRACTION * gap


def retrieval_note(params: Params) -> str | None:
    """One or two sentences for the GUI when the AM of ``params`` does not retrieve every
    memory: the measured count (:func:`retrieved`) and the reason that applies; None when
    it retrieves them all, and for diffusion (whose exact score reproduces every memory)."""
    if params.model == "diffusion":
        return None
    ok = retrieved(params)
    k, m = int(ok.sum()), ok.size
    if k == m:
        return None
    memories = make_patterns(params.patterns).memories
    head = f"{_label(params)} keeps {k} of {m} memories as attractors here"
    return f"{head}: {_reason(params, memories)}"


def _is_binary(memories: np.ndarray) -> bool:
    return bool(np.all(np.abs(memories) == 1.0))


def _binary_states(params: Params, memories: np.ndarray) -> bool:
    """Whether the AM's states are +-1 vectors (engine.energies.hopfield, engine.energies.dense)."""
    return params.model == "hopfield" or (params.model in ("dense-poly", "dense-exp") and _is_binary(memories))


def _gaps(memories: np.ndarray) -> np.ndarray:
    """(M,) distance from each memory to the nearest other one (inf for a single memory)."""
    dist = np.linalg.norm(memories[:, None, :] - memories[None, :, :], axis=2)
    np.fill_diagonal(dist, np.inf)
    return dist.min(axis=1)


def _label(params: Params) -> str:
    if params.model == "modern":
        return f"The {params.modern_form}-form Modern Hopfield network"
    return {"hopfield": "The classical Hopfield network", "dense-poly": "The polynomial dense AM",
            "dense-exp": "The exponential dense AM", "tinybrain": "TinyBrain",
            "ham": "The hierarchical AM"}[params.model]


def _reason(params: Params, memories: np.ndarray) -> str:
    """Why, from what is measurable on the memories and the parameters."""
    binary = _binary_states(params, memories)
    norms = np.linalg.norm(memories, axis=1)
    dot_like = not binary and (
        (params.model == "modern" and params.modern_form == "dot")
        or params.model in ("dense-exp", "dense-poly")
        or (params.model in ("tinybrain", "ham") and params.lagrangian_m == "softmax"))
    if params.model == "hopfield" and not _is_binary(memories):
        return "its states are +-1 vectors, and these memories are not"
    if params.model == "hopfield":
        d = memories.shape[1]
        overlap = np.abs(memories @ memories.T) / d
        np.fill_diagonal(overlap, 0.0)
        return (f"its Hebbian weights hold about 0.138 D = {0.138 * d:.0f} uncorrelated patterns, and these "
                f"are correlated (overlaps up to {overlap.max():.2f} of D), so their cross-talk moves the "
                f"fixed points off them")
    if dot_like and norms.max() > norms.min() * (1.0 + 1e-6):
        return (f"with memories of unequal length (|xi| from {norms.min():.3g} to {norms.max():.3g}) the "
                f"overlap xi . x favours the longest ones, a property of the dot form (the distance "
                f"form, -beta/2 |x - xi|^2, has no such bias)")
    if params.model == "dense-poly":
        return (f"the polynomial separation F(z) = z^n with n = {params.n} is too soft for memories this close "
                f"(their overlaps pull each state towards its neighbours); a larger n sharpens it")
    gap = float(_gaps(memories).min())
    merge = 2.0 / math.sqrt(params.beta)
    if params.model in CONCAVE_CONVEX_MODELS + ("tinybrain", "ham") and gap < merge:
        return (f"the closest memories are {gap:.3g} apart, less than 2/sqrt(beta) = {merge:.3g} at "
                f"beta = {params.beta:g}, and memories that close merge into one minimum; a larger beta "
                f"separates them")
    return "a state started near each of the others ends elsewhere at these parameters"
