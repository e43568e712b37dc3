"""``python main.py experiment NAME``: run one experiment of issue 13 headless.

    python main.py experiment capacity --out capacity.csv --plot capacity.png --set dims=64,128

A progress bar goes to stderr when it is a terminal (tqdm), the summary figures to stdout;
the table is written atomically as CSV to ``--out`` (or printed when neither --out nor
--plot is given). ``--plot`` draws the figure with a ``render(result, path)`` that the caller
passes to :func:`run`: the engine never imports the GUI, so main.py registers
:mod:`gui.experiments.cli`, which passes the app's drawing code (Qt is imported only then).
Bad arguments and settings are one line on stderr and exit code 2, checked before the
experiment runs; an interrupted run (Ctrl-C) exits 130. Nothing is left behind in either
case, and an existing file is kept.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from memscape.engine.atomic_files import TargetError, check_target
from memscape.engine.backend import BackendError, get_backend
from memscape.engine.experiments import EXPERIMENTS
from memscape.engine.experiments.runner import execute, format_value, csv_text, make_settings, settings_fields, \
    write_csv
from memscape.engine.interrupts import Interrupted
from memscape.engine.params import BACKENDS, PRECISIONS, ParamError
from memscape.engine.simulation import DivergenceError

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("name", choices=list(EXPERIMENTS), metavar="NAME",
                        help="the experiment: " + ", ".join(EXPERIMENTS))
    parser.add_argument("--out", metavar="FILE.csv", help="write the table as CSV")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the figure as a PNG")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="change a setting (lists comma-separated), repeatable; experiments with a "
                             "preset also take its run parameters, e.g. --set beta=16")
    parser.add_argument("--backend", choices=BACKENDS, default="auto", help="array backend (default: auto)")
    parser.add_argument("--precision", choices=PRECISIONS, default="float64", help="float64 (default) or float32")
    parser.epilog = "experiments and their settings (--set KEY=VALUE; defaults shown):\n" + "\n".join(
        _describe(module) for module in EXPERIMENTS.values())


def _describe(module) -> str:
    lines = [f"  {module.NAME}: {module.SUMMARY}"]
    for name, (f, _) in settings_fields(module.Settings).items():
        if name == "overrides":
            lines.append("      any other KEY=VALUE: a run parameter of the preset, e.g. beta=16, patterns.count=5")
            continue
        default = ",".join(map(format_value, f.default)) if isinstance(f.default, tuple) else format_value(f.default)
        lines.append(f"      {name}={default}  {f.metadata['help']}")
    return "\n".join(lines)


def run(args: argparse.Namespace, render: Callable[[Any, str], None] | None = None) -> int:
    """Run the experiment named by ``args``; ``render(result, path)`` draws ``--plot``."""
    module = EXPERIMENTS[args.name]
    try:
        if args.plot is not None and render is None:
            raise ValueError("--plot: this entry point has no drawing code; run python main.py experiment")
        settings = make_settings(module, args.overrides)
        for path in (args.out, args.plot):
            if path is not None:
                check_target(path)
        if args.plot is not None and not args.plot.lower().endswith(".png"):
            raise ValueError(f"--plot {args.plot}: expected a .png file name")
        backend = get_backend(args.backend, args.precision)
    except (ParamError, BackendError, TargetError, ValueError) as exc:
        return _fail(args.name, str(exc))
    from tqdm import tqdm

    try:
        bar = tqdm(desc=args.name, unit="item", disable=None, file=sys.stderr)
        try:
            result = execute(module, settings, backend, on_update=lambda r, u: _advance(bar, u))
        finally:
            bar.close()
        for key, value in result.summary.items():
            print(f"{key}: {format_value(value)}")
        if args.out is not None:
            write_csv(args.out, result)
            print(f"wrote {args.out}: {len(result.rows)} rows ({', '.join(result.columns)})")
        if args.plot is not None:
            render(result, args.plot)
            print(f"wrote {args.plot}")
        if args.out is None and args.plot is None:
            sys.stdout.write(csv_text(result))
    except KeyboardInterrupt as exc:  # main.py raises SIGTERM and SIGHUP as Interrupted too
        print(f"memscape experiment: {args.name} interrupted; nothing written", file=sys.stderr)
        return exc.exit_code if isinstance(exc, Interrupted) else EXIT_INTERRUPTED
    except DivergenceError as exc:
        return _fail(args.name, f"a simulation diverged at {exc}")
    except (ParamError, ValueError, OSError) as exc:
        return _fail(args.name, str(exc))
    return 0


def _advance(bar, update) -> None:
    bar.total = update.total
    bar.update(update.done - bar.n)


def _fail(name: str, message: str) -> int:
    print(f"memscape experiment {name}: error: {message}", file=sys.stderr)
    return EXIT_USAGE
