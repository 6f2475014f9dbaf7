"""The fast head-only retrain: learn from the analysts' accepted category decisions in seconds.

Only the linear head on the backbone's pooled features is retrained; the backbone (and so every
cached embedding) stays as it is. Embeddings come from the workspace cache, keyed by image content
hash and tied to the backbone's weights hash, and are computed only for images not cached yet.

Training examples:
- every accepted analyst category decision of the workspace (one delivery or all), on each of the
  product's usable photos. A decision on a non-leaf category (the analyst only knew "Topwear")
  counts as "one of the trained leaves below it": the loss is -log of their summed probability;
- optionally the retailer catalogue (``products.csv`` + photos), class-balanced.

The objective is full-batch and convex: weighted cross-entropy of the calibrated probabilities
softmax((XW + b) / T) plus an L2 pull towards the current head (warm start and anchor: without a
catalogue the old head is what keeps the other classes in place). Corrections weigh more than a
catalogue photo, so a handful of them move the decision boundary at once. It is solved with
L-BFGS on the CPU: a few seconds for 10,000 products (benchmarks/headonly_bench.py).
"""

from __future__ import annotations

import copy
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from icaam_desktop.core.jobs import CancelToken, Progress, no_progress
from icaam_desktop.core.taxonomy import Taxonomy

CORRECTION_WEIGHT = 10.0  # one analyst decision weighs this many average catalogue photos
L2_TO_CURRENT = 1e-3  # pull towards the current head, per weight (relative to the mean loss)
DEFAULT_ITERATIONS = 40  # L-BFGS iterations (each one full pass over the examples)
FIT_THREADS = 1
MAX_REPLAY = 3000  # photos of uncorrected workspace products kept in place by distillation
CATALOG_PER_LEAF = 40  # catalogue photos per leaf per retrain (reweighted: the objective stays balanced)
MIN_VALIDATION = 500  # catalogue validation products needed to refit temperature and thresholds
EMBED_BATCH = 64


@dataclass
class TrainingSet:
    """Hard examples with set-valued targets, plus replay examples that keep the current head's answers.

    ``targets[i, j]`` is True when leaf ``labels[j]`` is a right answer for example i. Replay rows
    carry the current model's calibrated probabilities as soft targets (distillation): they keep the
    products nobody corrected where they were, which an L2 pull on the weights alone does not.
    """

    embeddings: np.ndarray  # [n, d] float32
    targets: np.ndarray  # [n, n_labels] bool, at least one True per row
    weights: np.ndarray  # [n] float64
    replay_embeddings: np.ndarray | None = None  # [m, d] float32
    replay_probs: np.ndarray | None = None  # [m, n_labels] float32, rows sum to 1
    replay_weights: np.ndarray | None = None  # [m] float64
    n_corrections: int = 0  # photos from analyst decisions (they come first in ``embeddings``)
    n_catalog: int = 0


@dataclass
class HeadRetrainResult:
    classifier: object  # the retrained core.classify Classifier (a new object; the old one is untouched)
    model_dir: Path | None  # where the new model was saved (None when not saved)
    version: str
    n_corrections: int  # analyst decisions used
    n_catalog: int  # catalogue products used for training
    n_embedded: int  # images embedded now (cache misses)
    n_cached: int  # images whose embedding came from the cache
    fit_seconds: float
    total_seconds: float
    corrections_fit_before: float  # share of corrections whose top-1 leaf satisfied the decision, before
    corrections_fit_after: float  # ... and after the retrain
    recalibrated: bool  # temperature and thresholds refitted on catalogue validation products
    skipped: list[str] = field(default_factory=list)  # decisions/products not used, with the reason
    validation: dict | None = None  # metrics.evaluate on the validation split when recalibrated


# ----------------------------------------------------------------------------- targets


def target_row(code: str, labels: Sequence[str], taxonomy: Taxonomy) -> np.ndarray | None:
    """The leaves of ``labels`` at or below ``code`` as a bool row; None when the model has none of them."""
    if code not in taxonomy.categories:
        return None
    below = set(taxonomy.subtree(code))
    row = np.fromiter((label in below for label in labels), dtype=bool, count=len(labels))
    return row if row.any() else None


def balanced_weights(leaves: Sequence[str], *, power: float = 0.5) -> np.ndarray:
    """Per example ``count(leaf) ** -power``, scaled to mean 1: rare leaves count more, without overfitting them."""
    counts = Counter(leaves)
    w = np.array([counts[leaf] ** -power for leaf in leaves], dtype=np.float64)
    return w * (len(w) / w.sum()) if len(w) else w


# ----------------------------------------------------------------------------- the fit


def fit_head(
    data: TrainingSet,
    *,
    weight: np.ndarray,
    bias: np.ndarray,
    temperature: float = 1.0,
    l2: float = L2_TO_CURRENT,
    iterations: int = DEFAULT_ITERATIONS,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise the weighted set-valued cross-entropy of softmax((XW+b)/T) + l2/2 |(W,b) - (W0,b0)|^2.

    ``weight`` is the current head's ``[n_labels, d]`` matrix, ``bias`` its ``[n_labels]`` vector
    (warm start and anchor). The unknowns are the change (A, db) = (W - W0, b - b0), and the current
    head's logits are computed once. Returns the new (weight, bias) as float32.
    """
    import torch

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

    # Near-zero probabilities make denormal floats, which slow CPU matmuls down twenty-fold.
    torch.set_flush_denormal(True)
    # These matrices are small: thread hand-offs cost more than they save, and far more when the
    # machine is busy (measured 3x slower with 2 threads under load on the 2-core dev box).
    threads = torch.get_num_threads()
    torch.set_num_threads(FIT_THREADS)
    try:
        w0, b0 = tensor(weight), tensor(bias)
        has_replay = data.replay_embeddings is not None and len(data.replay_embeddings) > 0
        total = float(data.weights.sum()) + (float(data.replay_weights.sum()) if has_replay else 0.0)

        def parts(x: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
            """(logits of the current head, the embeddings as a tensor)."""
            xt = tensor(x)
            return torch.addmm(b0, xt, w0.t()), xt

        z_hard, x_hard = parts(data.embeddings)
        mask, w_hard = torch.from_numpy(data.targets), tensor(data.weights / total)
        if has_replay:
            z_replay, x_replay = parts(data.replay_embeddings)
            q_replay, w_replay = tensor(data.replay_probs), tensor(data.replay_weights / total)
        a = torch.zeros(len(b0), x_hard.shape[1], requires_grad=True)
        db = torch.zeros(len(b0), requires_grad=True)
        neg_inf = torch.tensor(float("-inf"))
        optimiser = torch.optim.LBFGS(
            [a, db], lr=1.0, max_iter=iterations, history_size=10, line_search_fn="strong_wolfe", tolerance_change=1e-9
        )

        def closure() -> torch.Tensor:
            if cancel is not None:
                cancel.raise_if_cancelled()
            optimiser.zero_grad()
            logits = (z_hard + torch.addmm(db, x_hard, a.t())) / temperature
            log_right = torch.logsumexp(torch.where(mask, logits, neg_inf), dim=1)
            loss = ((torch.logsumexp(logits, dim=1) - log_right) * w_hard).sum()
            if has_replay:
                log_p = torch.log_softmax((z_replay + torch.addmm(db, x_replay, a.t())) / temperature, dim=1)
                loss = loss - ((log_p * q_replay).sum(dim=1) * w_replay).sum()
            loss = loss + 0.5 * l2 * ((a**2).sum() + (db**2).sum())
            loss.backward()
            return loss

        optimiser.step(closure)
        with torch.no_grad():
            w = w0 + a
            b = b0 + db
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)
    return w.numpy().copy(), b.numpy().copy()


def satisfied(probs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per row: is the top-1 leaf one of the right ones?"""
    if len(probs) == 0:
        return np.zeros(0, dtype=bool)
    return targets[np.arange(len(probs)), probs.argmax(axis=1)]


# ----------------------------------------------------------------------------- gathering examples


@dataclass
class _Example:
    image: Path
    target: np.ndarray
    weight: float
    group: str  # "correction" or "catalog"
    leaf: str = ""


def _workspace_examples(
    workspace, delivery: str | None, labels: Sequence[str], taxonomy: Taxonomy, skipped: list[str]
) -> tuple[list[_Example], list[_Example], int]:
    """(correction photos, replay photos, corrected products) from one delivery or all of them.

    Replay: the usable photos of each product without an analyst category decision.
    """
    from icaam_desktop.core.store import FIELD_CATEGORY, SOURCE_ANALYST

    names = [delivery] if delivery else list(workspace.delivery_names())
    corrections: list[_Example] = []
    replay: list[_Example] = []
    n_products = 0
    for name in names:
        images = {p.product_id: [im for im in p.images if im.ok] for p in workspace.products(name)}
        decided: set[str] = set()
        for decision in workspace.decisions(name):
            if decision.field != FIELD_CATEGORY or decision.source != SOURCE_ANALYST:
                continue
            decided.add(decision.product_id)
            if not decision.value:  # the analyst rejected the product: nothing to learn
                continue
            where = f"{name}/{decision.product_id}"
            target = target_row(decision.value, labels, taxonomy)
            if target is None:
                skipped.append(
                    f"{where}: the model has no trained category at or below {decision.value!r}; "
                    "a full fine-tune is needed to learn it"
                )
                continue
            usable = images.get(decision.product_id, [])
            if not usable:
                skipped.append(f"{where}: no usable photo")
                continue
            n_products += 1
            for im in usable:  # the product's weight is shared by its photos
                corrections.append(_Example(Path(im.path), target, CORRECTION_WEIGHT / len(usable), "correction"))
        for product_id, usable in images.items():
            if product_id not in decided and usable:
                # every photo (weight shared), so the cache then holds the whole delivery for predict_cached
                replay += [
                    _Example(Path(im.path), np.zeros(0, dtype=bool), 1.0 / len(usable), "replay") for im in usable
                ]
    if len(replay) > MAX_REPLAY:
        keep = np.random.default_rng(0).choice(len(replay), MAX_REPLAY, replace=False)
        replay = [replay[i] for i in sorted(keep)]
    return corrections, replay, n_products


def _catalog_examples(items: Sequence, labels: Sequence[str], taxonomy: Taxonomy, skipped: list[str]) -> list[_Example]:
    index = {code: i for i, code in enumerate(labels)}
    kept = [it for it in items if it.leaf in index]
    missing = Counter(it.leaf for it in items if it.leaf not in index)
    for leaf, n in sorted(missing.items()):
        skipped.append(f"catalogue: {n} product(s) of {leaf!r}, a leaf the model was not trained on")
    weights = balanced_weights([it.leaf for it in kept])
    # At most CATALOG_PER_LEAF photos per leaf, each standing in for its leaf's skipped ones: the
    # objective keeps its class balance while a retrain touches a bounded number of rows.
    by_leaf: dict[str, list[int]] = {}
    for i, it in enumerate(kept):
        by_leaf.setdefault(it.leaf, []).append(i)
    rng = np.random.default_rng(0)
    out = []
    for leaf, rows in sorted(by_leaf.items()):
        chosen = rows if len(rows) <= CATALOG_PER_LEAF else sorted(rng.choice(rows, CATALOG_PER_LEAF, replace=False))
        scale = len(rows) / len(chosen)
        for i in chosen:
            target = np.zeros(len(labels), dtype=bool)
            target[index[leaf]] = True
            out.append(_Example(Path(kept[i].image), target, float(weights[i] * scale), "catalog", leaf))
    return out


def embed_with_cache(
    *,
    classifier,
    workspace,
    paths: Sequence[Path],
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Embeddings of ``paths`` from the workspace cache, computing and caching only the missing ones.

    Returns (embeddings [n_ok, d], indices of the paths that decoded, n_embedded, n_cached).
    """
    keys = [_key(p) for p in paths]  # None: the photo is gone since it was imported
    cached = workspace.get_embeddings(classifier.backbone_id, [k for k in keys if k])
    todo = sorted({k: p for k, p in zip(keys, paths, strict=True) if k and k not in cached}.items())
    if todo:
        emb, errors = classifier.embed_paths(
            [p for _, p in todo], batch_size=EMBED_BATCH, progress=progress, cancel=cancel
        )
        fresh = {k: emb[i] for i, ((k, _), err) in enumerate(zip(todo, errors, strict=True)) if err is None}
        if fresh:
            workspace.put_embeddings(classifier.backbone_id, fresh)
        cached.update(fresh)
    ok = np.array([i for i, k in enumerate(keys) if k in cached], dtype=np.int64)
    dim = int(classifier.model.head.in_features)
    matrix = np.stack([cached[keys[i]] for i in ok]) if len(ok) else np.zeros((0, dim), dtype=np.float32)
    n_cached = len(keys) - len(todo)
    return matrix.astype(np.float32, copy=False), ok, len(todo), n_cached


def _key(path: Path) -> str | None:
    """The photo's cache key, or None when it cannot be read any more (moved or deleted since the import)."""
    from icaam_desktop.core.store import image_key

    try:
        return image_key(path)
    except OSError:
        return None


def _to_training_set(classifier, examples: list[_Example], emb: np.ndarray, ok: np.ndarray) -> TrainingSet:
    """Hard rows (corrections first, then catalogue) and replay rows with the current model's probabilities."""
    used = [examples[i] for i in ok]
    hard = [i for i, e in enumerate(used) if e.group != "replay"]
    hard.sort(key=lambda i: used[i].group != "correction")
    soft = [i for i, e in enumerate(used) if e.group == "replay"]
    n_labels = len(classifier.labels)
    replay_emb = emb[soft]
    return TrainingSet(
        embeddings=emb[hard],
        targets=np.stack([used[i].target for i in hard]) if hard else np.zeros((0, n_labels), dtype=bool),
        weights=np.array([used[i].weight for i in hard], dtype=np.float64),
        replay_embeddings=replay_emb,
        replay_probs=classifier.leaf_probs_from_embeddings(replay_emb).astype(np.float32) if soft else None,
        replay_weights=np.array([used[i].weight for i in soft], dtype=np.float64),
        n_corrections=sum(1 for i in hard if used[i].group == "correction"),
        n_catalog=sum(1 for i in hard if used[i].group == "catalog"),
    )


# ----------------------------------------------------------------------------- the job


def bump_version(version: str) -> str:
    """``1.2`` -> ``1.2-h1`` -> ``1.2-h2``: head-only retrains of the same full fine-tune."""
    found = re.fullmatch(r"(.*)-h(\d+)", version or "")
    if found:
        return f"{found.group(1)}-h{int(found.group(2)) + 1}"
    return f"{version or '0'}-h1"


def retrain_head(
    *,
    classifier,
    workspace,
    taxonomy: Taxonomy,
    catalog: Path | None = None,
    delivery: str | None = None,
    epochs: int = DEFAULT_ITERATIONS,
    out_dir: Path | None = None,
    save: bool = True,
    tracker=None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> HeadRetrainResult:
    """Retrain ``classifier``'s head on the workspace's analyst decisions (+ the catalogue); return a new model.

    ``epochs`` is the number of full-batch L-BFGS iterations. With a catalogue of at least
    MIN_VALIDATION validation products (the training split's own seed), temperature and thresholds
    are refitted there; otherwise the current ones are kept. The new model is saved (``save``) to
    ``out_dir`` (default: a new folder under the user data dir's ``models/``) with a card saying
    what was done; activating it is the caller's choice (``tracking.activate_model``). With a
    ``tracking.RunTracker``, the retrain is logged to it: parameters, the fit on the corrections,
    the validation metrics and plots when recalibrated, and the saved model (a new registry version).
    The caller opens and finishes the run.
    """
    from icaam_desktop.core.classify.model_io import Classifier, save_classifier

    started = time.perf_counter()
    classifier.check_taxonomy(taxonomy)
    labels = list(classifier.labels)
    skipped: list[str] = []
    progress(0, None, "collecting corrections")
    examples, replay, n_decisions = _workspace_examples(workspace, delivery, labels, taxonomy, skipped)
    validation_items: list = []
    if catalog is not None:
        from icaam_desktop.core.training.data import load_catalog, split_items

        loaded = load_catalog(catalog, taxonomy=taxonomy)
        skipped.extend(f"catalogue {p}" for p in loaded.problems)
        parts = split_items(loaded.items)
        train_items = parts["train"] + parts["test"]
        validation_items = [it for it in parts["val"] if it.leaf in set(labels)]
        if len(validation_items) < MIN_VALIDATION:
            train_items, validation_items = loaded.items, []
        examples += _catalog_examples(train_items, labels, taxonomy, skipped)
    examples += replay
    if n_decisions == 0 and not any(e.group == "catalog" for e in examples):
        raise ValueError(
            "nothing to learn from: no accepted analyst category decision"
            + (" and no catalogue" if catalog is None else "")
        )
    if cancel:
        cancel.raise_if_cancelled()

    all_paths = [e.image for e in examples] + [Path(it.image) for it in validation_items]
    progress(0, len(all_paths), "embeddings")
    emb, ok, n_embedded, n_cached = embed_with_cache(
        classifier=classifier, workspace=workspace, paths=all_paths, progress=progress, cancel=cancel
    )
    n_train = len(examples)
    train_rows = ok < n_train
    data = _to_training_set(classifier, examples, emb[train_rows], ok[train_rows])
    for i in sorted(set(range(n_train)) - set(ok[train_rows].tolist())):
        skipped.append(f"{examples[i].image.name}: could not be decoded")
    if len(data.embeddings) == 0:
        raise ValueError("nothing to learn from: none of the photos could be decoded")
    if cancel:
        cancel.raise_if_cancelled()

    head = classifier.model.head
    w0 = head.weight.detach().cpu().numpy()
    b0 = head.bias.detach().cpu().numpy()
    correction_rows = np.arange(data.n_corrections) if data.n_corrections else np.zeros(0, dtype=np.int64)
    before = satisfied(
        classifier.leaf_probs_from_embeddings(data.embeddings[correction_rows]), data.targets[correction_rows]
    )
    progress(0, None, "fitting the head")
    fit_started = time.perf_counter()
    w, b = fit_head(data, weight=w0, bias=b0, temperature=classifier.temperature, iterations=epochs, cancel=cancel)
    fit_seconds = time.perf_counter() - fit_started

    new_model = copy.deepcopy(classifier.model)
    import torch

    with torch.no_grad():
        new_model.head.weight.copy_(torch.from_numpy(w))
        new_model.head.bias.copy_(torch.from_numpy(b))
    card = _new_card(classifier.card, n_decisions=n_decisions, n_catalog=data.n_catalog, catalog=catalog)
    retrained = Classifier(new_model, card, classifier.device, classifier.device_description)
    after = satisfied(
        retrained.leaf_probs_from_embeddings(data.embeddings[correction_rows]), data.targets[correction_rows]
    )

    validation = None
    val_rows = ok[ok >= n_train] - n_train
    if validation_items and len(val_rows) >= MIN_VALIDATION:
        validation = _recalibrate(retrained, emb[ok >= n_train], [validation_items[i].leaf for i in val_rows], taxonomy)
    model_dir = None
    if save:
        model_dir = Path(out_dir) if out_dir else _default_out_dir(card["version"])
        save_classifier(new_model, folder=model_dir, card=retrained.card)
    result = HeadRetrainResult(
        classifier=retrained,
        model_dir=model_dir,
        version=card["version"],
        n_corrections=n_decisions,
        n_catalog=data.n_catalog,
        n_embedded=n_embedded,
        n_cached=n_cached,
        fit_seconds=fit_seconds,
        total_seconds=time.perf_counter() - started,
        corrections_fit_before=float(before.mean()) if len(before) else math.nan,
        corrections_fit_after=float(after.mean()) if len(after) else math.nan,
        recalibrated=validation is not None,
        skipped=skipped,
        validation=validation,
    )
    if tracker is not None:
        _log(tracker, result, catalog=catalog, delivery=delivery, epochs=epochs)
    progress(1, 1, "done")
    return result


def _log(tracker, result: HeadRetrainResult, *, catalog: Path | None, delivery: str | None, epochs: int) -> None:
    """Record a head-only retrain in an MLflow run (see ``core.training.tracking``)."""
    tracker.log_params(
        {
            "mode": "head-only",
            "parent_version": result.classifier.card.get("parent_version", ""),
            "version": result.version,
            "catalog": str(catalog or ""),
            "delivery": delivery or "(all)",
            "lbfgs_iterations": epochs,
            "correction_weight": CORRECTION_WEIGHT,
            "l2_to_previous_head": L2_TO_CURRENT,
        }
    )
    tracker.log_metrics(
        {
            "corrections": result.n_corrections,
            "catalog_photos": result.n_catalog,
            "corrections_fit_before": result.corrections_fit_before,
            "corrections_fit_after": result.corrections_fit_after,
            "fit_seconds": result.fit_seconds,
            "total_seconds": result.total_seconds,
        }
    )
    if result.validation is not None:
        tracker.log_evaluation(result.validation, prefix="val_")
    if result.model_dir is not None:
        tracker.log_model(result.model_dir)


def _new_card(card: dict, *, n_decisions: int, n_catalog: int, catalog: Path | None) -> dict:
    new = copy.deepcopy(card)
    new["parent_version"] = card.get("version", "")
    new["version"] = bump_version(str(card.get("version", "")))
    new["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    what = f"head-only retrain from {n_decisions} corrections"
    if catalog is not None:
        what += f" and {n_catalog} catalogue photos ({catalog})"
    new["head_only"] = {
        "note": what,
        "corrections": n_decisions,
        "catalog_photos": n_catalog,
        "correction_weight": CORRECTION_WEIGHT,
        "l2_to_previous_head": L2_TO_CURRENT,
    }
    new.setdefault("history", []).append(what)
    return new


def _recalibrate(classifier, emb: np.ndarray, leaves: list[str], taxonomy: Taxonomy) -> dict:
    """Refit temperature and per-level thresholds on validation embeddings; store them in the card."""
    from icaam_desktop.core.training.metrics import NEVER_ACCEPT, choose_thresholds, evaluate, fit_temperature

    labels = classifier.labels
    index = {c: i for i, c in enumerate(labels)}
    logits = classifier.leaf_logits_from_embeddings(emb)
    classifier.temperature = fit_temperature(logits, np.array([index[leaf] for leaf in leaves]))
    probs = classifier.leaf_probs_from_embeddings(emb)
    target = float(classifier.card.get("target_error", 0.01))
    chosen = choose_thresholds(probs=probs, y_true_leaf=leaves, labels=labels, taxonomy=taxonomy, target_error=target)
    classifier.thresholds = [min(chosen[d], NEVER_ACCEPT) for d in sorted(chosen)]
    classifier.card["temperature"] = classifier.temperature
    classifier.card["thresholds"] = classifier.thresholds
    result = evaluate(y_true_leaf=leaves, probs=probs, labels=labels, taxonomy=taxonomy, thresholds=chosen)
    from icaam_desktop.core.training.metrics import flat_metrics

    classifier.card.setdefault("metrics", {})["head_only_validation"] = flat_metrics(result)
    return result


def _default_out_dir(version: str) -> Path:
    from icaam_desktop import paths

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", version)
    return paths.user_data_dir() / "models" / f"headonly-{safe}-{stamp}"


def predict_cached(*, classifier, workspace, taxonomy: Taxonomy, delivery: str) -> tuple[list, list[str]]:
    """Re-predict a delivery from the embedding cache alone: milliseconds after a head-only retrain.

    Returns (predictions of the products whose usable photos are all cached, ids of the others);
    the others (photos never embedded, or none usable) need the normal classifier run. Photos are
    aggregated per product exactly as ``Classifier.predict_products`` does.
    """
    from icaam_desktop.core.classify.hierarchy import LevelIndex, aggregate_images, build_predictions

    classifier.check_taxonomy(taxonomy)
    products = workspace.products(delivery)
    keys = {p.product_id: [_key(im.path) for im in p.images if im.ok] for p in products}
    cached = workspace.get_embeddings(classifier.backbone_id, [k for ks in keys.values() for k in ks if k])
    ready = [p for p in products if keys[p.product_id] and all(k in cached for k in keys[p.product_id])]
    ready_ids = {p.product_id for p in ready}
    others = [p.product_id for p in products if p.product_id not in ready_ids]
    if not ready:
        return [], others
    rows, groups = [], []
    for p in ready:
        groups.append(list(range(len(rows), len(rows) + len(keys[p.product_id]))))
        rows += [cached[k] for k in keys[p.product_id]]
    probs = classifier.leaf_probs_from_embeddings(np.stack(rows))
    index = LevelIndex.build(taxonomy, classifier.labels)
    predictions = build_predictions(
        [p.product_id for p in ready],
        aggregate_images(probs, groups, method=classifier.aggregation),
        index=index,
        thresholds=classifier.thresholds or [0.0] * index.depth,
        model_version=classifier.version,
        n_images=[len(g) for g in groups],
        reasons=[[f"{im.rel}: {im.verdict} ({im.reason})" for im in p.images if not im.ok] for p in ready],
    )
    return predictions, others


def repredict_from_cache(*, classifier, workspace, taxonomy: Taxonomy, delivery: str) -> tuple[int, list[str]]:
    """After a head-only retrain: save new predictions for every product whose photos are all cached.

    Returns (how many were re-predicted, ids of the others). The others still need a classifier run,
    which skips the ones done here (the same model version).
    """
    predictions, others = predict_cached(
        classifier=classifier, workspace=workspace, taxonomy=taxonomy, delivery=delivery
    )
    if predictions:
        workspace.save_predictions(delivery, predictions)
    return len(predictions), others
