"""Where Memscape keeps what belongs to the user: saved presets and the autosaved session.

One folder, :func:`user_folder`: the platform's user data folder for Memscape (platformdirs:
``~/.local/share/Memscape`` on Linux, ``~/Library/Application Support/Memscape`` on macOS,
``%LOCALAPPDATA%\\Memscape`` on Windows), or the folder that ``MEMSCAPE_HOME`` names (tests
point it into a temporary folder). No Qt: the ``presets`` command lists the user's presets
too, so the GUI and the command line must agree on the place.
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "Memscape"


def user_folder() -> Path:
    """The user's Memscape folder (not created here)."""
    home = os.environ.get("MEMSCAPE_HOME")
    return Path(home) if home else platformdirs.user_data_path(APP, appauthor=False)


def presets_folder() -> Path:
    """Where "Save preset as..." writes: one ``NAME.toml`` per preset."""
    return user_folder() / "presets"


def autosave_folder() -> Path:
    """Where the window autosaves its session and marks that it is running."""
    return user_folder() / "autosave"
