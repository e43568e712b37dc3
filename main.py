"""Memscape: watch memories being retrieved.

``python main.py`` opens the desktop app on its default preset. Sub-commands
work headless and import Qt only when they render:

    python main.py simulate --preset two-wells --out run.npz
    python main.py presets
    python main.py export --preset two-wells --out clip.mp4
    python main.py bench
"""
from __future__ import annotations

import argparse
import importlib
import sys

# sub-command -> module with ``add_arguments(parser)`` and ``run(args) -> int``.
# These modules must not import Qt at import time.
COMMANDS = {
    "simulate": ("engine.cli.simulate", "run a simulation headless and write its trajectory (.npz)"),
    "presets": ("engine.cli.presets", "list the built-in presets"),
    "export": ("gui.export.cli", "render a trajectory video (mp4, gif) without a window"),
    "bench": ("engine.bench", "print speed figures for the hot kernels and the GUI frame rate"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="memscape", description=__doc__.splitlines()[0])
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from gui.app import run_app  # Qt is imported only here

        return run_app(args)
    return importlib.import_module(COMMANDS[args.command][0]).run(args)


if __name__ == "__main__":
    sys.exit(main())
