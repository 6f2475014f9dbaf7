"""Train the hierarchical classifier on a retailer catalogue: full fine-tune or head-only.

Full fine-tune (the default): the whole backbone + leaf head, AdamW with warm-up + cosine,
loss = class-weighted leaf cross-entropy + cross-entropy of the marginalised upper levels
(the hierarchical loss), bf16 autocast + channels_last on CUDA, photos decoded once into a
uint8 cache and augmented on the training device (``data.augment_batch``). On a CPU the
early blocks are frozen (``freeze_blocks``) and their outputs computed once per photo view
(``cached.FrozenTrunk``), so an epoch only runs the layers that learn. Early stopping on
the validation leaf accuracy; the best epoch's weights are kept.

Head-only (``head_only=True``): the backbone is frozen, its pooled features are computed
once for every cached photo variant, and only the linear head is trained (seconds).

Then: temperature scaling and per-level thresholds on the validation split, metrics on
the test split (clean photos and "supplier-style" degraded ones), and the model folder.

A checkpoint is written after every epoch (``checkpoint.pt`` in ``out``); ``resume=True``
continues from it. Cancel (CancelToken or Ctrl-C) stops between batches and leaves the last
epoch's checkpoint, so a rerun with ``resume=True`` goes on from there.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from icaam_desktop.core.classify.backbone import (
    DEFAULT_BACKBONE,
    HierarchicalClassifier,
    backbone_config,
    create_backbone,
)
from icaam_desktop.core.classify.hierarchy import (
    LevelIndex,
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from icaam_desktop.core.classify.model_io import device_choice, save_classifier
from icaam_desktop.core.classify.pipeline import is_oom
from icaam_desktop.core.classify.quality import fit_thresholds, short_report, summarize
from icaam_desktop.core.jobs import Cancelled, CancelToken, Progress, no_progress
from icaam_desktop.core.taxonomy import Taxonomy
from icaam_desktop.core.training import CHECKPOINT, DEFAULT_EPOCHS
from icaam_desktop.core.training.cached import CPU_FREEZE_BLOCKS, FrozenTrunk, TopNet, TrunkTooLarge, train_head_only
from icaam_desktop.core.training.data import (
    SPLIT_SEED,
    build_cache,
    cache_outputs,
    class_weights,
    load_catalog,
    normalise,
    resize_to,
    split_items,
)
from icaam_desktop.core.training.warm_start import warm_start

TARGET_ERROR = 0.01


@dataclass
class TrainResult:
    model_dir: Path
    card: dict
    metrics: dict
    history: list[dict] = field(default_factory=list)
    epochs_run: int = 0
    stopped_early: bool = False
    train_images_per_s: float = 0.0
    seconds: float = 0.0


@dataclass
class _Data:
    cache: torch.Tensor  # uint8 [N, V, 3, S, S] (on the training device when it fits)
    y: torch.Tensor  # leaf index per item (-1 = not a trained leaf)
    leaves: list[str]  # true leaf code per item
    split: dict[str, np.ndarray]  # split name -> item rows


def _prepare(
    *, catalog: Path, taxonomy: Taxonomy, variants: int, limit: int | None, workers: int, progress, cancel
) -> tuple[_Data, list[str], dict]:
    cat = load_catalog(catalog, taxonomy=taxonomy)
    splits = split_items(cat.items, seed=SPLIT_SEED)
    if limit:
        import random

        rng = random.Random(SPLIT_SEED)
        splits = {
            k: rng.sample(v, min(len(v), max(1, int(limit * (0.8 if k == "train" else 0.1)))))
            for k, v in splits.items()
        }
    labels = sorted({it.leaf for it in splits["train"]})
    items = splits["train"] + splits["val"] + splits["test"]
    cache, problems = build_cache(
        [it.image for it in items], variants=variants, workers=workers, progress=progress, cancel=cancel
    )
    label_index = {c: i for i, c in enumerate(labels)}
    y = torch.tensor([label_index.get(it.leaf, -1) for it in items], dtype=torch.long)
    bounds = np.cumsum([0, len(splits["train"]), len(splits["val"]), len(splits["test"])])
    bad = {i for i, it in enumerate(items) if any(p.startswith(it.image.name + ":") for p in problems)}
    split = {
        name: np.array([i for i in range(bounds[k], bounds[k + 1]) if i not in bad], dtype=np.int64)
        for k, name in enumerate(("train", "val", "test"))
    }
    info = {
        "catalog": str(catalog),
        "products": len(cat.items),
        "skipped_rows": cat.problems[:20],
        "n_skipped_rows": len(cat.problems),
        "undecodable_photos": problems,
        "split_seed": SPLIT_SEED,
        "split_sizes": {k: int(v.size) for k, v in split.items()},
        "variants_per_photo": variants,
    }
    return _Data(cache, y, [it.leaf for it in items], split), labels, info


def _loss_fn(index: LevelIndex, weights: torch.Tensor, device: torch.device, *, upper_weight: float = 0.5):
    mats = [torch.tensor(m, device=device) for m in index.matrices()[:-1]]
    w = weights.to(device)

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        total = F.cross_entropy(logits, y, weight=w, label_smoothing=0.1)
        if mats:
            p = logits.softmax(dim=1)
            for m in mats:
                level_p = (p @ m).clamp_min(1e-8)
                level_y = m[y].argmax(dim=1)
                total = total + upper_weight * F.nll_loss(level_p.log(), level_y) / len(mats)
        return total

    return loss


def _freeze_early(model: HierarchicalClassifier, blocks: int) -> None:
    """Freeze the stem and the first ``blocks`` stages (their BatchNorm stays in eval mode)."""
    bb = model.backbone
    frozen = [getattr(bb, n) for n in ("conv_stem", "bn1") if hasattr(bb, n)]
    if hasattr(bb, "blocks"):
        frozen += list(bb.blocks[:blocks])
    for mod in frozen:
        mod.eval()
        for p in mod.parameters():
            p.requires_grad_(False)
    model._frozen = frozen  # type: ignore[attr-defined]


def _train_mode(model: HierarchicalClassifier) -> None:
    model.train()
    for mod in getattr(model, "_frozen", []):
        mod.eval()


def _save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train_classifier(
    *,
    catalog: Path,
    taxonomy: Taxonomy,
    out: Path,
    epochs: int = DEFAULT_EPOCHS,
    device: str = "auto",
    batch_size: int | None = None,
    head_only: bool = False,
    tracker=None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
    resume: bool = False,
    on_epoch: Callable[[dict], None] | None = None,
    backbone: str = DEFAULT_BACKBONE,
    lr: float | None = None,
    variants: int = 3,
    limit: int | None = None,
    freeze_blocks: int | None = None,
    patience: int = 6,
    target_error: float = TARGET_ERROR,
    command: str = "",
    workers: int | None = None,
    input_size: int | None = None,
    ema_decay: float = 0.99,
    compile: bool = False,
    init: str | Path | None = None,
) -> TrainResult:
    """Train, calibrate, evaluate and save a model folder in ``out``; see the module docstring.

    ``on_epoch(record)`` is called after each epoch with loss, accuracies and img/s (the
    GUI's live plot and MLflow use it). ``limit`` trains on a small subset (smoke runs).
    ``compile`` runs the full fine-tune's training step through ``torch.compile`` (fewer kernel
    launches, fused BatchNorm/activations; the first epoch pays the compile). ``init`` starts from
    an existing model folder (its backbone, and its head rows for the leaves both models know)
    instead of ImageNet weights: continued training of the active model on new data.
    """
    from icaam_desktop import __version__

    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dev, dev_why = device_choice(device)
    amp = dev.type == "cuda"
    if workers is None:
        workers = (os.cpu_count() or 1) if dev.type == "cuda" else 0
    progress(0, None, "decoding catalogue photos")
    data, labels, data_info = _prepare(
        catalog=Path(catalog),
        taxonomy=taxonomy,
        variants=variants,
        limit=limit,
        workers=workers,
        progress=progress,
        cancel=cancel,
    )
    if dev.type == "cuda":
        data.cache = data.cache.to(dev)
    index = LevelIndex.build(taxonomy, labels)
    if init is not None:
        net, backbone = warm_start(Path(init), labels)
    else:
        net = HierarchicalClassifier(create_backbone(backbone), len(labels))  # local weights only, never a download
    cfg = backbone_config(net.backbone)
    mean, std = cfg["mean"], cfg["std"]
    input_size = int(input_size or cfg["input_size"])
    cfg["input_size"] = input_size
    net = net.to(dev).to(memory_format=torch.channels_last)
    train_rows = data.split["train"]
    y_all = data.y.to(dev)
    weights = class_weights(data.y[train_rows].numpy(), len(labels), power=0.3)
    loss_fn = _loss_fn(index, weights, dev)
    if batch_size is None:
        batch_size = 256 if dev.type == "cuda" else 32
    if freeze_blocks is None:
        freeze_blocks = 0 if dev.type == "cuda" else CPU_FREEZE_BLOCKS
    history: list[dict] = []
    stopped_early = False
    seen_images, train_time = 0, 0.0
    ckpt_path = out / CHECKPOINT

    trunk = None  # on the CPU the frozen blocks run once per photo view, not once per step
    if head_only:
        epochs_run, seen_images, train_time = train_head_only(
            net,
            data,
            dev=dev,
            mean=mean,
            std=std,
            amp=amp,
            size=input_size,
            loss_fn=loss_fn,
            variants=variants,
            epochs=max(epochs, 1) * 25,
            lr=lr or 3e-3,
            history=history,
            cancel=cancel,
            progress=progress,
            on_epoch=on_epoch,
        )
        if tracker is not None:
            for record in history:
                tracker.log_epoch(record["epoch"], {"train_loss": record["train_loss"]})
    else:
        if freeze_blocks:
            _freeze_early(net, freeze_blocks)
        if dev.type == "cpu" and freeze_blocks and FrozenTrunk.supports(net, freeze_blocks):
            try:
                trunk = FrozenTrunk.build(
                    net,
                    freeze_blocks,
                    cache=data.cache,
                    train_rows=train_rows,
                    other_rows=data.split["val"],
                    mean=mean,
                    std=std,
                    size=input_size,
                    progress=progress,
                    cancel=cancel,
                )
            except TrunkTooLarge as exc:
                progress(0, None, f"{exc}: recomputing the frozen blocks at every step instead (slower)")
        head_params = list(net.head.parameters())
        body = [p for p in net.backbone.parameters() if p.requires_grad]
        decay = [p for p in body if p.ndim > 1]
        no_decay = [p for p in body if p.ndim <= 1]
        base_lr = lr or (1e-3 if dev.type == "cuda" else 6e-4)
        opt = torch.optim.AdamW(
            [
                {"params": decay, "lr": base_lr, "weight_decay": 0.02},
                {"params": no_decay, "lr": base_lr, "weight_decay": 0.0},
                {"params": head_params, "lr": base_lr * 3, "weight_decay": 0.02},
            ],
            fused=dev.type == "cuda",
        )
        steps_per_epoch = max(1, math.ceil(len(train_rows) / batch_size))
        total_steps, warmup = epochs * steps_per_epoch, steps_per_epoch

        def lr_at(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total_steps - warmup))))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
        start_epoch, best_acc, best_state, bad_epochs = 0, -1.0, None, 0
        if resume and ckpt_path.is_file():
            state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
            if state.get("labels") != labels:
                raise RuntimeError(f"{ckpt_path} was made for other labels; delete it or train into another folder")
            net.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            start_epoch, best_acc, bad_epochs = state["epoch"] + 1, state["best_acc"], state["bad_epochs"]
            best_state, history = state["best_model"], list(state["history"])
            batch_size = int(state.get("batch_size", batch_size))
        # An exponential moving average of the weights is what gets validated and kept.
        ema_net = copy.deepcopy(net)
        for p in ema_net.parameters():
            p.requires_grad_(False)
        if resume and ckpt_path.is_file() and state.get("ema") is not None:
            ema_net.load_state_dict(state["ema"])
        ema_src = [v for v in net.state_dict().values() if v.dtype.is_floating_point]
        ema_dst = [v for v in ema_net.state_dict().values() if v.dtype.is_floating_point]
        ema_int = [
            (a, b)
            for a, b in zip(net.state_dict().values(), ema_net.state_dict().values(), strict=True)
            if not a.dtype.is_floating_point
        ]
        step_count = [start_epoch * steps_per_epoch]
        gen = torch.Generator(device=dev)
        gen.manual_seed(SPLIT_SEED)
        host_gen = torch.Generator()  # the few numbers Python needs, drawn without waiting for the device
        host_gen.manual_seed(SPLIT_SEED)
        epochs_run = start_epoch
        train_net = TopNet(net, freeze_blocks) if trunk is not None else net  # net's own parameters
        step_net = torch.compile(train_net) if compile else train_net  # net is what is saved
        compiled_ok = False  # a step has run through step_net
        from icaam_desktop.core.training.data import augment_batch

        for epoch in range(start_epoch, epochs):
            torch.manual_seed(SPLIT_SEED + epoch)
            _train_mode(net)
            perm = train_rows[torch.randperm(len(train_rows)).numpy()]
            # On the device once per epoch: a per-step copy from pageable memory would wait for the previous step.
            perm_dev = torch.as_tensor(perm, device=data.cache.device)
            t0, losses, pos = time.perf_counter(), [], 0
            try:
                while pos < len(perm):
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    rows = perm_dev[pos : pos + batch_size]
                    # Mostly the clean photo, else one of the degraded copies.
                    var = torch.where(
                        torch.rand(len(rows), device=data.cache.device) < 0.65,
                        torch.zeros(len(rows), dtype=torch.long, device=data.cache.device),
                        torch.randint(1, max(2, variants), (len(rows),), device=data.cache.device),
                    ).clamp_(max=variants - 1)
                    try:
                        if trunk is not None:
                            x = trunk.batch(rows, var, generator=gen)
                        else:
                            x = data.cache[rows, var].to(dev, non_blocking=True)
                            x = normalise(
                                resize_to(augment_batch(x, generator=gen, host_generator=host_gen), input_size),
                                mean=mean,
                                std=std,
                            )
                            x = x.contiguous(memory_format=torch.channels_last)
                        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
                            logits = step_net(x)
                        loss = loss_fn(logits, y_all[rows.to(dev)])
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        opt.step()
                    except Exception as exc:
                        if step_net is not train_net and not compiled_ok and not is_oom(exc):
                            # no compiler / an op inductor refuses: train eagerly rather than not at all
                            step_net = train_net
                            opt.zero_grad(set_to_none=True)
                            progress(pos, len(perm), f"torch.compile failed ({type(exc).__name__}); training eagerly")
                            continue
                        if not is_oom(exc) or batch_size <= 8:
                            raise
                        batch_size //= 2
                        opt.zero_grad(set_to_none=True)
                        torch.cuda.empty_cache()
                        progress(pos, len(perm), f"out of GPU memory: batch size now {batch_size}")
                        continue
                    compiled_ok = True
                    sched.step()
                    step_count[0] += 1
                    with torch.no_grad():
                        t = step_count[0]
                        torch._foreach_lerp_(ema_dst, ema_src, 1.0 - min(ema_decay, (1 + t) / (10 + t)))
                        for a, b in ema_int:
                            b.copy_(a)
                    losses.append(loss.detach())
                    pos += len(rows)
                    progress(pos, len(perm), f"epoch {epoch + 1}/{epochs}")
            except KeyboardInterrupt as exc:
                raise Cancelled("interrupted; the last epoch's checkpoint is kept") from exc
            if dev.type == "cuda":
                torch.cuda.synchronize()
            dt_epoch = time.perf_counter() - t0
            seen_images += len(perm)
            train_time += dt_epoch
            val_logits = (
                trunk.logits(TopNet(ema_net, freeze_blocks), data.split["val"])
                if trunk is not None
                else cache_outputs(
                    ema_net,
                    data.cache,
                    data.split["val"],
                    device=dev,
                    mean=mean,
                    std=std,
                    variant=0,
                    batch=512,
                    amp=amp,
                    size=input_size,
                )
            )
            y_val = data.y[data.split["val"]].numpy()
            known = y_val >= 0  # a leaf seen only outside train cannot be scored by NLL
            val_acc = float((val_logits.argmax(1) == y_val).mean()) if len(y_val) else 0.0
            val_nll = (
                float(F.cross_entropy(torch.from_numpy(val_logits[known]), torch.from_numpy(y_val[known])).item())
                if known.any()
                else 0.0
            )
            record = {
                "epoch": epoch + 1,
                "train_loss": float(torch.stack(losses).mean().item()) if losses else float("nan"),
                "val_leaf_accuracy": val_acc,
                "val_nll": val_nll,
                "images_per_s": len(perm) / dt_epoch if dt_epoch > 0 else 0.0,
                "seconds": dt_epoch,
                "batch_size": batch_size,
            }
            history.append(record)
            if val_acc > best_acc:
                best_acc, bad_epochs = val_acc, 0
                best_state = {k: v.detach().to("cpu").clone() for k, v in ema_net.state_dict().items()}
            else:
                bad_epochs += 1
            epochs_run = epoch + 1
            _save_checkpoint(
                ckpt_path,
                {
                    "model": net.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "epoch": epoch,
                    "best_acc": best_acc,
                    "bad_epochs": bad_epochs,
                    "best_model": best_state,
                    "history": history,
                    "labels": labels,
                    "batch_size": batch_size,
                    "ema": ema_net.state_dict(),
                },
            )
            if on_epoch is not None:
                on_epoch(record)
            if tracker is not None:
                tracker.log_epoch(epoch + 1, {k: float(v) for k, v in record.items() if k != "epoch"})
            if bad_epochs >= patience and epoch + 1 >= epochs // 2:
                stopped_early = True
                break
        if best_state is not None:
            net.load_state_dict(best_state)

    # ---- calibration, thresholds, test metrics, model folder
    val_rows, test_rows = data.split["val"], data.split["test"]
    kw = {"device": dev, "mean": mean, "std": std, "batch": 512, "amp": amp, "size": input_size}
    val_logits = cache_outputs(net, data.cache, val_rows, variant=0, **kw)
    val_leaves = [data.leaves[i] for i in val_rows]
    y_val = data.y[val_rows].numpy()
    known = y_val >= 0
    temperature = fit_temperature(val_logits[known], y_val[known]) if known.any() else 1.0
    p_val_raw, p_val = softmax(val_logits, 1.0), softmax(val_logits, temperature)
    ece_before = expected_calibration_error(p_val_raw.max(1), p_val_raw.argmax(1) == y_val)
    ece_after = expected_calibration_error(p_val.max(1), p_val.argmax(1) == y_val)
    thresholds = fit_thresholds(p_val, val_leaves, index=index, target_error=target_error)
    test_leaves = [data.leaves[i] for i in test_rows]
    p_test = softmax(cache_outputs(net, data.cache, test_rows, variant=0, **kw), temperature)
    metrics = {
        "validation": summarize(p_val, val_leaves, index=index, thresholds=thresholds),
        "test": summarize(p_test, test_leaves, index=index, thresholds=thresholds),
        "calibration": {"temperature": temperature, "val_ece_before": ece_before, "val_ece_after": ece_after},
    }
    if variants > 1:
        metrics["test_degraded"] = summarize(
            softmax(cache_outputs(net, data.cache, test_rows, variant=1, **kw), temperature),
            test_leaves,
            index=index,
            thresholds=thresholds,
        )
    extended = _extended_metrics(p_test, test_leaves, labels, taxonomy, thresholds)
    if extended:
        metrics["test_extended"] = extended
    untrainable = sorted(c.code for c in taxonomy.leaves() if c.code not in set(labels))
    now = dt.datetime.now(dt.UTC)
    card = {
        "name": "icaam-classifier",
        "version": now.strftime("%Y%m%d-%H%M%S"),
        "created": now.isoformat(timespec="seconds"),
        "backbone": net.backbone.pretrained_cfg.get("architecture", backbone)
        if hasattr(net.backbone, "pretrained_cfg")
        else backbone,
        "input_size": cfg["input_size"],
        "mean": mean,
        "std": std,
        "resize_policy": "squash: the whole photo resized to input_size x input_size (JPEG draft decode first), like the catalogue photos",
        "labels": labels,
        "untrainable_leaves": untrainable,
        "taxonomy_fingerprint": taxonomy.fingerprint,
        "temperature": temperature,
        "thresholds": thresholds,
        "threshold_levels": [f"level {d + 1}" for d in range(index.depth)],
        "target_error": target_error,
        "aggregation": "mean_log",
        "mode": "head-only"
        if head_only
        else (
            "full fine-tune"
            + (f", first {freeze_blocks} blocks frozen" if freeze_blocks else "")
            + (" (their outputs computed once per photo view)" if trunk is not None else "")
        ),
        "metrics": metrics,
        "training_data": data_info,
        "training": {
            "epochs_requested": epochs,
            "epochs_run": epochs_run,
            "stopped_early": stopped_early,
            "batch_size": batch_size,
            "compiled": bool(compile and not head_only and step_net is not train_net),
            "initialised_from": str(init) if init is not None else f"{backbone} (ImageNet)",
            "device": dev_why,
            "train_images_per_s": seen_images / train_time if train_time else 0.0,
            "history": history,
        },
        "training_command": command,
        "app_version": __version__,
    }
    save_classifier(net, folder=out, card=card)
    # Finished: the checkpoint (model, optimizer moments, EMA, best weights: several times the model) has
    # done its job, and must not travel into the MLflow artifact or an activated copy.
    ckpt_path.unlink(missing_ok=True)
    if tracker is not None:
        flat = {f"test_level{lv['depth']}_accuracy": lv["accuracy"] for lv in metrics["test"]["levels"]}
        flat.update({f"test_level{lv['depth']}_macro_f1": lv["macro_f1"] for lv in metrics["test"]["levels"]})
        flat.update({"test_auto_rate": metrics["test"]["auto_rate"], "test_auto_error": metrics["test"]["auto_error"]})
        tracker.log_metrics(flat)
        try:  # full metrics, confusion / coverage / training-curve PNGs (never fatal for a trained model)
            if extended and "error" not in extended:
                tracker.log_evaluation(extended, prefix="test_")
            tracker.log_training_curves(history)
        except Exception as exc:
            progress(1, 1, f"could not log the evaluation plots: {exc}")
        tracker.log_model(out)
    progress(1, 1, "test: " + short_report(metrics["test"]))
    return TrainResult(
        model_dir=out,
        card=card,
        metrics=metrics,
        history=history,
        epochs_run=epochs_run,
        stopped_early=stopped_early,
        train_images_per_s=seen_images / train_time if train_time else 0.0,
        seconds=time.perf_counter() - t_start,
    )


def _extended_metrics(probs, test_leaves, labels, taxonomy, thresholds) -> dict:
    """The full test metrics (hierarchical P/R/F1, mistake severity, confusion, ...) for the card and MLflow."""
    from icaam_desktop.core.training.metrics import evaluate

    try:
        return evaluate(
            y_true_leaf=test_leaves,
            probs=probs,
            labels=labels,
            taxonomy=taxonomy,
            thresholds=thresholds,
        )
    except Exception as exc:  # the extras must never lose a finished training run
        return {"error": f"metrics.evaluate failed: {exc}"}
