"""The short robustness battery (issue 14): bad inputs, hostile files and interruptions end to
end leave 0 tracebacks, 0 hangs, 0 partial files and 0 orphan processes. The whole battery,
with every case, every preset prefix and thousands of fuzz examples, runs on request:
``python tests/robustness/battery.py``."""
import subprocess
import sys

from tests.robustness import battery


def test_the_short_battery_finds_nothing(capsys):
    code = battery.main(["--quick"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().splitlines()[-1].endswith(
        ": 0 tracebacks, 0 hangs, 0 partial files, 0 orphan processes, 0 other failures")


def test_the_battery_notices_a_partial_file_and_an_orphan(tmp_path):
    """The checks themselves can fail: a leftover temporary and a process outliving its session."""
    outcome = battery.Outcome("self-test")
    (tmp_path / ".x.npz.1.ab.memscape-tmp").write_bytes(b"half")
    battery.check_folder(tmp_path, set(), outcome)
    proc = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
                             "'import time; time.sleep(60)'], stdout=subprocess.DEVNULL)"], start_new_session=True)
    proc.wait(timeout=30)
    assert battery.orphans_after(proc.pid, timeout=0.5)  # the sleeper outlived its parent (and is killed now)
    assert [p.split(":")[0] for p in outcome.problems] == ["partial file"]
