"""The column-matching signals, each a (columns x attributes) matrix in [0, 1], computable alone.

- ``name_scores``: rapidfuzz on normalised / expanded / translated headers vs attribute codes and labels;
- ``meaning_scores``: cosine of sentence embeddings of the same readings (attribute vectors cached);
- ``ColumnProfile`` + ``fit_scores``: how well a column's values fit each attribute (options, numbers,
  prices, years, identifiers, free text);
- ``breadth_scores``: how widely the retailer uses an attribute (all leaves, or the delivery's categories).

Everything is vectorised: 500 columns x 2,000 attributes is a few cdist calls and dictionary lookups.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from icaam_desktop.core.mapping.embeddings import TextEmbedder
from icaam_desktop.core.mapping.numbers import (
    column_decimal_separator,
    currency_table,
    parse_number,
    parse_year,
)
from icaam_desktop.core.mapping.placeholders import cell_text
from icaam_desktop.core.mapping.text import is_file_name, match_key, normalise_text
from icaam_desktop.core.mapping.values import CORE_WEIGHT, PARTIAL_WEIGHT, option_keys
from icaam_desktop.core.mapping.vocab import Reading, Vocabulary
from icaam_desktop.core.taxonomy import AttributeSpec, Taxonomy

KIND_IDENTIFIER, KIND_SELECT, KIND_PRICE, KIND_YEAR, KIND_NUMBER, KIND_TEXT = (
    "identifier",
    "select",
    "price",
    "year",
    "number",
    "text",
)
CATCH_ALL_KEYS = frozenset({"other", "others", "miscellaneous"})
NAME_TOKEN_SET_SHARE = 0.6  # token-set ratio rewards "colour" ~ "base colour"; plain ratio prefers exact names
# A column of product names: at least this many distinct values, nearly all distinct and words, on nearly every
# row, each a short phrase (a name is 2-12 words; a description runs longer, a colour or brand repeats).
NAME_MIN_DISTINCT = 5
NAME_MIN_UNIQUE = 0.8  # colour variants may share a name
NAME_MIN_TEXT = 0.9
NAME_MIN_FILLED = 0.8
NAME_WORDS = (2, 12)
# ... and that speak of the product: a product name repeats its row's brand or colour, or names an option
# ("Nike Men Solid Grey Tshirts"); free notes or codes do not.
NAME_MIN_MENTIONS = 0.5
# A brand column, whatever its header's language: short repeated words that begin the row's product name on most
# rows ("Puma" / "Puma Men Grey Tshirt"), the way retail product names are written.
BRAND_MIN_STARTS = 0.8
BRAND_MAX_UNIQUE = 0.9
BRAND_MAX_WORDS = 4


def attribute_kind(attribute: AttributeSpec) -> str:
    """What a column must look like to feed ``attribute``."""
    if attribute.is_identifier:
        return KIND_IDENTIFIER
    if attribute.is_select:
        return KIND_SELECT
    if attribute.is_number:
        words = set(match_key(f"{attribute.code} {attribute.label}").split())
        if attribute.unit.upper() in currency_table().usd_per_unit or words & {"price", "cost", "mrp", "rrp"}:
            return KIND_PRICE
        if "year" in words:
            return KIND_YEAR
        return KIND_NUMBER
    return KIND_TEXT


def attribute_names(attribute: AttributeSpec) -> list[str]:
    """The names an attribute answers to: its code in words and its labels in every locale."""
    names = [normalise_text(attribute.code)] + [normalise_text(label) for label in attribute.labels.values()]
    return list(dict.fromkeys(n for n in names if n))


# -- name and meaning ------------------------------------------------------------------------


def _flatten(groups: list[list]) -> tuple[list, np.ndarray]:
    flat = [item for group in groups for item in group]
    starts = np.cumsum([0] + [len(g) for g in groups[:-1]]) if groups else np.zeros(0, dtype=int)
    return flat, starts.astype(int)


def _reduce_max(matrix: np.ndarray, row_starts: np.ndarray, col_starts: np.ndarray) -> np.ndarray:
    """Max over row groups then column groups (groups are contiguous and non-empty)."""
    rows = np.maximum.reduceat(matrix, row_starts, axis=0)
    return np.maximum.reduceat(rows, col_starts, axis=1)


def _token_sets(texts: list[str], index: dict[str, int]):
    from scipy.sparse import csr_matrix

    indptr, indices = [0], []
    for text in texts:
        tokens = sorted({index.setdefault(t, len(index)) for t in match_key(text).split()})
        indices.extend(tokens)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return indptr, indices, data, csr_matrix


def token_containment(left: list[str], right: list[str]) -> np.ndarray:
    """Shared words / words of the shorter side (stemmed): ``"colour"`` vs ``"base colour"`` = 1.0.

    The same idea as rapidfuzz's token-set ratio, computed for all pairs at once as a sparse product.
    """
    index: dict[str, int] = {}
    lp, li, ld, csr = _token_sets(left, index)
    rp, ri, rd, _ = _token_sets(right, index)
    a = csr((ld, li, lp), shape=(len(left), len(index)))
    b = csr((rd, ri, rp), shape=(len(right), len(index)))
    shared = (a @ b.T).toarray()
    sizes_a = np.diff(np.asarray(lp))[:, None]
    sizes_b = np.diff(np.asarray(rp))[None, :]
    return shared / np.maximum(np.minimum(sizes_a, sizes_b), 1)


def name_scores(readings: list[list[Reading]], attributes: list[AttributeSpec]) -> np.ndarray:
    """Best weighted similarity between any reading of each column and any name of each attribute.

    Word containment (60%) rewards "colour" ~ "base colour"; the plain rapidfuzz ratio (40%) prefers
    exact names and forgives typos and abbreviations the vocabulary does not know.
    """
    if not readings or not attributes:
        return np.zeros((len(readings), len(attributes)), dtype=np.float32)
    flat_r, r_starts = _flatten(readings)
    names, a_starts = _flatten([attribute_names(a) for a in attributes])
    texts = [r.text for r in flat_r]
    weights = np.array([r.weight for r in flat_r], dtype=np.float32)[:, None]
    words = token_containment(texts, names).astype(np.float32)
    plain = cdist(texts, names, scorer=fuzz.ratio, dtype=np.float32, workers=-1) / 100.0
    blended = (NAME_TOKEN_SET_SHARE * words + (1 - NAME_TOKEN_SET_SHARE) * plain) * weights
    return _reduce_max(blended, r_starts, a_starts)


def best_name(readings: list[Reading], attribute: AttributeSpec) -> tuple[float, str, str]:
    """(score, attribute name, reading) behind one cell of ``name_scores``, for the reasons text."""
    best = (0.0, attribute.label, "")
    for reading in readings:
        mine = set(match_key(reading.text).split())
        for name in attribute_names(attribute):
            theirs = set(match_key(name).split())
            words = len(mine & theirs) / max(min(len(mine), len(theirs)), 1)
            plain = fuzz.ratio(reading.text, name) / 100.0
            score = (NAME_TOKEN_SET_SHARE * words + (1 - NAME_TOKEN_SET_SHARE) * plain) * reading.weight
            if score > best[0]:
                best = (float(score), name, reading.text)
    return best


def meaning_scores(
    readings: list[list[Reading]],
    attributes: list[AttributeSpec],
    embedder: TextEmbedder,
    *,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted cosine between each column's embedded reading and the nearest attribute name, rescaled to [0, 1].

    ``rows`` limits the work to some columns (the others stay 0).

    MiniLM puts unrelated short words around 0.1-0.4 and synonyms above 0.6, hence the rescale.
    """
    out = np.zeros((len(readings), len(attributes)), dtype=np.float32)
    rows = np.arange(len(readings)) if rows is None else np.asarray(rows, dtype=int)
    if not len(rows) or not attributes:
        return out
    chosen = [meaning_reading(readings[i]) for i in rows]
    names, a_starts = _flatten([attribute_names(a) for a in attributes])
    col_vecs = embedder.encode([r.text for r in chosen])
    attr_vecs = embedder.encode(names)
    weights = np.array([r.weight for r in chosen], dtype=np.float32)[:, None]
    cos = (col_vecs @ attr_vecs.T) * weights
    reduced = np.maximum.reduceat(cos, a_starts, axis=1)
    out[rows] = np.clip((reduced - 0.4) / 0.5, 0.0, 1.0)
    return out


def prepare_attributes(attributes: list[AttributeSpec], embedder: TextEmbedder | None) -> None:
    """Per-session work on the retailer's side: option lookup keys and attribute-name vectors, both cached.

    Call it once when a taxonomy is loaded (the GUI does it in a worker) so each delivery only pays for its
    own columns.
    """
    for attribute in attributes:
        if attribute.is_select:
            option_keys(attribute)
    if embedder is not None:
        embedder.encode([n for a in attributes for n in attribute_names(a)])


def meaning_reading(readings: list[Reading]) -> Reading:
    """The reading to embed: the most processed one (translated / expanded) short of a synonym swap.

    Synonym readings are already exact attribute words, which the name signal scores; one embedding per
    column keeps 500 headers within the time budget.
    """
    own = [r for r in readings if not r.how.startswith("synonym")]
    return own[-1] if own else readings[0]


# -- value profiles ---------------------------------------------------------------------------


@dataclass
class ColumnProfile:
    """What the distinct values of one column look like."""

    name: str
    values: Counter  # distinct non-empty raw value -> count
    filled: int = 0
    rows: int = 0
    numeric: float = 0.0  # share of distinct values that parse as numbers
    with_currency: float = 0.0
    years: float = 0.0
    unique: float = 0.0  # distinct / filled
    text: float = 0.0  # share of distinct values that are neither numbers nor file names
    files: float = 0.0  # share of distinct values that are file names / URLs
    currency: str | None = None  # from the header or the cells
    header_currency: str | None = None  # the currency the header names ("Ár (Ft)", "Price EUR")
    cell_currencies: Counter = field(default_factory=Counter)  # currency -> distinct values that name it
    # The language the sheet's headers are written in, and the currency usual there (products.column_profiles).
    sheet_language: str | None = None
    sheet_currency: str | None = None
    words: float = 0.0  # median number of words of the distinct text values
    mentions: float = 0.0  # share of filled rows whose phrase names an option or another cell of the row (see below)
    decimal: str | None = None
    starts_names: float = 0.0  # share of filled rows whose product name begins with this cell (see add_name_starts)
    option_hits: dict[int, float] = field(default_factory=dict)  # attribute index -> summed best weight

    @classmethod
    def build(cls, name: str, cells: list[str]) -> ColumnProfile:
        """Profile the non-empty cells; placeholders ("n/a", "-") count as empty."""
        values = Counter(text for text in map(cell_text, cells) if text)
        profile = cls(name, values, filled=sum(values.values()), rows=len(cells))
        distinct = list(values)
        if not distinct:
            return profile
        table = currency_table()
        profile.decimal = column_decimal_separator(distinct)
        parsed = [parse_number(v, decimal=profile.decimal, currencies=table) for v in distinct]
        n = len(distinct)
        profile.numeric = sum(p.value is not None for p in parsed) / n
        profile.with_currency = sum(p.value is not None and p.currency is not None for p in parsed) / n
        profile.years = sum(parse_year(v) is not None and len(normalise_text(v)) <= 6 for v in distinct) / n
        profile.unique = n / max(profile.filled, 1)
        profile.files = sum(is_file_name(v) for v in distinct) / n
        profile.text = sum(p.value is None and not is_file_name(v) for v, p in zip(distinct, parsed, strict=True)) / n
        profile.cell_currencies = Counter(p.currency for p in parsed if p.currency)
        profile.header_currency = table.find(name)
        common = profile.cell_currencies.most_common(1)
        profile.currency = profile.header_currency or (common[0][0] if common else None)
        texts = sorted(len(normalise_text(v).split()) for v, p in zip(distinct, parsed, strict=True) if p.value is None)
        profile.words = float(texts[len(texts) // 2]) if texts else 0.0
        return profile

    @property
    def names_a_currency(self) -> bool:
        """The header or most numbers name a currency: what a price column looks like, whatever its language."""
        return bool(self.values) and (self.header_currency is not None or self.with_currency >= 0.5)

    @property
    def looks_like_names(self) -> bool:
        """Distinct short phrases on nearly every row that speak of their product: names, in whatever language."""
        return self.shaped_like_names and self.mentions >= NAME_MIN_MENTIONS

    @property
    def shaped_like_names(self) -> bool:
        """Distinct short phrases on nearly every row, before ``mentions`` is known."""
        return (
            len(self.values) >= NAME_MIN_DISTINCT
            and self.unique >= NAME_MIN_UNIQUE
            and self.text >= NAME_MIN_TEXT
            and self.filled >= NAME_MIN_FILLED * self.rows
            and NAME_WORDS[0] <= self.words <= NAME_WORDS[1]
        )

    @property
    def begins_names(self) -> bool:
        """Short words repeated over the rows that begin each row's product name: what a brand column looks like."""
        return (
            self.starts_names >= BRAND_MIN_STARTS
            and self.unique <= BRAND_MAX_UNIQUE
            and self.text >= NAME_MIN_TEXT
            and 0 < self.words <= BRAND_MAX_WORDS
        )


class OptionIndex:
    """Every option key of every select attribute, for scoring all columns against all attributes at once.

    A catch-all option ("Other") is left out: a value that only fits there says nothing about the column.
    """

    def __init__(self, attributes: list[AttributeSpec]) -> None:
        self.by_key: dict[str, list[tuple[int, str, float]]] = {}
        for index, attribute in enumerate(attributes):
            if not attribute.is_select:
                continue
            for key, (code, weight, _label) in option_keys(attribute).keys.items():
                if key not in CATCH_ALL_KEYS:
                    self.by_key.setdefault(key, []).append((index, code, weight))

    def hits(self, readings: list[Reading]) -> dict[int, float]:
        """Attribute index -> best weight with which some reading of a value is an option of it."""
        best: dict[int, float] = {}
        for reading in readings:
            for index, _code, weight in self.by_key.get(match_key(reading.text), ()):
                score = reading.weight * weight
                if score > best.get(index, 0.0):
                    best[index] = score
        for reading in readings:  # one word naming exactly one option of an attribute
            words = match_key(reading.text).split()
            if len(words) < 2:
                continue
            codes: dict[int, set[str]] = {}
            for piece in words + [" ".join(words[i : i + 2]) for i in range(len(words) - 1)]:
                for index, code, _w in self.by_key.get(piece, ()):
                    codes.setdefault(index, set()).add(code)
            for index, found in codes.items():
                score = reading.weight * CORE_WEIGHT * PARTIAL_WEIGHT
                if len(found) == 1 and score > best.get(index, 0.0):
                    best[index] = score
        return best


def add_row_mentions(profiles: list[ColumnProfile], rows: list[dict[str, str]], index: OptionIndex) -> None:
    """Fill ``mentions`` of the columns shaped like product names (the others stay 0).

    A phrase mentions its row when another cell of the row (3+ letters, not a number) appears in it as whole
    words, or one of its words is an option of some attribute.
    """
    for profile in profiles:
        if not profile.shaped_like_names:
            continue
        hits = filled = 0
        for row in rows:
            phrase = cell_text(row.get(profile.name))
            if not phrase:
                continue
            filled += 1
            words = match_key(phrase).split()
            padded = f" {' '.join(words)} "
            others = (match_key(cell_text(v)) for c, v in row.items() if c != profile.name)
            if any(len(o) >= 3 and not o.isdigit() and f" {o} " in padded for o in others) or any(
                not w.isdigit() and w in index.by_key for w in words
            ):
                hits += 1
        profile.mentions = hits / filled if filled else 0.0


def add_name_starts(profiles: list[ColumnProfile], rows: list[dict[str, str]]) -> None:
    """Fill ``starts_names`` of the columns of short repeated words, against the columns that look like names."""
    names = [p.name for p in profiles if p.looks_like_names]
    if not names:
        return
    for profile in profiles:
        if profile.name in names or profile.unique > BRAND_MAX_UNIQUE or profile.text < NAME_MIN_TEXT:
            continue
        starts = filled = 0
        for row in rows:
            cell = match_key(cell_text(row.get(profile.name)))
            if not cell or cell.isdigit():
                continue
            filled += 1
            starts += any(f"{match_key(cell_text(row.get(n)))} ".startswith(f"{cell} ") for n in names)
        profile.starts_names = starts / filled if filled else 0.0


def add_option_hits(profiles: list[ColumnProfile], index: OptionIndex, vocab: Vocabulary) -> None:
    """Fill each profile's ``option_hits`` (sum over distinct values of the best hit weight per attribute)."""
    for profile in profiles:
        totals: dict[int, float] = {}
        for value in profile.values:
            for attr, weight in index.hits(vocab.value_readings(value)).items():
                totals[attr] = totals.get(attr, 0.0) + weight
        profile.option_hits = totals


KIND_ORDER = (KIND_IDENTIFIER, KIND_PRICE, KIND_YEAR, KIND_NUMBER, KIND_TEXT, KIND_SELECT)


def fit_scores(profiles: list[ColumnProfile], attributes: list[AttributeSpec]) -> np.ndarray:
    """How well each column's values fit each attribute's kind (share of distinct values, in [0, 1])."""
    kind_index = np.array([KIND_ORDER.index(attribute_kind(a)) for a in attributes], dtype=np.int64)
    per_kind = np.zeros((len(profiles), len(KIND_ORDER)), dtype=np.float32)  # selects stay 0 until option hits
    for c, p in enumerate(profiles):
        if p.values:
            per_kind[c, :5] = (
                p.unique * (1.0 - p.files) * (p.filled / max(p.rows, 1)),
                p.numeric * (1.0 if (p.currency or p.decimal) else 0.85) * (1.0 - p.years),
                p.years,
                p.numeric * (1.0 - p.years),
                p.text,
            )
    fit = per_kind[:, kind_index]
    for c, p in enumerate(profiles):
        n = max(len(p.values), 1)
        for a, total in p.option_hits.items():
            fit[c, a] = min(total / n, 1.0)
    return fit


def breadth_scores(taxonomy: Taxonomy, attributes: list[AttributeSpec]) -> np.ndarray:
    """Share of the taxonomy's leaves that carry each attribute: a broad attribute is a likelier target."""
    leaves = taxonomy.leaves()
    counts: Counter = Counter()
    for leaf in leaves:
        counts.update(ca.attribute.code for ca in taxonomy.attributes_for(leaf.code))
    n = max(len(leaves), 1)
    return np.array([1.0 if a.is_identifier else counts[a.code] / n for a in attributes], dtype=np.float32)


def coverage_scores(
    profiles: list[ColumnProfile],
    *,
    rows: list[dict[str, str]],
    row_categories: list[str | None],
    attribute_sets: dict[str, set[str]],
    attributes: list[AttributeSpec],
) -> np.ndarray:
    """Share of each column's filled cells whose product's category carries the attribute."""
    codes = [a.code for a in attributes]
    cover = np.zeros((len(profiles), len(attributes)), dtype=np.float32)
    for c, profile in enumerate(profiles):
        counts: Counter = Counter()
        filled = 0
        for row, category in zip(rows, row_categories, strict=True):
            if category is None or not cell_text(row.get(profile.name)):
                continue
            filled += 1
            counts.update(attribute_sets.get(category, ()))
        if filled:
            cover[c] = [counts[code] / filled for code in codes]
    for a, attribute in enumerate(attributes):
        if attribute.is_identifier:
            cover[:, a] = 1.0
    return cover
