"""Hot kernels shared by the Modern Hopfield energy and the exact diffusion score.

Both need, for every particle x_n and every memory xi_mu, a softmax over
memories and the weighted mean of the memories it selects. These functions
are the only place where an (N, M) block is formed.
"""
from __future__ import annotations

from typing import Any

from engine.backend import logsumexp, namespace, softmax


def sq_dists(x: Any, memories: Any) -> Any:
    """|x_n - xi_mu|^2 as an (N, M) block, via |x|^2 - 2 x.xi + |xi|^2, clipped at 0."""
    xp = namespace(x, memories)
    d = (xp.sum(x * x, axis=1)[:, None] - 2.0 * (x @ memories.T)
         + xp.sum(memories * memories, axis=1)[None, :])
    return xp.maximum(d, xp.zeros_like(d))


def gaussian_lse_mean(x: Any, memories: Any, beta: float) -> tuple[Any, Any]:
    """lse_n = log sum_mu exp(-beta/2 |x_n - xi_mu|^2) and sum_mu w_nmu xi_mu,
    w_n = softmax_mu(-beta/2 |x_n - xi_mu|^2): the distance-form Modern Hopfield
    energy / update and, with beta = 1/sigma^2, the exact denoiser (science.md 4)."""
    xp = namespace(x, memories)
    logits = (-0.5 * beta) * sq_dists(x, memories)
    return logsumexp(xp, logits, axis=1), softmax(xp, logits, axis=1) @ memories


def dot_lse_mean(x: Any, memories: Any, beta: float) -> tuple[Any, Any]:
    """lse_n = log sum_mu exp(beta xi_mu . x_n) and Xi^T softmax(beta Xi x_n):
    the dot-product Modern Hopfield energy and update (Ramsauer et al. 2020)."""
    xp = namespace(x, memories)
    logits = beta * (x @ memories.T)
    return logsumexp(xp, logits, axis=1), softmax(xp, logits, axis=1) @ memories
