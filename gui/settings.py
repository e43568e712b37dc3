"""What persists between runs (QSettings): window geometry and dock layout, the last
preset, the last parameters (as Params JSON, never pickles), speed, theme and overlays.

``MEMSCAPE_SETTINGS`` names an .ini file to use instead of the user's settings (tests
point it into a temporary folder).
"""
from __future__ import annotations

import os

from PyQt6 import QtCore, QtWidgets

from engine.params import ParamError, Params

LAYOUT_VERSION = 3  #: bump when the docks change, so an old saved layout is not restored


class Settings:
    def __init__(self, path: str | None = None):
        path = path or os.environ.get("MEMSCAPE_SETTINGS")
        if path:
            self.q = QtCore.QSettings(path, QtCore.QSettings.Format.IniFormat)
        else:
            self.q = QtCore.QSettings("Memscape", "Memscape")

    def save_window(self, window: QtWidgets.QMainWindow) -> None:
        self.q.setValue("window/geometry", window.saveGeometry())
        self.q.setValue("window/state", window.saveState(LAYOUT_VERSION))

    def restore_window(self, window: QtWidgets.QMainWindow) -> bool:
        """True when a saved layout was restored."""
        geometry, state = self.q.value("window/geometry"), self.q.value("window/state")
        if geometry is not None:
            window.restoreGeometry(geometry)
        return state is not None and window.restoreState(state, LAYOUT_VERSION)

    def last_run(self) -> tuple[str | None, Params | None]:
        """(last preset, last parameters), each None when absent or no longer valid."""
        preset = self.q.value("run/preset")
        text = self.q.value("run/params")
        try:
            params = Params.from_json(text) if text else None
        except ParamError:
            params = None
        return (str(preset) if preset else None), params

    def save_run(self, preset: str, params: Params) -> None:
        self.q.setValue("run/preset", preset)
        self.q.setValue("run/params", params.to_json())

    def value(self, key: str, default, kind=None):
        v = self.q.value(key, default)
        if kind is bool:
            return v in (True, "true", "1", 1)
        return kind(v) if kind is not None and v is not None else v

    def set_value(self, key: str, value) -> None:
        self.q.setValue(key, value)

    def sync(self) -> None:
        self.q.sync()
