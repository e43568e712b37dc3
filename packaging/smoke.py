"""Smoke test of an installed Memscape: the wheel in a virtualenv, or the bundle.

    python3 packaging/smoke.py BIN_DIR

BIN_DIR holds the ``memscape`` and ``memscape-gui`` programs (a virtualenv's bin/, or the
bundle's dist/memscape/). Each runs by its absolute path in a bare environment (PATH
/usr/bin:/bin, a fresh HOME, no virtualenv, no DISPLAY), from a scratch folder outside the
checkout, and must:

- ``memscape --version``: print ``memscape VERSION`` (this checkout's __init__.py);
- ``memscape presets``: list every built-in preset (engine/presets/*.toml);
- ``memscape simulate``: write a trajectory whose positions have the asked shape;
- ``memscape export --view 3d``: write PNG frames that are not blank (over 30 colours, the
  bar tests/test_cli_export.py sets), through the private Xvfb ``export`` starts itself;
- ``memscape-gui --quit-after 3``: open the app on an Xvfb display started here and quit
  by itself with exit code 0 and no traceback.

Standard library only (the bundle's test machine has no NumPy beside it), Linux with Xvfb.
Ends with ``smoke: N passed, M failed``; exit code 0 when all pass, 1 otherwise.
"""
from __future__ import annotations

import argparse
import ast
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds per command: the 3D export renders with llvmpipe on 2 cores
STEPS, PARTICLES = 12, 40


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bin_dir", type=Path, help="folder holding memscape and memscape-gui")
    args = parser.parse_args(argv)
    bin_dir = args.bin_dir.resolve()
    failures = []
    with tempfile.TemporaryDirectory(prefix="memscape-smoke-") as tmp:
        work = Path(tmp)
        home = work / "home"
        home.mkdir()
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               "XDG_RUNTIME_DIR": _private_dir(work / "runtime"),
               "MEMSCAPE_SETTINGS": str(work / "settings.json")}
        for check in (check_version, check_presets, check_simulate, check_export_3d, check_app):
            name = check.__name__.removeprefix("check_")
            try:
                detail = check(bin_dir, work, env)
            except AssertionError as exc:
                failures.append(f"{name}: {exc}")
                print(f"FAIL {name}: {exc}", flush=True)
            else:
                print(f"ok   {name}: {detail}", flush=True)
    print(f"smoke test of {bin_dir}")
    print(f"smoke: {5 - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


def run(program: Path, *args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    assert program.is_file(), f"{program} does not exist"
    try:
        done = subprocess.run([str(program), *args], env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{program.name} {' '.join(args)} ran past {TIMEOUT} s") from exc
    assert done.returncode == 0, (f"{program.name} {' '.join(args)} exited {done.returncode}:\n"
                                  f"{done.stdout[-2000:]}{done.stderr[-3000:]}")
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


def check_version(bin_dir: Path, work: Path, env: dict[str, str]) -> str:
    want = f"memscape {_checkout_version()}"
    out = run(bin_dir / "memscape", "--version", env=env, cwd=work).stdout.strip()
    assert out == want, f"printed {out!r}, expected {want!r}"
    return out


def check_presets(bin_dir: Path, work: Path, env: dict[str, str]) -> str:
    out = run(bin_dir / "memscape", "presets", env=env, cwd=work).stdout
    listed = {line.split()[0] for line in out.splitlines() if line.strip()}
    builtin = {p.stem for p in (ROOT / "engine" / "presets").glob("*.toml")}
    assert listed == builtin, f"listed {sorted(listed)}, the checkout has {sorted(builtin)}"
    return f"{len(listed)} presets"


def check_simulate(bin_dir: Path, work: Path, env: dict[str, str]) -> str:
    out = work / "run.npz"
    run(bin_dir / "memscape", "simulate", "--preset", "two-wells", "--steps", str(STEPS),
        "--particles", str(PARTICLES), "--seed", "1", "--backend", "numpy", "--out", str(out), env=env, cwd=work)
    shape = _npy_shape(out, "positions.npy")
    assert shape == (STEPS + 1, PARTICLES, 2), f"positions has shape {shape}, expected {(STEPS + 1, PARTICLES, 2)}"
    return f"positions {shape}"


def check_export_3d(bin_dir: Path, work: Path, env: dict[str, str]) -> str:
    out = work / "frames"
    run(bin_dir / "memscape", "export", "--preset", "two-wells", "--view", "3d", "--size", "320x240",
        "--fps", "2", "--seconds", "1", "--set", f"particles={PARTICLES}", "--set", f"steps={STEPS}",
        "--backend", "numpy", "--out", str(out), env=env, cwd=work)
    frames = sorted(out.glob("frame_*.png"))
    assert len(frames) == 2, f"{len(frames)} frames written, expected 2"
    colours = []
    for frame in frames:
        width, height, pixels = read_png(frame)
        assert (width, height) == (320, 240), f"{frame.name} is {width}x{height}"
        colours.append(len(set(pixels)))
    assert min(colours) > 30, f"blank frames: {colours} colours"
    return f"{len(frames)} frames of {colours} colours"


def check_app(bin_dir: Path, work: Path, env: dict[str, str]) -> str:
    program = bin_dir / "memscape-gui"
    with _xvfb(work) as display:
        run(program, "--quit-after", "3", env={**env, "DISPLAY": display}, cwd=work)
    settings = Path(env["MEMSCAPE_SETTINGS"])
    assert settings.is_file(), "the app quit before saving its session"
    return f"opened on {display} and quit by itself"


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, pixels) of an 8-bit RGB or RGBA non-interlaced PNG (what Qt writes),
    each pixel its bytes; the five PNG row filters undone (PNG spec, section 9)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour, _compression, _filter, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"{path.name}: unsupported PNG {header}"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        pixels.extend(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        previous = line
    return width, height, pixels


def _npy_shape(npz: Path, member: str) -> tuple[int, ...]:
    """The shape in a .npy header inside an .npz (NumPy format 1.0-3.0), read without NumPy."""
    with zipfile.ZipFile(npz) as archive, archive.open(member) as fh:
        head = fh.read(10)
        assert head[:6] == b"\x93NUMPY", f"{member} is not a .npy"
        size_bytes = 2 if head[6] == 1 else 4
        length = int.from_bytes(head[8:8 + size_bytes], "little")
        header = (head[8 + size_bytes:] + fh.read(length)).decode("latin-1")[:length]
    return tuple(ast.literal_eval(header)["shape"])


def _checkout_version() -> str:
    tree = ast.parse((ROOT / "__init__.py").read_text(encoding="utf-8"))
    return next(node.value.value for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__version__")


def _private_dir(path: Path) -> str:
    path.mkdir(mode=0o700)
    return str(path)


class _xvfb:
    """An Xvfb display for the app (its errors kept and shown if it does not start)."""

    def __init__(self, work: Path):
        self.log = work / "xvfb.log"

    def __enter__(self) -> str:
        if shutil.which("Xvfb") is None:
            raise AssertionError("Xvfb is not installed (Debian: apt-get install xvfb)")
        read, write = os.pipe()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24",
                                          "-nolisten", "tcp"], pass_fds=(write,), stdout=log, stderr=log)
        os.close(write)
        with os.fdopen(read) as fh:
            number = fh.readline().strip()
        if not number:
            self.proc.wait(timeout=10)
            raise AssertionError(f"Xvfb did not start: {self.log.read_text(errors='replace')[-2000:]}")
        return f":{number}"

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
