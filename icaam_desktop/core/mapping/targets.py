"""Two-target columns: one supplier column feeding two retailer attributes that never share a category.

Retailers keep ``fabric`` for clothes and ``material`` for shoes and bags; a supplier has one column for both.
The second attribute is taken when the column's values say so, whatever the header's wording:

- its values include some that only the one attribute has as options and some only the other has (Linen and
  Canvas), for an attribute named about as well as the first; or
- the products' categories split the column's rows between the two (clothes here, shoes there) and the values
  on each side are that side's options (Baumwolle on clothes, Leder on shoes), for an attribute named about as
  well or that the vocabulary reads as the same header word (fabric / material).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from icaam_desktop.core.mapping.assign import SECOND_MIN_FIT, SECOND_THRESHOLD
from icaam_desktop.core.mapping.placeholders import cell_text
from icaam_desktop.core.mapping.signals import KIND_SELECT, ColumnProfile, OptionIndex, attribute_names
from icaam_desktop.core.mapping.vocab import Vocabulary
from icaam_desktop.core.taxonomy import AttributeSpec

# A category split must be more than a misclassified product or two, and the values on each side its options.
SPLIT_MIN_ROWS = 2
SPLIT_MIN_SHARE = 0.05
SPLIT_FIT = 0.6


@dataclass(frozen=True)
class RowCategories:
    """The delivery's rows with their (predicted or accepted) leaf, and each leaf's attributes."""

    rows: list[dict[str, str]]
    categories: list[str | None]
    carried: dict[str, set[str]]  # leaf code -> attribute codes


@dataclass(frozen=True)
class SecondTarget:
    """The second attribute, why, and how sure (at least its own column score)."""

    attribute: int
    reason: str
    confidence: float


def second_target(
    i: int,
    a: int,
    *,
    conf: np.ndarray,
    fit: np.ndarray,
    kinds: list[str],
    attributes: list[AttributeSpec],
    taken: set[int],
    leaf_sets: dict[str, set[str]],
    profile: ColumnProfile,
    vocab: Vocabulary,
    rows: RowCategories | None = None,
) -> SecondTarget | None:
    """A second attribute column ``i`` feeds besides ``a`` (see the module docstring), or None.

    It must never share a category with ``a`` and its options must fit the column's values; otherwise it is
    just a near-synonym of the first.
    """
    if kinds[a] != KIND_SELECT:
        return None
    first = attributes[a].code
    possible = fit[i] >= SECOND_MIN_FIT
    if rows is None:  # without categories only a well-named second can show its values apart
        possible &= conf[i] >= SECOND_THRESHOLD
    candidates = np.flatnonzero(possible)
    for b in (int(x) for x in candidates[np.argsort(-conf[i, candidates])]):
        if b == a or b in taken or kinds[b] != KIND_SELECT:
            continue
        named = bool(conf[i, b] >= SECOND_THRESHOLD)
        by_rows = rows is not None and (named or _same_header_word(attributes[a], attributes[b], vocab))
        second = attributes[b].code
        if not (named or by_rows) or any(first in s and second in s for s in leaf_sets.values()):
            continue
        index = OptionIndex([attributes[a], attributes[b]])
        if named and _values_apart(profile, index, vocab):
            return SecondTarget(b, f"same column as '{first}': the two never share a category", float(conf[i, b]))
        if by_rows and rows is not None:
            split = _category_split(profile.name, first, second, rows, index, vocab)
            if split is not None:
                (n_first, n_second), fitting = split
                # The split is evidence of its own: as sure as the first match, scaled by how well its side fits.
                return SecondTarget(
                    b,
                    f"same column as '{first}': the two never share a category, and its products split between "
                    f"them ({n_first} with '{first}', {n_second} with '{second}'), each side's values its options",
                    max(float(conf[i, b]), float(conf[i, a]) * fitting),
                )
    return None


def _values_apart(profile: ColumnProfile, index: OptionIndex, vocab: Vocabulary) -> bool:
    """Some values are options of the first attribute only, and some of the second only."""
    only_first = only_second = False
    for value in profile.values:
        hits = index.hits(vocab.value_readings(value))
        only_first |= 0 in hits and 1 not in hits
        only_second |= 1 in hits and 0 not in hits
    return only_first and only_second


def _same_header_word(first: AttributeSpec, second: AttributeSpec, vocab: Vocabulary) -> bool:
    """The vocabulary reads one header word as either attribute ("material" -> material, fabric)."""
    mine, theirs = set(attribute_names(first)), set(attribute_names(second))
    return any(mine & set(read) and theirs & set(read) for read in vocab.header_synonyms.values())


def _category_split(
    column: str, first: str, second: str, rows: RowCategories, index: OptionIndex, vocab: Vocabulary
) -> tuple[tuple[int, int], float] | None:
    """((rows on the first side, rows on the second), share of the second's rows whose value is its option), when
    the categories split the column and the values follow; else None."""
    counts = [0, 0]
    fitting = [0, 0]
    hits: dict[str, dict[int, float]] = {}
    for row, category in zip(rows.rows, rows.categories, strict=True):
        raw = cell_text(row.get(column))
        carried = rows.carried.get(category or "")
        if not raw or not carried or (first in carried) == (second in carried):
            continue
        side = 0 if first in carried else 1
        if raw not in hits:
            hits[raw] = index.hits(vocab.value_readings(raw))
        counts[side] += 1
        fitting[side] += side in hits[raw]
    fewer = min(counts)
    if fewer < SPLIT_MIN_ROWS or fewer < SPLIT_MIN_SHARE * sum(counts):
        return None
    if any(f < SPLIT_FIT * n for f, n in zip(fitting, counts, strict=True)):
        return None
    return (counts[0], counts[1]), fitting[1] / counts[1]
