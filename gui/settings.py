"""What persists between runs: window geometry and dock layout, the last preset, the last
parameters, speed, theme and overlays, in a JSON file the app parses itself.

Not QSettings: PyQt6's QSettings turns ``@Variant(...PyQt_PyObject...)`` values back into
Python objects by unpickling them while it reads the file, so a crafted settings file runs
code at start-up. JSON holds only plain values. The file is
``QStandardPaths.AppConfigLocation/settings.json``, or the file that ``MEMSCAPE_SETTINGS``
names (tests point it into a temporary folder).

Every value read back is checked like any other input: a value of the wrong kind, a
parameter set the engine refuses, a layout Qt cannot restore, or a file that is not JSON
falls back to the default for that key alone, and :attr:`Settings.problems` says what was
ignored (the window shows it in the status bar). Writes are atomic.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import os
from pathlib import Path
from typing import Any

from PyQt6 import QtCore, QtWidgets

from memscape.engine.atomic_files import write_bytes_atomic
from memscape.engine.params import ParamError, Params
from memscape.engine.presets import checked_params

LAYOUT_VERSION = 3  #: bump when the docks change, so an old saved layout is not restored
MAX_BYTES = 1 << 20  #: a settings file is a few kilobytes; anything larger is not one
FORMAT = "memscape-settings"


def default_path() -> Path:
    folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppConfigLocation)
    return Path(folder or Path.home() / ".config" / "Memscape") / "settings.json"


class Settings:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path or os.environ.get("MEMSCAPE_SETTINGS") or default_path())
        self.problems: list[str] = []  #: what was ignored while reading, one line each
        self._data = self._load()

    # -- the file -------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        try:
            if not self.path.exists():
                return {}
            if not self.path.is_file():
                raise ValueError("it is not a regular file")
            if self.path.stat().st_size > MAX_BYTES:
                raise ValueError(f"it is larger than {MAX_BYTES // 1024} KiB")
            data = json.loads(self.path.read_bytes().decode("utf-8"))
        except (OSError, ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
            self._problem(f"{self.path} ignored: {_reason(exc)}")
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("values"), dict):
            self._problem(f"{self.path} ignored: not a Memscape settings file")
            return {}
        return dict(data["values"])

    def sync(self) -> None:
        """Write every value to the file (atomically); a failure is reported, never raised."""
        text = json.dumps({"format": FORMAT, "values": self._data}, indent=1, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self.path, text.encode("utf-8"))
        except OSError as exc:
            self._problem(f"settings not saved: {exc}")

    def _problem(self, message: str) -> None:
        self.problems.append(f"settings: {message}")

    # -- typed values -----------------------------------------------------------
    def value(self, key: str, default: Any, kind: type | None = None, low: float | None = None,
              high: float | None = None) -> Any:
        """The value stored under ``key`` when it is of ``kind`` (bool, int, float, str; the
        default's type when None) and, for numbers, finite and within [low, high]; else
        ``default`` (and a problem is noted when a value was there)."""
        if key not in self._data:
            return default
        kind = kind or type(default)
        v = self._data[key]
        ok = isinstance(v, bool) if kind is bool else isinstance(v, str) if kind is str else (
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and (kind is float or float(v).is_integer())
            and (low is None or v >= low) and (high is None or v <= high))
        if not ok:
            self._problem(f"{key}: {v!r} is not a valid value; using {default!r}")
            self._data.pop(key)
            return default
        return kind(v)

    def set_value(self, key: str, value: bool | int | float | str) -> None:
        if not isinstance(value, (bool, int, float, str)) or (isinstance(value, float) and not math.isfinite(value)):
            raise TypeError(f"settings hold plain finite values, not {value!r}")
        self._data[key] = value

    def _bytes(self, key: str) -> QtCore.QByteArray | None:
        text = self.value(key, "", str)
        if not text:
            return None
        try:
            return QtCore.QByteArray(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            self._problem(f"{key}: not base64 data; ignored")
            self._data.pop(key, None)
            return None

    # -- what the window keeps ------------------------------------------------------
    def save_window(self, window: QtWidgets.QMainWindow) -> None:
        self._data["window/geometry"] = base64.b64encode(bytes(window.saveGeometry())).decode("ascii")
        self._data["window/state"] = base64.b64encode(bytes(window.saveState(LAYOUT_VERSION))).decode("ascii")

    def restore_window(self, window: QtWidgets.QMainWindow) -> bool:
        """True when a saved layout was restored; a layout Qt refuses is dropped."""
        geometry, state = self._bytes("window/geometry"), self._bytes("window/state")
        if geometry is not None and not window.restoreGeometry(geometry):
            self._problem("window/geometry: not a window geometry; ignored")
            self._data.pop("window/geometry", None)
        if state is None:
            return False
        if not window.restoreState(state, LAYOUT_VERSION):
            self._data.pop("window/state", None)
            return False
        return True

    def last_run(self) -> tuple[str | None, Params | None]:
        """(last preset, last parameters), each None when absent or no longer valid."""
        preset = self.value("run/preset", "", str) or None
        data = self._data.get("run/params")
        if data is None:
            return preset, None
        try:
            if not isinstance(data, dict):
                raise ParamError("expected a table of parameters")
            return preset, checked_params(data, "run/params")
        except (ParamError, TypeError) as exc:
            self._problem(f"the last parameters were not restored ({exc})")
            self._data.pop("run/params", None)
            return preset, None

    def save_run(self, preset: str, params: Params) -> None:
        """Remember the preset and its parameters (a valid Params: refused ones never get here)."""
        self._data["run/preset"] = str(preset)
        self._data["run/params"] = json.loads(params.to_json())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at line {exc.lineno})"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
