"""Presets: TOML files holding every parameter of a run.

A preset file has a top-level ``name`` and ``description``, a ``[params]``
table (fields of :class:`engine.params.Params`) and a ``[patterns]`` table
(``kind`` plus that generator's options, see :mod:`engine.patterns`). The
built-in ones live in ``engine/presets/``; ``--preset`` takes their name or a
path. Every error is a :class:`PresetError` naming the file, the key and what
was expected: files that are not regular files, larger than
:data:`MAX_PRESET_BYTES`, not UTF-8, not TOML, nested deeper than
:data:`MAX_DEPTH`, or holding memories that cannot fit in memory
(:func:`engine.limits.check_patterns`) included.

A file that leaves parameters at their defaults says so (:attr:`Preset.notes`), so that a
file cut short does not run silently with other numbers: a built-in preset sets every
parameter and is refused as damaged when it does not, or when its last line lacks its
newline; a copy of a built-in (a file whose ``name`` is a built-in's) is reported with
the keys it lacks; any other file with the number of parameters it sets; and a file whose
last line sets a value but has no newline is reported as possibly cut mid-value.
"""
from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from memscape.engine.atomic_files import os_error_message, write_bytes_atomic
from memscape.engine.input_files import InputError, nesting_depth, read_text
from memscape.engine.limits import check_patterns
from memscape.engine.params import ParamError, Params
from memscape.engine.patterns import make_patterns
from memscape.engine.user_folder import presets_folder

#: The built-in presets: the ``presets`` folder of the installed ``memscape.engine`` package
#: (a checkout's engine/presets/, a wheel's site-packages/memscape/engine/presets/, the
#: bundle's copy); a package installed as a plain folder, not a zip, so it is a Path.
PRESET_DIR = Path(str(resources.files("memscape.engine") / "presets"))
DEFAULT_PRESET = "two-wells"
TOP_LEVEL_KEYS = ("name", "description", "params", "patterns")


MAX_PRESET_BYTES = 1 << 20  #: a preset is a few kilobytes
MAX_DEPTH = 6  #: tables and arrays within each other in a parameter table; patterns.points needs 4


class PresetError(ParamError):
    """A preset file that cannot be read, or whose contents are not valid parameters."""


@dataclasses.dataclass(frozen=True)
class Preset:
    """A loaded preset: its parameters, the keys its file sets and what the user should know."""

    name: str
    description: str
    params: Params
    path: Path
    keys: tuple[str, ...]  #: what the file sets: "params.beta", "patterns.count", ... in file order
    notes: tuple[str, ...]  #: one line each: defaults the file relies on, a last line with no newline


def preset_path(name_or_path: str | Path) -> Path:
    """A built-in preset's file by name, else one of the user's (saved by "Save preset
    as...", :func:`save_user_preset`), or the given path to a .toml file."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.exists():
            raise PresetError(f"{path}: no such preset file")
        return path
    for folder in (PRESET_DIR, presets_folder()):
        path = folder / f"{text}.toml"
        if path.is_file():
            return path
    known = ", ".join(name for name, _ in list_presets())
    raise PresetError(f"{text!r} is not a built-in or saved preset (known: {known}) nor a path to a .toml file")


def _parse(path: Path) -> tuple[dict[str, Any], str]:
    """The TOML table of ``path`` and its text; every failure is one PresetError line."""
    try:
        text = read_text(path, MAX_PRESET_BYTES, "preset")
        data = tomllib.loads(text)
    except InputError as exc:
        raise PresetError(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise PresetError(f"{path}: not a preset: its arrays or tables are nested too deeply") from None
    except ValueError as exc:  # an integer literal beyond Python's digit limit
        raise PresetError(f"{path}: not a preset: {exc}") from None
    return data, text


def _keys(data: dict[str, Any]) -> tuple[str, ...]:
    """The parameter keys a parsed preset sets, "params.x" and "patterns.y", in file order."""
    return tuple(f"{table}.{key}" for table in ("params", "patterns")
                 for key in (data.get(table) if isinstance(data.get(table), dict) else {}))


def open_preset(name_or_path: str | Path) -> Preset:
    """A preset by built-in name or path, fully validated (its patterns are generated once),
    with the keys it sets and its notes (see the module docstring)."""
    path = preset_path(name_or_path)
    data, text = _parse(path)
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
        params = checked_params(table, str(path))
    except ParamError as exc:
        msg = str(exc)
        raise PresetError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None
    keys = _keys(data)
    return Preset(name, description, params, path, keys, _notes(path, name, text, keys, params))


def checked_params(table: dict[str, Any], source: str) -> Params:
    """Params from a table read from a file (a preset's, a session's, the settings'), its
    memories checked against the memory limit (:func:`engine.limits.check_patterns`) and
    then generated once, so that every value is validated; any failure is a ParamError
    naming ``source``. Values nested deeper than :data:`MAX_DEPTH` are refused first."""
    depth = nesting_depth(table)
    if depth > MAX_DEPTH:
        raise ParamError(f"{source}: values nested {depth} levels deep; parameters need at most {MAX_DEPTH}")
    params = Params.from_dict(table, source=source)
    try:
        check_patterns(params.patterns, f"{source}: patterns")
        make_patterns(params.patterns)
    except ParamError as exc:
        message = str(exc)
        raise ParamError(message if message.startswith(source) else f"{source}: {message}") from None
    except (ValueError, TypeError) as exc:  # a generator's NumPy conversion of a list option
        raise ParamError(f"{source}: patterns: {str(exc).splitlines()[0]}") from None
    return params


def _notes(path: Path, name: str, text: str, keys: tuple[str, ...], params: Params) -> tuple[str, ...]:
    """What a file leaves to defaults, and a last line that may be cut short (module docstring)."""
    notes = []
    last = text.rstrip("\n").rsplit("\n", 1)[-1].strip()
    cut = bool(text) and not text.endswith("\n") and "=" in last and not last.startswith(("#", "["))
    builtins = {p.stem: p for p in PRESET_DIR.glob("*.toml")}
    builtin = builtins.get(name)
    if builtin is not None and _same_file(path, builtin):
        missing = [k for k in _all_keys(params) if k not in keys]
        if missing or cut:
            why = f"it does not set {_listed(missing)}" if missing else f"its last line {last!r} has no newline"
            raise PresetError(f"{path}: the built-in preset is damaged: {why}; reinstall Memscape")
        return ()
    if builtin is not None:
        try:
            reference = _parse(builtin)[0]
        except PresetError:
            reference = {}
        own_patterns = any(k.startswith("patterns.") for k in keys)
        same_kind = params.patterns.get("kind") == reference.get("patterns", {}).get("kind")
        missing = sorted((k for k in _keys(reference) if k not in keys
                          and (k.startswith("params.") or same_kind or not own_patterns)),
                         key=lambda k: not k.startswith("patterns."))  # the memories first
        if missing:
            notes.append(f"{path}: a copy of the built-in preset {name!r} without {_listed(missing)}: "
                         f"{'it takes its default' if len(missing) == 1 else 'they take their defaults'}")
    else:
        unset = [k for k in _all_keys(params) if k.startswith("params.") and k not in keys]
        if unset:
            notes.append(f"{path}: sets {len(keys)} key{'s' if len(keys) != 1 else ''}; {len(unset)} "
                         f"parameter{'s take their defaults' if len(unset) != 1 else ' takes its default'} "
                         f"({_listed(unset)})")
    if cut:
        notes.append(f"{path}: its last line {last!r} has no newline: if the file was cut short, "
                     f"that value is incomplete")
    return tuple(notes)


def _all_keys(params: Params) -> list[str]:
    """Every key a complete preset sets for ``params``."""
    return [f"params.{f.name}" for f in dataclasses.fields(Params) if f.name != "patterns"] + \
        [f"patterns.{k}" for k in params.patterns]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _listed(keys: list[str], shown: int = 4) -> str:
    more = len(keys) - shown
    return ", ".join(keys[:shown]) + (f" and {more} more" if more > 0 else "")


def read_preset(name_or_path: str | Path) -> tuple[str, str, Params]:
    """(name, description, params) of a preset (:func:`open_preset`)."""
    preset = open_preset(name_or_path)
    return preset.name, preset.description, preset.params


def load_preset(name_or_path: str | Path) -> Params:
    """The Params of a built-in preset (by name) or of a preset file (by path)."""
    return open_preset(name_or_path).params


def list_presets() -> list[tuple[str, str]]:
    """(name, description) of every built-in preset, the default first, then by name; then the
    user's saved presets by name, their descriptions marked "(saved)"."""
    return _listed_in(PRESET_DIR, "") + _listed_in(presets_folder(), "(saved) ")


def _listed_in(folder: Path, mark: str) -> list[tuple[str, str]]:
    out = []
    builtin = {p.stem for p in PRESET_DIR.glob("*.toml")} if folder != PRESET_DIR else set()
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        if path.stem in builtin:  # a built-in's name wins (save_user_preset refuses it)
            continue
        try:
            description = str(_parse(path)[0].get("description", ""))
        except PresetError as exc:  # a damaged file: listed with the reason, refused when loaded
            description = f"(cannot be loaded: {exc})"
        out.append((path.stem, mark + description))
    return sorted(out, key=lambda item: (item[0] != DEFAULT_PRESET, item[0]))


#: a saved preset's name: a file name on every platform, and a --preset argument that is not a path
PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def save_user_preset(name: str, description: str, params: Params, replace: bool = False) -> Path:
    """Write ``params`` as the preset ``name`` in the user's folder
    (:func:`engine.user_folder.presets_folder`): a TOML file of every parameter and the
    [patterns] table, which :func:`load_preset` reads back to equal Params. Refused (one line):
    a name that is not a plain file name (:data:`PRESET_NAME`), a built-in's name, and an
    existing saved preset unless ``replace``."""
    if not PRESET_NAME.fullmatch(name):
        raise PresetError(f"{name!r}: a preset name is 1 to 64 letters, digits, '-' or '_', starting with a "
                          f"letter or digit")
    if (PRESET_DIR / f"{name}.toml").is_file():
        raise PresetError(f"{name!r} is a built-in preset's name; choose another")
    folder = presets_folder()
    path = folder / f"{name}.toml"
    if path.exists() and not replace:
        raise PresetError(f"{path}: a saved preset of that name exists")
    table = json.loads(params.to_json())  # JSON's "inf" for an infinite value, which Params reads back
    patterns = table.pop("patterns")
    data = {"name": name, "description": str(description), "params": table, "patterns": patterns}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, tomli_w.dumps(data).encode("utf-8"))
    except OSError as exc:
        raise PresetError(os_error_message(path, exc)) from None
    return path


def _typed(path: Path, data: dict[str, Any], key: str, kind: type, expected: str, default: Any) -> Any:
    value = data.get(key, default)
    if value is not default and not isinstance(value, kind):
        raise PresetError(f"{path}: {key}: expected {expected}, got {value!r}")
    return value
