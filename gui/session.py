"""Sessions as JSON files (never pickles): the preset name, every parameter (Params JSON),
the simulation speed and the overlay toggles. ``read_session`` validates what it reads
and names the file and the problem in a :class:`SessionError`."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from memscape.engine.atomic_files import write_bytes_atomic
from memscape.engine.params import ParamError, Params

FORMAT = "memscape-session"
VERSION = 1


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
        data = json.loads(path.read_text())
    except OSError as exc:
        raise SessionError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise SessionError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionError(f"{path}: not a Memscape session (format {FORMAT!r} expected)")
    if data.get("version") != VERSION:
        raise SessionError(f"{path}: session version {data.get('version')!r} is not supported; expected {VERSION}")
    try:
        params = Params.from_dict(data.get("params", {}), source=f"{path}: params")
    except ParamError as exc:
        raise SessionError(str(exc)) from None
    speed, layers = data.get("speed", 20.0), data.get("layers", {})
    if not isinstance(speed, (int, float)) or not speed > 0:
        raise SessionError(f"{path}: speed: expected a positive number, got {speed!r}")
    if not isinstance(layers, dict) or not all(isinstance(v, bool) for v in layers.values()):
        raise SessionError(f"{path}: layers: expected a table of true/false values")
    return Session(str(data.get("preset", "")), params, float(speed), layers)
