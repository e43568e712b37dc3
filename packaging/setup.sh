#!/usr/bin/env bash
# Idempotent setup for running and testing Memscape from a checkout:
#  1. on Debian/Ubuntu, installs the system libraries Qt, OpenGL and Xvfb need, when missing
#     (as root, or through sudo);
#  2. creates the virtualenv .venv and installs requirements-dev.txt into it, then stamps it
#     with a hash of the requirement files and the Python version, so a second call returns at
#     once and a changed requirement file re-installs.
# Called by `make run` and `make test`; safe to call by hand. PYTHON picks the interpreter.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.setup-stamp

# The Debian packages a fresh Debian 12 machine lacks for the GUI and its tests.
DEBIAN_PACKAGES=(
    xvfb xauth libgl1 libegl1 libopengl0 libglx0 libglx-mesa0 libegl-mesa0 libgl1-mesa-dri
    libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0
    libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
    libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon0 libxkbcommon-x11-0
    libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0
)

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
        log "not a Debian-like system: make sure Xvfb, Mesa (libGL, libEGL) and the xcb libraries are installed"
        return
    fi
    local wanted=("${DEBIAN_PACKAGES[@]}") missing=() pkg
    # A Debian python3 makes virtualenvs only with python3-venv (ensurepip) installed.
    if ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
        wanted+=("python3-venv")
    fi
    for pkg in "${wanted[@]}"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != "installed" ]; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return
    fi
    log "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

stamp_value() {
    { "$PYTHON" --version; cat requirements.txt requirements-dev.txt; } | sha256sum | cut -d' ' -f1
}

make_venv() {
    local want
    want=$(stamp_value)
    if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return
    fi
    log "creating $VENV with $("$PYTHON" --version) and installing requirements-dev.txt"
    "$PYTHON" -m venv --clear "$VENV"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
    echo "$want" >"$STAMP"
    log "$VENV ready"
}

install_debian_packages
make_venv
