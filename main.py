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
import sys
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from memscape.gui.app import run_app  # Qt is imported only here

        return run_app(args)
    return importlib.import_module(COMMANDS[args.command][0]).run(args)


if __name__ == "__main__":
    sys.exit(main())
