"""Headless sub-commands of main.py (``add_arguments(parser)``, ``run(args) -> int``); no Qt."""
