"""Fuzzing the engine's loaders: a preset file and an --init array of truncated, mutated or
random bytes are loaded or refused in one line naming the file, never anything else (issue 14)."""
import io
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from memscape.engine.input_files import InputError, load_real_matrix
from memscape.engine.params import ParamError
from memscape.engine.presets import PRESET_DIR, PresetError, list_presets, open_preset
from memscape.engine.trajectory_io import load_npz

BUILTINS = [(PRESET_DIR / f"{name}.toml").read_bytes() for name, _ in list_presets()]
#: 150 examples a test, always the same ones (a CI run cannot fail by chance); the robustness
#: battery sets MEMSCAPE_FUZZ_EXAMPLES for many more, drawn afresh each run
EXAMPLES = os.environ.get("MEMSCAPE_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(EXAMPLES or 150), derandomize=EXAMPLES is None, deadline=None,
                database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


NPZS = [_npz(positions=np.zeros((3, 4, 2)), energy=np.ones((3, 4)), params=np.asarray('{"a": 1}'))]
NPYS = [_npy(np.arange(12.0).reshape(6, 2)), _npy(np.ones((3, 4), np.float32)), _npy(np.zeros((2, 2), np.int8))]


@st.composite
def damaged(draw, originals: list[bytes]) -> bytes:
    """A file cut short, with bytes changed, inserted or deleted, or wholly random."""
    how = draw(st.sampled_from(["truncate", "mutate", "insert", "delete", "random"]))
    if how == "random":
        return draw(st.binary(max_size=2000))
    data = bytearray(draw(st.sampled_from(originals)))
    if how == "truncate":
        return bytes(data[:draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if how == "mutate" and data:
            data[i] = draw(st.integers(0, 255))
        elif how == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif data:
            del data[i:i + draw(st.integers(1, 16))]
    return bytes(data)


def _one_line_naming(exc: Exception, name: str) -> None:
    message = str(exc)
    assert "\n" not in message and name in message, message


@FUZZ
@given(data=damaged(BUILTINS))
def test_presets_of_any_bytes_load_or_are_refused_in_one_line(tmp_path, data):
    path = tmp_path / "fuzzed.toml"
    path.write_bytes(data)
    try:
        preset = open_preset(str(path))
    except PresetError as exc:
        _one_line_naming(exc, str(path))
        return
    assert all("\n" not in note and str(path) in note for note in preset.notes)


@FUZZ
@given(data=damaged(NPYS))
def test_init_arrays_of_any_bytes_load_or_are_refused_in_one_line(tmp_path, data):
    path = tmp_path / "fuzzed.npy"
    path.write_bytes(data)
    try:
        matrix = load_real_matrix(path, "--init fuzzed.npy")
    except (InputError, ParamError) as exc:
        _one_line_naming(exc, "--init fuzzed.npy")
        return
    assert matrix.dtype == np.float64 and matrix.ndim == 2 and np.isfinite(matrix).all()


@pytest.mark.parametrize("original", NPYS)
def test_every_prefix_of_an_npy_file_is_refused(tmp_path, original):
    path = tmp_path / "cut.npy"
    for cut in range(len(original)):
        path.write_bytes(original[:cut])
        with pytest.raises(InputError):
            load_real_matrix(path)


@FUZZ
@given(data=damaged(NPZS))
def test_trajectories_of_any_bytes_load_or_are_refused_in_one_line(tmp_path, data):
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(data)
    try:
        arrays = load_npz(path)
    except OSError as exc:
        _one_line_naming(exc, str(path))
        return
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays.values())
