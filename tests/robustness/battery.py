"""The robustness battery of issue 14: bad inputs, hostile files and interruptions, end to end.

    python tests/robustness/battery.py            # the whole battery (several minutes)
    python tests/robustness/battery.py --quick    # a short version (CI runs it as a test)

Every case runs ``main.py`` in a subprocess of its own session, in a scratch folder, with a
time limit, and is checked for four things: a traceback or a crash (a Python traceback on
stderr, or a death by a signal it was not sent), a hang (the time limit passed), a partial
file (anything left in the scratch folder that the case did not expect: a temporary, a
half-written output, an existing file changed) and an orphan process (anything of the
case's session still running after it ended: a private Xvfb). The classes:

- sizes: runs, memories, videos and --init arrays that cannot fit or would take too long;
- kinds: values of the wrong kind (inf, NaN, rho = 0.001, complex or big-endian --init ...);
- structure: hostile preset files through the command line; every byte prefix of every
  built-in preset through the loader (refused, the same, or reported: never silently
  different); the hypothesis fuzz tests of the loaders with many fresh examples;
- interruptions: SIGINT, SIGTERM and SIGHUP during simulate (running and writing), during
  2D, side-by-side and 3D exports, an experiment and bench, and SIGKILL during a 3D export
  (its Xvfb must die with it, and the next export removes the temporary it left);
- targets: folders, links, devices and missing folders as --out.

It prints one line per failure and a summary, and exits 1 if anything failed.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OLD = b"a good old file"
TEMP_SUFFIX = ".memscape-tmp"
NO_DISPLAY = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
HAVE_XVFB = sys.platform.startswith("linux") and shutil.which("Xvfb") is not None


def make_inputs(folder: Path) -> dict[str, Path]:
    """Bad --init arrays, bad preset files, a folder and a link, made in ``folder``."""
    folder.mkdir(parents=True)
    arrays = {"complex": np.zeros((5, 2), complex), "bool": np.zeros((5, 2), bool),
              "datetime": np.zeros((5, 2), "datetime64[s]"), "structured": np.zeros(5, [("a", "f8"), ("b", "f8")]),
              "bigendian": np.zeros((5, 2), ">f8"), "nan": np.array([[0.0, 1.0], [np.nan, 0.0]]),
              "rows50": np.zeros((50, 2)), "huge_header": np.zeros((4, 2))}
    paths = {}
    for name, array in arrays.items():
        paths[name] = folder / f"{name}.npy"
        np.save(paths[name], array)
    with paths["huge_header"].open("wb") as fh:  # a header declaring 10^12 rows, then 64 bytes of data
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False, "shape": (10 ** 12, 2)})
        fh.write(bytes(64))
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
    paths["bigint"] = folder / "bigint.toml"
    paths["bigint"].write_text("[params]\nsteps = " + "9" * 5000 + "\n")
    paths["tomlfifo"] = folder / "fifo.toml"
    os.mkfifo(paths["tomlfifo"])
    paths["folder"] = folder / "afolder"
    paths["folder"].mkdir()
    (folder / "folder.mp4").mkdir()
    paths["link"] = folder / "link.npz"
    paths["link"].symlink_to(folder / "elsewhere.npz")
    (folder / "link.mp4").symlink_to(folder / "elsewhere.mp4")
    return paths


#: (class, simulate arguments, what the one error line says); "@name" is make_inputs' file
SIMULATE_CASES = [
    ("kinds", ["--set", "beta=inf", "--model", "modern"], "beta: expected a finite number"),
    ("kinds", ["--set", "rho=inf"], "rho: expected a finite number"),
    ("kinds", ["--set", "rho=0.001"], "rho: 0.001 is too small"),
    ("kinds", ["--set", "sigma_max=1e400"], "sigma_max: expected a finite number"),
    ("kinds", ["--init", "@complex"], "complex numbers"),
    ("kinds", ["--init", "@bool"], "booleans"),
    ("kinds", ["--init", "@datetime"], "datetimes"),
    ("kinds", ["--init", "@structured"], "structured records"),
    ("kinds", ["--init", "@bigendian"], "byte order"),
    ("kinds", ["--init", "@object"], "Python objects"),
    ("kinds", ["--init", "@empty"], "not a .npy array file"),
    ("kinds", ["--init", "@truncated"], "truncated or damaged"),
    ("kinds", ["--init", "@nan"], "NaN or infinite"),
    ("kinds", ["--init", "@fifo"], "FIFO"),
    ("kinds", ["--init", "/dev/zero"], "character device"),
    ("kinds", ["--init", "@rows50", "--particles", "7"], "holds 50 initial states, but 7 particles were asked for"),
    ("kinds", ["--init", "@rows50", "--set", "particles=7"], "holds 50 initial states"),
    ("structure", ["--preset", "@deep"], "nested too deeply"),
    ("structure", ["--preset", "@inline"], "nested too deeply"),
    ("structure", ["--preset", "@latin1"], "not UTF-8"),
    ("structure", ["--preset", "@bigint"], "4300 digits"),
    ("structure", ["--preset", "@tomlfifo"], "FIFO"),
    ("sizes", ["--particles", "10000000", "--steps", "100000"], "of memory"),
    ("sizes", ["--sampler", "langevin", "--set", "langevin_steps=5000", "--particles", "10000", "--steps", "1000"],
     "units of work"),
    ("sizes", ["--set", "patterns.count=1000000000000", "--preset", "ring"],
     "--set: patterns: 1,000,000,000,000 memories of 2 dimensions would need"),
    ("sizes", ["--init", "@huge_header"], "truncated or damaged"),
    ("kinds", ["--set", "patterns.count=-1", "--preset", "ring"], "patterns.count: -1 is out of range"),
]

#: (class, export arguments, what the one error line says)
EXPORT_CASES = [
    ("kinds", ["--orbit", "nan"], "--orbit: 'nan': expected a finite number"),
    ("kinds", ["--orbit", "inf"], "--orbit: 'inf': expected a finite number"),
    ("sizes", ["--seconds", "1e12"], "frames; the limit is 216,000"),
    ("kinds", ["--seconds", "1e400"], "--seconds"),
    ("sizes", ["--size", "4K", "--seconds", "3600"], "pixels; the limit is"),
    ("sizes", ["--set", "particles=10000000", "--set", "steps=1000"], "of memory"),
    ("kinds", ["--set", "beta=inf"], "beta: expected a finite number"),
    ("kinds", ["--set", "rho=0.001"], "rho: 0.001 is too small"),
    ("structure", ["--preset", "@deep"], "nested too deeply"),
    ("structure", ["--preset", "@tomlfifo"], "FIFO"),
]

#: (command, --out relative to the scratch folder or absolute, what the error says)
TARGET_CASES = [
    ("simulate", "x.csv", "simulate writes a .npz trajectory"),
    ("simulate", "in/afolder", "ending in .npz"),
    ("simulate", "in/link.npz", "symbolic link"),
    ("simulate", "/dev/null", "ending in .npz"),
    ("simulate", "missing/x.npz", "does not exist"),
    ("export", "in/folder.mp4", "it is a folder"),
    ("export", "in/link.mp4", "symbolic link"),
    ("export", "/dev/null", "not a folder"),
    ("export", "missing/clip.mp4", "does not exist"),
]

#: commands that run long enough to be interrupted: ~10^10 units of work with a 10 MB recording
LONG_SIMULATE = ["--preset", "ring", "--set", "patterns.count=2000", "--particles", "2000", "--steps", "100",
                 "--backend", "numpy"]
#: a run whose .npz (about 1 GB) takes long enough to write to be interrupted while writing
BIG_SIMULATE = ["--particles", "1000000", "--steps", "40", "--backend", "numpy"]
LONG_EXPORT = ["--preset", "two-wells", "--set", "particles=50", "--set", "steps=40", "--backend", "numpy",
               "--size", "320x240", "--fps", "30", "--seconds", "60"]


@dataclasses.dataclass
class Outcome:
    name: str
    problems: list[str] = dataclasses.field(default_factory=list)
    inputs: int = 1  #: how many inputs the case tried (every prefix of a file, every fuzz example)


@dataclasses.dataclass
class Tally:
    cases: int = 0
    inputs: int = 0
    tracebacks: int = 0
    hangs: int = 0
    partial: int = 0
    orphans: int = 0
    other: int = 0
    lines: list[str] = dataclasses.field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.cases += 1
        self.inputs += outcome.inputs
        for problem in outcome.problems:
            kind = problem.split(":", 1)[0]
            attr = {"traceback": "tracebacks", "hang": "hangs", "partial file": "partial",
                    "orphan": "orphans"}.get(kind, "other")
            setattr(self, attr, getattr(self, attr) + 1)
            self.lines.append(f"FAIL {outcome.name}: {problem}")

    def summary(self) -> str:
        return (f"{self.cases} cases ({self.inputs:,} inputs): {self.tracebacks} tracebacks, {self.hangs} hangs, {self.partial} partial files, "
                f"{self.orphans} orphan processes, {self.other} other failures")


# -- processes ---------------------------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def session_members(sid: int) -> list[int]:
    """Live (not zombie) processes of the session ``sid`` (Linux /proc; empty elsewhere)."""
    found = []
    if not Path("/proc").is_dir():
        return found
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[3]) == sid and fields[0] != "Z":
                found.append(int(entry))
    return found


def orphans_after(sid: int, timeout: float = 10.0) -> list[int]:
    end = time.monotonic() + timeout
    while (left := session_members(sid)) and time.monotonic() < end:
        time.sleep(0.05)
    for pid in left:  # do not leave them behind either
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def finish(proc: subprocess.Popen, outcome: Outcome, timeout: float, sent: int | None = None) -> tuple[int, str, str]:
    """Wait for ``proc``; record hangs, crashes, tracebacks and orphans in ``outcome``."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        outcome.problems.append(f"hang: still running after {timeout:.0f} s")
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    if "Traceback (most recent call last)" in err or "Segmentation fault" in err or "Fatal Python error" in err:
        outcome.problems.append(f"traceback: {err.strip().splitlines()[-1][:200]}")
    elif proc.returncode < 0 and -proc.returncode != sent:
        outcome.problems.append(f"traceback: killed by signal {signal.Signals(-proc.returncode).name}")
    left = orphans_after(proc.pid)
    if left:
        outcome.problems.append(f"orphan: {len(left)} processes of its session outlived it ({left})")
    return proc.returncode, out, err


def wait_for(stream, needle: bytes, timeout: float = 120.0) -> bool:
    seen, end = b"", time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > end:
            return False
        chunk = stream.read1(4096)
        if not chunk:
            return False
        seen += chunk
    return True


def check_folder(folder: Path, expected: set[str], outcome: Outcome, old: Path | None = None) -> None:
    names = {p.name for p in folder.iterdir()}
    extra = sorted(names - expected)
    if extra:
        outcome.problems.append(f"partial file: left {extra}")
    if old is not None and (not old.is_file() or old.read_bytes() != OLD):
        outcome.problems.append(f"partial file: the existing {old.name} was changed")


# -- the classes -----------------------------------------------------------------------------

def refusals(scratch: Path, quick: bool) -> list[Outcome]:
    """The command-line cases of every class: one error line, exit 2, nothing touched."""
    outcomes = []
    simulate = SIMULATE_CASES[::4] if quick else SIMULATE_CASES
    export = EXPORT_CASES[::3] if quick else EXPORT_CASES
    cases = [(c, "simulate", a, n, "run.npz") for c, a, n in simulate] + \
            [(c, "export", a, n, "clip.mp4") for c, a, n in export]
    for index, (cls, command, args, needle, out_name) in enumerate(cases):
        folder = scratch / f"{command}-{index}"
        inputs = make_inputs(folder / "in")
        before = sorted(os.listdir(folder / "in"))
        out = folder / out_name
        out.write_bytes(OLD)
        argv = [command, "--out", str(out), "--backend", "numpy",
                *[str(inputs[a[1:]]) if a.startswith("@") else a for a in args]]
        outcome = Outcome(f"{cls}: {command} {' '.join(args)}")
        code, stdout, err = finish(start(argv, folder, NO_DISPLAY), outcome, timeout=120)
        errors = [line for line in err.splitlines() if "error:" in line]
        if code != 2 or len(errors) != 1 or needle not in errors[0]:
            outcome.problems.append(f"refusal: exit {code}, stderr {err.strip()[:300]!r}")
        check_folder(folder, {"in", out_name}, outcome, out)
        if sorted(os.listdir(folder / "in")) != before:
            outcome.problems.append("partial file: an input folder changed")
        outcomes.append(outcome)
    for index, (command, target, needle) in enumerate(TARGET_CASES[::3] if quick else TARGET_CASES):
        folder = scratch / f"target-{index}"
        make_inputs(folder / "in")
        before = sorted(os.listdir(folder / "in"))
        argv = [command, "--out", str(folder / target), "--backend", "numpy", "--steps", "2", "--particles", "3"]
        if command == "export":
            argv += ["--size", "64x48", "--seconds", "0.2"]
        outcome = Outcome(f"targets: {command} --out {target}")
        code, _, err = finish(start(argv, folder, NO_DISPLAY), outcome, timeout=120)
        if code != 2 or needle not in err or err.count("error:") != 1:
            outcome.problems.append(f"refusal: exit {code}, stderr {err.strip()[:300]!r}")
        check_folder(folder, {"in"}, outcome)
        if sorted(os.listdir(folder / "in")) != before or (folder / "in" / "elsewhere.npz").exists():
            outcome.problems.append("partial file: wrote through a link or into the input folder")
        outcomes.append(outcome)
    return outcomes


def prefixes(quick: bool) -> list[Outcome]:
    """Every byte prefix of every built-in preset, through the loader in this process."""
    sys.path.insert(0, str(ROOT))
    import main  # noqa: F401  (makes the checkout the memscape package)
    from memscape.engine.presets import PRESET_DIR, PresetError, list_presets, load_preset, open_preset

    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, _ in list_presets():
            data = (PRESET_DIR / f"{name}.toml").read_bytes()
            full = load_preset(name)
            path = Path(tmp) / f"{name}.toml"
            cuts = range(0, len(data), 5 if quick else 1)
            outcome = Outcome(f"structure: every prefix of {name}.toml", inputs=len(cuts))
            for cut in cuts:
                path.write_bytes(data[:cut])
                try:
                    preset = open_preset(str(path))
                except PresetError as exc:
                    if "\n" in str(exc) or str(path) not in str(exc):
                        outcome.problems.append(f"refusal: prefix {cut} refused as {str(exc)[:200]!r}")
                    continue
                except Exception as exc:  # anything else is a traceback in the command line
                    outcome.problems.append(f"traceback: prefix {cut}: {type(exc).__name__}: {exc}")
                    continue
                if preset.params != full and not preset.notes:
                    outcome.problems.append(f"silent: prefix {cut} runs other parameters and says nothing")
            outcomes.append(outcome)
    return outcomes


def fuzz(examples: int) -> list[Outcome]:
    """The loaders' hypothesis tests with ``examples`` fresh examples each."""
    outcome = Outcome(f"structure: hypothesis fuzz of every loader, {examples} examples each", inputs=5 * examples)
    env = {**os.environ, "MEMSCAPE_FUZZ_EXAMPLES": str(examples)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "tests/engine/test_fuzz_loaders.py", "tests/test_robustness_loaders.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        outcome.problems.append(f"traceback: the fuzz tests failed: {done.stdout.strip().splitlines()[-1]}")
    return [outcome]


def _temporary_appears(proc: subprocess.Popen, folder: Path, timeout: float = 300) -> bool:
    """Wait until the command's temporary output exists (it is writing); False if it ended first."""
    end = time.monotonic() + timeout
    while not any(p.name.endswith(TEMP_SUFFIX) for p in folder.iterdir()) and proc.poll() is None \
            and time.monotonic() < end:
        time.sleep(0.001)
    return proc.poll() is None


def _after(seconds: float):
    def ready(proc: subprocess.Popen, folder: Path) -> bool:
        time.sleep(seconds)
        return proc.poll() is None
    return ready


def interruptions(scratch: Path, quick: bool) -> list[Outcome]:
    """Signals during every command, sent once it is at work."""
    sigs = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    says = lambda stream, needle: lambda proc, folder: wait_for(getattr(proc, stream), needle)  # noqa: E731
    trials = [("simulate", "running", LONG_SIMULATE, says("stdout", b"backend:"), s) for s in sigs]
    trials += [("export", view, ["--view", view, *LONG_EXPORT], says("stderr", b"rendering"), s)
               for view in (["2d", "3d"] if quick else ["2d", "side-by-side", "3d"]) for s in sigs
               if view != "3d" or HAVE_XVFB]
    trials += [("experiment", "running", ["capacity"], _after(3.0), s) for s in sigs]
    if quick:
        trials = trials[::2]
    else:
        trials += [("simulate", "writing", BIG_SIMULATE, _temporary_appears, s) for s in sigs]
        trials += [("bench", "running", [], _after(3.0), s) for s in sigs]
    outcomes = []
    for index, (command, phase, args, is_ready, sig) in enumerate(trials):
        folder = scratch / f"signal-{index}"
        folder.mkdir()
        out = folder / {"simulate": "run.npz", "export": "clip.mp4", "experiment": "table.csv"}.get(command, "none")
        out.write_bytes(OLD)
        outcome = Outcome(f"interruptions: {signal.Signals(sig).name} during {command} ({phase})")
        argv = [command, *args] if command in ("bench", "experiment") else [command, "--out", str(out), *args]
        if command == "experiment":
            argv += ["--out", str(out)]
        proc = start(argv, folder, NO_DISPLAY)
        ready = is_ready(proc, folder)
        if not ready:
            outcome.problems.append("not exercised: the command ended before the signal could be sent")
        proc.send_signal(sig)
        code, _, err = finish(proc, outcome, timeout=120, sent=sig)
        if ready and (code != 128 + sig or "interrupted" not in err):
            outcome.problems.append(f"exit: {code}, stderr {err.strip()[-300:]!r}")
        check_folder(folder, {out.name}, outcome, out)
        outcomes.append(outcome)
    if HAVE_XVFB:
        outcomes.append(killed_3d_export(scratch / "sigkill"))
    return outcomes


def killed_3d_export(folder: Path) -> Outcome:
    """SIGKILL during a 3D export: no cleanup is possible in the export, but its Xvfb must die
    with it, and the next export to the same file removes the temporary it left."""
    folder.mkdir()
    out = folder / "clip.mp4"
    out.write_bytes(OLD)
    outcome = Outcome("interruptions: SIGKILL during export (3d), then a second export")
    proc = start(["export", "--out", str(out), "--view", "3d", *LONG_EXPORT], folder, NO_DISPLAY)
    if not wait_for(proc.stderr, b"rendering"):
        outcome.problems.append("not exercised: the export ended before it was killed")
    proc.kill()
    finish(proc, outcome, timeout=60, sent=signal.SIGKILL)
    again = start(["export", "--out", str(out), "--size", "64x48", "--seconds", "0.2", "--set", "particles=5",
                   "--set", "steps=3", "--backend", "numpy"], folder, NO_DISPLAY)
    code, _, err = finish(again, outcome, timeout=120)
    if code != 0:
        outcome.problems.append(f"exit: the second export failed: {err.strip()[-300:]!r}")
    check_folder(folder, {"clip.mp4"}, outcome)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short version (what CI runs)")
    parser.add_argument("--fuzz-examples", type=int, default=5000, help="hypothesis examples per loader")
    args = parser.parse_args(argv)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="memscape-battery-") as tmp:
        scratch = Path(tmp)
        (scratch / "refusals").mkdir()
        (scratch / "signals").mkdir()
        for group in (lambda: refusals(scratch / "refusals", args.quick), lambda: prefixes(args.quick),
                      lambda: interruptions(scratch / "signals", args.quick),
                      *([] if args.quick else [lambda: fuzz(args.fuzz_examples)])):
            for outcome in group():
                tally.add(outcome)
    for line in tally.lines:
        print(line)
    print(tally.summary())
    return 1 if tally.lines else 0


if __name__ == "__main__":
    sys.exit(main())
