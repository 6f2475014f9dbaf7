"""CPU training step speed: frozen blocks cached once (``cached.FrozenTrunk``) vs recomputed every step, same run.

Both train the same lite0 (ImageNet weights) with the stem and first ``--freeze`` blocks frozen, on
the same real catalogue photos, batch 32, AdamW, the project's hierarchical loss:

- reference = the regular training step: uint8 photo -> ``augment_batch`` -> normalise -> the whole
  network (frozen part under no gradient) -> loss -> backward -> step; what a CPU epoch cost before;
- cached = ``FrozenTrunk.build`` once (each cached photo variant + the clean photo mirrored), then
  steps of ``TopNet`` on the cached maps.

Prints img/s of each, the ratio, the one-off cache cost, and what a training run on the dev
catalogue would take with each (``--catalog-train`` photos, ``--epochs`` epochs).

    python benchmarks/cpu_train_bench.py --catalog ../shared/data/fashion/catalog --taxonomy ../shared/data/fashion/taxonomy
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icaam_desktop.core.classify import HierarchicalClassifier, create_backbone  # noqa: E402
from icaam_desktop.core.classify.hierarchy import LevelIndex  # noqa: E402
from icaam_desktop.core.taxonomy import load_taxonomy  # noqa: E402
from icaam_desktop.core.training.cached import FrozenTrunk, TopNet  # noqa: E402
from icaam_desktop.core.training.data import augment_batch, build_cache, load_catalog, normalise  # noqa: E402
from icaam_desktop.core.training.train import _freeze_early, _loss_fn, _train_mode  # noqa: E402

BATCH = 32


def timed_steps(step, seconds: float) -> float:
    """img/s of ``step(i)`` (one batch) over about ``seconds``, after two warm-up steps."""
    step(0)
    step(1)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        step(n)
        n += 1
    return n * BATCH / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--taxonomy", required=True)
    ap.add_argument("--n", type=int, default=256, help="catalogue photos used")
    ap.add_argument("--freeze", type=int, default=6, help="frozen blocks (the CPU default is 6)")
    ap.add_argument("--seconds", type=float, default=30.0, help="timed training per variant")
    ap.add_argument("--epochs", type=int, default=20, help="for the extrapolated run time")
    ap.add_argument("--catalog-train", type=int, default=5451, help="training photos of the dev catalogue split")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    taxonomy = load_taxonomy(args.taxonomy)
    items = load_catalog(args.catalog, taxonomy=taxonomy).items[: args.n]
    labels = sorted({it.leaf for it in items})
    y = torch.tensor([labels.index(it.leaf) for it in items])
    cache, _ = build_cache([it.image for it in items], variants=3)
    loss_fn = _loss_fn(LevelIndex.build(taxonomy, labels), torch.ones(len(labels)), torch.device("cpu"))
    mean = std = [0.5, 0.5, 0.5]
    rng = torch.Generator().manual_seed(0)

    def fresh() -> tuple[HierarchicalClassifier, torch.optim.Optimizer]:
        net = HierarchicalClassifier(create_backbone("tf_efficientnet_lite0"), len(labels))
        net = net.to(memory_format=torch.channels_last)
        _freeze_early(net, args.freeze)
        _train_mode(net)
        return net, torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=1e-4)

    def rows_of(i: int) -> torch.Tensor:
        return torch.arange(i * BATCH, (i + 1) * BATCH) % len(items)

    net, opt = fresh()

    def reference_step(i: int) -> None:
        rows = rows_of(i)
        x = augment_batch(cache[rows, i % 3], generator=rng)
        x = normalise(x, mean=mean, std=std).contiguous(memory_format=torch.channels_last)
        loss = loss_fn(net(x), y[rows])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    reference = timed_steps(reference_step, args.seconds)

    net, opt = fresh()
    t0 = time.perf_counter()
    trunk = FrozenTrunk.build(
        net,
        args.freeze,
        cache=cache,
        train_rows=np.arange(len(items)),
        other_rows=np.arange(0),
        mean=mean,
        std=std,
        size=224,
        progress=lambda *a: None,
    )
    build_s = time.perf_counter() - t0
    views = len(items) * (cache.shape[1] + 1)
    top = TopNet(net, args.freeze)

    def cached_step(i: int) -> None:
        rows = rows_of(i)
        x = trunk.batch(rows, torch.full((BATCH,), i % 3), generator=rng)
        loss = loss_fn(top(x), y[rows])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    cached = timed_steps(cached_step, args.seconds)

    m, e = args.catalog_train, args.epochs
    ref_run = e * m / reference
    cached_run = m * (cache.shape[1] + 1) * build_s / views + e * m / cached
    row = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "frozen_blocks": args.freeze,
        "reference_img_s": reference,
        "cached_img_s": cached,
        "ratio": cached / reference,
        "cache_views_per_s": views / build_s,
        "run_minutes_reference": ref_run / 60,
        "run_minutes_cached": cached_run / 60,
    }
    print(json.dumps(row))
    print(f"\nCPU training step, lite0, first {args.freeze} blocks frozen, batch {BATCH} ({row['machine']})")
    print(f"  reference (frozen blocks recomputed, augmented): {reference:7.1f} img/s")
    print(f"  cached maps (FrozenTrunk + TopNet):              {cached:7.1f} img/s   x{cached / reference:.1f}")
    print(f"  one-off cache: {views / build_s:.1f} photo views/s")
    print(
        f"  {e} epochs of {m} photos: reference {ref_run / 60:.0f} min, cached {cached_run / 60:.0f} min (incl. cache)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
