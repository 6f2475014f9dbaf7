#!/usr/bin/env bash
# Packaging checks that need an NVIDIA GPU (run from the repo root on a GPU machine, e.g. the lent one):
#   1. the installed (source) app's self-test reports CUDA and passes, and the `gpu` test agrees;
#   2. a frozen torch-only probe, built with icaam.spec's runtime hook and CUDA file exclusions, runs
#      cuDNN, cuBLAS and nvJPEG on the GPU from libraries inside the bundle.
# The full app is not frozen there: that machine's Python lacks the desktop/mapping/training packages.
# Wheels in .whl/ (PyInstaller, its hooks, altgraph, platformdirs) are installed to /tmp/site first.
set -u
OUT=${OUT:-/tmp/packaging_gpu}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 ICAAM_DATA_DIR=/tmp/icaam_data ICAAM_CONFIG_DIR=/tmp/icaam_config
if compgen -G ".whl/*.whl" >/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
        && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
now() { "$PY" -c 'import time; print(time.time())'; }
since() { "$PY" -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$1"; }

{ date -u; nvidia-smi -L; "$PY" -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.version.cuda)"; } 2>&1 | tee "$OUT/env.txt"

echo "== installed app self-test (model + device + demo)" | tee "$OUT/installed_selftest.txt"
t0=$(now)
"$PY" -c "import sys; from icaam_desktop.selftest import run_self_test; sys.exit(run_self_test(components=False))" 2>&1 | tee -a "$OUT/installed_selftest.txt"
echo "exit ${PIPESTATUS[0]} in $(since "$t0") s" | tee -a "$OUT/installed_selftest.txt"
"$PY" -m pytest -q -p no:cacheprovider tests/e2e/test_selftest.py -m gpu 2>&1 | tail -3 | tee -a "$OUT/installed_selftest.txt"

echo "== frozen CUDA probe: build" | tee "$OUT/probe.txt"
t0=$(now)
timeout "${PROBE_BUILD_TIMEOUT:-330}" "$PY" -m PyInstaller --noconfirm packaging/probe/cuda_probe.spec \
    --distpath /tmp/probe_dist --workpath /tmp/probe_work > "$OUT/probe_build.log" 2>&1
echo "build exit $? in $(since "$t0") s" | tee -a "$OUT/probe.txt"
tail -3 "$OUT/probe_build.log"
PROBE=/tmp/probe_dist/cuda-probe
[[ -x "$PROBE/cuda-probe" ]] || { echo "no probe built"; exit 1; }
echo "size $(du -sh "$PROBE" | cut -f1), files $(find "$PROBE" -type f | wc -l)" | tee -a "$OUT/probe.txt"
echo "== frozen CUDA probe: run" | tee -a "$OUT/probe.txt"
t0=$(now)
"$PROBE/cuda-probe" 2>&1 | tee -a "$OUT/probe.txt"
echo "probe exit ${PIPESTATUS[0]} in $(since "$t0") s" | tee -a "$OUT/probe.txt"
