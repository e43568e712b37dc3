"""Interruptions: SIGINT, SIGTERM and SIGHUP end every command cleanly, with no temporary file,
no orphaned Xvfb and an existing output untouched; a closed output pipe ends it quietly (issue 14).

Signals are sent from this Python process (a shell's background jobs ignore SIGINT), once the
command says it is working: the backend line of simulate, the rendering progress of export."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from memscape.engine.atomic_files import TEMP_SUFFIX
from memscape.engine.interrupts import Interrupted, deferred_signals, raising_signals
from memscape.engine.trajectory_io import save_npz

ROOT = Path(__file__).resolve().parents[1]
OLD = b"a good old file"
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
NO_DISPLAY = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
#: about 10^10 units of work (engine.limits) with a 10 MB recording: runs far longer than a test waits
LONG_SIMULATE = ["--preset", "ring", "--set", "patterns.count=2000", "--particles", "2000", "--steps", "100",
                 "--backend", "numpy"]
LONG_EXPORT = ["--preset", "two-wells", "--set", "particles=50", "--set", "steps=40", "--backend", "numpy",
               "--size", "320x240", "--fps", "30", "--seconds", "60"]


def start(*args, env=None, cwd=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(stream, needle: bytes, proc: subprocess.Popen, timeout: float = 120) -> bytes:
    """Read ``stream`` until ``needle`` appears (the command is at work); fail if it ends first."""
    seen, end = b"", time.monotonic() + timeout
    while needle not in seen:
        chunk = stream.read1(4096)
        assert chunk and time.monotonic() < end, f"ended before {needle!r}: {seen.decode(errors='replace')}"
        seen += chunk
    return seen


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def gone(pids, timeout: float = 10) -> bool:
    end = time.monotonic() + timeout
    while any(running(p) for p in pids) and time.monotonic() < end:
        time.sleep(0.05)
    return not any(running(p) for p in pids)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


# -- in this process ---------------------------------------------------------------------

def test_a_signal_during_a_write_raises_and_the_temporary_goes(tmp_path, monkeypatch):
    out = tmp_path / "run.npz"
    out.write_bytes(OLD)

    def savez_and_get_killed(fh, **arrays):
        fh.write(b"half a file")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises here
        raise AssertionError("the signal did not interrupt the write")

    monkeypatch.setattr(np, "savez", savez_and_get_killed)
    with pytest.raises(Interrupted) as info, raising_signals():
        save_npz(out, {"x": np.zeros(3)})
    assert info.value.exit_code == 143 and info.value.name == "SIGTERM"
    assert out.read_bytes() == OLD and leftovers(tmp_path) == []


def test_deferred_signals_wait_for_a_check_and_then_raise_once():
    with raising_signals():
        with pytest.raises(Interrupted) as info:
            with deferred_signals() as guard:
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGHUP)
                time.sleep(0.05)  # the handlers run, and only set the flag
                assert guard.signum == signal.SIGINT
                guard.check()
                raise AssertionError("check did not raise")
        assert info.value.exit_code == 130
        guard.check()  # raised once: unwinding is not interrupted again


def test_a_signal_inside_a_deferred_block_is_raised_when_it_ends():
    with pytest.raises(Interrupted):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the handlers it installed are gone


# -- commands in a subprocess --------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_simulate_ends_cleanly_on_a_signal(tmp_path, sig):
    out = tmp_path / "run.npz"
    out.write_bytes(OLD)
    proc = start("simulate", "--out", out, *LONG_SIMULATE)
    wait_for(proc.stdout, b"backend:", proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT[sig]
    assert err.decode().strip() == f"memscape simulate: interrupted by {signal.Signals(sig).name}"
    assert out.read_bytes() == OLD and sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]


@pytest.mark.parametrize("view, sig", [("2d", signal.SIGINT), ("side-by-side", signal.SIGTERM), ("2d", signal.SIGHUP)])
def test_export_stops_between_frames_on_a_signal(tmp_path, view, sig):
    """Today's finding: SIGINT inside pyqtgraph's paint was swallowed and the export replaced the file."""
    out = tmp_path / "clip.mp4"
    out.write_bytes(OLD)
    proc = start("export", "--out", out, "--view", view, *LONG_EXPORT, env=NO_DISPLAY)
    wait_for(proc.stderr, b"rendering", proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT[sig], err.decode()
    assert f"memscape export: interrupted by {signal.Signals(sig).name}" in err.decode()
    assert "Traceback" not in err.decode()
    assert out.read_bytes() == OLD and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None or not sys.platform.startswith("linux"),
                                reason="the 3D export starts its own Xvfb on Linux")


@needs_xvfb
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_3d_export_stops_its_xvfb_on_a_signal(tmp_path, sig):
    out = tmp_path / "clip.mp4"
    out.write_bytes(OLD)
    proc = start("export", "--out", out, "--view", "3d", *LONG_EXPORT, env=NO_DISPLAY)
    wait_for(proc.stderr, b"rendering", proc)
    xvfb = children(proc.pid)
    assert xvfb, "no Xvfb was started"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT[sig] and "Segmentation" not in err.decode(), err.decode()
    assert gone(xvfb)
    assert out.read_bytes() == OLD and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


@needs_xvfb
def test_the_xvfb_of_a_killed_export_dies_with_it_and_its_temporary_is_removed_later(tmp_path):
    out = tmp_path / "clip.mp4"
    out.write_bytes(OLD)
    proc = start("export", "--out", out, "--view", "3d", *LONG_EXPORT, env=NO_DISPLAY)
    wait_for(proc.stderr, b"rendering", proc)
    xvfb = children(proc.pid)
    proc.kill()  # SIGKILL: no cleanup at all in the export
    proc.communicate(timeout=60)
    assert xvfb and gone(xvfb)  # PR_SET_PDEATHSIG
    assert len(leftovers(tmp_path)) == 1 and out.read_bytes() == OLD
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "export", "--out", str(out), "--size", "64x48",
                           "--seconds", "0.2", "--set", "particles=5", "--set", "steps=3", "--backend", "numpy"],
                          env=NO_DISPLAY, capture_output=True, timeout=120)
    assert done.returncode == 0 and leftovers(tmp_path) == []  # the next write removed the stale one


@needs_xvfb
def test_an_xvfb_that_fails_is_reported_with_its_own_words(tmp_path):
    fake = tmp_path / "bin" / "Xvfb"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Fatal server error: no screens found' >&2\nexit 1\n")
    fake.chmod(0o755)
    env = {**NO_DISPLAY, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "export", "--view", "3d", "--out",
                           str(tmp_path / "x.mp4"), "--size", "64x48", "--seconds", "0.2"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Xvfb did not start" in done.stderr and "Fatal server error: no screens found" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


def test_output_piped_into_a_closed_reader_ends_quietly():
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "presets"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # `memscape presets | head -0`
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141 and err == b""
