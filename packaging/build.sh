#!/usr/bin/env bash
# Build the one-folder app dist/icaam-desktop/ from a clean state, then smoke-test the frozen app.
#
#   bash packaging/build.sh            # build + frozen self-test + size and start-time numbers
#   SKIP_BUILD=1 bash packaging/build.sh   # only re-run the checks on an existing dist/
#
# Environment: PYTHON (default: python3 on PATH; the environment with `pip install -e ".[dev]"`).
# Exit status: non-zero if the build or the frozen self-test fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
DIST="dist/icaam-desktop"
WORK="build/pyinstaller"
case "$(uname -s)" in MINGW* | MSYS* | CYGWIN*) EXE_SUFFIX=".exe" ;; *) EXE_SUFFIX="" ;; esac
APP="$DIST/icaam-desktop$EXE_SUFFIX"
CLI="$DIST/icaam$EXE_SUFFIX"

now() { "$PYTHON" -c 'import time; print(time.perf_counter())'; }
elapsed() { "$PYTHON" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

echo "== environment"
"$PYTHON" -c 'import sys, PyInstaller, torch; print("python", sys.version.split()[0], "| PyInstaller", PyInstaller.__version__, "| torch", torch.__version__, "| CUDA build", torch.version.cuda)'
df -h . | tail -1 | awk '{print "disk free here:", $4}'

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "== build (clean)"
    rm -rf "$DIST" "$WORK"
    t0=$(now)
    "$PYTHON" -m PyInstaller --noconfirm --clean packaging/icaam.spec --distpath dist --workpath "$WORK"
    echo "build time: $(elapsed "$t0" "$(now)") s"
fi

[[ -x "$APP" ]] || { echo "build.sh: $APP was not produced" >&2; exit 1; }

echo "== bundle"
echo "size: $(du -sh "$DIST" | cut -f1)   files: $(find "$DIST" -type f | wc -l)"
echo "largest files:"
# (a pipeline that `head` cuts short must not stop the script under pipefail)
find "$DIST" -type f -printf '%s %P\n' | sort -rn | awk 'NR <= 12 {printf "  %7.1f MB  %s\n", $1 / 1048576, $2}'

echo "== start time"
# Offline, like an analyst's machine: nothing may reach a model hub.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
t0=$(now)
"$APP" --version
echo "icaam-desktop --version (bootloader + Python, no torch): $(elapsed "$t0" "$(now)") s"
t0=$(now)
"$CLI" --version
echo "icaam --version: $(elapsed "$t0" "$(now)") s"

# Time to window: the app prints WINDOW_SHOWN and quits once its main window is shown (ICAAM_STARTUP_PROBE).
# Without a display it uses Qt's offscreen platform: the same start-up work, minus drawing on a screen.
[[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]] || export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
t0=$(now)
shown=$(ICAAM_STARTUP_PROBE=1 "$APP" --no-model 2>&1 | grep WINDOW_SHOWN || true)
echo "icaam-desktop to window (${QT_QPA_PLATFORM:-display}): $(elapsed "$t0" "$(now)") s wall [${shown:-no WINDOW_SHOWN line}]"

echo "== frozen self-test"
t0=$(now)
set +e
"$APP" --self-test
status=$?
set -e
echo "icaam-desktop --self-test: exit $status in $(elapsed "$t0" "$(now)") s"
exit "$status"
