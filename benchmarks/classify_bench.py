"""Classification throughput: the product pipeline vs a naive torchvision script, same images, same run.

Two image sets: the 224 px catalogue photos, and 1080x1440 JPEGs generated from them
(upscaled to 3:4 portrait, JPEG quality 90, made in this run). For each set:

* naive reference: PIL full decode, Resize(256) / CenterCrop(224) / ToTensor / Normalize,
  a DataLoader (same worker count as the pipeline), fp32, batch 64, the same model;
* pipeline: ``core.classify.pipeline.embed_images`` (JPEG draft decode in workers, uint8
  transfer, channels_last; bf16 autocast + optionally nvJPEG on CUDA, fp32 in 8-row slices on
  the CPU) + the head;
* the pipeline's preprocessing in plain fp32 (no channels_last/autocast) as the accuracy
  reference: top-1 agreement of the fast path with fp32 must stay >= 99.5%.

Each set is timed in ``--rounds`` interleaved rounds (naive, then every variant); img/s is the median
over rounds and each ratio the median of the within-round ratios, so a slow spell of a shared
machine does not decide the result. Prints img/s for each, the ratio, and the agreements;
``--json`` writes everything, including every round.

    python benchmarks/classify_bench.py --model models/default --images DIR/images224 --n 512 --device cpu
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icaam_desktop.core.classify.hierarchy import softmax  # noqa: E402
from icaam_desktop.core.classify.model_io import load_classifier  # noqa: E402
from icaam_desktop.core.classify.pipeline import PipelineOptions, default_workers, embed_images  # noqa: E402


def _make_large(args: tuple[str, str]) -> str:
    from PIL import Image

    src, dst = args
    with Image.open(src) as img:
        img.convert("RGB").resize((1080, 1440), Image.Resampling.BICUBIC).save(dst, format="JPEG", quality=90)
    return dst


def make_large_set(paths: list[Path], folder: Path, workers: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(str(p), str(folder / f"{p.stem}_1080x1440.jpg")) for p in paths]
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        return [Path(p) for p in pool.map(_make_large, jobs, chunksize=16)]


class NaiveDataset(torch.utils.data.Dataset):
    def __init__(self, paths: list[Path], mean, std) -> None:
        from torchvision import transforms

        self.paths = paths
        self.tf = transforms.Compose(
            [
                transforms.Resize(256),
                transforms.CenterCrop(224),
                transforms.ToTensor(),
                transforms.Normalize(mean, std),
            ]
        )

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        from PIL import Image

        with Image.open(self.paths[i]) as img:
            return self.tf(img.convert("RGB"))


def run_naive(clf, paths: list[Path], workers: int) -> tuple[float, np.ndarray]:
    """The reference script: fp32, no channels_last, torchvision transforms, batch 64."""
    loader = torch.utils.data.DataLoader(
        NaiveDataset(paths, clf.mean, clf.std), batch_size=64, num_workers=workers, pin_memory=clf.device.type == "cuda"
    )
    model = clf.model.to(memory_format=torch.contiguous_format)
    preds = []
    t0 = time.perf_counter()
    with torch.inference_mode():
        for x in loader:
            preds.append(model(x.to(clf.device)).argmax(1).cpu())
    if clf.device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    clf.model.to(memory_format=torch.channels_last)  # back to the layout load_classifier chose
    return len(paths) / elapsed, torch.cat(preds).numpy()


def run_pipeline(clf, paths: list[Path], opts: PipelineOptions) -> tuple[float, np.ndarray, int]:
    t0 = time.perf_counter()
    emb, errors = embed_images(
        clf.model, paths, device=clf.device, size=clf.size, mean=clf.mean, std=clf.std, options=opts
    )
    probs = softmax(clf.leaf_logits_from_embeddings(emb), clf.temperature)
    if clf.device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    return len(paths) / elapsed, probs.argmax(1), sum(e is not None for e in errors)


def bench_set(name: str, clf, paths: list[Path], args) -> dict:
    dev = clf.device
    workers = args.workers if args.workers is not None else default_workers(dev)
    row: dict = {"set": name, "n": len(paths), "workers": workers}
    # fp32 reference of the pipeline's own preprocessing (accuracy reference, also timed)
    fp32 = PipelineOptions(batch_size=args.batch_size, num_workers=workers, channels_last=False, autocast=False)
    run_pipeline(clf, paths[: min(len(paths), 2 * args.batch_size)], fp32)  # warm-up (workers, cudnn, caches)
    row["pipeline_fp32_img_s"], ref, _ = run_pipeline(clf, paths, fp32)
    variants = {"pipeline": PipelineOptions(batch_size=args.batch_size, num_workers=workers)}  # the defaults
    if dev.type == "cpu":  # the default is plain fp32 on the CPU; time the alternatives it was chosen over
        variants["pipeline_compiled"] = PipelineOptions(batch_size=args.batch_size, num_workers=workers, compile=True)
        variants["pipeline_bf16"] = PipelineOptions(batch_size=args.batch_size, num_workers=workers, autocast=True)
    if dev.type == "cuda":
        variants["pipeline_nvjpeg"] = PipelineOptions(batch_size=args.batch_size, num_workers=workers, gpu_decode=True)
        if args.compile:
            variants["pipeline_nvjpeg_compiled"] = PipelineOptions(
                batch_size=args.batch_size, num_workers=workers, gpu_decode=True, compile=True
            )
    for opts in variants.values():
        run_pipeline(clf, paths[: (8 if opts.compile else 2) * args.batch_size], opts)  # warm-up (cudnn, compile)
    # Rounds interleave the naive script and every variant, so a slow spell of a shared machine hits
    # all of them; each ratio is the median over rounds of the ratio within a round.
    naive_speeds: list[float] = []
    speeds: dict[str, list[float]] = {key: [] for key in variants}
    for _ in range(max(1, args.rounds)):
        speed, naive = run_naive(clf, paths, workers)
        naive_speeds.append(speed)
        for key, opts in variants.items():
            speed, pred, rejected = run_pipeline(clf, paths, opts)
            speeds[key].append(speed)
            row[f"{key}_agree_fp32"] = float((pred == ref).mean())
            row[f"{key}_rejected"] = rejected
    row["naive_img_s"] = float(np.median(naive_speeds))
    row["naive_img_s_rounds"] = naive_speeds
    for key, values in speeds.items():
        row[f"{key}_img_s"] = float(np.median(values))
        row[f"{key}_img_s_rounds"] = values
        row[f"{key}_vs_naive"] = float(np.median([v / n for v, n in zip(values, naive_speeds, strict=True)]))
    row["fp32_agree_naive"] = float((ref == naive).mean())
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model folder (default: the shipped models/default)")
    ap.add_argument("--images", required=True, help="folder of 224 px catalogue JPEGs")
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (CPU)")
    ap.add_argument("--sets", default="224,1080x1440")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (CUDA)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds; medians are reported")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    clf = load_classifier(args.model, device=args.device)
    paths = sorted(Path(args.images).glob("*.jpg"))[: args.n]
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "device": clf.device_description,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *(argv if argv is not None else sys.argv[1:])]),
        "rows": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            if name == "224":
                set_paths = paths
            else:
                t0 = time.perf_counter()
                set_paths = make_large_set(paths, Path(tmp) / "large", os.cpu_count() or 1)
                info["generate_s"] = time.perf_counter() - t0
            row = bench_set(name, clf, set_paths, args)
            info["rows"].append(row)
            print(json.dumps(row), flush=True)
    print(f"\n{info['device']}, {info['cores']} cores, torch {info['torch']}, {info['threads']} threads")
    print(f"{'set':>10} {'variant':>26} {'img/s':>9} {'x naive':>8} {'agree fp32':>10}")
    for row in info["rows"]:
        print(
            f"{row['set']:>10} {'naive reference':>26} {row['naive_img_s']:9.1f} {1.0:8.2f} {row['fp32_agree_naive']:10.4f}"
        )
        print(
            f"{row['set']:>10} {'pipeline fp32':>26} {row['pipeline_fp32_img_s']:9.1f} "
            f"{row['pipeline_fp32_img_s'] / row['naive_img_s']:8.2f} {1.0:10.4f}"
        )
        for key in [
            k[:-6] for k in row if k.endswith("_img_s") and k.startswith("pipeline") and k != "pipeline_fp32_img_s"
        ]:
            print(
                f"{row['set']:>10} {key:>26} {row[key + '_img_s']:9.1f} {row[key + '_vs_naive']:8.2f} {row[key + '_agree_fp32']:10.4f}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
