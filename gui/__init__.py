"""Memscape's desktop app (PyQt6 + pyqtgraph). Nothing here does math beyond display
transforms: energies, gradients and projections come from ``engine/`` as frames."""
