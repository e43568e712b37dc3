"""Params -> a stepped simulation whose frames every view, the recorder and export consume.

A :class:`Simulation` holds the memories, the model (an associative memory from
:func:`engine.models.build_model`, or the exact diffusion model of the memories
with a sampler and a noise schedule) and N particles, all on one backend. Each
:meth:`Simulation.step` advances one step and returns a frame, a plain dict of
host NumPy arrays made with a single device-to-host copy::

    {"step": int, "x": (N, D), "sigma": float (nan for AMs), "denoised": (N, D) or None,
     "done": bool, and five (N,) float64 energies: "energy", "energy_fixed",
     "landscape_move", "sampler_move", "energy_nats"}

Diffusion (science.md 4 and 5; natural log, normalised, NaN where sigma = 0):
- "energy": E_sigma_t(x_t) = -log p_sigma_t(x_t), the smoothed memories' density (for
  Gaussian data the exact -log N(x; mu, (s^2 + sigma^2) I));
- "energy_fixed": E_sigma_ref(x_t), one fixed function along the whole path (never NaN);
- "landscape_move": E_sigma_{i+1}(x_i) - E_sigma_i(x_i), the landscape moving under the
  particle during the step i -> i+1 that produced this frame, and "sampler_move":
  E_sigma_{i+1}(x_{i+1}) - E_sigma_{i+1}(x_i), the sampler moving on the new landscape.
  Their sum is the change of "energy". NaN in the first frame of a segment (step 0, a
  reset, a parameter change) and where sigma_{i+1} = 0;
- "energy_nats" = "energy".
Associative memories: "energy" is the model's own energy, "energy_fixed" the same,
"landscape_move" 0 and "sampler_move" the change of energy (both NaN in a segment's first
frame); "energy_nats" is the energy on the diffusion scale where the model has one (the
distance-form Modern Hopfield network: beta E + log M + (D/2) log(2 pi / beta) =
-log p_sigma at sigma = beta^-1/2), NaN otherwise. A state that becomes NaN or infinite
raises :class:`DivergenceError`, whose message names the likely cause; it is never passed on.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from memscape.engine import kernels as direct_kernels
from memscape.engine import learned_score, schedules
from memscape.engine.backend import Backend, Rng, get_backend, namespace, to_host
from memscape.engine.energies import empirical
from memscape.engine.energies.empirical import gaussian_energy
from memscape.engine.models import build_model, nats_affine
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
    are drawn from the seed: from p_sigma_max, the memories smoothed by the schedule's
    first sigma (a memory chosen uniformly plus sigma_max noise; for Gaussian data
    N(mean, (s^2 + sigma_max^2) I)), where the reverse process starts; or, when
    params.init_scale s > 0, from N(mean of the memories, s^2 I). AMs draw the same way,
    so an AM and a diffusion model with the same params start from the same points.
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
        self._nats: tuple[float, float] | None = None
        self._known: tuple[Any, float, Any] | None = None  #: (x, sigma, D(x, sigma)) of the last frame
        if self.is_diffusion:
            self.model = None
            self._sampler = SAMPLERS[params.sampler]
            self._denoise, self._energy_denoise, self._energy_and_grad = _exact_diffusion(
                self.patterns, self.memories, self.backend)
            if params.score == "learned":  # the particles follow the fit; energies and maps stay the data's exact ones
                self._denoise = learned_score.fit(self.memories, learned_score.FitSettings(
                    capacity=params.capacity, sigma_min=params.sigma_min, sigma_max=params.sigma_max,
                    seed=params.seed), self.backend).denoise
        else:
            self.model = build_model(params, self.memories, Rng(self.backend, self._seeds[1]))
            self._nats = nats_affine(params, self.memories_host)

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
            rng = np.random.default_rng(self._seeds[0])
            n = self.params.particles
            if self.params.init_scale > 0:
                self.initial = self.memories_host.mean(axis=0) + self.params.init_scale * rng.standard_normal((n, d))
            else:
                self.initial = self.patterns.sample_noised(n, float(self.sigmas[0]), rng)
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
        """Start a segment at visible states x: its first frame has no energy moves."""
        self.denoised = None
        if self.is_diffusion:
            self.x = x
        else:
            self.state = self.model.init_state(x)
        self._frame = self._make_frame(None)

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

    @property
    def sigma_ref(self) -> float:
        """The noise level of diffusion's fixed function "energy_fixed" (params.fixed_sigma:
        sigma_ref, or sigma_min when it is 0); nan for associative memories."""
        return self.params.fixed_sigma if self.is_diffusion else float("nan")

    @property
    def energy_scale(self) -> float:
        """:func:`energy_scale` of this simulation's parameters and memories."""
        return energy_scale(self.params, self.patterns)

    def frame(self) -> Frame:
        """The current frame (no new device-to-host copy)."""
        return self._frame

    def step(self) -> Frame:
        """Advance one step (nothing once done) and return the new frame."""
        if self.done:
            return self._frame
        before = self.x if self.is_diffusion else None
        if self.is_diffusion:
            self.x, self.denoised = self._sampler.step(self._denoise_known, self.x, self.i, self.sigmas, self._rng,
                                                       self.params)
        else:
            self.state = self.model.step(self.state, self._rng)
        self.i += 1
        self._frame = self._make_frame(self._frame, before)
        return self._frame

    def _denoise_known(self, x: Any, sigma: float) -> Any:
        """The sampler's denoiser D(x, sigma): the one the last frame's energy call gave when
        it is asked at that very state and sigma (the step from x_i starts with D(x_i,
        sigma_i), which came with E_sigma_i(x_i); states are new arrays after every step and
        never changed in place), else a call of the model's own denoiser."""
        known = self._known
        if known is not None and known[0] is x and known[1] == sigma:
            return known[2]
        return self._denoise(x, sigma)

    def visible(self) -> Any:
        """The particles' current visible states (N, D) on the backend."""
        return self.x if self.is_diffusion else self.model.visible(self.state)

    def _make_frame(self, prev: Frame | None, x_prev: Any = None) -> Frame:
        """The frame of the current state (module docstring). ``prev`` is the frame before
        this step (None at a segment's start); for diffusion ``x_prev`` is the state it came
        from, whose energy on the new landscape splits the change. All device values (x, the
        energies, denoised) are packed into one array and copied to the host once. The exact
        denoiser at the new state comes with its energy and is kept for the next step
        (:meth:`_denoise_known`)."""
        x = self.visible()
        xp = namespace(x)  # array_api_compat's wrapper: concat exists on every backend
        n, d = x.shape
        self._known = None
        if self.is_diffusion:
            sigma = self.sigma
            nan = xp.full((n,), float("nan"), dtype=x.dtype)
            if sigma > 0:  # E_sigma_{i+1} at x_{i+1} and (after a step) x_i in one call
                both, denoised = self._energy_denoise(x if x_prev is None else xp.concat([x, x_prev], axis=0), sigma)
                energy, crossed = (both, nan) if x_prev is None else (both[:n], both[n:])
                if self.params.score != "learned":  # a learned score's particles follow its own denoiser
                    self._known = (x, sigma, denoised[:n, :])
            else:
                energy, crossed = nan, nan
            columns = [energy, self._energy_denoise(x, self.sigma_ref)[0], crossed]
        else:
            sigma, columns = float("nan"), [self.model.energy(self.state)]
        parts = [x] + [xp.reshape(c, (n, 1)) for c in columns] + ([self.denoised] if self.denoised is not None else [])
        host = self.backend.to_host(xp.concat(parts, axis=1))
        values = np.asarray(host[:, d:d + len(columns)], dtype=np.float64)
        energy = values[:, 0]
        before = prev["energy"] if prev is not None else np.full(n, np.nan)
        if self.is_diffusion:
            fixed, crossed = values[:, 1], values[:, 2]
            landscape_move, sampler_move, nats = crossed - before, energy - crossed, energy
        else:
            fixed = energy
            landscape_move = np.zeros(n) if prev is not None else np.full(n, np.nan)
            sampler_move = energy - before
            nats = self._nats[0] * energy + self._nats[1] if self._nats is not None else np.full(n, np.nan)
        frame = {"step": self.i, "x": host[:, :d], "energy": energy, "energy_fixed": fixed,
                 "landscape_move": landscape_move, "sampler_move": sampler_move, "energy_nats": nats,
                 "sigma": sigma, "denoised": host[:, d + len(columns):] if self.denoised is not None else None,
                 "done": self.done}
        self._check_finite(frame, prev, host)
        return frame

    def _check_finite(self, frame: Frame, prev: Frame | None, packed: np.ndarray) -> None:
        """:class:`DivergenceError` when a particle's state, denoised state or energy (but
        diffusion's at sigma = 0, NaN by definition) is NaN or infinite. A sum is finite only
        where every term is, so one sum over ``packed`` (the frame's host block: states,
        energies and denoised states side by side) clears the common case; only a non-finite
        sum (a value that may be allowed, or an overflow) looks at the particles one by one."""
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.sum(packed)):
                return
        bad = ~np.all(np.isfinite(frame["x"]), axis=1)
        if frame["denoised"] is not None:
            bad |= ~np.all(np.isfinite(frame["denoised"]), axis=1)
        if not (self.is_diffusion and frame["sigma"] == 0):
            bad |= ~np.isfinite(frame["energy"])
        if bad.any():
            raise DivergenceError(self.i, f"{int(bad.sum())} of {bad.size} particles became NaN or infinite "
                                          f"({self.params.model}); {self._divergence_cause(prev)}")

    def _divergence_cause(self, prev: Frame | None) -> str:
        """The likely reason a state became NaN or infinite, in words. Values too large for
        the float type come first (their squares overflow in the distance kernels whatever
        the step). Otherwise, for an AM every step the parameters allow is a descent step
        (dt <= 2 for the concave-convex models; any dt for the layered ones, whose
        exponential Euler step never raises E), so the energy fell without bound; for
        diffusion the state's size before the step is reported."""
        precision = self.backend.precision
        largest_float = float(np.finfo(precision).max)
        d = self.memories_host.shape[1]

        def size(a: np.ndarray) -> float:  # the largest coordinate
            a = np.asarray(a, dtype=np.float64)
            return float(np.max(np.abs(a))) if np.all(np.isfinite(a)) else math.inf

        start, last = size(self.initial), size(prev["x"]) if prev is not None else size(self.initial)
        if start * start * d > math.sqrt(largest_float):
            source = ("the initial values" if self._init is not None else
                      f"init_scale = {self.params.init_scale:g}" if self.params.init_scale > 0 else
                      f"sigma_max = {float(self.sigmas[0]):g}")
            wider = "float64, or " if precision == "float32" else ""
            return (f"{source} gave values up to {start:.3g}, too large for {precision} (squares summed over "
                    f"{d} dimensions approach its largest number, {largest_float:.3g}); a smaller step cannot "
                    f"help: use {wider}a smaller sigma_max or smaller initial values")
        if not self.is_diffusion:
            return (f"the {self.params.model} energy fell without bound (coordinates had reached {last:.3g}): "
                    f"with these settings it is unbounded below on these memories, and a smaller step cannot help")
        return (f"the largest coordinate before the step was {last:.3g} "
                f"(sampler {self.params.sampler}, {self.steps} steps)")

    def seek(self, i: int, x: Any) -> Frame:
        """Continue from step ``i`` with the visible states ``x`` (N, D) (a recorded step, to
        play on from): hidden neurons, if any, restart from ``x`` as after a parameter change,
        and the dynamics' random stream is drawn afresh from (seed, i), so a stochastic
        sampler's second pass after step ``i`` is reproducible but not the first one's."""
        if not 0 <= i <= self.steps:
            raise ValueError(f"seek: step {i} is outside 0..{self.steps}")
        self.i = int(i)
        self._rng = Rng(self.backend, np.random.SeedSequence([self.params.seed, 2, self.i]))
        self._set_state(self.backend.asarray(np.asarray(x)))
        return self._frame

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
    """denoise(x, sigma), energy_and_denoise(x, sigma), energy_and_grad(x, sigma, kernels) of
    the exact diffusion model, energies normalised (-log p_sigma): the Gaussian-smoothed
    memories (science.md 4; one kernel call for each pair, from ``kernels`` for the last), or
    for Gaussian data N(mu, s^2 I) the Gaussian N(mu, (s^2 + sigma^2) I) itself (closed form,
    no kernel)."""
    if patterns.gaussian is not None:
        mu, s2 = backend.asarray(patterns.gaussian[0]), patterns.gaussian[1]
        denoise = empirical.gaussian_denoiser(mu, s2)
        return (denoise,
                lambda x, sigma: (gaussian_energy(x, sigma, mu, s2), denoise(x, sigma)),
                lambda x, sigma, kernels: (gaussian_energy(x, sigma, mu, s2),
                                           empirical.gaussian_energy_grad(x, sigma, mu, s2)))
    return (lambda x, sigma: empirical.denoise(x, sigma, memories),
            lambda x, sigma: empirical.energy_and_denoise(x, sigma, memories),
            lambda x, sigma, kernels: empirical.energy_and_grad(x, sigma, memories, kernels))


def energy_scale(params: Params, patterns: PatternSet) -> float:
    """Size of the largest terms that cancel when "energy_fixed" is computed, in its own unit
    (the ``scale`` of :func:`engine.energy_accounting.rise_tolerance`): the distance kernels
    lose about eps beta (|x|^2 + |xi|^2) (engine/kernels.py), so beta_ref max|xi|^2 for the
    diffusion energy at sigma_ref (0 for the Gaussian closed form, which uses differences),
    and max|xi|^2 for an AM, whose energy is measured in squared distances (binary models:
    D, the squared length of a +-1 state)."""
    sq = float(np.max(np.sum(patterns.memories ** 2, axis=1)))
    if params.model != "diffusion":
        return sq
    return 0.0 if patterns.gaussian is not None else sq / params.fixed_sigma ** 2


def run(params: Params, backend: Backend | None = None, init: Any = None,
        callback: Callable[[Frame], None] | None = None) -> dict[str, Any]:
    """A whole run as the arrays of the trajectory .npz: positions (T+1, N, D), energy
    (T+1, N), memories (M, D), params (JSON of every parameter actually used: the backend,
    precision, particle count and sigma_ref resolved), and for diffusion only sigma (T+1,),
    energy_fixed (T+1, N), landscape_move and sampler_move (T, N) (the module docstring; row t
    of the moves is the step t -> t+1). An AM's energy is its own energy."""
    sim = Simulation(params, backend, init)
    first = sim.frame()
    n, d = first["x"].shape
    steps = sim.steps
    positions = np.empty((steps + 1, n, d))
    series = {k: np.empty((steps + 1, n)) for k in ("energy", "energy_fixed", "landscape_move", "sampler_move")}
    sigma = np.empty(steps + 1)
    for t in range(steps + 1):
        frame = first if t == 0 else sim.step()
        positions[t], sigma[t] = frame["x"], frame["sigma"]
        for key, values in series.items():
            values[t] = frame[key]
        if callback is not None:
            callback(frame)
    used = params.replace(particles=n, backend=sim.backend.name, precision=sim.backend.precision,
                          sigma_ref=params.fixed_sigma)
    out = {"positions": positions, "energy": series["energy"], "memories": sim.memories_host,
           "params": used.to_json()}
    if sim.is_diffusion:
        out.update(sigma=sigma, energy_fixed=series["energy_fixed"],
                   landscape_move=series["landscape_move"][1:], sampler_move=series["sampler_move"][1:])
    return out
