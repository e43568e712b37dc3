"""Memscape: watch memories being retrieved.

``python main.py`` opens the desktop app on its default preset. Sub-commands
work headless and import Qt only when they render:

    python main.py simulate --preset two-wells --out run.npz
    python main.py presets
    python main.py export --preset two-wells --out clip.mp4
    python main.py experiment capacity --out capacity.csv --plot capacity.png
    python main.py bench
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import threading
from pathlib import Path


def _checkout_as_package() -> None:
    """Run from a checkout (``python main.py``, or ``import main`` with the checkout on
    sys.path, as the tests do), make this folder the ``memscape`` package, so that every
    module imports as ``memscape.engine...`` and ``memscape.gui...`` exactly as when it is
    installed. A memscape package imported already (an installed one, or this one) is kept."""
    if "memscape" in sys.modules:
        return
    root = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location("memscape", root / "__init__.py",
                                                  submodule_search_locations=[str(root)])
    package = importlib.util.module_from_spec(spec)
    sys.modules["memscape"] = package
    spec.loader.exec_module(package)


if not __package__:  # this file as a script or a top-level module, not memscape.main
    _checkout_as_package()

# sub-command -> module with ``add_arguments(parser)`` and ``run(args) -> int``.
# These modules must not import Qt at import time.
COMMANDS = {
    "simulate": ("memscape.engine.cli.simulate", "run a simulation headless and write its trajectory (.npz)"),
    "presets": ("memscape.engine.cli.presets", "list the built-in presets"),
    "export": ("memscape.gui.export.cli", "render a trajectory video (mp4, gif) without a window"),
    "experiment": ("memscape.gui.experiments.cli", "run one of the experiments that reproduce the field's results"),
    "bench": ("memscape.gui.bench", "print speed figures for the hot kernels and the app's frame rate"),
}


def build_parser() -> argparse.ArgumentParser:
    from memscape import __version__

    parser = argparse.ArgumentParser(prog="memscape", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"memscape {__version__}")
    parser.add_argument("--preset", default=None, help="built-in preset name or path to a preset .toml (GUI)")
    parser.add_argument("--backend", default=None, choices=("auto", "numpy", "cupy"),
                        help="array backend for the GUI's engine (default: auto)")
    parser.add_argument("--quit-after", type=float, default=None, metavar="SECONDS",
                        help="GUI: quit by itself after this many seconds (smoke tests)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(p)
    return parser


#: a command whose output pipe was closed (``memscape presets | head -1``) exits as if killed
#: by SIGPIPE, as a shell reports it
EXIT_BROKEN_PIPE = 128 + 13


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the app or a sub-command; returns the exit code. A sub-command
    runs inside :func:`engine.interrupts.raising_signals`: SIGINT, SIGTERM or SIGHUP end it
    cleanly with exit code 130, 143 or 129 and one line on stderr; a closed stdout (output
    piped into ``head``) ends it quietly with :data:`EXIT_BROKEN_PIPE`."""
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:  # Ctrl-C while the modules import
        return _say("memscape: interrupted", 128 + 2)
    if args.command is None:
        from memscape.gui.app import run_app  # Qt is imported only here

        return run_app(args)
    from memscape.engine.interrupts import Interrupted, raising_signals

    try:
        with raising_signals() as guard:
            code = importlib.import_module(COMMANDS[args.command][0]).run(args)
            sys.stdout.flush()
        if guard.signum is not None:  # a command that caught the interrupt itself and returned
            _exit_if_threads_remain(code)
        return code
    except Interrupted as exc:
        code = _say(f"memscape {args.command}: interrupted by {exc.name}", exc.exit_code)
        _exit_if_threads_remain(code)
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _say(message: str, code: int) -> int:
    """Print one line on stderr (unless stderr is a closed pipe too) and return ``code``."""
    try:
        print(message, file=sys.stderr, flush=True)
    except (BrokenPipeError, OSError):
        pass
    return code


def _exit_if_threads_remain(code: int) -> None:
    """End the process now when worker threads are still alive after an interrupt. The
    command's own cleanup ran as Interrupted unwound it; what is left is the interpreter's
    exit, which joins worker threads, and a kernel worker whose future an interrupt left
    locked would hold that exit forever (engine.interrupts explains where commands defer
    signals to avoid it; this is the backstop for commands that do not)."""
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon and t.is_alive() for t in threading.enumerate()):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush of the closed pipe
    raises nothing (the recipe of Python's signal module documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
