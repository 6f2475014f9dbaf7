"""Signals -> confidences -> a one-to-one column/attribute assignment (Hungarian, scipy).

The combination is a small logistic model with hand-set weights (documented below, not fitted on
any supplier): a column must both be *named* like an attribute (fuzzy or embedding) and *look*
like it (values on its options, numbers for prices, ...). "No counterpart" is an explicit choice
per column, taken when no attribute reaches ``ASSIGN_THRESHOLD``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from icaam_desktop.core.mapping.signals import (
    KIND_IDENTIFIER,
    KIND_NUMBER,
    KIND_PRICE,
    KIND_SELECT,
    KIND_TEXT,
    KIND_YEAR,
)

# Hand-set weights of the logistic combination. A perfect name alone (5 - 5 = 0 -> 0.5) is not enough;
# a perfect name plus values that fit (+3..4) is near-certain; values alone (+4 - 5) stay below 0.5.
BIAS = -5.0
W_NAME = 5.0
W_MEANING = 0.9  # an embedding match counts a little less than a spelled one
W_BREADTH = 1.0
W_FIT = {KIND_SELECT: 4.0, KIND_PRICE: 3.0, KIND_YEAR: 3.0, KIND_NUMBER: 2.5, KIND_IDENTIFIER: 2.0, KIND_TEXT: 1.5}
# Values that contradict the attribute's kind: a select whose options no value reaches, a number column of words.
MIN_FIT = {KIND_SELECT: 0.15, KIND_PRICE: 0.5, KIND_YEAR: 0.5, KIND_NUMBER: 0.5, KIND_IDENTIFIER: 0.5, KIND_TEXT: 0.5}
MISFIT_PENALTY = 2.5
ASSIGN_THRESHOLD = 0.5
# A second attribute for the same column (fabric for clothes, material for shoes) needs more.
SECOND_THRESHOLD = 0.7
SECOND_MIN_FIT = 0.4


@dataclass
class Scores:
    """All signals for (columns x attributes) plus the combined confidence."""

    name: np.ndarray
    meaning: np.ndarray
    fit: np.ndarray
    breadth: np.ndarray  # (columns x attributes): global breadth or per-column category coverage
    kinds: list[str]
    breadth_is_coverage: bool = False  # True: breadth is the per-column category coverage
    confidence: np.ndarray | None = None

    def combine(self) -> np.ndarray:
        """The logistic combination; stored in ``confidence`` and returned."""
        evidence = np.maximum(self.name, W_MEANING * self.meaning)
        w_fit = np.array([W_FIT[k] for k in self.kinds], dtype=np.float32)
        min_fit = np.array([MIN_FIT[k] for k in self.kinds], dtype=np.float32)
        z = BIAS + W_NAME * evidence + w_fit * self.fit + W_BREADTH * self.breadth
        z = z - MISFIT_PENALTY * (self.fit < min_fit)
        self.confidence = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return self.confidence


def assign(confidence: np.ndarray, allowed: np.ndarray | None = None) -> dict[int, int]:
    """Column index -> attribute index for the best one-to-one assignment; unassigned columns are absent.

    ``allowed`` (bool, same shape) masks pairs out. Each column also has its own "no counterpart"
    slot worth ``ASSIGN_THRESHOLD``, so a pair below the threshold is never chosen.
    """
    n_cols, n_attrs = confidence.shape
    if n_cols == 0 or n_attrs == 0:
        return {}
    usable = confidence >= ASSIGN_THRESHOLD
    if allowed is not None:
        usable &= allowed
    forbidden = 1e3
    cost = np.full((n_cols, n_attrs + n_cols), forbidden, dtype=np.float64)
    cost[:, :n_attrs] = np.where(usable, -confidence, forbidden)
    cost[np.arange(n_cols), n_attrs + np.arange(n_cols)] = -ASSIGN_THRESHOLD + 1e-6
    rows, cols = linear_sum_assignment(cost)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if c < n_attrs and usable[r, c]}


def co_occurring(attribute_sets: list[set[str]]) -> set[frozenset[str]]:
    """Pairs of attributes that some category carries together."""
    pairs: set[frozenset[str]] = set()
    for codes in attribute_sets:
        ordered = sorted(codes)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pairs.add(frozenset((a, b)))
    return pairs
