"""Leaf probabilities -> consistent per-level predictions, calibration and thresholds.

The model scores trained leaves only. A level's probability of a category is the sum of
its trained leaves' probabilities (marginalisation), so levels can never disagree. The
per-level code is chosen top-down (the best level-1 category, then its best child, ...),
which keeps every level consistent with the one above it; its confidence is the
calibrated marginal probability. A level is accepted when its confidence reaches the
level's threshold and every level above it was accepted; the product is ``auto`` only
when every level down to the leaf is accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from icaam_desktop.core.classify.prediction import (
    STATUS_AUTO,
    STATUS_REVIEW,
    LevelPrediction,
    Prediction,
)
from icaam_desktop.core.taxonomy import Taxonomy


@dataclass
class LevelIndex:
    """For each level 1..depth: the categories that hold trained leaves and a leaf->category map."""

    labels: list[str]  # trained leaf codes = the model's output order
    depth: int
    level_codes: list[list[str]]  # per level, category codes in column order
    leaf_to_node: list[np.ndarray]  # per level, int array [n_leaves]: column of each leaf's ancestor
    children: list[dict[int, np.ndarray]]  # per level d>=2: parent column (level d-1) -> child columns

    @classmethod
    def build(cls, taxonomy: Taxonomy, labels: list[str]) -> LevelIndex:
        """Index the ancestors of ``labels`` in ``taxonomy``; a leaf shallower than the tree stands for itself below."""
        depth = max(len(taxonomy.ancestors(code)) for code in labels)
        level_codes: list[list[str]] = []
        leaf_to_node: list[np.ndarray] = []
        for d in range(1, depth + 1):
            codes: list[str] = []
            column: dict[str, int] = {}
            mapping = np.empty(len(labels), dtype=np.int64)
            for i, leaf in enumerate(labels):
                path = taxonomy.ancestors(leaf)
                node = path[d - 1] if len(path) >= d else leaf
                if node not in column:
                    column[node] = len(codes)
                    codes.append(node)
                mapping[i] = column[node]
            level_codes.append(codes)
            leaf_to_node.append(mapping)
        children: list[dict[int, np.ndarray]] = [{}]
        for d in range(1, depth):
            parent_of = np.full(len(level_codes[d]), -1, dtype=np.int64)
            parent_of[leaf_to_node[d]] = leaf_to_node[d - 1]
            kids = {int(p): np.flatnonzero(parent_of == p) for p in np.unique(parent_of)}
            children.append(kids)
        return cls(
            labels=list(labels), depth=depth, level_codes=level_codes, leaf_to_node=leaf_to_node, children=children
        )

    def level_probs(self, leaf_probs: np.ndarray, d: int) -> np.ndarray:
        """Marginal probabilities [n, categories at level d] (d = 1..depth)."""
        out = np.zeros((leaf_probs.shape[0], len(self.level_codes[d - 1])), dtype=np.float64)
        np.add.at(out.T, self.leaf_to_node[d - 1], leaf_probs.T)
        return out

    def matrices(self) -> list[np.ndarray]:
        """Per level, the 0/1 matrix [n_leaves, n_categories] (used by the hierarchical loss)."""
        mats = []
        for d in range(self.depth):
            m = np.zeros((len(self.labels), len(self.level_codes[d])), dtype=np.float32)
            m[np.arange(len(self.labels)), self.leaf_to_node[d]] = 1.0
            mats.append(m)
        return mats

    def true_columns(self, leaf_codes: list[str]) -> list[np.ndarray]:
        """Per level, the column of each true leaf's ancestor (-1 when the leaf was not trained)."""
        index = {code: i for i, code in enumerate(self.labels)}
        rows = np.array([index.get(code, -1) for code in leaf_codes], dtype=np.int64)
        out = []
        for d in range(self.depth):
            cols = np.where(rows >= 0, self.leaf_to_node[d][np.maximum(rows, 0)], -1)
            out.append(cols)
        return out

    def decide_columns(self, leaf_probs: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Top-down choice per level: (columns, confidences, marginal prob matrices), each a list over levels."""
        n = leaf_probs.shape[0]
        probs = [self.level_probs(leaf_probs, d) for d in range(1, self.depth + 1)]
        cols = [np.argmax(probs[0], axis=1)]
        for d in range(1, self.depth):
            chosen = np.empty(n, dtype=np.int64)
            for parent, kids in self.children[d].items():
                rows = np.flatnonzero(cols[d - 1] == parent)
                if rows.size:
                    chosen[rows] = kids[np.argmax(probs[d][np.ix_(rows, kids)], axis=1)]
            cols.append(chosen)
        confs = [probs[d][np.arange(n), cols[d]] for d in range(self.depth)]
        return cols, confs, probs


NEVER_ACCEPT = 1.01  # a threshold no probability reaches: the level is never auto-accepted


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits.astype(np.float64) / float(temperature)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood on a validation split (1-D search)."""
    labels = np.asarray(labels)

    def nll(t: float) -> float:
        p = softmax(logits, t)
        return float(-np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None))))

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    best = min(grid, key=nll)
    lo, hi = best / 1.06, best * 1.06
    for _ in range(40):  # golden-section refinement around the grid minimum
        a, b = lo + 0.382 * (hi - lo), lo + 0.618 * (hi - lo)
        if nll(a) < nll(b):
            hi = b
        else:
            lo = a
    return float((lo + hi) / 2)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, *, bins: int = 15) -> float:
    """ECE: the coverage-weighted gap between confidence and accuracy over equal-width bins."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = ((confidence > lo) | (lo == 0.0)) & (confidence <= hi)  # (lo, hi]; 0 belongs to the first bin
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(total)


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, *, target_error: float) -> float:
    """The lowest confidence threshold whose accepted set has an error rate <= ``target_error``.

    Sort by confidence, take the largest prefix whose error rate stays within the target
    (ties kept together), and return the confidence at its end. Returns NEVER_ACCEPT
    when not even the most confident item qualifies.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    wrong = 1.0 - np.asarray(correct, dtype=np.float64)
    if confidence.size == 0:
        return NEVER_ACCEPT
    order = np.argsort(-confidence, kind="stable")
    conf_sorted = confidence[order]
    err_rate = np.cumsum(wrong[order]) / np.arange(1, len(order) + 1)
    # Only cut between distinct confidence values, so a threshold accepts exactly a prefix.
    last_of_tie = np.r_[conf_sorted[1:] != conf_sorted[:-1], True]
    ok = np.flatnonzero((err_rate <= target_error) & last_of_tie)
    if ok.size == 0:
        return NEVER_ACCEPT
    return float(conf_sorted[ok[-1]])


def coverage_error_curve(confidence: np.ndarray, correct: np.ndarray, *, points: int = 21) -> list[dict[str, float]]:
    """Coverage and error of the accepted set for thresholds spread over the confidence quantiles."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    out = []
    for q in np.linspace(0.0, 1.0, points):
        t = float(np.quantile(confidence, q)) if confidence.size else 1.0
        mask = confidence >= t
        cov = float(mask.mean()) if confidence.size else 0.0
        err = float(1.0 - correct[mask].mean()) if mask.any() else 0.0
        out.append({"threshold": t, "coverage": cov, "error": err})
    return out


def build_predictions(
    product_ids: list[str],
    leaf_probs: np.ndarray,
    *,
    index: LevelIndex,
    thresholds: list[float],
    top_k: int = 3,
    model_version: str = "",
    n_images: list[int] | None = None,
    reasons: list[list[str]] | None = None,
) -> list[Prediction]:
    """One ``Prediction`` per row of ``leaf_probs`` under the deepest-confident-level rule."""
    cols, confs, probs = index.decide_columns(leaf_probs)
    preds = []
    for i, pid in enumerate(product_ids):
        levels: list[LevelPrediction] = []
        accepted_so_far = True
        for d in range(index.depth):
            codes = index.level_codes[d]
            col = int(cols[d][i])
            row = probs[d][i]
            order = [c for c in np.argsort(-row)[: top_k + 1] if c != col][: max(0, top_k - 1)]
            alternatives = [(codes[col], float(row[col]))] + [(codes[c], float(row[c])) for c in order]
            accepted_so_far = accepted_so_far and float(confs[d][i]) >= thresholds[d]
            levels.append(
                LevelPrediction(
                    depth=d + 1,
                    code=codes[col],
                    confidence=float(confs[d][i]),
                    alternatives=alternatives,
                    accepted=accepted_so_far,
                )
            )
        accepted = [lv for lv in levels if lv.accepted]
        why = list(reasons[i]) if reasons else []
        if len(accepted) < len(levels):
            first = levels[len(accepted)]
            conf, limit = _distinct(first.confidence, thresholds[first.depth - 1])
            why.append(f"level {first.depth} confidence {conf} below threshold {limit}")
        preds.append(
            Prediction(
                product_id=pid,
                status=STATUS_AUTO if len(accepted) == len(levels) else STATUS_REVIEW,
                category_code=accepted[-1].code if accepted else None,
                leaf_code=levels[-1].code,
                levels=levels,
                n_images=n_images[i] if n_images else 1,
                reasons=why,
                model_version=model_version,
            )
        )
    return preds


def aggregate_images(per_image: np.ndarray, groups: list[list[int]], *, method: str = "mean_log") -> np.ndarray:
    """Combine per-image leaf probabilities into one row per product.

    ``mean_log``: the normalised geometric mean (average of log-probabilities), which
    rewards photos that agree; ``mean_prob``: the arithmetic mean, more forgiving of one
    odd photo. ``groups[i]`` lists the rows of product i (must be non-empty).
    """
    out = np.empty((len(groups), per_image.shape[1]), dtype=np.float64)
    for i, rows in enumerate(groups):
        block = per_image[rows].astype(np.float64)
        if method == "mean_prob" or len(rows) == 1:
            out[i] = block.mean(axis=0)
        else:
            logp = np.log(np.clip(block, 1e-12, None)).mean(axis=0)
            logp -= logp.max()
            e = np.exp(logp)
            out[i] = e / e.sum()
    return out


def percent_down(value: float, digits: int = 0) -> str:
    """``value`` as a percentage rounded DOWN: 97.9% never reads "98%" next to a 98% threshold. The
    window's badges and bars use it too, so every place shows the same number."""
    scale = 10**digits
    return f"{math.floor(value * 100 * scale + 1e-6) / scale:.{digits}f}%"  # (float noise is not a digit)


def _distinct(value: float, threshold: float) -> tuple[str, str]:
    """Both as percentages with as few decimals (0 to 2) as make them read different: never
    "98% below threshold 98%"."""
    for digits in (0, 1, 2):
        a, b = percent_down(value, digits), percent_down(threshold, digits)
        if a != b:
            return a, b
    return a, b
