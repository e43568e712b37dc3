#!/bin/sh
# Builds the one-folder bundle dist/memscape/ (and dist/Memscape.app on macOS) from the
# installed package, not from the checkout's layout:
#  1. the wheel (dist/memscape-VERSION-py3-none-any.whl; or WHEEL=path, e.g. CI's);
#  2. a fresh virtualenv, build/bundle/venv, with that wheel and the `bundle` extra
#     (PyInstaller; Pillow on Windows and macOS for the icon);
#  3. PyInstaller runs packaging/memscape.spec with that virtualenv's Python from
#     build/bundle, so nothing of the checkout is importable.
# Needs Python 3.11+ and a POSIX shell (Git Bash on Windows). PYTHON picks the interpreter.
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
if [ -z "${PYTHON:-}" ]; then
    if command -v python3 >/dev/null 2>&1; then PYTHON=python3; else PYTHON=python; fi
fi
WORK=$ROOT/build/bundle

log() { printf 'build-bundle: %s\n' "$*" >&2; }

if [ -z "${WHEEL:-}" ]; then
    log "building the wheel"
    "$PYTHON" -m pip wheel --disable-pip-version-check --quiet --no-deps --wheel-dir dist .
    version=$("$PYTHON" -c 'import ast, sys; print(next(n.value.value for n in ast.parse(open(sys.argv[1]).read()).body if isinstance(n, ast.Assign) and n.targets[0].id == "__version__"))' __init__.py)
    WHEEL=dist/memscape-$version-py3-none-any.whl
fi
case $WHEEL in /*) ;; *) WHEEL=$ROOT/$WHEEL ;; esac
[ -f "$WHEEL" ] || { log "no wheel at $WHEEL"; exit 2; }

rm -rf "$WORK" "$ROOT/dist/memscape" "$ROOT/dist/Memscape.app"
log "installing $(basename "$WHEEL") with PyInstaller into a fresh virtualenv"
"$PYTHON" -m venv "$WORK/venv"
if [ -x "$WORK/venv/bin/python" ]; then VPY=$WORK/venv/bin/python; else VPY=$WORK/venv/Scripts/python.exe; fi
"$VPY" -m pip install --disable-pip-version-check --quiet "$WHEEL[bundle]"

log "running PyInstaller"
cd "$WORK"
"$VPY" -m PyInstaller --noconfirm --log-level WARN --distpath "$ROOT/dist" --workpath "$WORK/pyinstaller" \
    "$ROOT/packaging/memscape.spec"
log "built $ROOT/dist/memscape"

if [ "$(uname -s)" = "Linux" ]; then
    # The oldest Linux the bundle starts on: the newest glibc symbol version its programs and
    # libraries ask for (the build machine's glibc sets it).
    "$VPY" - "$ROOT/dist/memscape" <<'PY'
import re, sys
from pathlib import Path
versions = set()
for path in Path(sys.argv[1]).rglob("*"):
    if path.is_file() and not path.is_symlink() and path.read_bytes()[:4] == b"\x7fELF":
        versions.update((int(a), int(b)) for a, b in re.findall(rb"GLIBC_(\d+)\.(\d+)", path.read_bytes()))
major, minor = max(versions)
print(f"build-bundle: the bundle needs glibc {major}.{minor} or later (the newest GLIBC_ version its libraries name)",
      file=sys.stderr)
PY
fi
