"""The video writer: clips decode to the asked frames, writes are atomic, errors are clear."""
import errno
import os

import av
import numpy as np
import pytest

from memscape.gui.export.video_writer import ExportError, VideoWriter, encoded_size, format_for_path


def moving_square(k: int, w: int, h: int) -> np.ndarray:
    """A colour gradient with a white square that moves with k."""
    yy, xx = np.mgrid[0:h, 0:w]
    f = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 60)], axis=-1).astype(np.uint8)
    x0 = (k * 7) % (w - 16)
    f[h // 3:h // 3 + 16, x0:x0 + 16] = 255
    return f


def decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def write_clip(path, fmt, size=(96, 64), frames=6, fps=10):
    with VideoWriter(path, fmt, size, fps) as w:
        for k in range(frames):
            w.write(moving_square(k, *w.size))
    return w


@pytest.mark.parametrize("fmt", ["mp4", "gif"])
def test_clip_decodes_to_asked_frames_and_size(tmp_path, fmt):
    path = tmp_path / f"clip.{fmt}"
    write_clip(path, fmt, size=(96, 64), frames=6)
    frames = decode(path)
    assert len(frames) == 6
    assert frames[0].shape == (64, 96, 3)
    assert all(f.std() > 20 for f in frames)  # not blank
    assert not np.array_equal(frames[0], frames[-1])  # the square moved
    # the picture survives encoding: close to what was written (a GIF has 256 colours a frame)
    error = np.abs(frames[2].astype(int) - moving_square(2, 96, 64).astype(int)).mean()
    assert error < {"mp4": 4, "gif": 16}[fmt]
    assert [p.name for p in tmp_path.iterdir()] == [f"clip.{fmt}"]  # no temporary left


def test_png_sequence_is_a_folder_of_exact_frames(tmp_path):
    path = tmp_path / "frames"
    write_clip(path, "png", frames=3)
    names = sorted(p.name for p in path.iterdir())
    assert names == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
    assert np.array_equal(decode(path / names[1])[0], moving_square(1, 96, 64))  # lossless
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]


def test_png_sequence_replaces_an_old_folder(tmp_path):
    path = tmp_path / "frames"
    write_clip(path, "png", frames=4)
    write_clip(path, "png", frames=2)
    assert len(list(path.iterdir())) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]


def user_folder(path):
    """A folder of the user's: a file, a subfolder with a file, and a file named like a frame
    but inside the subfolder."""
    (path / "sub").mkdir(parents=True)
    (path / "notes.txt").write_text("mine")
    (path / "sub" / "frame_00000.png").write_bytes(b"not a frame of ours")
    return {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_png_sequence_refuses_a_folder_of_other_files_and_touches_nothing(tmp_path):
    path = tmp_path / "mydocs"
    before = user_folder(path)
    with pytest.raises(ExportError, match="holds other files .*notes.txt"):
        write_clip(path, "png", frames=2)
    assert {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydocs"]  # no temporary left


def test_forced_png_sequence_keeps_the_other_files(tmp_path):
    path = tmp_path / "mydocs"
    before = user_folder(path)
    (path / "frame_00007.png").write_bytes(b"an earlier export's frame")
    with VideoWriter(path, "png", (96, 64), 10, force=True) as w:
        for k in range(2):
            w.write(moving_square(k, *w.size))
    after = {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    assert {k: v for k, v in after.items() if k in before} == before  # every file of the user's, unchanged
    assert sorted(str(k) for k in after if k not in before) == ["frame_00000.png", "frame_00001.png"]


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_clip(tmp_path / "a.mp4", "mp4", frames=2)
        write_clip(tmp_path / "frames", "png", frames=2)
    finally:
        os.umask(old)
    assert (tmp_path / "a.mp4").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "frames").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "frames" / "frame_00000.png").stat().st_mode & 0o777 == 0o644


def test_a_stale_temporary_of_a_killed_export_is_removed(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".a.mp4.{dead}.0badc0de.memscape-tmp"
    stale.write_bytes(b"left by SIGKILL")
    alive = tmp_path / f".a.mp4.{os.getppid()}.0badc0de.memscape-tmp"  # a running process: kept
    alive.write_bytes(b"being written")
    write_clip(tmp_path / "a.mp4", "mp4", frames=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.mp4", alive.name])


@pytest.mark.parametrize("kind", ["symlink", "folder", "fifo"])
def test_an_output_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    path = tmp_path / "out.mp4"
    if kind == "symlink":
        (tmp_path / "real.mp4").write_bytes(b"x")
        path.symlink_to(tmp_path / "real.mp4")
    elif kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    with pytest.raises(ExportError, match=str(path)):
        write_clip(path, "mp4", frames=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.mp4"] + (["real.mp4"] if kind == "symlink" else []))


def test_odd_size_rounds_up_to_even_for_h264(tmp_path):
    assert encoded_size("mp4", (321, 241)) == (322, 242)
    assert encoded_size("gif", (321, 241)) == (321, 241)
    write_clip(tmp_path / "odd.mp4", "mp4", size=(95, 63), frames=2)
    assert decode(tmp_path / "odd.mp4")[0].shape == (64, 96, 3)


@pytest.mark.parametrize("fmt", ["mp4", "gif", "png"])
def test_cancelled_export_leaves_nothing_and_keeps_the_good_file(tmp_path, fmt):
    path = tmp_path / ("out" if fmt == "png" else f"out.{fmt}")
    write_clip(path, fmt, frames=3)
    good = sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*"))
    with pytest.raises(KeyboardInterrupt):
        with VideoWriter(path, fmt, (96, 64), 10) as w:
            w.write(moving_square(0, 96, 64))
            raise KeyboardInterrupt  # the user cancels mid-way
    assert sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*")) == good


def test_cancel_without_old_file_leaves_folder_empty(tmp_path):
    with pytest.raises(RuntimeError):
        with VideoWriter(tmp_path / "new.mp4", "mp4", (96, 64), 10) as w:
            w.write(moving_square(0, 96, 64))
            raise RuntimeError("cancelled")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["mp4", "png"])
def test_disk_full_gives_one_line_message_and_no_partial_file(tmp_path, monkeypatch, fmt):
    path = tmp_path / ("out" if fmt == "png" else f"out.{fmt}")
    write_clip(path, fmt, frames=2)
    before = sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*"))

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExportError) as info:
        write_clip(path, fmt, frames=3)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg and "disk is full" in msg
    monkeypatch.undo()
    assert sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*")) == before


def test_unwritable_folder_is_a_clear_error(tmp_path, monkeypatch):
    def denied(*a, **k):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("memscape.engine.atomic_files.create_temporary", denied)
    with pytest.raises(ExportError, match="not writable"):
        VideoWriter(tmp_path / "x.mp4", "mp4", (96, 64), 10).__enter__()
    with pytest.raises(ExportError, match="does not exist"):
        VideoWriter(tmp_path / "missing" / "x.gif", "gif", (96, 64), 10).__enter__()


def test_format_from_path_and_bad_frames(tmp_path):
    assert format_for_path("a/b.MP4") == "mp4" and format_for_path("c.gif") == "gif"
    assert format_for_path("frames") == "png"
    with pytest.raises(ExportError, match="unknown video format"):
        format_for_path("clip.avi")
    with pytest.raises(ValueError, match="uint8"):
        with VideoWriter(tmp_path / "y.mp4", "mp4", (96, 64), 10) as w:
            w.write(np.zeros((64, 96, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_missing_encoder_is_named(tmp_path, monkeypatch):
    from memscape.gui.export import video_writer

    monkeypatch.setitem(video_writer.ENCODERS, "mp4", "no-such-h264")
    with pytest.raises(ExportError, match="no 'no-such-h264' encoder"):
        VideoWriter(tmp_path / "x.mp4", "mp4", (96, 64), 10)
    assert list(tmp_path.iterdir()) == []
