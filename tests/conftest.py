"""Settings for the whole suite. Imports no Qt: the engine tests must run without it.

The GUI tests run under pytest-xvfb's Xvfb display (``--xvfb-backend xvfb`` in
pyproject.toml, so a missing Xvfb is an error rather than a silent skip) and with Mesa's
software OpenGL, so that a machine with a GPU draws what CI draws. Subprocesses that
tests start (main.py smoke and CLI tests) inherit both.
"""
import os

os.environ["LIBGL_ALWAYS_SOFTWARE"] = "1"
