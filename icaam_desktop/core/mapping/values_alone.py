"""What a column's values say when its header does not.

A header no table reads (a language without a vocabulary, a word the vocabulary lacks, "Dept") names no
attribute; its values may still do: most distinct values, on most rows, read surely as the options of one
attribute that no other attribute's options compete with (Mens/Womens/Kids -> gender). Such a column is
carried by its values at a modest name weight, so the values must still fit, and a named column for the same
attribute still wins the assignment. A "no counterpart" for a header nothing read is a guess, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from icaam_desktop.core.mapping.signals import ColumnProfile, OptionIndex, attribute_names
from icaam_desktop.core.mapping.vocab import Reading, Vocabulary
from icaam_desktop.core.taxonomy import AttributeSpec

SILENT_NAME = 0.5  # a header whose best spelled name is below this names no attribute
STRONG_HIT = (
    0.8  # a value read as an option this surely: the option itself, translated or a synonym, not one word of it
)
CARRY_SHARE = 0.6  # "most": of the distinct values and of the filled rows
CARRY_MIN_VALUES = 2  # one repeated value is too little to tell an attribute by
CARRY_MIN_COVERAGE = 0.5  # with categories: the attribute is on most of the column's products
CARRY_MIN_BREADTH = 0.1  # without: it is on a tenth of the retailer's categories (not a Yes/No detail of a few)
COMPETE_SHARE = 0.5  # another attribute with half the evidence competes: the values alone do not decide
# Name weights the values lend the header: a fair name when a header word hints at the attribute ("department"
# for gender), less when the header says nothing; either way the values' fit must still carry the column.
W_HINTED_NAME = 0.6
W_VALUES_NAME = 0.4
UNREAD_CONFIDENCE = 0.5  # at most this sure of "no counterpart" when the header was not read at all


@dataclass(frozen=True)
class ValuesCarry:
    """A column placed by its values: which attribute, how many of its values and rows are its options, and why."""

    attribute: int
    values: int  # distinct values read surely as options of the attribute
    distinct: int
    rows: float  # share of the filled rows
    hint: str | None = None  # the header word that hints at the attribute

    def note(self, header_note: str, code: str) -> str:
        """The reason shown for the match."""
        share = f"{self.values}/{self.distinct} distinct values ({self.rows:.0%} of rows) are options of '{code}'"
        if self.hint:
            return f"header read as '{self.hint}', which often holds {code}; values agree: {share}"
        return f"{header_note}; values alone: {share}"


def header_understood(readings: list[Reading], names: np.ndarray, vocab: Vocabulary) -> bool:
    """Whether a table read the header (or one of its words) or its own words name an attribute."""
    return vocab.reads_header(readings) or float(names.max(initial=0.0)) >= SILENT_NAME


def unread_header_note(header: str, vocab: Vocabulary) -> str:
    """Why a header was not understood: a script no vocabulary is written in, or words none of them has."""
    if not vocab.knows_script_of(header):
        return "header not understood (no vocabulary for its language)"
    return "header not understood (its words are in no vocabulary)"


def carried_by_values(
    *,
    profiles: list[ColumnProfile],
    readings: list[list[Reading]],
    name: np.ndarray,
    scope: np.ndarray,
    coverage_known: bool,
    attributes: list[AttributeSpec],
    index: OptionIndex,
    vocab: Vocabulary,
) -> dict[int, ValuesCarry]:
    """Column index -> the attribute its values alone place it at, for the headers that name no attribute.

    ``scope`` is each attribute's coverage of the column's products (``coverage_known``) or its breadth in the
    taxonomy: a broad attribute is the likelier home, and a narrow one (lens colour) does not compete with it.
    """
    out: dict[int, ValuesCarry] = {}
    for c, profile in enumerate(profiles):
        if float(name[c].max(initial=0.0)) >= SILENT_NAME or len(profile.values) < CARRY_MIN_VALUES:
            continue
        strong: dict[int, list[str]] = {}
        for value in profile.values:
            for a, weight in index.hits(vocab.value_readings(value)).items():
                if weight >= STRONG_HIT:
                    strong.setdefault(a, []).append(value)
        evidence: dict[int, tuple[float, float]] = {}
        for a, values in strong.items():
            rows = sum(profile.values[v] for v in values) / max(profile.filled, 1)
            share = min(len(values) / len(profile.values), rows)
            evidence[a] = (share * float(scope[c, a]), rows)
        if not evidence:
            continue
        best = max(evidence, key=lambda a: evidence[a][0])
        score, rows = evidence[best]
        n = len(strong[best])
        enough = n >= CARRY_MIN_VALUES and min(n / len(profile.values), rows) >= CARRY_SHARE
        if not enough or scope[c, best] < (CARRY_MIN_COVERAGE if coverage_known else CARRY_MIN_BREADTH):
            continue
        if any(a != best and e >= COMPETE_SHARE * score for a, (e, _) in evidence.items()):
            continue
        hints = vocab.hints(readings[c])
        hint = next((word for n_, word in hints.items() if n_ in attribute_names(attributes[best])), None)
        out[c] = ValuesCarry(best, n, len(profile.values), rows, hint)
    return out


def lend_names(name: np.ndarray, carried: dict[int, ValuesCarry]) -> np.ndarray:
    """``name`` with the weight each carried column's values lend its header."""
    if not carried:
        return name
    name = name.copy()
    for c, carry in carried.items():
        weight = W_HINTED_NAME if carry.hint else W_VALUES_NAME
        name[c, carry.attribute] = max(float(name[c, carry.attribute]), weight)
    return name
