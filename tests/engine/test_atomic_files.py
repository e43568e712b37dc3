"""memscape.engine.atomic_files: a write either replaces its target whole or leaves it untouched."""
import os

import pytest

from memscape.engine.atomic_files import TEMP_SUFFIX, TargetError, atomic_path, write_bytes_atomic


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit, OSError])
def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, interrupt):
    target = tmp_path / "t.bin"
    write_bytes_atomic(target, b"good")
    with pytest.raises(interrupt):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise interrupt()
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["t.bin"]


def test_a_finished_write_replaces_the_file(tmp_path):
    target = tmp_path / "t.bin"
    write_bytes_atomic(target, b"old")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["t.bin"]


def test_a_folder_write_replaces_only_the_entries_it_may_remove(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old-1.dat").write_text("ours")
    (target / "keep.txt").write_text("the user's")
    with atomic_path(target, folder=True, removable=lambda name: name.startswith("old-")) as tmp:
        (tmp / "new-1.dat").write_text("ours, new")
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt", "new-1.dat"]
    assert (target / "keep.txt").read_text() == "the user's"
    assert not any(p.name.endswith(TEMP_SUFFIX) for p in tmp_path.iterdir())


def test_links_and_folders_are_refused_as_file_targets(tmp_path):
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "dir").mkdir()
    for name, why in (("link", "symbolic link"), ("dir", "is a folder")):
        with pytest.raises(TargetError, match=why):
            write_bytes_atomic(tmp_path / name, b"y")
    assert (tmp_path / "real").read_bytes() == b"x"


def test_new_files_get_the_umask_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        write_bytes_atomic(tmp_path / "f", b"z")
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o640
