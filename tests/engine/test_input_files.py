"""Input files: only regular files are read, text is bounded UTF-8, and a .npy array is
checked from its header before its data are read (issue 14)."""
import os
import threading

import numpy as np
import pytest

from memscape.engine.input_files import InputError, load_real_matrix, nesting_depth, read_bytes, read_text


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="this system has no FIFOs")
def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(_error(lambda: read_bytes(fifo, 100))), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert "FIFO" in outcome[0] and str(fifo) in outcome[0]


@pytest.mark.parametrize("path, kind", [("/dev/null", "character device"), (".", "folder")])
def test_devices_and_folders_are_refused(path, kind):
    assert kind in _error(lambda: read_bytes(path, 100))


def test_missing_files_say_so(tmp_path):
    assert "No such file" in _error(lambda: read_text(tmp_path / "nope.toml", 100))


def test_links_to_regular_files_are_followed(tmp_path):
    (tmp_path / "real.txt").write_text("hello")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert read_text(tmp_path / "link.txt", 100) == "hello"


def test_text_is_bounded_and_strict_utf8(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b"x" * 101)
    assert "larger than" in _error(lambda: read_text(path, 100))
    path.write_bytes(b'{"a": "\xc3\x28"}')
    message = _error(lambda: read_text(path, 100))
    assert "not UTF-8" in message and "0xc3 at offset 7" in message and str(path) in message


def test_nesting_depth_is_measured_without_recursion():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert nesting_depth(deep) == 100_001
    assert nesting_depth({"a": [1, {"b": 2}], "c": 3}) == 3 and nesting_depth(5) == 0


# -- .npy arrays ---------------------------------------------------------------------

@pytest.mark.parametrize("array, needle", [
    (np.zeros((5, 2), complex), "complex"),
    (np.zeros((5, 2), bool), "booleans"),
    (np.zeros((5, 2), "datetime64[s]"), "datetimes"),
    (np.zeros((5, 2), "timedelta64[s]"), "time differences"),
    (np.zeros(5, [("a", "f8"), ("b", "f8")]), "structured"),
    (np.zeros((5, 2), "U3"), "strings"),
    (np.zeros((5, 2), ">f8" if np.little_endian else "<f8"), "byte order"),
    (np.zeros((5, 2, 1)), "shape (5, 2, 1)"),
    (np.zeros(5), "shape (5,)"),
    (np.zeros((0, 2)), "shape (0, 2)"),
    (np.array([[0.0, 1.0], [np.inf, 0.0]]), "row 1 holds NaN or infinite"),
])
def test_arrays_of_the_wrong_kind_are_refused_naming_the_file(tmp_path, array, needle):
    path = tmp_path / "init.npy"
    np.save(path, array)
    message = _error(lambda: load_real_matrix(path, "--init init.npy"))
    assert needle in message and message.startswith("--init init.npy: ")


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    path = tmp_path / "init.npy"
    np.save(path, np.array([[ValueError, 1]], dtype=object), allow_pickle=True)
    assert "Python objects" in _error(lambda: load_real_matrix(path))


@pytest.mark.parametrize("cut", [0, 5, 40, -1])
def test_truncated_and_padded_files_are_refused(tmp_path, cut):
    path = tmp_path / "init.npy"
    np.save(path, np.ones((50, 2)))
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut >= 0 else data + b"\0" * 8)
    message = _error(lambda: load_real_matrix(path))
    assert str(path) in message and ("not a .npy" in message or "truncated or damaged" in message)


def test_real_arrays_load_as_float64_in_either_memory_order(tmp_path):
    ints = np.arange(12, dtype=np.int16).reshape(6, 2)
    np.save(tmp_path / "i.npy", ints)
    np.save(tmp_path / "f.npy", np.asfortranarray(ints.astype(np.float32)))
    for name in ("i.npy", "f.npy"):
        got = load_real_matrix(tmp_path / name)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, ints)


def test_the_check_sees_the_header_before_the_data_are_read(tmp_path):
    path = tmp_path / "init.npy"
    np.save(path, np.ones((7, 3), np.float32))
    seen = []

    def check(header):
        seen.append((header.shape, header.dtype.str, header.nbytes))
        raise InputError("refused by the check")

    assert _error(lambda: load_real_matrix(path, check=check)) == "refused by the check"
    assert seen == [((7, 3), "<f4", 84)]


def _error(action) -> str:
    with pytest.raises(InputError) as info:
        action()
    message = str(info.value)
    assert "\n" not in message
    return message
