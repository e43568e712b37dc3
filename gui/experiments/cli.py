"""``python main.py experiment``: the engine's command (:mod:`engine.cli.experiment`) with
``--plot`` drawn by the app's own code (:func:`gui.experiments.render.render_png`). Qt is
imported only when a plot is asked for, so the command runs where Qt is not installed."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from memscape.engine.cli import experiment

add_arguments = experiment.add_arguments


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        try:  # before the experiment runs: a plot that cannot be drawn fails at once
            import pyqtgraph  # noqa: F401
            from PyQt6 import QtWidgets  # noqa: F401
        except ImportError as exc:
            print(f"memscape experiment {args.name}: error: --plot needs PyQt6 and pyqtgraph ({exc})",
                  file=sys.stderr)
            return experiment.EXIT_USAGE
    return experiment.run(args, render=_render)


def _render(result: Any, path: str) -> None:
    from memscape.gui.experiments.render import render_png

    render_png(result, path)
