"""Fuzzing the app's own loaders (session files and the settings file): truncated, mutated
and random bytes are read or refused in one line naming the file (issue 14)."""
import json

from hypothesis import given, strategies as st

from memscape.engine.params import Params
from memscape.gui.session import Session, SessionError, read_session, write_session
from memscape.gui.settings import Settings
from tests.engine.test_fuzz_loaders import FUZZ, damaged


def _session_bytes(tmp_path) -> bytes:
    path = tmp_path / "original.memscape.json"
    write_session(path, Session("ring", Params(patterns={"kind": "points", "points": [[0.0, 1.0], [2.0, 3.0]]}),
                                20.0, {"trails": True}))
    return path.read_bytes()


SETTINGS = json.dumps({"format": "memscape-settings", "values": {
    "run/preset": "ring", "run/speed": 20.0, "run/params": json.loads(Params().to_json()),
    "window/geometry": "AdnQywADAAAAAAAAAAAAAA=="}}).encode()


@FUZZ
@given(data=st.data())
def test_sessions_of_any_bytes_are_read_or_refused_in_one_line(tmp_path, data):
    raw = data.draw(damaged([_session_bytes(tmp_path)]))
    path = tmp_path / "fuzzed.memscape.json"
    path.write_bytes(raw)
    try:
        session = read_session(path)
    except SessionError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
        return
    assert isinstance(session.params, Params) and session.speed > 0


@FUZZ
@given(raw=damaged([SETTINGS]))
def test_settings_of_any_bytes_fall_back_with_one_line_problems(tmp_path, raw):
    path = tmp_path / "settings.json"
    path.write_bytes(raw)
    s = Settings(path)  # never raises
    preset, params = s.last_run()
    assert params is None or isinstance(params, Params)
    assert isinstance(s.value("run/speed", 20.0, float, low=0.1, high=1000.0), float)
    assert all("\n" not in p for p in s.problems)


def test_settings_with_memories_that_cannot_fit_are_not_restored(tmp_path):
    path = tmp_path / "settings.json"
    values = {"run/params": {**json.loads(Params().to_json()), "patterns": {"kind": "ring", "count": 10 ** 13}}}
    path.write_text(json.dumps({"format": "memscape-settings", "values": values}))
    s = Settings(path)
    assert s.last_run() == (None, None)
    assert any("memory" in p for p in s.problems)


def test_a_session_with_memories_that_cannot_fit_is_refused(tmp_path):
    path = tmp_path / "big.memscape.json"
    write_session(path, Session("ring", Params(), 20.0, {}))
    data = json.loads(path.read_text())
    data["params"]["patterns"] = {"kind": "ring", "count": 10 ** 13}
    path.write_text(json.dumps(data))
    try:
        read_session(path)
    except SessionError as exc:
        assert "memory" in str(exc) and str(path) in str(exc)
    else:
        raise AssertionError("a session needing petabytes was read")
