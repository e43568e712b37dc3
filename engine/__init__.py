"""Memscape's simulation engine: associative memories and diffusion samplers.

Pure array code. Nothing here imports Qt or OpenGL; the array library comes
from :mod:`engine.backend`.
"""
