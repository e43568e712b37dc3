"""What a person types: every bad command line is refused in one line, exit code 2, before any
work, leaving nothing behind and an existing output untouched (issue 14). The cases are the
robustness battery's (tests/robustness/battery.py), checked one by one here."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.robustness.battery import EXPORT_CASES, OLD, SIMULATE_CASES, TARGET_CASES, make_inputs

ROOT = Path(__file__).resolve().parents[1]


def memscape(*args, cwd, timeout=60):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _with_inputs(args, inputs):
    return [str(inputs[a[1:]]) if a.startswith("@") else a for a in args]


@pytest.mark.parametrize("args, needle", [c[1:] for c in SIMULATE_CASES], ids=[" ".join(c[1]) for c in SIMULATE_CASES])
def test_simulate_refuses_in_one_line_and_touches_nothing(tmp_path, args, needle):
    inputs = make_inputs(tmp_path / "in")  # made fresh: a FIFO's open end would block the next test
    out = tmp_path / "run.npz"
    out.write_bytes(OLD)
    before = sorted(os.listdir(tmp_path / "in"))
    r = memscape("simulate", "--out", out, "--backend", "numpy", *_with_inputs(args, inputs), cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert r.stdout == ""  # refused before any work: not even the backend line
    assert out.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "run.npz"]
    assert sorted(os.listdir(tmp_path / "in")) == before


def _export_in_process(argv) -> int:
    import main

    try:
        return main.main(["export", *argv])
    except SystemExit as exc:  # argparse's usage errors
        return exc.code


@pytest.mark.parametrize("args, needle", [c[1:] for c in EXPORT_CASES], ids=[" ".join(c[1]) for c in EXPORT_CASES])
def test_export_refuses_in_one_line_before_any_work(tmp_path, capsys, args, needle):
    inputs = make_inputs(tmp_path / "in")
    out = tmp_path / "clip.mp4"
    out.write_bytes(OLD)
    code = _export_in_process(["--out", str(out), "--backend", "numpy", *_with_inputs(args, inputs)])
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if "error" in line]
    assert code == 2 and len(errors) == 1 and needle in errors[0], captured.err
    assert "Traceback" not in captured.err and out.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "in"]


@pytest.mark.parametrize("command, target, needle", TARGET_CASES)
def test_outputs_that_are_not_new_regular_files_are_refused(tmp_path, command, target, needle):
    make_inputs(tmp_path / "in")
    before = sorted(os.listdir(tmp_path / "in"))
    extra = ["--size", "64x48", "--seconds", "0.2"] if command == "export" else []
    r = memscape(command, "--out", tmp_path / target, "--steps", 2, "--particles", 3, "--backend", "numpy", *extra,
                 cwd=tmp_path)
    assert r.returncode == 2 and needle in r.stderr and r.stderr.count("error:") == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    assert sorted(os.listdir(tmp_path / "in")) == before and not (tmp_path / "in" / "elsewhere.npz").exists()


def test_init_sets_the_particle_count_when_none_is_asked_for(tmp_path):
    inputs = make_inputs(tmp_path / "in")
    r = memscape("simulate", "--out", "run.npz", "--init", inputs["rows50"], "--steps", 2, "--backend", "numpy",
                 cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2 steps of 50 particles" in r.stdout


def test_a_preset_file_that_relies_on_defaults_says_so(tmp_path):
    text = (ROOT / "engine" / "presets" / "ring.toml").read_text()
    (tmp_path / "ring.toml").write_text(text[:text.index("steps = 40") + len("steps = 4")])
    r = memscape("simulate", "--preset", "ring.toml", "--out", "run.npz", "--particles", 3, "--backend", "numpy",
                 cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    notes = r.stderr.strip().splitlines()
    assert len(notes) == 2 and all(n.startswith("memscape: note: ring.toml: ") for n in notes)
    assert "'steps = 4' has no newline" in notes[1] and "4 steps of 3 particles" in r.stdout
