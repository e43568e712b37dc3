"""`python main.py experiment NAME` in a subprocess: the CSV, the plot, the progress bar, errors."""
import csv
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMALL = {
    "capacity": ["models=hopfield,dense-3,modern", "dims=16", "loads=0.1,0.5", "starts=8"],
    "basins": ["resolution=6", "methods=modern,heun"],
    "collapse": ["dims=2,16", "counts=50", "ratios=0.5,1,2", "samples=20"],
    "speciation": ["steps=24", "trajectories=20", "every=4"],
    "memorization": ["counts=4,16", "capacities=32", "fit_samples=256", "particles=20", "steps=10"],
    "curl": ["resolution=12", "capacity=32", "fit_samples=256"],
    "temperature": ["steps=6", "particles=10"],
    "lyapunov": ["methods=heun,modern", "particles=12", "steps=10"],
}


def memscape(*args, **kw):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "experiment", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=240, **kw)


def sets(name):
    return [a for item in SMALL[name] for a in ("--set", item)]


def decoded(path):
    """(width, height, number of distinct colours) of a PNG, decoded by Qt."""
    from PyQt6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), f"{path} is not a PNG Qt can read"
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    raw = bytes(ptr)
    return image.width(), image.height(), len({raw[i:i + 4] for i in range(0, len(raw), 4 * 97)})


@pytest.mark.parametrize("name", list(SMALL))
def test_every_experiment_writes_its_csv_and_plot(tmp_path, name):
    from memscape.engine.experiments import EXPERIMENTS

    out, png = tmp_path / f"{name}.csv", tmp_path / f"{name}.png"
    r = memscape(name, *sets(name), "--out", out, "--plot", png, "--backend", "numpy")
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout and f"wrote {png}" in r.stdout
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == EXPERIMENTS[name].COLUMNS and len(rows) > 1
    assert all(len(row) == len(rows[0]) for row in rows)
    width, height, colours = decoded(png)
    assert (width, height) == (1400, 800) and colours > 8  # a drawn figure, not a blank image
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, png.name])


def test_without_out_the_table_goes_to_stdout_after_the_summary():
    r = memscape("temperature", *sets("temperature"), "--backend", "numpy")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("matched: largest gap: ") and float(lines[0].split(": ")[-1]) < 1e-10
    assert lines[2] == "variant,step,sigma,beta,dt,gap_mean,gap_max,update_ratio" and len(lines) == 3 + 12


def on_a_terminal(args, until=None):
    """Run ``experiment ARGS`` with stderr on a 100-column pseudo-terminal; return (exit code,
    what it drew there). With ``until``, send SIGINT once that text has appeared."""
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    output = b""
    try:
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "experiment", *map(str, args)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=child_fd)
        os.close(child_fd)
        child_fd = None
        while True:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if until is not None and until in output.decode(errors="replace"):
                proc.send_signal(signal.SIGINT)
                until = None
        code = proc.wait(timeout=240)
    finally:
        os.close(main_fd)
        if child_fd is not None:
            os.close(child_fd)
    return code, output.decode(errors="replace")


def test_a_terminal_gets_a_progress_bar(tmp_path):
    """tqdm draws on stderr when it is a terminal (a pseudo-terminal here) and not otherwise."""
    code, text = on_a_terminal(["collapse", *sets("collapse"), "--backend", "numpy", "--out", tmp_path / "c.csv"])
    assert code == 0
    assert "collapse: 100%" in text and "6/6" in text  # 2 dimensions x 1 count x 3 sigmas
    piped = memscape("collapse", *sets("collapse"), "--backend", "numpy", "--out", tmp_path / "d.csv")
    assert piped.returncode == 0 and piped.stderr == ""


def test_ctrl_c_stops_the_run_and_writes_nothing(tmp_path):
    """SIGINT once the bar shows the run has started: exit 130, no CSV, the old file kept."""
    out = tmp_path / "big.csv"
    out.write_text("an old table\n")
    code, text = on_a_terminal(["capacity", "--set", "dims=400", "--set", "starts=400", "--backend", "numpy",
                                "--out", out], until="capacity: ")
    assert code == 130 and "interrupted; nothing written" in text
    assert [p.name for p in tmp_path.iterdir()] == ["big.csv"] and out.read_text() == "an old table\n"


@pytest.mark.parametrize("args, needle", [
    (["capacity", "--set", "dims=x"], "dims=x: expected an integer"),
    (["basins", "--set", "betta=1"], "betta: unknown parameter"),
    (["curl", "--set", "preset=letters"], "needs 2-D memories"),
    (["temperature", "--plot", "PLOT.jpg"], "expected a .png file name"),
    (["temperature", "--out", "MISSING/x.csv"], "does not exist"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_is_written(tmp_path, args, needle):
    keep = tmp_path / "keep.csv"
    keep.write_text("an old table\n")
    args = [str(tmp_path / a[4:]) if a.startswith(("PLOT", "MISSING")) and a != "MISSING/x.csv" else
            (str(tmp_path / "missing" / "x.csv") if a == "MISSING/x.csv" else a) for a in args]
    r = memscape(*args, "--backend", "numpy")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"] and keep.read_text() == "an old table\n"


def test_an_unknown_experiment_is_a_usage_error():
    r = memscape("nonsense")
    assert r.returncode == 2 and "invalid choice: 'nonsense'" in r.stderr and "capacity" in r.stderr


def test_help_lists_every_experiment_and_its_settings():
    r = memscape("--help")
    assert r.returncode == 0
    for name in SMALL:
        assert f"  {name}: " in r.stdout
    assert "loads=0.05,0.1" in r.stdout and "any other KEY=VALUE" in r.stdout


def test_the_command_runs_without_qt_and_only_plots_need_it(tmp_path):
    """With Qt, pyqtgraph and OpenGL impossible to import, a CSV run works and --plot fails
    with one line (test_layering's blocker)."""
    from test_layering import QT_GL, run_blocked

    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import main; sys.exit(main.main(sys.argv[1:]))"
    out = tmp_path / "t.csv"
    r = run_blocked(QT_GL, code, "experiment", "temperature", *sets("temperature"), "--backend", "numpy", "--out",
                    str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("variant,step,sigma")
    r = run_blocked(QT_GL, code, "experiment", "temperature", "--plot", str(tmp_path / "t.png"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--plot needs PyQt6" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_the_engine_entry_point_alone_cannot_plot(tmp_path, capsys):
    import argparse

    from memscape.engine.cli import experiment

    parser = argparse.ArgumentParser()
    experiment.add_arguments(parser)
    args = parser.parse_args(["temperature", "--plot", str(tmp_path / "t.png")])
    assert experiment.run(args) == 2
    assert "no drawing code" in capsys.readouterr().err and not list(tmp_path.iterdir())
