"""``python main.py simulate``: run a preset headless and write its trajectory (.npz).

The file holds positions (T+1, N, D), energy (T+1, N), memories (M, D), params (JSON
of every parameter used) and, for diffusion, sigma (T+1,), energy_fixed (T+1, N),
landscape_move and sampler_move (T, N) (:func:`engine.simulation.run`); it is written
atomically and loads with allow_pickle=False. It prints the backend, what it wrote and
the rise shares of the run's fixed function (:mod:`engine.energy_accounting`): for
diffusion -log p_sigma_ref, for an AM its energy, where any rise beyond round-off is a
fault and is reported as a warning on stderr. Any error is one line on stderr and exit
code 2, and leaves no file behind.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from memscape.engine.backend import BackendError, get_backend
from memscape.engine.params import BACKENDS, MODELS, PRECISIONS, SAMPLERS, SCHEDULES, ParamError, Params
from memscape.engine.presets import DEFAULT_PRESET, load_preset

EXIT_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default=DEFAULT_PRESET,
                        help=f"built-in preset name or path to a preset .toml (default: {DEFAULT_PRESET})")
    parser.add_argument("--out", required=True, metavar="FILE.npz", help="trajectory file to write")
    parser.add_argument("--init", metavar="FILE.npy", help="(N, D) array used exactly as the initial state")
    add_param_arguments(parser)


def add_param_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that override a preset's parameters (shared with ``export``); read by build_params."""
    parser.add_argument("--model", choices=MODELS, help="override the preset's model")
    parser.add_argument("--sampler", choices=SAMPLERS, help="diffusion sampler")
    parser.add_argument("--schedule", choices=SCHEDULES, help="diffusion noise schedule")
    parser.add_argument("--steps", type=int, metavar="N", help="number of steps")
    parser.add_argument("--particles", type=int, metavar="N", help="number of particles")
    parser.add_argument("--seed", type=int, metavar="S", help="random seed")
    parser.add_argument("--backend", choices=BACKENDS, help="array backend (default: the preset's, auto)")
    parser.add_argument("--precision", choices=PRECISIONS, help="float32 (default) or float64")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="set any parameter, e.g. --set beta=4 --set patterns.count=12 (repeatable)")


def build_params(args: argparse.Namespace) -> Params:
    """The preset, then the named options, then every --set, validated."""
    params = load_preset(args.preset)
    named = {k: getattr(args, k) for k in ("model", "sampler", "schedule", "steps", "particles", "seed",
                                           "backend", "precision") if getattr(args, k) is not None}
    if named:
        params = params.from_dict({**params.to_dict(), **named}, source="options")
    return params.with_overrides(args.overrides)


def load_init(path: str) -> np.ndarray:
    try:
        init = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--init {path}: cannot be read as a .npy array ({exc})") from None
    if not isinstance(init, np.ndarray) or init.ndim != 2:
        raise ValueError(f"--init {path}: expected an (N, D) array, got shape {getattr(init, 'shape', '?')}")
    return init


def run(args: argparse.Namespace) -> int:
    from memscape.engine.energy_accounting import tally_rises
    from memscape.engine.patterns import make_patterns
    from memscape.engine.simulation import DivergenceError, energy_scale, run as run_simulation
    from memscape.engine.trajectory_io import save_npz

    try:
        params = build_params(args)
        init = load_init(args.init) if args.init else None
        if init is not None:
            params = params.replace(particles=int(init.shape[0]))
        backend = get_backend(params.backend, params.precision)
        note = f" ({backend.note})" if backend.note else ""
        print(f"backend: {backend.device}{note}")
        with np.errstate(all="ignore"):  # overflow is reported as a DivergenceError instead
            arrays = run_simulation(params, backend, init)
        save_npz(args.out, arrays)
    except DivergenceError as exc:
        return _fail(f"the simulation diverged at {exc}")
    except (ParamError, BackendError, ValueError, OSError) as exc:
        return _fail(str(exc))
    t, n, d = arrays["positions"].shape
    print(f"wrote {args.out}: {t - 1} steps of {n} particles in {d} dimensions, "
          f"{arrays['memories'].shape[0]} memories ({params.model})")
    diffusion = params.model == "diffusion"
    tally = tally_rises(arrays["energy_fixed"] if diffusion else arrays["energy"], backend.precision,
                        energy_scale(params, make_patterns(params.patterns)))
    shares = (f"for {100 * tally.particle_share:.1f}% of particles, at {100 * tally.step_share:.1f}% of steps "
              f"(beyond {backend.precision} round-off)")
    if diffusion:
        print(f"the fixed function -log p_sigma_ref (sigma_ref = {params.fixed_sigma:g}) rose {shares}")
    elif tally.steps_with_rise:
        print(f"memscape simulate: warning: the {params.model} energy rose {shares}; an associative memory's "
              f"energy never rises at a step size below its stability bound", file=sys.stderr)
    else:
        print(f"the {params.model} energy never rose beyond {backend.precision} round-off")
    return 0


def _fail(message: str) -> int:
    print(f"memscape simulate: error: {message}", file=sys.stderr)
    return EXIT_ERROR
