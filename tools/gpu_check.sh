#!/usr/bin/env bash
# One-shot GPU job (run on the lent H100/H200 through the device tool, from the repo root):
#   1. trains the default model by full fine-tune (bf16 + channels_last, uint8 photo cache on the
#      GPU, GPU augmentation, EMA) with the project's own `icaam train` code path, in two
#      configurations (224 px and 256 px input); the one with the lower VALIDATION leaf error over
#      the 50-85% coverage band of its risk-coverage curve is kept (the test split is never used to
#      choose; the share auto-accepted at exactly 1% turns on a handful of products, so it is too
#      noisy to choose by);
#   2. training img/s is in each log and model card (a224 runs the step through torch.compile,
#      b256 eagerly: the two logs compare them);
#   3. runs benchmarks/classify_bench.py on CUDA with the kept model (pipeline vs naive reference,
#      224 px catalogue photos and 1080x1440 JPEGs made from them).
# Needs .data/{catalog,taxonomy,weights} carried (see docs/benchmarks/gpu_train.md).
set -u
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT/model"
export PYTHONUNBUFFERED=1 ICAAM_DATA_DIR=/tmp/icaam_data HF_HUB_OFFLINE=1 PYTHONPATH=$PWD
EPOCHS=${EPOCHS:-40}
{ date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc; python3 -c "import torch,timm,torchvision;print(torch.__version__,timm.__version__,torchvision.__version__)"; } 2>&1 | tee "$OUT/env.txt"

if python3 -c "from icaam_desktop.cli import build_parser; build_parser()" 2>/dev/null; then
  TRAIN=(python3 -c "from icaam_desktop.cli import main; raise SystemExit(main())" train)  # = icaam train
else
  echo "icaam CLI shell cannot import every command here (missing desktop packages); using the train module directly"
  TRAIN=(python3 -m icaam_desktop.cli.train_cmd)
fi
train() {  # $1 = name, rest = extra args
  local name=$1; shift
  local args=(.data/catalog --taxonomy .data/taxonomy --epochs "$EPOCHS" --device cuda --no-tracking --out "/tmp/model_$name"
              --backbone .data/weights/tf_efficientnet_lite0.safetensors "$@")
  echo "+ ${TRAIN[*]} ${args[*]}" | tee "$OUT/train_$name.log"
  timeout 260 "${TRAIN[@]}" "${args[@]}" 2>&1 | tee -a "$OUT/train_$name.log"
}
train a224 --lr 1e-3 --compile   # torch.compile'd step: the >= 5,000 img/s goal (falls back to eager by itself)
train b256 --lr 1e-3 --input-size 256
BEST=$(python3 - <<'PY'
import json, os
best, score = None, None
for name in ("a224", "b256"):
    path = f"/tmp/model_{name}/model_card.json"
    if os.path.exists(path):
        v = json.load(open(path))["metrics"]["validation"]
        # mean leaf error of the most confident 50-85% of the validation products (lower is better)
        band = [p["error"] for p in v["coverage_error_leaf"] if 0.5 <= p["coverage"] <= 0.85]
        s = sum(band) / len(band)
        print(f"{name}: validation leaf error at 50-85% coverage {s:.4f}, auto {v['auto_rate']:.3f}, "
              f"leaf top-1 {v['leaf_top1']:.4f}", file=__import__("sys").stderr)
        if score is None or s < score - 0.003:  # the cheaper 224 px model unless 256 px is clearly better
            best, score = name, s
print(best or "")
PY
)
echo "kept: $BEST" | tee -a "$OUT/env.txt"
if [ -n "$BEST" ]; then
  cp "/tmp/model_$BEST/model.safetensors" "/tmp/model_$BEST/model_card.json" "$OUT/model/"
  OTHER=$([ "$BEST" = a224 ] && echo b256 || echo a224)
  cp "/tmp/model_$OTHER/model_card.json" "$OUT/other_model_card.json" 2>/dev/null
  timeout 170 python3 benchmarks/classify_bench.py --model "/tmp/model_$BEST" --images .data/catalog/images224 \
    --n ${BENCH_N:-4096} --device cuda --batch-size 256 --rounds 1 --json "$OUT/bench_cuda.json" 2>&1 | tee "$OUT/bench.log"
fi
date -u | tee -a "$OUT/env.txt"
