"""The softmax kernels on the points of a regular grid in the data plane (D = 2; issue 5).

For the grid points x_ij = (u_j, v_i) (row i, column j, as :class:`engine.landscape.Grid`)
and memories xi_mu = (a_mu, b_mu), the logits of both kernel forms of
:mod:`engine.kernels` split into a column part and a row part:

  distance: -beta/2 |x_ij - xi_mu|^2 = A_jmu + B_imu,  A = -beta/2 (u_j - a_mu)^2,  B = -beta/2 (v_i - b_mu)^2
  dot:      beta xi_mu . x_ij       = A_jmu + B_imu,  A = beta u_j a_mu,           B = beta v_i b_mu

With the row maxima cA_j = max_mu A_jmu, cB_i = max_mu B_imu and the factors
P = exp(A - cA) (W, M) and Q = exp(B - cB) (H, M), every entry at most 1:

  S_ij    = sum_mu exp(A_jmu + B_imu - cA_j - cB_i) = (Q P^T)_ij
  lse_ij  = log sum_mu exp(A_jmu + B_imu) = log S_ij + cA_j + cB_i
  mean_ij = sum_mu softmax_mu(A_j + B_i) xi_mu = ((Q (P * a)^T)_ij, (Q (P * b)^T)_ij) / S_ij

that is (H + W) M exps and three (H x M)(M x W) products, done as one matmul of Q with
[P; P * a; P * b] (3W, M), instead of H W M exps; in float64 (cheap at these sizes). The shift cA_j + cB_i is not the largest logit of point ij when
A and B peak at different memories, so S_ij can underflow: the terms whose factors
underflow are each below float64's smallest normal number, so where S_ij is at least
``M * tiny / eps`` they change S_ij by less than its round-off. The points below that
(far from the memories at small sigma, e.g.) are recomputed with the direct kernel, so
every point equals the direct evaluation of :mod:`engine.kernels` to round-off.
Array-API calls only (NumPy, CuPy, array-api-strict).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from memscape.engine import kernels as direct_kernels
from memscape.engine.backend import namespace


class GridKernels:
    """Drop-in ``gaussian_lse_mean`` and ``dot_lse_mean`` of :mod:`engine.kernels` for x
    the points of the grid with columns at ``u`` (W,) and rows at ``v`` (H,) (backend
    arrays), row-major: x[i * W + j] = (u[j], v[i]). Any other x, or memories not in 2-D,
    go to the direct kernels. ``fallbacks`` is how many points the last call recomputed
    with the direct kernel (see the module docstring)."""

    def __init__(self, u: Any, v: Any):
        self.u, self.v = u, v
        self.fallbacks = 0

    def gaussian_lse_mean(self, x: Any, memories: Any, beta: float) -> tuple[Any, Any]:
        """lse and softmax mean of the logits -beta/2 |x - xi_mu|^2 (:func:`engine.kernels.gaussian_lse_mean`)."""
        return self._lse_mean(x, memories, float(beta), "gaussian")

    def dot_lse_mean(self, x: Any, memories: Any, beta: float) -> tuple[Any, Any]:
        """lse and softmax mean of the logits beta xi_mu . x (:func:`engine.kernels.dot_lse_mean`)."""
        return self._lse_mean(x, memories, float(beta), "dot")

    def _lse_mean(self, x: Any, memories: Any, beta: float, form: str) -> tuple[Any, Any]:
        direct = direct_kernels.gaussian_lse_mean if form == "gaussian" else direct_kernels.dot_lse_mean
        h, w = self.v.shape[0], self.u.shape[0]
        if tuple(x.shape) != (h * w, 2) or memories.shape[1] != 2:
            self.fallbacks = x.shape[0]
            return direct(x, memories, beta)
        xp = namespace(x, memories)
        f64 = xp.float64
        u, v, mem = xp.astype(self.u, f64), xp.astype(self.v, f64), xp.astype(memories, f64)
        a, b = mem[:, 0], mem[:, 1]
        if form == "gaussian":
            da, db = u[:, None] - a[None, :], v[:, None] - b[None, :]
            big_a, big_b = (-0.5 * beta) * (da * da), (-0.5 * beta) * (db * db)
        else:
            big_a, big_b = beta * (u[:, None] * a[None, :]), beta * (v[:, None] * b[None, :])
        top_a = xp.max(big_a, axis=1)  # (W,)
        top_b = xp.max(big_b, axis=1, keepdims=True)  # (H, 1)
        p = xp.exp(big_a - top_a[:, None])
        q = xp.exp(big_b - top_b)
        sums = q @ xp.concat([p, p * a[None, :], p * b[None, :]], axis=0).T  # (H, 3W): S, sum e a, sum e b
        total = sums[:, :w]
        finfo = np.finfo(np.float64)
        ok = total >= float(mem.shape[0] * finfo.tiny / finfo.eps)  # also False where NaN
        safe = xp.where(ok, total, xp.ones_like(total))
        lse = xp.log(safe) + top_a[None, :] + top_b
        mean = xp.stack([sums[:, w:2 * w] / safe, sums[:, 2 * w:] / safe], axis=2)
        lse = xp.astype(xp.reshape(lse, (h * w,)), x.dtype)
        mean = xp.astype(xp.reshape(mean, (h * w, 2)), x.dtype)
        bad = ~xp.reshape(ok, (h * w,))
        self.fallbacks = int(xp.sum(xp.astype(bad, xp.int64)))
        if self.fallbacks:
            lse[bad], mean[bad] = direct(x[bad], memories, beta)
        return lse, mean
