"""What a person types: every bad command line is refused in one line, exit code 2, before any
work, leaving nothing behind and an existing output untouched (issue 14)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
OLD = b"a good old file"


def memscape(*args, cwd, timeout=60):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _inputs(folder: Path) -> dict[str, Path]:
    """Bad --init and --preset files, made in ``folder``."""
    folder.mkdir()
    arrays = {"complex": np.zeros((5, 2), complex), "bool": np.zeros((5, 2), bool),
              "datetime": np.zeros((5, 2), "datetime64[s]"), "structured": np.zeros(5, [("a", "f8"), ("b", "f8")]),
              "bigendian": np.zeros((5, 2), ">f8"), "nan": np.array([[0.0, 1.0], [np.nan, 0.0]]),
              "rows50": np.zeros((50, 2))}
    paths = {}
    for name, array in arrays.items():
        paths[name] = folder / f"{name}.npy"
        np.save(paths[name], array)
    paths["object"] = folder / "object.npy"
    np.save(paths["object"], np.zeros((2, 2), object), allow_pickle=True)
    paths["empty"] = folder / "empty.npy"
    paths["empty"].write_bytes(b"")
    paths["truncated"] = folder / "truncated.npy"
    paths["truncated"].write_bytes(paths["rows50"].read_bytes()[:-5])
    paths["fifo"] = folder / "fifo.npy"
    os.mkfifo(paths["fifo"])
    paths["deep"] = folder / "deep.toml"
    paths["deep"].write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    paths["inline"] = folder / "inline.toml"
    paths["inline"].write_text("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n")
    paths["latin1"] = folder / "latin1.toml"
    paths["latin1"].write_bytes(b'description = "caf\xe9"\n')
    paths["tomlfifo"] = folder / "fifo.toml"
    os.mkfifo(paths["tomlfifo"])
    paths["folder"] = folder / "afolder"
    paths["folder"].mkdir()
    paths["link"] = folder / "link.npz"
    paths["link"].symlink_to(folder / "elsewhere.npz")
    return paths


SIMULATE = [
    (["--set", "beta=inf", "--model", "modern"], "beta: expected a finite number"),
    (["--set", "rho=inf"], "rho: expected a finite number"),
    (["--set", "rho=0.001"], "rho: 0.001 is too small"),
    (["--set", "sigma_max=1e400"], "sigma_max: expected a finite number"),
    (["--init", "@complex"], "complex numbers"),
    (["--init", "@bool"], "booleans"),
    (["--init", "@datetime"], "datetimes"),
    (["--init", "@structured"], "structured records"),
    (["--init", "@bigendian"], "byte order"),
    (["--init", "@object"], "Python objects"),
    (["--init", "@empty"], "not a .npy array file"),
    (["--init", "@truncated"], "truncated or damaged"),
    (["--init", "@nan"], "NaN or infinite"),
    (["--init", "@fifo"], "FIFO"),
    (["--init", "/dev/zero"], "character device"),
    (["--init", "@rows50", "--particles", "7"], "holds 50 initial states, but 7 particles were asked for"),
    (["--init", "@rows50", "--set", "particles=7"], "holds 50 initial states"),
    (["--preset", "@deep"], "nested too deeply"),
    (["--preset", "@inline"], "nested too deeply"),
    (["--preset", "@latin1"], "not UTF-8"),
    (["--preset", "@tomlfifo"], "FIFO"),
    (["--particles", "10000000", "--steps", "100000"], "of memory"),
    (["--sampler", "langevin", "--set", "langevin_steps=5000", "--particles", "10000", "--steps", "1000"],
     "units of work"),
    (["--set", "patterns.count=1000000000000", "--preset", "ring"],
     "--set: patterns: 1,000,000,000,000 memories of 2 dimensions would need"),
    (["--set", "patterns.count=-1", "--preset", "ring"], "patterns.count: -1 is out of range"),
]


@pytest.mark.parametrize("args, needle", SIMULATE, ids=[" ".join(a) for a, _ in SIMULATE])
def test_simulate_refuses_in_one_line_and_touches_nothing(tmp_path, args, needle):
    inputs = _inputs(tmp_path / "in")  # made fresh: a FIFO's open end would block the next test
    args = [str(inputs[a[1:]]) if a.startswith("@") else a for a in args]
    out = tmp_path / "run.npz"
    out.write_bytes(OLD)
    before = sorted(os.listdir(tmp_path / "in"))
    r = memscape("simulate", "--out", out, "--backend", "numpy", *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert r.stdout == ""  # refused before any work: not even the backend line
    assert out.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "run.npz"]
    assert sorted(os.listdir(tmp_path / "in")) == before


@pytest.mark.parametrize("target, needle", [
    ("x.csv", "simulate writes a .npz trajectory"),
    ("noext", "simulate writes a .npz trajectory"),
    ("@folder", "ending in .npz"),
    ("@link", "symbolic link"),
    ("/dev/null", "ending in .npz"),
    ("missing/x.npz", "does not exist"),
])
def test_simulate_refuses_outputs_that_are_not_new_or_regular_npz_files(tmp_path, target, needle):
    inputs = _inputs(tmp_path / "in")
    target = str(inputs[target[1:]]) if target.startswith("@") else target
    r = memscape("simulate", "--out", target, "--steps", 2, "--particles", 3, "--backend", "numpy", cwd=tmp_path)
    assert r.returncode == 2 and needle in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    assert not (tmp_path / "in" / "elsewhere.npz").exists()


def test_init_sets_the_particle_count_when_none_is_asked_for(tmp_path):
    inputs = _inputs(tmp_path / "in")
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


EXPORT = [
    (["--orbit", "nan"], "--orbit: 'nan': expected a finite number"),
    (["--orbit", "inf"], "--orbit: 'inf': expected a finite number"),
    (["--seconds", "1e12"], "frames; the limit is 216,000"),
    (["--seconds", "1e400"], "--seconds"),
    (["--size", "4K", "--seconds", "3600"], "pixels; the limit is"),
    (["--set", "particles=10000000", "--set", "steps=1000"], "of memory"),
    (["--set", "beta=inf"], "beta: expected a finite number"),
    (["--set", "rho=0.001"], "rho: 0.001 is too small"),
    (["--preset", "@deep"], "nested too deeply"),
    (["--preset", "@tomlfifo"], "FIFO"),
]


def _export_in_process(argv) -> int:
    import main

    try:
        return main.main(["export", *argv])
    except SystemExit as exc:  # argparse's usage errors
        return exc.code


@pytest.mark.parametrize("args, needle", EXPORT, ids=[" ".join(a) for a, _ in EXPORT])
def test_export_refuses_in_one_line_before_any_work(tmp_path, capsys, args, needle):
    inputs = _inputs(tmp_path / "in")
    args = [str(inputs[a[1:]]) if a.startswith("@") else a for a in args]
    out = tmp_path / "clip.mp4"
    out.write_bytes(OLD)
    code = _export_in_process(["--out", str(out), "--backend", "numpy", *args])
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if "error" in line]
    assert code == 2 and len(errors) == 1 and needle in errors[0], captured.err
    assert "Traceback" not in captured.err and out.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "in"]


@pytest.mark.parametrize("target, needle", [
    ("in/folder.mp4", "it is a folder"),
    ("in/link.mp4", "symbolic link"),
    ("/dev/null", "not a folder"),
    ("missing/clip.mp4", "does not exist"),
])
def test_export_refuses_outputs_that_are_not_new_or_regular_files(tmp_path, capsys, target, needle):
    _inputs(tmp_path / "in")
    (tmp_path / "in" / "folder.mp4").mkdir()
    (tmp_path / "in" / "link.mp4").symlink_to(tmp_path / "elsewhere.mp4")
    code = _export_in_process(["--out", str(tmp_path / target), "--size", "64x48", "--seconds", "0.2",
                               "--backend", "numpy"])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("error:") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
