"""Choosing thresholds and measuring a model's predictions against known leaves.

Used by training (thresholds and temperature on the validation split, metrics on the
test split) and by the benchmark/eval scripts. Everything works on calibrated leaf
probabilities and the same top-down decision the classifier uses, so what is measured is
exactly what ``icaam classify`` will do.
"""

from __future__ import annotations

import numpy as np

from icaam_desktop.core.classify.hierarchy import (
    LevelIndex,
    choose_threshold,
    coverage_error_curve,
    expected_calibration_error,
)


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean F1 over the classes that occur in the truth or the predictions."""
    classes = np.union1d(np.unique(y_true), np.unique(y_pred))
    scores = []
    for c in classes:
        tp = float(np.sum((y_pred == c) & (y_true == c)))
        fp = float(np.sum((y_pred == c) & (y_true != c)))
        fn = float(np.sum((y_pred != c) & (y_true == c)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def fit_thresholds(probs: np.ndarray, true_leaves: list[str], *, index: LevelIndex, target_error: float) -> list[float]:
    """Per level, the lowest confidence at which the accepted validation items err <= ``target_error``."""
    cols, confs, _ = index.decide_columns(probs)
    truth = index.true_columns(true_leaves)
    return [choose_threshold(confs[d], cols[d] == truth[d], target_error=target_error) for d in range(index.depth)]


def summarize(
    probs: np.ndarray, true_leaves: list[str], *, index: LevelIndex, thresholds: list[float] | None = None
) -> dict:
    """Per-level accuracy and macro-F1, leaf top-1, ECE, and (with thresholds) auto coverage/error.

    ``auto`` = every level accepted (the product needs no human); its error is the leaf
    error among those products. Also the coverage-vs-error curve of the leaf confidence.
    """
    cols, confs, _ = index.decide_columns(probs)
    truth = index.true_columns(true_leaves)
    n = len(true_leaves)
    out: dict = {"n": n, "levels": []}
    for d in range(index.depth):
        correct = cols[d] == truth[d]
        out["levels"].append(
            {
                "depth": d + 1,
                "accuracy": float(correct.mean()) if n else 0.0,
                "macro_f1": macro_f1(truth[d], cols[d]),
                "ece": expected_calibration_error(confs[d], correct),
            }
        )
    leaf_correct = cols[-1] == truth[-1]
    out["leaf_top1"] = float(leaf_correct.mean()) if n else 0.0
    argmax_leaf = np.argmax(probs, axis=1)
    out["leaf_top1_argmax"] = float((argmax_leaf == truth[-1]).mean()) if n else 0.0
    top3 = np.argsort(-probs, axis=1)[:, :3]
    out["leaf_top3"] = float(np.mean([truth[-1][i] in top3[i] for i in range(n)])) if n else 0.0
    out["coverage_error_leaf"] = coverage_error_curve(confs[-1], leaf_correct)
    if thresholds is not None:
        accepted = np.ones(n, dtype=bool)
        per_level = []
        for d in range(index.depth):
            accepted &= confs[d] >= thresholds[d]
            err = float(1.0 - (cols[d] == truth[d])[accepted].mean()) if accepted.any() else 0.0
            per_level.append({"depth": d + 1, "coverage": float(accepted.mean()) if n else 0.0, "error": err})
        out["accepted_per_level"] = per_level
        out["auto_rate"] = per_level[-1]["coverage"]
        out["auto_error"] = per_level[-1]["error"]
        out["thresholds"] = list(map(float, thresholds))
    return out


def short_report(summary: dict) -> str:
    """One line for logs: per-level accuracy / macro-F1 and the auto rate."""
    parts = [f"L{lv['depth']} acc {lv['accuracy']:.3f} F1 {lv['macro_f1']:.3f}" for lv in summary["levels"]]
    if "auto_rate" in summary:
        parts.append(f"auto {summary['auto_rate']:.3f} @ err {summary['auto_error']:.3f}")
    return ", ".join(parts)
