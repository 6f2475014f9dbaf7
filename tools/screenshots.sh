#!/usr/bin/env bash
# Screenshots of the real app on the demo delivery, under a virtual X server (Xvfb).
# Usage: tools/screenshots.sh [OUT_DIR]   (default docs/screenshots). Installs Debian's xvfb if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-docs/screenshots}"
PYTHON="${PYTHON:-$( [ -x ../venv/bin/python ] && echo ../venv/bin/python || command -v python3 )}"
# Xvfb plus the X libraries Qt's xcb platform plugin loads (Debian 12 package names).
XCB_PACKAGES="xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0"
LIBS="$(ldconfig -p)"  # (not piped into grep -q: with pipefail, its early exit would fail the pipe)
if ! command -v xvfb-run >/dev/null 2>&1 || [[ "$LIBS" != *libxcb-cursor.so.0* ]] || [[ "$LIBS" != *libxcb-icccm.so.4* ]]; then
    echo "installing $XCB_PACKAGES (Debian) ..." >&2
    apt-get update -qq && apt-get install -y -qq $XCB_PACKAGES >/dev/null
fi
# A throw-away user profile: the screenshots never show (or touch) a real workspace.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export ICAAM_DATA_DIR="$TMP/data" ICAAM_CONFIG_DIR="$TMP/config" HF_HUB_OFFLINE=1 XDG_CONFIG_HOME="$TMP/xdg"
unset QT_QPA_PLATFORM
xvfb-run --auto-servernum --server-args="-screen 0 1440x900x24" "$PYTHON" tools/screenshot_driver.py "$OUT"
ls -l "$OUT"/*.png
