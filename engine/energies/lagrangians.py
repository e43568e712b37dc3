"""Layer Lagrangians of energy-based associative memories (science.md 2, hamux's layers).

A layer of K neurons with internal state x (N, K) has a convex Lagrangian L(x) (N,).
Its activation is the gradient, x_hat = grad L(x), and its energy is the Legendre
transform E(x) = x . x_hat - L(x). Because dE/dx_hat = x (the Legendre identity),
a layer that follows tau dx/dt = -dE_total/dx_hat lowers the total energy at the
rate -tau dx/dt^T (Hess L) dx/dt, which is why every Lagrangian here also gives
its Hessian-vector product :meth:`Lagrangian.hvp`.

``LAGRANGIANS[name]`` is the class for each name of ``engine.params.LAGRANGIANS``;
:func:`make_lagrangian` builds one from :class:`engine.params.Params`
(``beta`` for softmax, ``n`` for relu-poly).
"""
from __future__ import annotations

import abc
from typing import Any

from memscape.engine.backend import logsumexp, namespace, softmax


class Lagrangian(abc.ABC):
    """A convex Lagrangian L over the last axis of (N, K) states."""

    name = ""

    def __init__(self, beta: float = 1.0, n: int = 2):
        self.beta = float(beta)
        self.n = int(n)

    @abc.abstractmethod
    def value(self, x: Any) -> Any:
        """L(x), shape (N,)."""

    @abc.abstractmethod
    def activation(self, x: Any) -> Any:
        """x_hat = grad L(x), shape (N, K)."""

    @abc.abstractmethod
    def hvp(self, x: Any, u: Any) -> Any:
        """(Hess L(x)) u, shape (N, K): the Jacobian of the activation applied to u."""

    def energy(self, x: Any) -> Any:
        """Legendre energy E(x) = x . grad L(x) - L(x), shape (N,)."""
        xp = namespace(x)
        return xp.sum(x * self.activation(x), axis=-1) - self.value(x)


class Identity(Lagrangian):
    """L = 1/2 |x|^2, activation x, energy 1/2 |x|^2."""

    name = "identity"

    def value(self, x: Any) -> Any:
        return 0.5 * namespace(x).sum(x * x, axis=-1)

    def activation(self, x: Any) -> Any:
        return x

    def hvp(self, x: Any, u: Any) -> Any:
        return u


class Softmax(Lagrangian):
    """L = (1/beta) log sum_k exp(beta x_k), activation softmax(beta x),
    energy (1/beta) sum_k p_k log p_k (minus the entropy over beta)."""

    name = "softmax"

    def value(self, x: Any) -> Any:
        return logsumexp(namespace(x), self.beta * x, axis=-1) / self.beta

    def activation(self, x: Any) -> Any:
        return softmax(namespace(x), self.beta * x, axis=-1)

    def hvp(self, x: Any, u: Any) -> Any:
        """beta (diag p - p p^T) u."""
        xp = namespace(x, u)
        p = self.activation(x)
        return self.beta * p * (u - xp.sum(p * u, axis=-1, keepdims=True))


class Tanh(Lagrangian):
    """L = sum_k log cosh x_k, activation tanh x."""

    name = "tanh"

    def value(self, x: Any) -> Any:
        """log cosh x = |x| + log(1 + exp(-2|x|)) - log 2, stable for large |x|."""
        xp = namespace(x)
        a = xp.abs(x)
        return xp.sum(a + xp.log1p(xp.exp(-2.0 * a)) - 0.6931471805599453, axis=-1)

    def activation(self, x: Any) -> Any:
        return namespace(x).tanh(x)

    def hvp(self, x: Any, u: Any) -> Any:
        t = namespace(x).tanh(x)
        return (1.0 - t * t) * u


class Sigmoid(Lagrangian):
    """L = sum_k softplus(x_k) = sum_k log(1 + exp x_k), activation sigmoid(x)."""

    name = "sigmoid"

    def value(self, x: Any) -> Any:
        xp = namespace(x)
        return xp.sum(xp.logaddexp(xp.zeros_like(x), x), axis=-1)

    def activation(self, x: Any) -> Any:
        """sigmoid(x) = (1 + tanh(x/2)) / 2, which never overflows."""
        return 0.5 * (1.0 + namespace(x).tanh(0.5 * x))

    def hvp(self, x: Any, u: Any) -> Any:
        s = self.activation(x)
        return s * (1.0 - s) * u


class ReluPoly(Lagrangian):
    """L = sum_k relu(x_k)^n / n (n = params.n >= 2), activation relu(x)^(n-1)."""

    name = "relu-poly"

    def value(self, x: Any) -> Any:
        r = _relu(x)
        return namespace(x).sum(r ** self.n, axis=-1) / self.n

    def activation(self, x: Any) -> Any:
        return _relu(x) ** (self.n - 1)

    def hvp(self, x: Any, u: Any) -> Any:
        """(n - 1) relu(x)^(n-2) u; for n = 2 the step function 1[x > 0]."""
        xp = namespace(x)
        if self.n == 2:
            return xp.where(x > 0, u, xp.zeros_like(u))
        return (self.n - 1) * _relu(x) ** (self.n - 2) * u


def _relu(x: Any) -> Any:
    xp = namespace(x)
    return xp.maximum(x, xp.zeros_like(x))


LAGRANGIANS: dict[str, type[Lagrangian]] = {
    cls.name: cls for cls in (Identity, Softmax, Tanh, Sigmoid, ReluPoly)
}


def make_lagrangian(name: str, params: Any) -> Lagrangian:
    """The Lagrangian called ``name`` with ``params.beta`` and ``params.n``."""
    return LAGRANGIANS[name](beta=params.beta, n=params.n)
