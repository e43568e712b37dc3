"""Memscape: watch memories being retrieved.

The repository's top folder is the ``memscape`` package: ``memscape.engine`` (the science,
no Qt), ``memscape.gui`` (the desktop app), ``memscape.main`` (the command line) and the
GLSL in ``shaders/``. Installed, it is an ordinary package; in a checkout, ``main.py``
makes the folder importable under that name (see its docstring).
"""
__version__ = "0.1.0"
