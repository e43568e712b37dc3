"""Sessions as JSON files (never pickles): the preset name, every parameter (Params JSON),
the simulation speed and the overlay toggles. ``read_session`` validates what it reads
and names the file and the problem in a :class:`SessionError`: a file that is not a
regular file, larger than :data:`MAX_BYTES`, not UTF-8 or not JSON, and any value of the
wrong kind, parameters and their memories included (:func:`engine.presets.checked_params`)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from memscape.engine.atomic_files import write_bytes_atomic
from memscape.engine.input_files import InputError, read_text
from memscape.engine.params import ParamError, Params
from memscape.engine.presets import checked_params

FORMAT = "memscape-session"
VERSION = 1
MAX_BYTES = 1 << 20  #: a session is a few kilobytes


class SessionError(ValueError):
    """A session file that cannot be read or does not hold a valid session."""


@dataclasses.dataclass(frozen=True)
class Session:
    preset: str
    params: Params
    speed: float
    layers: dict[str, bool]


def write_session(path: str | Path, session: Session) -> None:
    """Write atomically (:func:`engine.atomic_files.write_bytes_atomic`)."""
    path = Path(path)
    data = {"format": FORMAT, "version": VERSION, "preset": session.preset,
            "params": json.loads(session.params.to_json()), "speed": session.speed,
            "layers": dict(session.layers)}
    write_bytes_atomic(path, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))


def read_session(path: str | Path) -> Session:
    path = Path(path)
    try:
        data = json.loads(read_text(path, MAX_BYTES, "session"))
    except InputError as exc:
        raise SessionError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise SessionError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise SessionError(f"{path}: not a Memscape session: its values are nested too deeply") from None
    except ValueError as exc:  # an integer beyond Python's digit limit
        raise SessionError(f"{path}: not a Memscape session ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"{path}: not a Memscape session (format {FORMAT!r} expected)")
    version = data.get("version")
    if type(version) is not int or version != VERSION:
        raise SessionError(f"{path}: session version {version!r} is not supported; expected {VERSION}")
    table = data.get("params", {})
    if not isinstance(table, dict):
        raise SessionError(f"{path}: params: expected a table of parameters")
    try:
        params = checked_params(table, f"{path}: params")
    except ParamError as exc:
        raise SessionError(str(exc)) from None
    preset, speed, layers = data.get("preset", ""), data.get("speed", 20.0), data.get("layers", {})
    if not isinstance(preset, str):
        raise SessionError(f"{path}: preset: expected a preset name, got {type(preset).__name__}")
    number = isinstance(speed, (int, float)) and not isinstance(speed, bool)
    if not (number and 0 < speed <= 1e300):  # NaN and infinity fail the comparison
        raise SessionError(f"{path}: speed: expected a positive finite number")
    if not isinstance(layers, dict) or not all(isinstance(v, bool) for v in layers.values()):
        raise SessionError(f"{path}: layers: expected a table of true/false values")
    return Session(preset, params, float(speed), layers)
