"""`python main.py simulate` and `presets` in a subprocess, and the trajectory file I/O they use."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from memscape.engine.params import Params
from memscape.engine.presets import list_presets
from memscape.engine.trajectory_io import load_npz, save_csv, save_npz

ROOT = Path(__file__).resolve().parents[1]


def memscape(*args):
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning:engine"}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_simulate_writes_the_trajectory_npz(tmp_path):
    out = tmp_path / "run.npz"
    r = memscape("simulate", "--preset", "two-wells", "--out", out, "--steps", 12, "--particles", 7,
                 "--seed", 3, "--backend", "numpy", "--precision", "float64", "--set", "sigma_max=2.5")
    assert r.returncode == 0, r.stderr
    assert "NumPy" in r.stdout  # says which backend it used
    data = load_npz(out)  # allow_pickle=False
    assert data["positions"].shape == (13, 7, 2) and data["energy"].shape == (13, 7)
    assert data["memories"].shape == (2, 2) and data["sigma"].shape == (13,)
    assert data["sigma"][0] == pytest.approx(2.5) and data["sigma"][-1] == 0
    assert np.isnan(data["energy"][-1]).all() and np.isfinite(data["energy"][:-1]).all()
    # the fixed function at every step, and every step's change split in two
    assert data["energy_fixed"].shape == (13, 7) and np.isfinite(data["energy_fixed"]).all()
    assert data["landscape_move"].shape == data["sampler_move"].shape == (12, 7)
    np.testing.assert_allclose(data["landscape_move"][:-1] + data["sampler_move"][:-1],
                               np.diff(data["energy"][:-1], axis=0), rtol=1e-12, atol=1e-12)
    assert np.isnan(data["landscape_move"][-1]).all()  # the last step lands on sigma = 0
    params = Params.from_json(str(data["params"]))
    assert (params.steps, params.particles, params.seed, params.sigma_max) == (12, 7, 3, 2.5)
    assert params.backend == "numpy" and params.precision == "float64"
    assert params.sigma_ref == 0.002  # sigma_ref = 0 resolved to the schedule's sigma_min
    assert params.replace(steps=12) == params  # the JSON holds a valid, complete Params
    report = r.stdout.splitlines()[-1]
    assert report.startswith("the fixed function -log p_sigma_ref (sigma_ref = 0.002) rose for ")
    assert "% of particles, at " in report and "% of steps" in report


def test_simulate_an_am_from_an_exact_init(tmp_path):
    init = np.array([[0.5, 0.5], [-0.2, 1.0], [2.0, -1.0]])
    np.save(tmp_path / "init.npy", init)
    out = tmp_path / "am.npz"
    r = memscape("simulate", "--preset", "two-wells", "--model", "modern", "--steps", 6, "--init",
                 tmp_path / "init.npy", "--backend", "numpy", "--precision", "float64", "--out", out)
    assert r.returncode == 0, r.stderr
    data = load_npz(out)
    assert not {"sigma", "energy_fixed", "landscape_move", "sampler_move"} & set(data)
    assert data["positions"].shape == (7, 3, 2)
    np.testing.assert_array_equal(data["positions"][0], init)
    assert np.all(np.diff(data["energy"], axis=0) <= 1e-12)  # the Lyapunov property, end to end
    assert Params.from_json(str(data["params"])).particles == 3
    assert r.stdout.splitlines()[-1] == "the modern energy never rose beyond float64 round-off"


@pytest.mark.parametrize("args, needle", [
    (["--set", "betta=2"], "betta"),
    (["--set", "beta=strong"], "beta"),
    (["--set", "patterns.distance=-1"], "patterns.distance"),
    (["--preset", "no-such-preset"], "no-such-preset"),
    (["--init", "BAD_INIT"], "(N, 2)"),
    (["--model", "modern", "--set", "dt=2.5"], "above the stability bound 2"),
    (["--set", "beta=inf"], "beta: expected a finite number"),
    (["--model", "ham", "--set", "lagrangian_m=relu-poly"], "unbounded below"),
    (["--set", "sigma_max=1e20"], "too large for float32"),
])
def test_errors_are_one_line_exit_2_and_leave_the_old_file(tmp_path, args, needle):
    np.save(tmp_path / "bad_init.npy", np.zeros((4, 3)))
    args = [str(tmp_path / "bad_init.npy") if a == "BAD_INIT" else a for a in args]
    out = tmp_path / "keep.npz"
    out.write_bytes(b"a good old file")
    r = memscape("simulate", "--out", out, "--backend", "numpy", *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
    assert out.read_bytes() == b"a good old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad_init.npy", "keep.npz"]


def test_presets_lists_every_builtin_name():
    r = memscape("presets")
    assert r.returncode == 0, r.stderr
    listed = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
    assert listed == [name for name, _ in list_presets()]
    assert "two-wells" in listed and "letters" in listed


def test_save_npz_is_atomic_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "t.npz"
    save_npz(path, {"a": np.arange(3.0), "params": '{"x": 1}'})
    loaded = load_npz(path)
    np.testing.assert_array_equal(loaded["a"], [0, 1, 2])
    assert str(loaded["params"]) == '{"x": 1}'

    def broken_savez(fh, **kw):
        fh.write(b"half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match=r"cannot write .*t\.npz: the disk is full"):
        save_npz(path, {"a": np.zeros(2)})
    monkeypatch.undo()
    np.testing.assert_array_equal(load_npz(path)["a"], [0, 1, 2])  # the good file survives
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]
    with pytest.raises(OSError, match="cannot write"):
        save_npz(tmp_path / "no-such-folder" / "x.npz", {"a": np.zeros(1)})


def test_load_npz_never_unpickles(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(OSError, match="cannot read"):
        load_npz(path)
    with pytest.raises(ValueError, match="object"):
        save_npz(tmp_path / "o.npz", {"obj": np.array([None], dtype=object)})


def test_save_csv_long_format(tmp_path):
    positions = np.arange(2 * 3 * 2, dtype=float).reshape(2, 3, 2)
    energy = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    save_csv(tmp_path / "t.csv", {"positions": positions, "energy": energy, "sigma": np.array([1.5, 0.0]),
                                  "partner_positions": positions + 100, "partner_energy": -energy})
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0] == "simulation,step,particle,x0,x1,energy,sigma" and len(lines) == 13
    assert lines[5] == "main,1,1,8,9,5,0"
    assert lines[11] == "partner,1,1,108,109,-5,nan"
    table = np.loadtxt(tmp_path / "t.csv", delimiter=",", skiprows=1, usecols=range(1, 7))
    np.testing.assert_array_equal(table[:6, 2:4], positions.reshape(-1, 2))
    save_csv(tmp_path / "am.csv", {"positions": positions, "energy": energy})
    assert (tmp_path / "am.csv").read_text().splitlines()[1].endswith(",nan")


def test_an_am_energy_that_rises_is_reported(tmp_path, monkeypatch, capsys):
    """Past the refusal (monkeypatched away here), dt = 2.5 overshoots: simulate still writes the
    file but warns that the energy rose, with the shares, instead of exiting 0 silently."""
    import argparse

    from memscape.engine import params as params_module
    from memscape.engine.cli import simulate

    monkeypatch.setattr(params_module, "CONCAVE_CONVEX_MODELS", ())
    parser = argparse.ArgumentParser()
    simulate.add_arguments(parser)
    args = parser.parse_args(["--model", "modern", "--set", "dt=2.5", "--steps", "6", "--backend", "numpy",
                              "--out", str(tmp_path / "rose.npz")])
    assert simulate.run(args) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("memscape simulate: warning: the modern energy rose for ")
    assert "% of particles, at " in err[0] and (tmp_path / "rose.npz").exists()
