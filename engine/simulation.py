"""Params -> a stepped simulation whose frames every view, the recorder and export consume.

A :class:`Simulation` holds the memories, the model (an associative memory from
:func:`engine.models.build_model`, or the exact diffusion model of the memories
with a sampler and a noise schedule) and N particles, all on one backend. Each
:meth:`Simulation.step` advances one step and returns a frame, a plain dict of
host NumPy arrays made with a single device-to-host copy::

    {"step": int, "x": (N, D), "energy": (N,), "sigma": float (nan for AMs),
     "denoised": (N, D) or None, "done": bool}

The energy is the AM's energy of its state, or for diffusion E_sigma_t(x_t)
(science.md 4, constant dropped), NaN where sigma = 0. A state that becomes
NaN or infinite raises :class:`DivergenceError`; it is never passed on.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from memscape.engine import kernels as direct_kernels
from memscape.engine import learned_score, schedules
from memscape.engine.backend import Backend, Rng, get_backend, namespace, to_host
from memscape.engine.energies import empirical
from memscape.engine.models import build_model
from memscape.engine.params import Params
from memscape.engine.patterns import PatternSet, make_patterns
from memscape.engine.projection import Plane
from memscape.engine.samplers import SAMPLERS

Frame = dict[str, Any]


class DivergenceError(RuntimeError):
    """A particle's state became NaN or infinite at ``step``."""

    def __init__(self, step: int, message: str):
        super().__init__(f"step {step}: {message}")
        self.step = step
        self.message = message


class Simulation:
    """N particles stepped by one model on one backend (see the module docstring).

    ``init`` (N, D) is used exactly as the initial state; without it the particles
    are drawn, from the seed, from N(mean of the memories, s^2 I) with s =
    params.init_scale, or the schedule's first sigma when init_scale is 0 (AMs too,
    so an AM and a diffusion model with the same params start from the same points).
    """

    def __init__(self, params: Params, backend: Backend | None = None, init: Any = None):
        self.backend = backend if backend is not None else get_backend(params.backend, params.precision)
        self._init = None
        self._configure(params)
        self.reset(init)

    # -- building ------------------------------------------------------------
    def _configure(self, params: Params) -> None:
        """Memories, model or sampler + schedule, and the random streams' seeds for ``params``."""
        self.params = params
        self.patterns: PatternSet = make_patterns(params.patterns)
        self.memories_host: np.ndarray = self.patterns.memories
        self.memories = self.backend.asarray(self.memories_host)
        self.plane = Plane.principal(self.memories_host)
        # independent streams: the initial particles, the model's own weights, the dynamics' noise
        self._seeds = np.random.SeedSequence(params.seed).spawn(3)
        self.is_diffusion = params.model == "diffusion"
        self.sigmas: np.ndarray = schedules.make_sigmas(params)
        if self.is_diffusion:
            self.model = None
            self._sampler = SAMPLERS[params.sampler]
            self._denoise, self._energy, self._energy_and_grad = _exact_diffusion(self.patterns, self.memories, self.backend)
            if params.score == "learned":  # the particles follow the fit; energies and maps stay the data's exact ones
                self._denoise = learned_score.fit(self.memories, learned_score.FitSettings(
                    capacity=params.capacity, sigma_min=params.sigma_min, sigma_max=params.sigma_max,
                    seed=params.seed), self.backend).denoise
        else:
            self.model = build_model(params, self.memories, Rng(self.backend, self._seeds[1]))

    def _initial_particles(self, init: Any) -> Any:
        """The start state: ``init`` exactly, or the seeded draw described in the class docstring."""
        d = self.memories_host.shape[1]
        if init is not None:
            host = np.asarray(to_host(init), dtype=np.float64)
            if host.ndim != 2 or host.shape[1] != d or host.shape[0] < 1:
                raise ValueError(f"init: expected an (N, {d}) array of initial states, got shape {host.shape}")
            if not np.all(np.isfinite(host)):
                raise ValueError("init: the initial states contain NaN or infinite values")
            self._init = host
        if self._init is not None:
            self.initial = self._init
        else:
            scale = self.params.init_scale or float(self.sigmas[0])
            noise = np.random.default_rng(self._seeds[0]).standard_normal((self.params.particles, d))
            self.initial = self.memories_host.mean(axis=0) + scale * noise
        return self.backend.asarray(self.initial)

    def reset(self, init: Any = None) -> Frame:
        """Back to step 0: from ``init`` if given, else the ``init`` given before, else the
        draw from params.seed; the dynamics' random stream restarts from the seed too."""
        self.i = 0
        self._rng = Rng(self.backend, self._seeds[2])
        x = self._initial_particles(init)
        self._set_state(x)
        return self._frame

    def twin(self, params: Params) -> "Simulation":
        """Another simulation (e.g. the AM beside a diffusion model) on the same backend,
        starting from exactly the same particles."""
        return Simulation(params, self.backend, init=self.initial)

    def _set_state(self, x: Any) -> None:
        self.denoised = None
        if self.is_diffusion:
            self.x = x
        else:
            self.state = self.model.init_state(x)
        self._frame = self._make_frame()

    # -- stepping ------------------------------------------------------------
    @property
    def steps(self) -> int:
        """Number of steps of a full run: N integration steps for diffusion, params.steps for AMs."""
        return len(self.sigmas) - 1 if self.is_diffusion else self.params.steps

    @property
    def done(self) -> bool:
        return self.i >= self.steps

    @property
    def sigma(self) -> float:
        """The noise level of the current state (nan for associative memories)."""
        return float(self.sigmas[self.i]) if self.is_diffusion else float("nan")

    def frame(self) -> Frame:
        """The current frame (no new device-to-host copy)."""
        return self._frame

    def step(self) -> Frame:
        """Advance one step (nothing once done) and return the new frame."""
        if self.done:
            return self._frame
        if self.is_diffusion:
            self.x, self.denoised = self._sampler.step(self._denoise, self.x, self.i, self.sigmas, self._rng, self.params)
        else:
            self.state = self.model.step(self.state, self._rng)
        self.i += 1
        self._frame = self._make_frame()
        return self._frame

    def visible(self) -> Any:
        """The particles' current visible states (N, D) on the backend."""
        return self.x if self.is_diffusion else self.model.visible(self.state)

    def _make_frame(self) -> Frame:
        """Pack x, energy and denoised into one device array, copy it to the host once, split."""
        x = self.visible()
        xp = namespace(x)  # array_api_compat's wrapper: concat exists on every backend
        n, d = x.shape
        if self.is_diffusion:
            sigma = self.sigma
            energy = self._energy(x, sigma) if sigma > 0 else xp.full((n,), float("nan"), dtype=x.dtype)
        else:
            sigma, energy = float("nan"), self.model.energy(self.state)
        parts = [x, xp.reshape(energy, (n, 1))] + ([self.denoised] if self.denoised is not None else [])
        host = self.backend.to_host(xp.concat(parts, axis=1))
        frame = {"step": self.i, "x": host[:, :d], "energy": host[:, d],
                 "sigma": sigma, "denoised": host[:, d + 1:] if self.denoised is not None else None,
                 "done": self.done}
        self._check_finite(frame)
        return frame

    def _check_finite(self, frame: Frame) -> None:
        bad = ~np.all(np.isfinite(frame["x"]), axis=1)
        if frame["denoised"] is not None:
            bad |= ~np.all(np.isfinite(frame["denoised"]), axis=1)
        if not (self.is_diffusion and frame["sigma"] == 0):
            bad |= ~np.isfinite(frame["energy"])
        if bad.any():
            what = f"dt = {self.params.dt}" if not self.is_diffusion else \
                f"sampler {self.params.sampler}, {len(self.sigmas) - 1} steps"
            raise DivergenceError(self.i, f"{int(bad.sum())} of {bad.size} particles became NaN or infinite "
                                          f"({self.params.model}, {what}); try a smaller step")

    # -- live changes ----------------------------------------------------------
    def set_params(self, params: Params) -> Frame:
        """Apply changed parameters and keep the particles where they are.

        Diffusion continues from the first sigma of the new schedule that is not
        above the current one; an AM keeps its step count (its hidden neurons, if
        any, restart from the visible state). A new seed takes effect at the next
        :meth:`reset`. A new particle count, or a change of the data's dimension,
        cannot keep the particles and resets instead."""
        x_host = self._frame["x"]
        old_sigma, old_i = self.sigma, self.i
        self._configure(params)
        if params.particles != x_host.shape[0] or self.memories_host.shape[1] != x_host.shape[1]:
            self._init = None
            return self.reset()
        if self.is_diffusion:
            below = np.nonzero(self.sigmas <= old_sigma)[0] if not np.isnan(old_sigma) else [0]
            self.i = int(below[0]) if len(below) else len(self.sigmas) - 1
        else:
            self.i = old_i
        self._set_state(self.backend.asarray(x_host))
        return self._frame

    # -- landscape -------------------------------------------------------------
    @property
    def landscape_sigma(self) -> float:
        """The sigma the diffusion landscape is drawn at: the current one, or the last
        positive one once sigma has reached 0 (nan for AMs)."""
        if not self.is_diffusion:
            return float("nan")
        return self.sigma if self.sigma > 0 else float(self.sigmas[self.sigmas > 0][-1])

    def energy_and_grad(self, x: Any, kernels: Any = direct_kernels) -> tuple[Any, Any]:
        """Energy (P,) and its gradient (P, D) at points x (P, D) on the backend: the AM's
        landscape (hidden neurons at equilibrium), or E_sigma and grad E_sigma at
        :attr:`landscape_sigma`. One softmax-kernel call where the model has one
        (``landscape_and_grad``), taken from ``kernels``: :mod:`engine.kernels`, or an
        :class:`engine.grid_kernels.GridKernels` when x is its grid's points."""
        if self.is_diffusion:
            return self._energy_and_grad(x, self.landscape_sigma, kernels)
        if hasattr(self.model, "landscape_and_grad"):
            return self.model.landscape_and_grad(x, kernels)
        return self.model.landscape(x), self.model.landscape_grad(x)

    def landscape(self, grid: Any, plane: Plane | None = None) -> dict[str, np.ndarray]:
        """Energy map and gradients on ``grid`` (see :func:`engine.landscape.energy_map`)."""
        from memscape.engine.landscape import energy_map

        return energy_map(self, grid, plane)


def _exact_diffusion(patterns: PatternSet, memories: Any, backend: Backend
                     ) -> tuple[Callable, Callable, Callable]:
    """denoise(x, sigma), energy(x, sigma), energy_and_grad(x, sigma, kernels) of the exact
    diffusion model: the Gaussian-smoothed memories (science.md 4; one kernel call from
    ``kernels`` for both), or for Gaussian data N(mu, s^2 I) the Gaussian
    N(mu, (s^2 + sigma^2) I) itself (closed form, no kernel)."""
    if patterns.gaussian is not None:
        mu, s2 = backend.asarray(patterns.gaussian[0]), patterns.gaussian[1]
        return (empirical.gaussian_denoiser(mu, s2),
                lambda x, sigma: gaussian_energy(x, sigma, mu, s2),
                lambda x, sigma, kernels: (gaussian_energy(x, sigma, mu, s2), (x - mu) / (s2 + sigma ** 2)))
    return (lambda x, sigma: empirical.denoise(x, sigma, memories),
            lambda x, sigma: empirical.energy(x, sigma, memories),
            lambda x, sigma, kernels: empirical.energy_and_grad(x, sigma, memories, kernels))


def gaussian_energy(x: Any, sigma: float, mu: Any, s2: float) -> Any:
    """E_sigma(x) = |x - mu|^2 / (2 (s^2 + sigma^2)): -log N(x; mu, (s^2 + sigma^2) I)
    with the constant dropped, as for the mixture energy (science.md 4)."""
    xp = namespace(x)
    r = x - mu
    return xp.sum(r * r, axis=1) / (2.0 * (s2 + sigma ** 2))


def run(params: Params, backend: Backend | None = None, init: Any = None,
        callback: Callable[[Frame], None] | None = None) -> dict[str, Any]:
    """A whole run as the arrays of the trajectory .npz: positions (T+1, N, D),
    energy (T+1, N), memories (M, D), sigma (T+1,) for diffusion only, and params
    (JSON of every parameter actually used, the backend and particle count resolved)."""
    sim = Simulation(params, backend, init)
    first = sim.frame()
    n, d = first["x"].shape
    positions = np.empty((sim.steps + 1, n, d))
    energy = np.empty((sim.steps + 1, n))
    sigma = np.empty(sim.steps + 1)
    for t in range(sim.steps + 1):
        frame = first if t == 0 else sim.step()
        positions[t], energy[t], sigma[t] = frame["x"], frame["energy"], frame["sigma"]
        if callback is not None:
            callback(frame)
    used = params.replace(particles=n, backend=sim.backend.name, precision=sim.backend.precision)
    out = {"positions": positions, "energy": energy, "memories": sim.memories_host, "params": used.to_json()}
    if sim.is_diffusion:
        out["sigma"] = sigma
    return out
