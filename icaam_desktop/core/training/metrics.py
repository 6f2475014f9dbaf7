"""Hierarchical evaluation of leaf probabilities: per-level accuracy/F1, hierarchical F1,
mistake severity, coverage-vs-error, confusion matrices, calibration, thresholds, temperature.

Pure numpy on purpose: this module must import on a bare GPU box and inside the training loop
without pulling in sklearn or mlflow.

Conventions shared with the classifier:
- ``probs`` is ``[n, len(labels)]``: one softmax over the model's leaf ``labels``.
- A level's probability of a category is the sum of its leaves' probabilities (the leaf softmax
  marginalised up the tree), so the levels always agree.
- Per-level predictions are decoded top-down: the most probable level-1 category, then its most
  probable child, and so on (``decode_paths``). The path is consistent by construction and each
  level's confidence is never higher than its parent's.
- A leaf shallower than the tree's depth stands for itself at the deeper levels.
- A product whose true leaf is not in ``labels`` (a category the model never saw) is scored, and
  counts as an error wherever the model cannot name it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from icaam_desktop.core.classify.hierarchy import (  # one implementation of calibration and thresholds
    NEVER_ACCEPT,
    choose_threshold,
    expected_calibration_error,
)
from icaam_desktop.core.classify.hierarchy import fit_temperature as _fit_temperature
from icaam_desktop.core.taxonomy import Taxonomy

CURVE_POINTS = 200  # coverage-vs-error curves are thinned to about this many points


def padded_path(taxonomy: Taxonomy, code: str) -> tuple[str, ...]:
    """Level-1 .. max-depth codes for ``code``; a shallow category repeats itself below."""
    path = taxonomy.ancestors(code)
    depth = taxonomy.max_depth
    if not path:
        raise ValueError(f"{code!r} is the taxonomy root, not a category")
    return path + (path[-1],) * (depth - len(path))


def _check_labels(labels: Sequence[str], taxonomy: Taxonomy) -> None:
    unknown = [c for c in labels if c not in taxonomy.categories]
    if unknown:
        raise ValueError(
            f"{len(unknown)} model label(s) are not in the taxonomy (e.g. {unknown[:3]}): "
            "the model was trained on another category tree"
        )


def marginalise(
    probs: np.ndarray, labels: Sequence[str], taxonomy: Taxonomy
) -> dict[int, tuple[list[str], np.ndarray]]:
    """Per level: (codes, ``[n, len(codes)]`` probabilities) summed up from the leaf softmax.

    Codes at a level are the ancestors of ``labels`` at that level, in first-seen label order.
    """
    _check_labels(labels, taxonomy)
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(labels):
        raise ValueError(f"probs has shape {probs.shape}, expected [n, {len(labels)}]")
    paths = [padded_path(taxonomy, c) for c in labels]
    out: dict[int, tuple[list[str], np.ndarray]] = {}
    for depth in range(1, taxonomy.max_depth + 1):
        codes = list(dict.fromkeys(p[depth - 1] for p in paths))
        index = {c: i for i, c in enumerate(codes)}
        member = np.zeros((len(labels), len(codes)))
        for row, path in enumerate(paths):
            member[row, index[path[depth - 1]]] = 1.0
        out[depth] = (codes, probs @ member)
    return out


def decode_paths(
    level_probs: Mapping[int, tuple[list[str], np.ndarray]], taxonomy: Taxonomy
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Top-down consistent decoding: per level (predicted code index, its probability)."""
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    previous: np.ndarray | None = None
    previous_codes: list[str] = []
    for depth in sorted(level_probs):
        codes, p = level_probs[depth]
        if previous is None:
            idx = p.argmax(axis=1)
        else:
            parent_index = {c: i for i, c in enumerate(previous_codes)}
            parents = np.array([parent_index[padded_path(taxonomy, c)[depth - 2]] for c in codes])
            allowed = parents[None, :] == previous[:, None]
            idx = np.where(allowed, p, -1.0).argmax(axis=1)
        out[depth] = (idx, p[np.arange(len(p)), idx])
        previous, previous_codes = idx, codes
    return out


def _true_paths(y_true_leaf: Sequence[str], taxonomy: Taxonomy) -> list[tuple[str, ...]]:
    unknown = sorted({y for y in y_true_leaf if y not in taxonomy.categories or y == taxonomy.root})
    if unknown:
        raise ValueError(f"{len(unknown)} true label(s) are not categories of the taxonomy: {unknown[:5]}")
    return [padded_path(taxonomy, y) for y in y_true_leaf]


def _macro_f1(confusion: dict) -> float:
    """Macro-F1 over the union of true and predicted classes (sklearn's default), from the confusion counts."""
    counts = np.asarray(confusion["counts"], dtype=np.float64)
    if counts.size == 0:
        return 0.0
    tp = np.diag(counts)
    denominator = counts.sum(axis=0) + counts.sum(axis=1)  # 2TP + FP + FN
    return float(np.mean(np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)))


def _confusion(
    y_true: Sequence[str], y_pred: Sequence[str], taxonomy: Taxonomy, ids: Sequence[str] | None = None
) -> dict:
    """Labels (tree order) and counts [true][predicted]; with ``ids``, ``cells``: the products behind each cell."""
    order = {c: i for i, c in enumerate(taxonomy.categories)}
    codes = sorted(set(y_true) | set(y_pred), key=lambda c: order.get(c, len(order)))
    index = {c: i for i, c in enumerate(codes)}
    counts = np.zeros((len(codes), len(codes)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        counts[index[t], index[p]] += 1
    out: dict = {"labels": codes, "counts": counts.tolist()}
    if ids is not None:
        cells: dict[tuple[str, str], list[str]] = {}
        for t, p, pid in zip(y_true, y_pred, ids, strict=True):
            cells.setdefault((t, p), []).append(pid)
        # [true, predicted, [product ids]] per non-empty cell: what the GUI lists when a cell is clicked
        out["cells"] = [
            [t, p, members]
            for (t, p), members in sorted(cells.items(), key=lambda kv: (index[kv[0][0]], index[kv[0][1]]))
        ]
    return out


def tree_distance(taxonomy: Taxonomy, a: str, b: str) -> int:
    """Edges on the path between two categories (0 when equal)."""
    pa, pb = taxonomy.ancestors(a), taxonomy.ancestors(b)
    common = 0
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common += 1
    return len(pa) + len(pb) - 2 * common


def coverage_error_curve(confidence: np.ndarray, correct: np.ndarray) -> dict:
    """Accept the most confident first: ``points`` [(coverage, error)] and the ``thresholds`` that give them.

    One point per distinct confidence (ties are accepted together), thinned to about CURVE_POINTS.
    """
    n = len(confidence)
    if n == 0:
        return {"points": [], "thresholds": []}
    order = np.argsort(-confidence, kind="stable")
    conf_sorted = confidence[order]
    errors = np.cumsum(~correct[order])
    # The last index of each run of equal confidences is a valid cut point.
    cut = np.flatnonzero(np.append(conf_sorted[1:] != conf_sorted[:-1], True))
    if len(cut) > CURVE_POINTS:
        keep = np.unique(np.linspace(0, len(cut) - 1, CURVE_POINTS).round().astype(int))
        cut = cut[keep]
    accepted = cut + 1
    points = [[float(a / n), float(errors[c] / a)] for a, c in zip(accepted, cut, strict=True)]
    return {"points": points, "thresholds": [float(conf_sorted[c]) for c in cut]}


def _normalise_thresholds(
    thresholds: Mapping[int | str, float] | Sequence[float] | None,
) -> dict[int, float] | None:
    """{level: threshold} from a mapping (int or str keys) or a list (index 0 = level 1, as in the model card)."""
    if thresholds is None:
        return None
    if isinstance(thresholds, Mapping):
        return {int(k): float(v) for k, v in thresholds.items()}
    return {d + 1: float(v) for d, v in enumerate(thresholds)}


def _predictions(
    probs: np.ndarray, labels: Sequence[str], taxonomy: Taxonomy
) -> tuple[dict[int, list[str]], dict[int, np.ndarray]]:
    levels = marginalise(probs, labels, taxonomy)
    decoded = decode_paths(levels, taxonomy)
    codes = {d: [levels[d][0][i] for i in decoded[d][0]] for d in levels}
    confidence = {d: decoded[d][1] for d in levels}
    return codes, confidence


def evaluate(
    *,
    y_true_leaf: Sequence[str],
    probs: np.ndarray,
    labels: Sequence[str],
    taxonomy: Taxonomy,
    thresholds: Mapping[int | str, float] | Sequence[float] | None = None,
    product_ids: Sequence[str] | None = None,
) -> dict:
    """Score leaf probabilities against true leaves on every level of the tree; JSON-serialisable.

    Keys: ``n``, ``depth``, ``levels`` (by str(depth): accuracy, macro_f1, n_classes, coverage_error,
    confusion), ``hierarchical`` (precision/recall/F1 over ancestor sets, micro-averaged), ``severity``
    (tree distance of each error), ``ece_leaf``, ``unknown_true_leaves`` and, with ``thresholds``,
    ``at_thresholds`` (per-level coverage/error with the deepest-confident-level rule and the share
    auto-accepted to the leaf). With ``product_ids`` (one per row), each confusion matrix also
    lists the products behind each cell (``cells``).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if product_ids is not None and len(product_ids) != len(probs):
        raise ValueError(f"{len(product_ids)} product ids for {len(probs)} probability rows")
    if len(y_true_leaf) != len(probs):
        raise ValueError(f"{len(y_true_leaf)} true labels for {len(probs)} probability rows")
    depth = taxonomy.max_depth
    true_paths = _true_paths(y_true_leaf, taxonomy)
    pred_codes, confidence = _predictions(probs, labels, taxonomy)
    n = len(true_paths)
    label_set = set(labels)
    result: dict = {
        "n": n,
        "depth": depth,
        "unknown_true_leaves": sum(1 for y in y_true_leaf if y not in label_set),
        "levels": {},
    }
    correct: dict[int, np.ndarray] = {}
    for d in range(1, depth + 1):
        y_true = [p[d - 1] for p in true_paths]
        y_pred = pred_codes[d]
        correct[d] = np.array([t == p for t, p in zip(y_true, y_pred, strict=True)], dtype=bool)
        confusion = _confusion(y_true, y_pred, taxonomy, product_ids)
        result["levels"][str(d)] = {
            "accuracy": float(correct[d].mean()) if n else 0.0,
            "macro_f1": _macro_f1(confusion),
            "n_classes": len(set(y_true)),
            "coverage_error": coverage_error_curve(confidence[d], correct[d]),
            "confusion": confusion,
        }
    pred_leaf = pred_codes[depth]
    result["hierarchical"] = _hierarchical_prf(y_true_leaf, pred_leaf, taxonomy)
    result["severity"] = _severity(y_true_leaf, pred_leaf, taxonomy)
    result["ece_leaf"] = expected_calibration_error(confidence[depth], correct[depth])
    th = _normalise_thresholds(thresholds)
    if th is not None:
        result["at_thresholds"] = _at_thresholds(th, confidence, correct, depth)
    return result


def _hierarchical_prf(y_true: Sequence[str], y_pred: Sequence[str], taxonomy: Taxonomy) -> dict:
    """Kiritchenko's hP/hR/hF: overlaps of the ancestor sets (the category itself included, the root not)."""
    overlap = n_pred = n_true = 0
    for t, p in zip(y_true, y_pred, strict=True):
        at, ap = set(taxonomy.ancestors(t)), set(taxonomy.ancestors(p))
        overlap += len(at & ap)
        n_pred += len(ap)
        n_true += len(at)
    precision = overlap / n_pred if n_pred else 0.0
    recall = overlap / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _severity(y_true: Sequence[str], y_pred: Sequence[str], taxonomy: Taxonomy) -> dict:
    distances = [tree_distance(taxonomy, t, p) for t, p in zip(y_true, y_pred, strict=True)]
    errors = [d for d in distances if d > 0]
    histogram: dict[str, int] = {}
    for d in sorted(errors):
        histogram[str(d)] = histogram.get(str(d), 0) + 1
    return {
        "n_errors": len(errors),
        "mean_over_errors": float(np.mean(errors)) if errors else 0.0,
        "mean_over_all": float(np.mean(distances)) if distances else 0.0,
        "histogram": histogram,
    }


def _at_thresholds(
    thresholds: dict[int, float], confidence: dict[int, np.ndarray], correct: dict[int, np.ndarray], depth: int
) -> dict:
    """Deepest-confident-level rule: a level is accepted when it and every level above pass."""
    n = len(confidence[1]) if confidence else 0
    accepted = np.ones(n, dtype=bool)
    levels = {}
    for d in range(1, depth + 1):
        t = thresholds.get(d, NEVER_ACCEPT)
        accepted = accepted & (confidence[d] >= t)
        k = int(accepted.sum())
        levels[str(d)] = {
            "threshold": t,
            "coverage": k / n if n else 0.0,
            "error": float((~correct[d][accepted]).sum() / k) if k else 0.0,
            "n_accepted": k,
        }
    leaf = levels[str(depth)]
    return {"levels": levels, "auto_leaf_share": leaf["coverage"], "auto_leaf_error": leaf["error"]}


def choose_thresholds(
    *,
    probs: np.ndarray,
    y_true_leaf: Sequence[str],
    labels: Sequence[str],
    taxonomy: Taxonomy,
    target_error: float = 0.01,
) -> dict[int, float]:
    """Per level, the lowest confidence whose accepted set has error <= ``target_error`` (on validation data).

    A level where even the single most confident product is wrong gets NEVER_ACCEPT.
    """
    true_paths = _true_paths(y_true_leaf, taxonomy)
    pred_codes, confidence = _predictions(np.asarray(probs, dtype=np.float64), labels, taxonomy)
    out = {}
    for d in range(1, taxonomy.max_depth + 1):
        correct = np.array([p[d - 1] == c for p, c in zip(true_paths, pred_codes[d], strict=True)], dtype=bool)
        out[d] = choose_threshold(confidence[d], correct, target_error=target_error)
    return out


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """``hierarchy.fit_temperature``, ignoring rows with a negative label (a class the model does not have).

    With nothing left, 1.0.
    """
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    keep = y >= 0
    return _fit_temperature(logits[keep], y[keep]) if keep.any() else 1.0


def flat_metrics(result: Mapping) -> dict[str, float]:
    """The scalar metrics of an ``evaluate`` result under flat names (for MLflow and tables)."""
    flat: dict[str, float] = {}
    for d, level in result["levels"].items():
        flat[f"level{d}_accuracy"] = level["accuracy"]
        flat[f"level{d}_macro_f1"] = level["macro_f1"]
    for key, value in result["hierarchical"].items():
        flat[f"hier_{key}"] = value
    flat["severity_mean_over_errors"] = result["severity"]["mean_over_errors"]
    flat["ece_leaf"] = result["ece_leaf"]
    at = result.get("at_thresholds")
    if at:
        flat["auto_leaf_share"] = at["auto_leaf_share"]
        flat["auto_leaf_error"] = at["auto_leaf_error"]
        for d, level in at["levels"].items():
            flat[f"level{d}_coverage_at_threshold"] = level["coverage"]
            flat[f"level{d}_error_at_threshold"] = level["error"]
    return flat
