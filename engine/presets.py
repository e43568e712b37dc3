"""Presets: TOML files holding every parameter of a run.

A preset file has a top-level ``name`` and ``description``, a ``[params]``
table (fields of :class:`engine.params.Params`) and a ``[patterns]`` table
(``kind`` plus that generator's options, see :mod:`engine.patterns`). The
built-in ones live in ``engine/presets/``; ``--preset`` takes their name or a
path. Every error is a :class:`PresetError` naming the file, the key and what
was expected.
"""
from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from memscape.engine.params import ParamError, Params
from memscape.engine.patterns import make_patterns

#: The built-in presets: the ``presets`` folder of the installed ``memscape.engine`` package
#: (a checkout's engine/presets/, a wheel's site-packages/memscape/engine/presets/, the
#: bundle's copy); a package installed as a plain folder, not a zip, so it is a Path.
PRESET_DIR = Path(str(resources.files("memscape.engine") / "presets"))
DEFAULT_PRESET = "two-wells"
TOP_LEVEL_KEYS = ("name", "description", "params", "patterns")


class PresetError(ParamError):
    """A preset file that cannot be read, or whose contents are not valid parameters."""


def preset_path(name_or_path: str | Path) -> Path:
    """A built-in preset's file by name, or the given path to a .toml file."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_file():
            raise PresetError(f"{path}: no such preset file")
        return path
    path = PRESET_DIR / f"{text}.toml"
    if not path.is_file():
        known = ", ".join(name for name, _ in list_presets())
        raise PresetError(f"{text!r} is not a built-in preset (known: {known}) nor a path to a .toml file")
    return path


def read_preset(name_or_path: str | Path) -> tuple[str, str, Params]:
    """(name, description, params) of a preset, fully validated (its patterns are generated once)."""
    path = preset_path(name_or_path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise PresetError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise PresetError(f"{path}: unknown key {key!r}; expected only {', '.join(TOP_LEVEL_KEYS)}")
    name = _typed(path, data, "name", str, "a string", path.stem)
    description = _typed(path, data, "description", str, "a string", "")
    table = _typed(path, data, "params", dict, "a table [params]", {})
    patterns = _typed(path, data, "patterns", dict, "a table [patterns]", None)
    if "patterns" in table:
        raise PresetError(f"{path}: params.patterns: put the stored patterns in their own [patterns] table")
    if patterns is not None:
        table = {**table, "patterns": patterns}
    try:
        params = Params.from_dict(table, source=str(path))
        make_patterns(params.patterns)
    except PresetError:
        raise
    except ParamError as exc:
        msg = str(exc)
        raise PresetError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None
    return name, description, params


def load_preset(name_or_path: str | Path) -> Params:
    """The Params of a built-in preset (by name) or of a preset file (by path)."""
    return read_preset(name_or_path)[2]


def list_presets() -> list[tuple[str, str]]:
    """(name, description) of every built-in preset, the default first, then by name."""
    out = []
    for path in sorted(PRESET_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            out.append((path.stem, str(tomllib.load(fh).get("description", ""))))
    return sorted(out, key=lambda item: (item[0] != DEFAULT_PRESET, item[0]))


def _typed(path: Path, data: dict[str, Any], key: str, kind: type, expected: str, default: Any) -> Any:
    value = data.get(key, default)
    if value is not default and not isinstance(value, kind):
        raise PresetError(f"{path}: {key}: expected {expected}, got {value!r}")
    return value
