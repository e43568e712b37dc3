"""``python main.py simulate``: run a preset headless and write its trajectory (.npz).

The file holds positions (T+1, N, D), energy (T+1, N), memories (M, D), params (JSON
of every parameter used) and, for diffusion, sigma (T+1,), energy_fixed (T+1, N),
landscape_move and sampler_move (T, N) (:func:`engine.simulation.run`); it is written
atomically and loads with allow_pickle=False. It prints the backend, what it wrote and
the rise shares of the run's fixed function (:mod:`engine.energy_accounting`): for
diffusion -log p_sigma_ref, for an AM its energy, where any rise beyond round-off is a
fault and is reported as a warning on stderr. Any error is one line on stderr and exit
code 2, and leaves no file behind; what cannot be done (the output, the --init file,
the run's memory, disk and work: engine.limits) is refused before the run starts.
SIGINT, SIGTERM and SIGHUP end it between two steps (exit 130, 143, 129).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from memscape.engine.backend import BackendError, get_backend
from memscape.engine.params import BACKENDS, MODELS, PRECISIONS, SAMPLERS, SCHEDULES, ParamError, Params
from memscape.engine.presets import DEFAULT_PRESET, checked_params, open_preset

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


def build_params(args: argparse.Namespace, note: Callable[[str], None] | None = None) -> Params:
    """The preset, then the named options, then every --set, validated (the memories too,
    :func:`engine.presets.checked_params`). The preset's notes
    (the defaults a file relies on, :attr:`engine.presets.Preset.notes`) go to ``note``,
    by default one line each on stderr."""
    preset = open_preset(args.preset)
    for line in preset.notes:
        (note or _note)(line)
    params = preset.params
    named = {k: getattr(args, k) for k in ("model", "sampler", "schedule", "steps", "particles", "seed",
                                           "backend", "precision") if getattr(args, k) is not None}
    if named:
        params = params.from_dict({**params.to_dict(), **named}, source="options")
    if not args.overrides:
        return params
    params = params.with_overrides(args.overrides)
    return checked_params(params.to_dict(), "--set")  # memories set by --set patterns.* are checked too


def check_out(path: str) -> Path:
    """The --out path when simulate may write it: a name ending in .npz that is new or a
    regular file, in a folder that exists (:func:`engine.atomic_files.check_target`)."""
    from memscape.engine.atomic_files import check_target

    if Path(path).suffix.lower() != ".npz":
        raise ValueError(f"--out {path}: simulate writes a .npz trajectory; give a file name ending in .npz")
    return check_target(path)


def load_init(path: str, params: Params, explicit_particles: bool) -> tuple[np.ndarray, Params]:
    """The --init array (N, D) and the parameters with particles = N. The file is read as
    :func:`engine.input_files.load_real_matrix` reads it; before its data are read, D must
    be the memories' dimension, N within the particle range, the array must fit in memory,
    and an explicit --particles or --set particles must equal N."""
    from memscape.engine import limits
    from memscape.engine.input_files import load_real_matrix

    name = f"--init {path}"
    shape = limits.memories_shape(params.patterns)
    high = Params.__dataclass_fields__["particles"].metadata["high"]

    def check(header) -> None:
        n, d = header.shape
        if shape is not None and d != shape[1]:
            raise ParamError(f"{name}: holds ({n}, {d}) states; expected (N, {shape[1]}), "
                             f"the dimension of the preset's memories")
        if n > high:
            raise limits.LimitError(f"{name}: holds {n:,} states; at most {high:,} particles run")
        if explicit_particles and n != params.particles:
            raise ParamError(f"{name}: holds {n:,} initial states, but {params.particles:,} particles were asked "
                             f"for; the file sets the particle count, so leave out --particles or give {n}")
        limits.check_estimate(limits.Estimate({f"{name} as float64": 2 * n * d * 8}, 0.0), name)

    init = load_real_matrix(path, name, check)
    return init, params.replace(particles=int(init.shape[0]))


def run(args: argparse.Namespace) -> int:
    from memscape.engine import limits
    from memscape.engine.energy_accounting import tally_rises
    from memscape.engine.interrupts import deferred_signals
    from memscape.engine.patterns import make_patterns
    from memscape.engine.simulation import DivergenceError, energy_scale, run as run_simulation
    from memscape.engine.trajectory_io import save_npz

    try:
        out = check_out(args.out)  # before any work: a refused target costs nothing
        params = build_params(args)
        init = None
        if args.init:
            explicit = args.particles is not None or any(a.partition("=")[0].strip() == "particles"
                                                         for a in args.overrides)
            init, params = load_init(args.init, params, explicit)
        backend = get_backend(params.backend, params.precision)
        limits.check_estimate(limits.simulation_estimate(params), "this run", backend.name,
                              folder=out.parent)
        note = f" ({backend.note})" if backend.note else ""
        print(f"backend: {backend.device}{note}", flush=True)
        # a signal ends the run between two steps (engine.interrupts); overflow is reported
        # as a DivergenceError instead of a warning
        with deferred_signals() as guard, np.errstate(all="ignore"):
            arrays = run_simulation(params, backend, init, callback=lambda frame: guard.check())
        save_npz(out, arrays)
    except DivergenceError as exc:
        return _fail(f"the simulation diverged at {exc}")
    except (ParamError, BackendError, ValueError, OSError) as exc:
        return _fail(str(exc))
    except MemoryError:
        return _fail("this run ran out of memory; use fewer steps, particles or memories")
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


def _note(message: str) -> None:
    print(f"memscape: note: {message}", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"memscape simulate: error: {message}", file=sys.stderr)
    return EXIT_ERROR
