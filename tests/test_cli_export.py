"""``python main.py export``: headless videos, argument errors, and the same picture as the GUI."""
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--preset", "two-wells", "--set", "particles=40", "--set", "steps=12", "--backend", "numpy"]


def export(*args, env=None):
    return subprocess.run([sys.executable, "main.py", "export", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


def decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_cli_module_imports_no_qt():
    code = "import sys, main, memscape.gui.export.cli; sys.exit(any(m.startswith('PyQt6') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_cli_writes_a_valid_clip_without_a_display(tmp_path):
    out = tmp_path / "clip.mp4"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = export(*FAST, "--out", str(out), "--size", "320x240", "--fps", "10", "--seconds", "1",
                  "--title", "CLI", env=env)
    assert done.returncode == 0, done.stderr
    frames = decode(out)
    assert len(frames) == 10 and frames[0].shape == (240, 320, 3)
    assert all(f.std() > 15 for f in frames) and len({f.tobytes() for f in frames}) > 1
    assert "rendering" in done.stderr and "10/10" in done.stderr  # the progress line
    assert f"wrote {out}" in done.stdout


def test_bad_arguments_exit_2_with_a_message_from_the_shell(tmp_path):
    done = export("--out", str(tmp_path / "x.mp4"), "--size", "3x")
    assert done.returncode == 2 and "--size" in done.stderr and "Traceback" not in done.stderr


def cli_main(argv, capsys) -> tuple[int, str]:
    """main.py in this process (fast): the exit code and stderr."""
    import main

    try:
        code = main.main(["export", *argv])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--fps", "0"], "--fps"),
    (["--size", "640x"], "--size"),
    (["--view", "4d"], "--view"),
    (["--set", "beta=-1"], "beta"),
    (["--preset", "no-such-preset"], "no-such-preset"),
    (["--seconds", "-1"], "--seconds"),
])
def test_bad_arguments_exit_2_with_a_message(tmp_path, capsys, args, message):
    code, err = cli_main(["--out", str(tmp_path / "x.mp4"), *args], capsys)
    assert code == 2 and message in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_and_missing_folder(qapp, tmp_path, capsys):
    code, err = cli_main(["--out", str(tmp_path / "x.avi")], capsys)
    assert code == 2 and "unknown video format" in err
    code, err = cli_main([*FAST, "--out", str(tmp_path / "nope" / "x.mp4"), "--size", "64x48", "--seconds", "0.2"],
                         capsys)
    assert code == 2 and "does not exist" in err and err.count("error:") == 1
    assert list(tmp_path.iterdir()) == []


def test_gui_dialog_and_cli_give_the_same_first_frame(qapp, qtbot, tmp_path):
    """The Export video dialog and the CLI, same settings, PNG frames (lossless): equal arrays."""
    from memscape.engine.cli.simulate import build_params
    from memscape.gui.export.cli import add_arguments
    from memscape.gui.export.dialog import ExportVideoDialog
    from memscape.gui.theme import apply_theme
    import argparse

    cli_out = tmp_path / "cli_frames"
    done = export(*FAST, "--out", str(cli_out), "--size", "1280x720", "--fps", "2", "--seconds", "1",
                  "--title", "same", "--view", "side-by-side")
    assert done.returncode == 0, done.stderr

    from memscape.engine.run import Run

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    params = build_params(parser.parse_args([*FAST, "--out", "x"]))
    apply_theme(qapp, presenter=False)  # as MainWindow does
    run = Run(params, label="two-wells")  # what the window runs, to its end
    run.run_to_end()
    dialog = ExportVideoDialog(run.snapshot(), run.meta, name="same", folder=tmp_path, view="side-by-side")
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    dialog.resolution.setCurrentIndex(dialog.resolution.findData("720p"))
    dialog.fps.setValue(2)
    dialog.seconds.setValue(1.0)
    assert dialog.path.text() == str(tmp_path / "same_frames")
    runner = dialog.start_export(show_progress=False)
    qtbot.waitUntil(lambda: not runner.running, timeout=60_000)
    assert runner.result == (True, f"wrote {tmp_path / 'same_frames'}")
    gui_first = decode(tmp_path / "same_frames" / "frame_00000.png")[0]
    cli_first = decode(cli_out / "frame_00000.png")[0]
    assert gui_first.shape == (720, 1280, 3)
    assert np.array_equal(gui_first, cli_first)
    assert sorted(p.name for p in (tmp_path / "same_frames").iterdir()) == ["frame_00000.png", "frame_00001.png"]


def test_3d_without_any_opengl_is_a_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"  # offscreen Qt with no X display has no OpenGL
    done = export(*FAST, "--view", "3d", "--out", str(tmp_path / "x.mp4"), "--size", "64x48", env=env)
    assert done.returncode == 1 and "needs an OpenGL context" in done.stderr
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.display  # its own Xvfb: where pytest-xvfb has none, neither has it
def test_3d_export_with_no_display_starts_its_own_xvfb(tmp_path):
    pytest.importorskip("memscape.gui.view_3d")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["LIBGL_ALWAYS_SOFTWARE"] = "1"
    out = tmp_path / "orbit.gif"
    done = export(*FAST, "--view", "3d", "--out", str(out), "--size", "240x160", "--fps", "2", "--seconds", "1",
                  "--orbit", "90", env=env)
    assert done.returncode == 0, done.stderr
    frames = decode(out)
    assert len(frames) == 2 and frames[0].shape == (160, 240, 3)
    assert all(len(np.unique(f.reshape(-1, 3), axis=0)) > 30 for f in frames)  # the surface, not a blank
    assert np.abs(frames[0].astype(int) - frames[1].astype(int)).mean() > 2


def test_a_png_export_into_a_folder_of_the_users_files_deletes_nothing(tmp_path):
    """The data-loss finding of issue 14: `export --out ~/mydocs` emptied the folder."""
    docs = tmp_path / "mydocs"
    (docs / "thesis").mkdir(parents=True)
    (docs / "notes.txt").write_text("mine")
    (docs / "thesis" / "chapter1.tex").write_text("also mine")
    before = {p.relative_to(docs): p.read_bytes() for p in docs.rglob("*") if p.is_file()}
    done = export(*FAST, "--out", str(docs), "--size", "160x120", "--fps", "2", "--seconds", "1")
    assert done.returncode == 2 and "holds other files" in done.stderr and "Traceback" not in done.stderr
    assert {p.relative_to(docs): p.read_bytes() for p in docs.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydocs"]
    forced = export(*FAST, "--out", str(docs), "--size", "160x120", "--fps", "2", "--seconds", "1", "--force")
    assert forced.returncode == 0, forced.stderr
    after = {p.relative_to(docs): p.read_bytes() for p in docs.rglob("*") if p.is_file()}
    assert {k: after[k] for k in before} == before
    assert sorted(str(k) for k in after if k not in before) == ["frame_00000.png", "frame_00001.png"]
