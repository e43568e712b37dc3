#!/bin/sh
# Installs Memscape's menu entry and icon for this user (Linux desktops, freedesktop.org):
#   sh install-desktop-entry.sh [PROGRAM]
# PROGRAM: what the entry starts, default the memscape-gui beside this script (the bundle's
# dist/memscape/memscape-gui), else the memscape-gui on PATH (pip / pipx / uv installs).
# The entry's Exec is that program's absolute path, so it starts from the menu without
# ~/.local/bin (or a virtualenv) on PATH. Writes $XDG_DATA_HOME (default ~/.local/share)
# applications/memscape.desktop and icons/hicolor/{scalable,256x256}/apps/memscape.{svg,png}.
# Needs only a POSIX shell. Run it again after moving the bundle.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
program=${1:-}
if [ -z "$program" ]; then
    if [ -x "$here/memscape-gui" ]; then
        program=$here/memscape-gui
    elif command -v memscape-gui >/dev/null 2>&1; then
        program=$(command -v memscape-gui)
    else
        echo "install-desktop-entry.sh: no memscape-gui beside this script nor on PATH; pass the program's path" >&2
        exit 2
    fi
fi
case $program in /*) ;; *) program=$(pwd)/$program ;; esac
if [ ! -x "$program" ] || [ -d "$program" ]; then
    echo "install-desktop-entry.sh: $program: not an executable program" >&2
    exit 2
fi
for file in memscape.desktop memscape.svg memscape.png; do
    if [ ! -f "$here/$file" ]; then
        echo "install-desktop-entry.sh: $here/$file is missing (run the script from the bundle or packaging/)" >&2
        exit 2
    fi
done

data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/applications" "$data/icons/hicolor/scalable/apps" "$data/icons/hicolor/256x256/apps"
cp "$here/memscape.svg" "$data/icons/hicolor/scalable/apps/memscape.svg"
cp "$here/memscape.png" "$data/icons/hicolor/256x256/apps/memscape.png"

# The desktop entry specification: Exec's argument in double quotes, with \ " ` $ escaped
# by a backslash there and every backslash doubled again as in any string value, and %
# written %%; TryExec is a plain string value (backslashes doubled).
exec_value=$(printf '%s' "$program" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g' -e 's/%/%%/g')
try_value=$(printf '%s' "$program" | sed -e 's/\\/\\\\/g')
entry=$data/applications/memscape.desktop
EXEC_VALUE=$exec_value TRY_VALUE=$try_value awk '
    /^Exec=/ { print "TryExec=" ENVIRON["TRY_VALUE"]; print "Exec=\"" ENVIRON["EXEC_VALUE"] "\""; next }
    /^TryExec=/ { next }
    { print }
' "$here/memscape.desktop" >"$entry.tmp"
mv "$entry.tmp" "$entry"
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database "$data/applications" >/dev/null 2>&1 || true
fi
echo "installed $entry (Exec: $program)"
