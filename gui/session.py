"""Sessions: a JSON file and, beside it, an .npz of its arrays (never pickles).

``NAME.json`` holds ``format`` ("memscape-session"), ``version`` (2; version 1 files, which
have no arrays, still open), ``preset``, every parameter (``params``, as Params JSON),
``speed`` (steps per second), ``layers`` (overlay name -> shown), ``layout`` (the window's
dock layout, base64 of Qt's saveState; "" for none) and ``arrays``: the name of the .npz
beside it, or "" when the run started from its seed's particles. ``NAME.npz`` holds
``start`` (N, D), the run's initial states (a dropped cluster, an --init file), and
``memories`` (M, D), the memories the parameters generate (written for readers of the file;
the parameters are what a session restores). Both are written atomically, the arrays first.

``read_session`` validates what it reads and names the file and the problem in a
:class:`SessionError`: a file that is not a regular file, larger than :data:`MAX_BYTES`, not
UTF-8 or not JSON, any value of the wrong kind, parameters and their memories included
(:func:`engine.presets.checked_params`), and arrays that are missing, damaged, not real and
finite, or not of the parameters' particles and dimension."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from memscape.engine.atomic_files import write_bytes_atomic
from memscape.engine.input_files import InputError, read_text
from memscape.engine.params import ParamError, Params
from memscape.engine.patterns import make_patterns
from memscape.engine.presets import checked_params
from memscape.engine.trajectory_io import load_npz, save_npz

FORMAT = "memscape-session"
VERSION = 2
MAX_BYTES = 1 << 20  #: a session's JSON is a few kilobytes


class SessionError(ValueError):
    """A session file that cannot be read or does not hold a valid session."""


@dataclasses.dataclass(frozen=True)
class Session:
    preset: str
    params: Params
    speed: float
    layers: dict[str, bool]
    start: np.ndarray | None = None  #: (N, D) the run's initial states; None: the seed's draw
    layout: str = ""  #: the window's dock layout (base64), or ""


def arrays_path(path: str | Path) -> Path:
    """The .npz beside a session's JSON file."""
    path = Path(path)
    return path.with_name(path.stem + ".npz")


def write_session(path: str | Path, session: Session) -> None:
    """Write the JSON file and, when the session has initial states, its .npz beside it
    (each atomically, :mod:`engine.atomic_files`; the arrays first, so the JSON never names
    arrays that are not there)."""
    path = Path(path)
    arrays = ""
    if session.start is not None:
        arrays = arrays_path(path).name
        save_npz(arrays_path(path), {"start": np.asarray(session.start),
                                     "memories": make_patterns(session.params.patterns).memories})
    data = {"format": FORMAT, "version": VERSION, "preset": session.preset,
            "params": json.loads(session.params.to_json()), "speed": session.speed,
            "layers": dict(session.layers), "layout": session.layout, "arrays": arrays}
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
    if type(version) is not int or version not in (1, VERSION):
        raise SessionError(f"{path}: session version {version!r} is not supported; expected 1 or {VERSION}")
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
    layout, arrays = data.get("layout", ""), data.get("arrays", "")
    if not isinstance(layout, str) or not isinstance(arrays, str):
        raise SessionError(f"{path}: layout and arrays: expected strings")
    return Session(preset, params, float(speed), layers, _start(path, arrays, params), layout)


def _start(path: Path, arrays: str, params: Params) -> np.ndarray | None:
    """The session's initial states from its .npz (``arrays``: its name beside ``path``), checked."""
    if not arrays:
        return None
    if Path(arrays).name != arrays or not arrays.endswith(".npz"):
        raise SessionError(f"{path}: arrays: expected the name of an .npz beside the session, got {arrays!r}")
    try:
        start = load_npz(path.with_name(arrays))["start"]
    except OSError as exc:
        raise SessionError(f"{path}: its arrays: {exc}") from None
    except KeyError:
        raise SessionError(f"{path}: its arrays {arrays} hold no 'start'") from None
    dim = make_patterns(params.patterns).memories.shape[1]
    if start.dtype.kind != "f" or start.shape != (params.particles, dim) or not np.isfinite(start).all():
        raise SessionError(f"{path}: its arrays' start: expected finite real ({params.particles}, {dim}), "
                           f"got {start.dtype} {start.shape}")
    return start
