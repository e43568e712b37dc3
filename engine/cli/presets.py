"""``python main.py presets``: the built-in presets with their descriptions."""
from __future__ import annotations

import argparse

from memscape.engine.presets import DEFAULT_PRESET, list_presets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Use a name with --preset, or pass the path of your own preset .toml."


def run(args: argparse.Namespace) -> int:
    presets = list_presets()
    width = max(len(name) for name, _ in presets)
    for name, description in presets:
        mark = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name:<{width}}  {description}{mark}")
    return 0
