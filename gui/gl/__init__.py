"""Our own OpenGL items for the 3D landscape (one item per file) and their small helpers."""
