#!/bin/sh
# Idempotent setup for running and testing Memscape from a checkout. Needs only Python 3.11+
# and a POSIX shell (sh, dash, bash, zsh; Git Bash on Windows):
#  1. on Debian/Ubuntu, installs the system libraries Qt, OpenGL and Xvfb need, when missing
#     (as root, or through sudo); macOS and Windows need none;
#  2. creates the virtualenv .venv and installs requirements-dev.txt into it, then stamps it
#     with a hash (computed by Python) of the requirement files and the Python version, so a
#     second call returns at once and a changed requirement file re-installs.
# Called by `make run` and `make test`; safe to call by hand: `sh packaging/setup.sh`.
# PYTHON picks the interpreter (default: python3, else python).
set -eu

cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
    if command -v python3 >/dev/null 2>&1; then PYTHON=python3; else PYTHON=python; fi
fi
VENV=.venv
STAMP=$VENV/.setup-stamp

# The Debian packages a fresh Debian 12 machine lacks for the GUI and its tests.
DEBIAN_PACKAGES="
    xvfb xauth libgl1 libegl1 libopengl0 libglx0 libglx-mesa0 libegl-mesa0 libgl1-mesa-dri
    libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0
    libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
    libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon0 libxkbcommon-x11-0
    libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0
"

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root to run: $* (no sudo); install these packages and run again"
        exit 1
    fi
}

install_debian_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        log "not a Debian-like Linux: make sure Xvfb (for the tests), Mesa (libGL, libEGL) and the xcb libraries are installed"
        return 0
    fi
    wanted=$DEBIAN_PACKAGES
    # A Debian python3 makes virtualenvs only with python3-venv (ensurepip) installed.
    if ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
        wanted="$wanted python3-venv"
    fi
    missing=""
    for pkg in $wanted; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != "installed" ]; then
            missing="$missing $pkg"
        fi
    done
    if [ -z "$missing" ]; then
        return 0
    fi
    log "installing Debian packages:$missing"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    # shellcheck disable=SC2086  # one word per package
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
}

# The virtualenv's interpreter: bin/python on Linux and macOS, Scripts/python.exe on Windows.
venv_python() {
    if [ -x "$VENV/bin/python" ]; then
        echo "$VENV/bin/python"
    elif [ -x "$VENV/Scripts/python.exe" ]; then
        echo "$VENV/Scripts/python.exe"
    fi
}

stamp_value() {
    "$PYTHON" -c '
import hashlib, sys
digest = hashlib.sha256(sys.version.encode())
for name in sys.argv[1:]:
    with open(name, "rb") as fh:
        digest.update(fh.read())
print(digest.hexdigest())' requirements.txt requirements-dev.txt
}

make_venv() {
    want=$(stamp_value)
    python=$(venv_python)
    if [ -n "$python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return 0
    fi
    log "creating $VENV with $("$PYTHON" --version 2>&1) and installing requirements-dev.txt"
    "$PYTHON" -m venv --clear "$VENV"
    python=$(venv_python)
    "$python" -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
    echo "$want" >"$STAMP"
    log "$VENV ready"
}

if [ "$(uname -s)" = "Linux" ]; then
    install_debian_packages
fi
make_venv
