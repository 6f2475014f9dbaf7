"""Training data: the retailer catalogue, a fixed split by product, a decoded tensor cache, augmentation.

The catalogue is ``products.csv`` (``;``-separated, ``sku`` and ``categories`` = one leaf
code) plus one photo per product under ``images224/<sku>.jpg`` (any ``<sku>.*`` image in
``images224/``, ``images/`` or the folder itself also works).

Speed: every photo is decoded ONCE into a uint8 tensor cache ``[N, V, 3, S, S]`` holding
the clean photo (variant 0) and ``V-1`` "supplier-style" degraded copies (downscaled and
re-upscaled, re-encoded as low-quality JPEG, made on the CPU with PIL in worker processes).
Each epoch then only indexes that cache and runs ``augment_batch`` on the training
device (flips, mild crops/zooms, colour jitter, resolution loss, noise), so a GPU trains
from memory at thousands of images per second.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from icaam_desktop.core.jobs import CancelToken, Progress, no_progress
from icaam_desktop.core.taxonomy import Taxonomy

SPLIT_SEED = 20261128  # the documented seed of the train/val/test split (MODEL_CARD.md)
VAL_SHARE = 0.10
TEST_SHARE = 0.10
MIN_PER_LEAF_FOR_HOLDOUT = 5  # rarer leaves stay entirely in train
IMAGE_DIRS = ("images224", "images", ".")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    leaf: str
    image: Path


@dataclass
class Catalog:
    folder: Path
    items: list[CatalogItem]
    problems: list[str] = field(default_factory=list)  # rows skipped, with the reason

    def leaf_counts(self) -> Counter:
        return Counter(item.leaf for item in self.items)


def _find_image(folder: Path, sku: str) -> Path | None:
    for sub in IMAGE_DIRS:
        base = folder / sub
        for suffix in IMAGE_SUFFIXES:
            candidate = base / f"{sku}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def load_catalog(folder: str | Path, *, taxonomy: Taxonomy) -> Catalog:
    """Read the catalogue; rows without a usable leaf code or photo are listed in ``problems``, not fatal."""
    folder = Path(folder)
    sheet = folder / "products.csv"
    if not sheet.is_file():
        raise FileNotFoundError(f"no products.csv in {folder}")
    items: list[CatalogItem] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}  # sku -> its first line: a repeated sku would sit in two splits at once
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        if not reader.fieldnames or "sku" not in reader.fieldnames or "categories" not in reader.fieldnames:
            raise ValueError(f"{sheet} needs the columns 'sku' and 'categories'")
        for line, row in enumerate(reader, start=2):
            sku = (row.get("sku") or "").strip()
            codes = [c.strip() for c in (row.get("categories") or "").split(",") if c.strip()]
            leaves = [c for c in codes if c in taxonomy.categories and taxonomy.is_leaf(c)]
            if not sku or not leaves:
                problems.append(f"line {line}: no leaf category of the taxonomy in {row.get('categories')!r}")
                continue
            if sku in first_line:
                problems.append(f"line {line}: sku {sku} repeats line {first_line[sku]}; this row is ignored")
                continue
            first_line[sku] = line
            image = _find_image(folder, sku)
            if image is None:
                problems.append(f"line {line}: no photo for sku {sku}")
                continue
            items.append(CatalogItem(sku=sku, leaf=leaves[0], image=image))
    return Catalog(folder=folder, items=items, problems=problems)


def split_items(
    items: Sequence[CatalogItem], *, seed: int = SPLIT_SEED, val: float = VAL_SHARE, test: float = TEST_SHARE
) -> dict[str, list[CatalogItem]]:
    """Split by product, stratified per leaf, with a fixed seed (leaves with < 5 products stay in train)."""
    by_leaf: dict[str, list[CatalogItem]] = {}
    for item in sorted(items, key=lambda it: it.sku):
        by_leaf.setdefault(item.leaf, []).append(item)
    rng = random.Random(seed)
    out: dict[str, list[CatalogItem]] = {"train": [], "val": [], "test": []}
    for leaf in sorted(by_leaf):
        group = by_leaf[leaf][:]
        rng.shuffle(group)
        if len(group) < MIN_PER_LEAF_FOR_HOLDOUT:
            out["train"].extend(group)
            continue
        n_val = max(1, round(len(group) * val))
        n_test = max(1, round(len(group) * test))
        out["val"].extend(group[:n_val])
        out["test"].extend(group[n_val : n_val + n_test])
        out["train"].extend(group[n_val + n_test :])
    return out


# ----------------------------------------------------------------------------- decoding + cache


def _decode_square(path: Path, size: int):
    """Open with the shared safe decoder and squash to ``size`` x ``size`` (the catalogue's own framing)."""
    from PIL import Image

    from icaam_desktop.core.images import open_rgb

    img = open_rgb(path, min_side=size)
    if img.size != (size, size):
        img = img.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    return img


def degrade(img, rng: random.Random, size: int):
    """A supplier-style copy: lower resolution (down + up), JPEG re-compression, sometimes both twice."""
    from PIL import Image

    out = img
    side = rng.randint(max(48, size // 5), int(size * 0.8))
    aspect = rng.uniform(0.8, 1.25)
    out = out.resize((side, max(32, int(side * aspect))), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = out.resize((size, size), rng.choice([Image.Resampling.BILINEAR, Image.Resampling.BICUBIC]))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=rng.randint(20, 80))
    buf.seek(0)
    out = Image.open(buf).convert("RGB")
    return out


def _cache_one(args: tuple[str, int, int, int]) -> np.ndarray | str:
    path, size, variants, seed = args
    try:
        img = _decode_square(Path(path), size)
    except Exception as exc:  # ImageRejected or anything odd: reported, not fatal
        return f"{Path(path).name}: {exc}"
    rng = random.Random(seed)
    arrays = [np.asarray(img, dtype=np.uint8)]
    for _ in range(variants - 1):
        arrays.append(np.asarray(degrade(img, rng, size), dtype=np.uint8))
    return np.stack(arrays).transpose(0, 3, 1, 2).copy()  # [V, 3, S, S]


def build_cache(
    paths: Sequence[Path],
    *,
    size: int = 224,
    variants: int = 3,
    seed: int = SPLIT_SEED,
    workers: int = 0,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[torch.Tensor, list[str]]:
    """Decode ``paths`` once into a uint8 tensor ``[N, variants, 3, size, size]``.

    A photo that fails to decode is left black and reported in the returned problem list
    (the caller drops it). ``workers`` > 0 decodes in that many processes.
    """
    cache = torch.zeros((len(paths), variants, 3, size, size), dtype=torch.uint8)
    problems: list[str] = []
    jobs = [(str(p), size, variants, seed * 1_000_003 + i) for i, p in enumerate(paths)]
    bad: list[int] = []

    def consume(i: int, result) -> None:
        if isinstance(result, str):
            problems.append(result)
            bad.append(i)
        else:
            cache[i] = torch.from_numpy(result)
        if i % 64 == 0 or i == len(jobs) - 1:
            progress(i + 1, len(jobs), "decoding photos")
        if cancel is not None:
            cancel.raise_if_cancelled()

    if workers > 0:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for i, result in enumerate(pool.map(_cache_one, jobs, chunksize=32)):
                consume(i, result)
    else:
        for i, job in enumerate(jobs):
            consume(i, _cache_one(job))
    return cache, problems


# ----------------------------------------------------------------------------- augmentation


def augment_batch(
    x: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
    host_generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Photo augmentations on a uint8 batch ``[B, 3, S, S]``, on its own device; returns float in [0, 1].

    Horizontal flips; a mild random zoom (0.8x-1.15x), aspect change and shift; brightness,
    contrast and saturation jitter; resolution loss on a fifth of the batch; Gaussian noise
    on a quarter. Everything is batched tensor work (no per-image Python), so it is cheap on a GPU.
    Nothing here waits for the device: the one Python number it needs (the low resolution's side) is
    drawn on the host (``host_generator``), so the step's kernels queue up behind the previous step's.
    """
    dev = x.device
    b, _, h, w = x.shape

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, device=dev, generator=generator)

    out = x.float().div_(255.0)
    flip = rand(b) < 0.5
    out = torch.where(flip[:, None, None, None], out.flip(3), out)
    # Zoom / aspect / shift through one affine sampling grid (border padding = the white background).
    zoom = 0.8 + 0.35 * rand(b)
    aspect = 1.0 + 0.2 * (rand(b) - 0.5)
    sx, sy = zoom * aspect.sqrt(), zoom / aspect.sqrt()
    tx = (rand(b) - 0.5) * 2 * (1 - sx).abs().clamp(min=0.05)
    ty = (rand(b) - 0.5) * 2 * (1 - sy).abs().clamp(min=0.05)
    theta = torch.zeros(b, 2, 3, device=dev)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = sx, tx, sy, ty
    grid = F.affine_grid(theta, [b, 3, h, w], align_corners=False)
    out = F.grid_sample(out, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # Colour jitter.
    bright = 1.0 + 0.3 * (rand(b) - 0.5)
    contrast = 1.0 + 0.3 * (rand(b) - 0.5)
    sat = 1.0 + 0.4 * (rand(b) - 0.5)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * contrast[:, None, None, None] + mean
    out = out * bright[:, None, None, None]
    grey = out.mean(dim=1, keepdim=True)
    out = (out - grey) * sat[:, None, None, None] + grey
    # Resolution loss on a third of the batch (one random size per batch).
    low = rand(b) < 0.2
    side = int(torch.randint(56, 169, (1,), generator=host_generator))
    small = F.interpolate(out, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
    back = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    out = torch.where(low[:, None, None, None], back, out)
    # Sensor / compression noise on a third.
    noisy = (rand(b) < 0.25).float() * 0.04 * rand(b)
    out = out + torch.randn(out.shape, device=dev, generator=generator) * noisy[:, None, None, None]
    return out.clamp_(0.0, 1.0)


def normalise(x: torch.Tensor, *, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Float [0, 1] images -> the backbone's normalisation."""
    m = torch.tensor(mean, device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
    s = torch.tensor(std, device=x.device, dtype=x.dtype).view(1, -1, 1, 1)
    return (x - m) / s


def resize_to(x: torch.Tensor, size: int) -> torch.Tensor:
    """Cached photos -> the model's input size (the inference pipeline squashes straight to it)."""
    if x.shape[-1] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def cache_outputs(
    model,
    cache: torch.Tensor,
    rows: np.ndarray,
    *,
    device: torch.device,
    mean: Sequence[float],
    std: Sequence[float],
    variant: int,
    batch: int,
    amp: bool,
    size: int = 224,
    flip: bool = False,
    features: bool = False,
):
    """Eval-mode outputs for ``rows`` of the cache (one variant, no augmentation).

    Leaf logits as a numpy array, or (``features=True``) pooled features as a tensor on ``device``.
    """
    model.eval()
    out = []
    with torch.inference_mode():
        for s in range(0, len(rows), batch):
            idx = torch.as_tensor(rows[s : s + batch], device=cache.device)
            x = resize_to(cache[idx, variant].to(device, non_blocking=True).float().div_(255.0), size)
            if flip:
                x = x.flip(3)
            x = normalise(x, mean=mean, std=std).contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                y = model.forward_features(x) if features else model(x)
            out.append(y.float() if features else y.float().cpu())
    if features:
        return torch.cat(out)
    return torch.cat(out).numpy() if out else np.zeros((0, model.head.out_features), dtype=np.float32)


def class_weights(labels: np.ndarray, n_classes: int, *, power: float = 0.5) -> torch.Tensor:
    """Loss weights ~ count^-power, normalised to mean 1 over the training samples (imbalance softened)."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, np.maximum(counts, 1.0) ** -power, 0.0)
    w = w / (w[labels].mean() if labels.size else 1.0)
    return torch.tensor(w, dtype=torch.float32)
