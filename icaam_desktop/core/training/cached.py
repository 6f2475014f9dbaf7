"""Training from cached features: the frozen part of the network runs once, not once per epoch.

Two uses:

- **Head-only** (``train_head_only``): the whole backbone is frozen; its pooled features are
  computed once per photo variant and only the linear head is trained (seconds).
- **Frozen trunk on the CPU** (``FrozenTrunk``): a full fine-tune whose stem and first ``k``
  blocks are frozen computes their output maps once per photo view (each cached variant plus a
  mirrored clean photo) and then trains only the remaining blocks, the head convolution and the
  leaf head from those maps. On the 2-core VM that made an epoch ~10x cheaper: lite0 with 6
  blocks frozen trains at ~200 img/s from the cached maps against 10-18 img/s with the frozen
  blocks recomputed (and the photos augmented) every step, so a CPU training run of the shipped
  model's kind takes minutes instead of hours (docs/MODEL_CARD.md). What it gives up is the
  random on-the-fly augmentation; the views stand in for it.

Only timm networks built like EfficientNet / MobileNet (``conv_stem``, ``bn1``, ``blocks``,
``conv_head``, ``bn2``, ``forward_head``) can be split this way (``FrozenTrunk.supports``); others
train by the regular loop.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from icaam_desktop.core.classify.pipeline import CPU_FORWARD_ROWS
from icaam_desktop.core.jobs import CancelToken, Progress
from icaam_desktop.core.training.data import cache_outputs, normalise, resize_to

CPU_FREEZE_BLOCKS = 6  # default frozen blocks for CPU training: only the last stage + head conv learn
MEMORY_SHARE = 0.4  # the cached maps may take at most this share of the machine's RAM
_SPLIT_PARTS = ("conv_stem", "bn1", "blocks", "conv_head", "bn2", "forward_head")


class TrunkTooLarge(RuntimeError):
    """The cached maps would not fit in memory; train with the frozen blocks recomputed instead."""


def physical_memory() -> int | None:
    """Bytes of RAM of this machine, None where the OS does not say (then no limit is applied)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return None


class TopNet(nn.Module):
    """The trainable rest of a classifier after its first ``k`` blocks: cached block-k maps -> leaf logits.

    It holds the classifier (its parameters are the classifier's, not copies), so training it trains
    the model that gets saved.
    """

    def __init__(self, net: nn.Module, k: int) -> None:
        super().__init__()
        self.net = net
        self.k = k

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        bb = self.net.backbone
        for block in bb.blocks[self.k :]:
            h = block(h)
        pooled = bb.forward_head(bb.bn2(bb.conv_head(h)))
        return self.net.forward_head(pooled)


class FrozenTrunk:
    """Output maps of the frozen stem + first ``k`` blocks, per cached row and view (float16, on the CPU).

    View ``v < variants`` is cache variant ``v``; view ``variants`` is the clean photo mirrored.
    Rows of the training split get every view, the others only view 0 (the clean photo).
    """

    def __init__(self, maps: torch.Tensor, k: int, variants: int) -> None:
        self.maps = maps  # [N, variants + 1, C, H, W] float16
        self.k = k
        self.variants = variants

    @staticmethod
    def supports(net: nn.Module, k: int) -> bool:
        bb = getattr(net, "backbone", None)
        if bb is None or not all(hasattr(bb, part) for part in _SPLIT_PARTS):
            return False
        return 0 < k < len(bb.blocks)

    @classmethod
    def build(
        cls,
        net: nn.Module,
        k: int,
        *,
        cache: torch.Tensor,
        train_rows: np.ndarray,
        other_rows: np.ndarray,
        mean,
        std,
        size: int,
        progress: Progress,
        cancel: CancelToken | None = None,
        batch: int = CPU_FORWARD_ROWS,  # small slices run faster on a CPU (activations stay in cache)
    ) -> FrozenTrunk:
        variants = int(cache.shape[1])
        jobs = [(int(r), v) for r in train_rows for v in range(variants + 1)] + [(int(r), 0) for r in other_rows]
        bb = net.backbone
        maps: torch.Tensor | None = None
        was_training = net.training
        net.eval()
        t0 = time.perf_counter()
        with torch.inference_mode():
            for s in range(0, len(jobs), batch):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                part = jobs[s : s + batch]
                rows = torch.tensor([r for r, _ in part])
                views = torch.tensor([v for _, v in part])
                mirrored = views == variants
                x = cache[rows, torch.where(mirrored, 0, views)].float().div_(255.0)
                x[mirrored] = x[mirrored].flip(3)
                x = normalise(resize_to(x, size), mean=mean, std=std).contiguous(memory_format=torch.channels_last)
                h = bb.bn1(bb.conv_stem(x))
                for block in bb.blocks[:k]:
                    h = block(h)
                if maps is None:
                    need = cache.shape[0] * (variants + 1) * h[0].numel() * 2
                    ram = physical_memory()
                    if ram is not None and need > MEMORY_SHARE * ram:
                        raise TrunkTooLarge(
                            f"the frozen blocks' outputs would take {need / 2**30:.1f} GiB "
                            f"of this machine's {ram / 2**30:.0f} GiB"
                        )
                    maps = torch.zeros((cache.shape[0], variants + 1, *h.shape[1:]), dtype=torch.float16)
                maps[rows, views] = h.to(torch.float16)
                done = s + len(part)
                rate = done / max(1e-9, time.perf_counter() - t0)
                progress(done, len(jobs), f"computing the frozen layers once ({rate:.0f} photos/s)")
        net.train(was_training)
        if maps is None:
            raise ValueError("no photos to train on")
        return cls(maps, k, variants)

    def batch(
        self, rows: torch.Tensor, variant: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Training inputs for ``rows``: the chosen cache variant, the clean one mirrored half of the time."""
        rows, variant = rows.cpu(), variant.cpu().clone()
        clean = variant == 0
        flip = clean & (torch.rand(len(rows), generator=generator) < 0.5)
        variant[flip] = self.variants
        return self.maps[rows, variant].float().contiguous(memory_format=torch.channels_last)

    def logits(self, top: TopNet, rows: np.ndarray, *, batch: int = 128) -> np.ndarray:
        """Eval-mode leaf logits of the clean photos of ``rows`` through ``top``."""
        was_training = top.net.training
        top.net.eval()
        out = []
        with torch.inference_mode():
            for s in range(0, len(rows), batch):
                idx = torch.as_tensor(rows[s : s + batch])
                out.append(top(self.maps[idx, 0].float().contiguous(memory_format=torch.channels_last)))
        top.net.train(was_training)
        if not out:
            return np.zeros((0, top.net.head.out_features), dtype=np.float32)
        return torch.cat(out).float().numpy()


def train_head_only(
    net, data, *, dev, mean, std, amp, size, loss_fn, variants, epochs, lr, history, cancel, progress, on_epoch=None
):
    """Frozen backbone: pooled features of every photo variant (+ mirrored clean), then full-batch head training."""
    rows = data.split["train"]
    t0 = time.perf_counter()
    feats, ys = [], []
    kw = {"device": dev, "mean": mean, "std": std, "batch": 256 if dev.type == "cuda" else 64, "amp": amp, "size": size}
    for v, flip in [(v, False) for v in range(variants)] + [(0, True)]:
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(0, None, f"features of photo variant {v}{' mirrored' if flip else ''}")
        feats.append(cache_outputs(net, data.cache, rows, variant=v, flip=flip, features=True, **kw))
        ys.append(data.y[rows].to(dev))
    x, y = torch.cat(feats).to(dev), torch.cat(ys)
    head = net.head
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-3)
    net.dropout.train()
    for step in range(epochs):
        if cancel is not None:
            cancel.raise_if_cancelled()
        with torch.enable_grad():
            loss = loss_fn(head(F.dropout(x, 0.2, training=True)), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if step % 25 == 0 or step == epochs - 1:
            history.append({"epoch": step + 1, "train_loss": float(loss.item())})
            if on_epoch is not None:  # the GUI's live plot
                on_epoch(history[-1])
            progress(step + 1, epochs, "training the head")
    elapsed = time.perf_counter() - t0
    return epochs, int(x.shape[0]), elapsed
