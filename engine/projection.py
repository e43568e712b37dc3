"""A plane through the data, for drawing D > 2 dimensional states in 2D.

``Plane`` holds an origin o (D,) and an orthonormal basis B (2, D):
project(x) = (x - o) B^T gives plane coordinates, lift(uv) = o + uv B gives the
points of the plane; project(lift(uv)) = uv. For D = 2 the plane is the data
plane itself (o = 0, B = I), so coordinates are unchanged.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np

from memscape.engine.backend import namespace


@dataclasses.dataclass(frozen=True)
class Plane:
    origin: np.ndarray  #: (D,) host float64
    basis: np.ndarray  #: (2, D) host float64, orthonormal rows

    @classmethod
    def identity(cls, dim: int = 2) -> "Plane":
        """The plane of the first two coordinates through the origin."""
        return cls(np.zeros(dim), np.eye(2, dim))

    @classmethod
    def principal(cls, memories: np.ndarray) -> "Plane":
        """Through the mean of the memories, spanned by their first two principal
        components (the top right singular vectors of the centred memories). For D = 2
        the identity plane. Missing directions (fewer than 3 memories) are completed
        by the coordinate axes; each component's largest entry is made positive."""
        mem = np.asarray(memories, dtype=np.float64)
        if mem.shape[1] == 2:
            return cls.identity(2)
        mean = mem.mean(axis=0)
        _, s, vt = np.linalg.svd(mem - mean, full_matrices=False)
        rows = [v for v, sv in zip(vt, s) if sv > 1e-9 * max(s[0], 1e-300)][:2]
        return cls(mean, _orthonormal(rows, mem.shape[1]))

    @classmethod
    def through(cls, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> "Plane":
        """The plane through three memories: origin a, basis Gram-Schmidt of (b - a, c - a)."""
        a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
        basis = _orthonormal([b - a, c - a], a.shape[0], complete=False)
        return cls(a, basis)

    @classmethod
    def for_memories(cls, memories: np.ndarray, chosen: Sequence[int] | None = None) -> "Plane":
        """Three chosen memories' plane when ``chosen`` names three indices, else principal."""
        if chosen is not None:
            if len(chosen) != 3:
                raise ValueError(f"a plane needs three memories, got {len(chosen)} indices")
            return cls.through(*(memories[i] for i in chosen))
        return cls.principal(memories)

    def project(self, x: Any) -> Any:
        """(N, D) states -> (N, 2) plane coordinates (x - o) B^T, in x's own namespace."""
        xp = namespace(x)
        o, b = xp.asarray(self.origin, dtype=x.dtype), xp.asarray(self.basis, dtype=x.dtype)
        return (x - o) @ b.T

    def lift(self, uv: Any) -> Any:
        """(N, 2) plane coordinates -> (N, D) points o + uv B, in uv's own namespace."""
        xp = namespace(uv)
        o, b = xp.asarray(self.origin, dtype=uv.dtype), xp.asarray(self.basis, dtype=uv.dtype)
        return o + uv @ b


def _orthonormal(vectors: list[np.ndarray], dim: int, complete: bool = True) -> np.ndarray:
    """Gram-Schmidt of ``vectors`` into two orthonormal rows; with ``complete`` the
    coordinate axes fill in when fewer than two independent vectors are given."""
    candidates = list(vectors) + (list(np.eye(dim)) if complete else [])
    rows: list[np.ndarray] = []
    for v in candidates:
        for r in rows:
            v = v - (v @ r) * r
        norm = np.linalg.norm(v)
        if norm > 1e-9:
            v = v / norm
            rows.append(v * (1.0 if v[np.argmax(np.abs(v))] > 0 else -1.0))
        if len(rows) == 2:
            return np.stack(rows)
    raise ValueError("the memories do not span a plane (three points on one line?)")
