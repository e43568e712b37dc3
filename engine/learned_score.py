"""A learned score of limited capacity: random Fourier features fitted by denoising score
matching in closed form (ridge regression), with NumPy or CuPy alone (science.md 4 and 6).

The denoiser uses the EDM preconditioning (Karras et al. 2022, section 5):
  D_theta(x, sigma) = c_skip x + c_out F(c_in x, c_noise),
  c_skip = s^2 / (sigma^2 + s^2), c_out = sigma s / sqrt(sigma^2 + s^2),
  c_in = 1 / sqrt(sigma^2 + s^2), c_noise = log(sigma) / 4,
s the data's standard deviation, and F(z) = phi(z) W is linear in K random Fourier
features of z = (c_in x, c_noise) in R^(D+1) (Rahimi and Recht 2007):
  phi_k(z) = sqrt(2 / K) cos(omega_k . z + b_k), omega_k ~ N(0, bandwidth^2 I), b_k ~ U(0, 2 pi).
Denoising score matching with EDM's weighting lambda(sigma) = 1 / c_out^2 is the plain
least-squares fit of F to the targets (x_0 - c_skip x) / c_out over noisy training samples
x = x_0 + sigma n (x_0 a training point, log sigma uniform in [log sigma_min, log sigma_max],
n ~ N(0, I)), so W = (Phi^T Phi + ridge P I)^(-1) Phi^T T for the P samples: one K x K solve,
no deep-learning framework. The capacity is K, the number of features: with few features
the fit cannot resolve every training point, and samples leave the training set
(generalisation); with many it reproduces them (memorisation). The least-squares
estimate has a variance of about K / P times that of the targets, which are noisiest at
large sigma (x_0 given x is then uncertain): there the fit is rougher than near sigma_min.

The learned score (D_theta(x, sigma) - x) / sigma^2 need not be the gradient of anything:
each output coordinate has its own weights, so its Jacobian is not symmetric and its curl
is nonzero, while the exact score's is zero (the ``curl`` experiment).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from memscape.engine.backend import Backend


@dataclasses.dataclass(frozen=True)
class FitSettings:
    """How a :class:`LearnedScore` is fitted (the module docstring)."""

    capacity: int = 256  #: K, the number of random features
    bandwidth: float = 6.0  #: standard deviation of the feature frequencies omega
    samples: int = 8192  #: noisy training samples P (each training point used equally often)
    ridge: float = 1e-6  #: ridge penalty per sample
    sigma_min: float = 0.002
    sigma_max: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.samples < 1:
            raise ValueError(f"capacity and samples: expected >= 1, got {self.capacity}, {self.samples}")
        if not (self.bandwidth > 0 and self.ridge >= 0 and 0 < self.sigma_min < self.sigma_max):
            raise ValueError("expected bandwidth > 0, ridge >= 0 and 0 < sigma_min < sigma_max, got "
                             f"{self.bandwidth}, {self.ridge}, {self.sigma_min}, {self.sigma_max}")


class LearnedScore:
    """D_theta(x, sigma) of the module docstring, fitted to ``memories`` (M, D) host or backend
    array with :func:`fit`; ``denoise(x, sigma)`` has the signature of the exact denoiser, so it
    drives the samplers and a :class:`engine.simulation.Simulation`."""

    def __init__(self, omega: Any, phase: Any, weights: Any, data_std: float, backend: Backend):
        self.omega, self.phase, self.weights = omega, phase, weights  # (D+1, K), (K,), (K, D) or None
        self.data_std = float(data_std)
        self.backend = backend

    @property
    def capacity(self) -> int:
        return int(self.omega.shape[1])

    def preconditioning(self, sigma: Any) -> tuple[Any, Any, Any, Any]:
        """(c_skip, c_out, c_in, c_noise) at sigma (a float or an (P, 1) array)."""
        xp = self.backend.xp
        s2 = self.data_std ** 2
        root = (sigma * sigma + s2) ** 0.5
        c_noise = (math.log(sigma) if isinstance(sigma, float) else xp.log(sigma)) / 4.0
        return s2 / (sigma * sigma + s2), sigma * self.data_std / root, 1.0 / root, c_noise

    def features(self, x: Any, c_in: Any, c_noise: Any) -> Any:
        """phi(z), z = (c_in x, c_noise): (P, K)."""
        xp = self.backend.xp
        noise_col = c_noise * xp.ones((x.shape[0], 1), dtype=x.dtype)
        z = xp.concat([c_in * x, noise_col], axis=1)
        return math.sqrt(2.0 / self.omega.shape[1]) * xp.cos(z @ self.omega + self.phase)

    def denoise(self, x: Any, sigma: float) -> Any:
        """D_theta(x, sigma) = c_skip x + c_out phi(c_in x, c_noise) W, for x (N, D) and sigma > 0."""
        sigma = float(sigma)
        if not sigma > 0.0:
            raise ValueError(f"sigma: expected > 0, got {sigma!r}")
        c_skip, c_out, c_in, c_noise = self.preconditioning(sigma)
        return c_skip * x + c_out * (self.features(x, c_in, c_noise) @ self.weights)

    def score(self, x: Any, sigma: float) -> Any:
        """The learned score (D_theta(x, sigma) - x) / sigma^2 (Tweedie, science.md 3)."""
        return (self.denoise(x, sigma) - x) / (float(sigma) ** 2)


def fit(memories: Any, settings: FitSettings, backend: Backend) -> LearnedScore:
    """Fit D_theta to the training points ``memories`` (M, D) by denoising score matching in
    closed form (the module docstring); every random draw comes from ``settings.seed``."""
    xp = backend.xp
    points = np.asarray(backend.to_host(memories), dtype=np.float64)
    m, d = points.shape
    rng = np.random.default_rng(settings.seed)
    k, p = settings.capacity, settings.samples
    data_std = float(points.std()) if m > 1 and points.std() > 0 else 1.0
    omega = backend.asarray(settings.bandwidth * rng.standard_normal((d + 1, k)))
    phase = backend.asarray(rng.uniform(0.0, 2.0 * math.pi, k))
    x0 = points[np.arange(p) % m]
    sigma = np.exp(rng.uniform(math.log(settings.sigma_min), math.log(settings.sigma_max), (p, 1)))
    x_host = x0 + sigma * rng.standard_normal((p, d))
    untrained = LearnedScore(omega, phase, None, data_std, backend)
    x, sig = backend.asarray(x_host), backend.asarray(sigma)
    c_skip, c_out, c_in, c_noise = untrained.preconditioning(sig)
    phi = untrained.features(x, c_in, c_noise)
    target = (backend.asarray(x0) - c_skip * x) / c_out
    gram = phi.T @ phi + (settings.ridge * p) * xp.eye(k, dtype=phi.dtype)
    return LearnedScore(omega, phase, xp.linalg.solve(gram, phi.T @ target), data_std, backend)
