"""``map_delivery``: a supplier sheet's columns and values onto the retailer's attributes and options."""

from __future__ import annotations

import numpy as np

from icaam_desktop.core.delivery.model import Delivery, Product
from icaam_desktop.core.jobs import CancelToken, Progress, no_progress
from icaam_desktop.core.mapping.assign import ASSIGN_THRESHOLD, Scores, assign
from icaam_desktop.core.mapping.codes import LetterReading, column_language, is_letter_code, read_gender_letters
from icaam_desktop.core.mapping.embeddings import EmbeddingModelError, TextEmbedder, default_embedder
from icaam_desktop.core.mapping.model import (
    CONVERTED_NOTE,
    OTHER_TARGET_NOTE,
    SOURCE_MEMORY,
    ColumnMatch,
    MappingResult,
    SupplierMemory,
    ValueMatch,
)
from icaam_desktop.core.mapping.placeholders import cell_text
from icaam_desktop.core.mapping.products import column_profiles, fill_products
from icaam_desktop.core.mapping.signals import (
    KIND_PRICE,
    KIND_TEXT,
    ColumnProfile,
    OptionIndex,
    add_name_starts,
    add_option_hits,
    add_row_mentions,
    attribute_kind,
    attribute_names,
    best_name,
    breadth_scores,
    coverage_scores,
    fit_scores,
    meaning_scores,
    name_scores,
)
from icaam_desktop.core.mapping.targets import RowCategories, second_target
from icaam_desktop.core.mapping.text import fold_accents, normalise_text, split_joined_words
from icaam_desktop.core.mapping.values import normalise_value
from icaam_desktop.core.mapping.values_alone import (
    UNREAD_CONFIDENCE,
    ValuesCarry,
    carried_by_values,
    header_understood,
    lend_names,
    unread_header_note,
)
from icaam_desktop.core.mapping.vocab import Reading, Vocabulary, default_vocabulary
from icaam_desktop.core.taxonomy import AttributeSpec, Taxonomy

FILE_COLUMN_SHARE = 0.8  # a column whose values are mostly file names / URLs holds images, not attributes
N_ALTERNATIVES = 3
W_SPLIT = 0.97  # a header read with its run-together words cut apart
MEANING_BELOW = 0.9  # embed a header only when neither its spelling nor its values place it this surely
STEPS = 5
# What a column's values say about its name when its header says nothing: a currency names a price, distinct
# short phrases name the product. Worth a fair spelled name, so only values that fit the attribute too assign it.
W_PROFILE_NAME = 0.6
NAME_ATTRIBUTE_NAMES = frozenset({"name", "title", "product name", "product title", "item name"})
BRAND_ATTRIBUTE_NAMES = frozenset({"brand", "brand name", "make", "manufacturer"})


def map_delivery(
    delivery: Delivery,
    taxonomy: Taxonomy,
    *,
    categories: dict[str, str] | None = None,
    memory: SupplierMemory | None = None,
    embedder: TextEmbedder | None = None,
    use_embeddings: bool = True,
    vocab: Vocabulary | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> MappingResult:
    """Match every supplier column to retailer attributes, map the values, and fill each product.

    ``categories`` (product id -> leaf code, predicted or accepted) narrows the candidate attributes to
    those the delivery's categories use, with a fallback to all. ``memory`` holds the analyst's earlier
    decisions for this supplier and wins over the model (``source="memory"``). ``embedder`` defaults to the
    bundled MiniLM; ``use_embeddings=False`` runs on spelling and values alone.
    """
    vocab = vocab or default_vocabulary()
    result = MappingResult()
    if use_embeddings and embedder is None:
        try:
            embedder = default_embedder()
        except EmbeddingModelError as exc:
            result.problems.append(f"meaning signal off: {exc}")
    if not use_embeddings:
        embedder = None
    categories = {pid: code for pid, code in (categories or {}).items() if code in taxonomy.categories}

    progress(0, STEPS, "profiling columns")
    columns = list(delivery.sheet.columns)
    profiles = column_profiles(delivery, columns)
    _check(cancel)

    progress(1, STEPS, "scoring columns")
    matches = _pinned_columns(delivery, taxonomy, profiles, memory)
    result.quiet_columns = {m.supplier_column for m in matches if not m.attribute}
    used = {a for m in matches for a in [m.attribute] if a}
    free_cols = [c for c in columns if all(m.supplier_column != c for m in matches)]
    attributes = [a for a in taxonomy.attributes.values() if a.code not in used]
    kwargs = dict(products=delivery.products, categories=categories, vocab=vocab, cancel=cancel)
    try:
        matches += match_columns(free_cols, profiles, attributes, taxonomy, embedder=embedder, **kwargs)
    except EmbeddingModelError as exc:
        result.problems.append(f"meaning signal off: {exc}")
        embedder = None  # the values' last-resort embedding step is off too
        matches += match_columns(free_cols, profiles, attributes, taxonomy, embedder=None, **kwargs)
    order = {c: i for i, c in enumerate(columns)}
    result.columns = sorted(matches, key=lambda m: order.get(m.supplier_column, len(order)))

    progress(3, STEPS, "mapping values")
    result.values = _value_matches(result.columns, delivery, taxonomy, categories, vocab, memory, embedder, cancel)
    _add_value_reasons(result.columns, result.values, taxonomy)

    progress(4, STEPS, "filling products")
    result.products = fill_products(
        delivery, taxonomy, columns=result.columns, values=result.values, profiles=profiles, categories=categories
    )
    progress(STEPS, STEPS, "done")
    return result


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled()


def _pinned_columns(
    delivery: Delivery, taxonomy: Taxonomy, profiles: dict[str, ColumnProfile], memory: SupplierMemory | None
) -> list[ColumnMatch]:
    """Columns decided before any scoring: memory, the product-id column, image and empty columns."""
    out: list[ColumnMatch] = []
    for column, profile in profiles.items():
        remembered = memory.columns.get(column) if memory is not None else None
        if remembered is not None:
            known = [a for a in remembered if a in taxonomy.attributes]
            reason = ["accepted before for this supplier"]
            out += [ColumnMatch(column, a, 0.99, reason, source=SOURCE_MEMORY) for a in known] or [
                ColumnMatch(column, None, 0.99, reason, source=SOURCE_MEMORY)
            ]
        elif column == delivery.id_column and taxonomy.identifier is not None:
            reasons = ["the delivery's product-id column", f"{profile.unique:.0%} unique"]
            out.append(ColumnMatch(column, taxonomy.identifier.code, 0.99, reasons))
        elif column == delivery.image_column or profile.files >= FILE_COLUMN_SHARE:
            out.append(ColumnMatch(column, None, 0.95, [f"values are image/file names ({profile.files:.0%})"]))
        elif not profile.values:
            out.append(ColumnMatch(column, None, 0.9, ["column is empty"]))
    return out


def match_columns(
    columns: list[str],
    profiles: dict[str, ColumnProfile],
    attributes: list[AttributeSpec],
    taxonomy: Taxonomy,
    *,
    products: list[Product] | None = None,
    categories: dict[str, str] | None = None,
    vocab: Vocabulary | None = None,
    embedder: TextEmbedder | None = None,
    cancel: CancelToken | None = None,
) -> list[ColumnMatch]:
    """Score ``columns`` against ``attributes`` with every signal and assign them one-to-one (plus second targets).

    ``products`` and ``categories`` (product id -> leaf) enable the category restriction and coverage.
    """
    if not columns:
        return []
    vocab = vocab or default_vocabulary()
    products = products or []
    words = frozenset(w for a in attributes for name in attribute_names(a) for w in name.split() if len(w) > 2)
    readings = [_with_split_words(vocab.header_readings(c), words) for c in columns]
    col_profiles = [profiles[c] for c in columns]
    rows = [p.row for p in products]
    index = OptionIndex(attributes)
    add_option_hits(col_profiles, index, vocab)
    add_row_mentions(col_profiles, rows, index)
    add_name_starts(col_profiles, rows)
    _check(cancel)
    kinds = [attribute_kind(a) for a in attributes]
    spelled = name_scores(readings, attributes)
    fit = fit_scores(col_profiles, attributes)
    breadth = np.broadcast_to(breadth_scores(taxonomy, attributes), spelled.shape)
    row_cats = [categories.get(p.product_id) for p in products] if categories else []
    sets = {c: {ca.attribute.code for ca in taxonomy.attributes_for(c)} for c in set(row_cats) if c}
    cover = None
    if categories:
        cover = coverage_scores(
            col_profiles, rows=rows, row_categories=row_cats, attribute_sets=sets, attributes=attributes
        )
    carried = carried_by_values(
        profiles=col_profiles,
        readings=readings,
        name=spelled,
        scope=breadth if cover is None else cover,
        coverage_known=cover is not None,
        attributes=attributes,
        index=index,
        vocab=vocab,
    )
    name = _with_profile_names(lend_names(spelled, carried), col_profiles, attributes, kinds)
    global_scores = Scores(name, np.zeros_like(name), fit, breadth, kinds)
    conf = global_scores.combine()
    if embedder is not None:
        # Meaning is the fallback for the columns spelling and values cannot place: a spelled name scores at
        # least as high as an embedded one (W_MEANING < 1), and MiniLM on a laptop CPU costs ~5 ms a header.
        unsure = np.flatnonzero(
            (name.max(axis=1, initial=0.0) < MEANING_BELOW) & (conf.max(axis=1, initial=0.0) < MEANING_BELOW)
        )
        global_scores.meaning = meaning_scores(readings, attributes, embedder, rows=unsure)
        conf = global_scores.combine()
    _check(cancel)

    leaf_sets = {
        leaf.code: {ca.attribute.code for ca in taxonomy.attributes_for(leaf.code)} for leaf in taxonomy.leaves()
    }
    chosen: dict[int, int] = {}
    reason_scores = global_scores
    if cover is not None:
        cats = set(categories.values())
        in_scope = set().union(*({ca.attribute.code for ca in taxonomy.attributes_for(c)} for c in cats))
        allowed = np.array([[a.code in in_scope or a.is_identifier for a in attributes]] * len(columns))
        scoped = Scores(name, global_scores.meaning, fit, cover, kinds, breadth_is_coverage=True)
        scoped_conf = scoped.combine()
        chosen = assign(scoped_conf, allowed)
        reason_scores = scoped
        conf = np.where(allowed, np.maximum(scoped_conf, conf), conf)
    taken = set(chosen.values())
    rest = [i for i in range(len(columns)) if i not in chosen]
    if rest:  # the global fallback: every attribute nobody has taken yet
        free = np.ones(conf.shape, dtype=bool)
        free[:, list(taken)] = False
        sub = assign(conf[rest], free[rest])
        chosen.update({rest[i]: a for i, a in sub.items()})

    out: list[ColumnMatch] = []
    taken = set(chosen.values())
    by_rows = RowCategories(rows, row_cats, sets) if categories else None
    for i, column in enumerate(columns):
        a = chosen.get(i)
        understood = header_understood(readings[i], spelled[i], vocab)
        header_note = None if understood else unread_header_note(column, vocab)
        if a is None:
            out.append(_no_counterpart(column, conf[i], attributes, header_note))
            continue
        match = _column_match(column, a, i, reason_scores, conf, readings[i], attributes, col_profiles[i])
        out.append(_with_carry_note(match, carried.get(i), header_note, a))
        second = second_target(
            i,
            a,
            conf=conf,
            fit=fit,
            kinds=kinds,
            attributes=attributes,
            taken=taken,
            leaf_sets=leaf_sets,
            profile=col_profiles[i],
            vocab=vocab,
            rows=by_rows,
        )
        if second is not None:
            b = second.attribute
            taken.add(b)
            match = _column_match(column, b, i, reason_scores, conf, readings[i], attributes, col_profiles[i])
            match.reasons.append(second.reason)
            match.confidence = round(max(match.confidence, second.confidence), 3)
            out.append(match)
    return out


def _with_carry_note(
    match: ColumnMatch, carry: ValuesCarry | None, header_note: str | None, attribute: int
) -> ColumnMatch:
    """A column placed by its values says so first, instead of a name score its header does not have."""
    if carry is not None and carry.attribute == attribute and match.attribute is not None:
        match.reasons[0] = carry.note(header_note or "header names no attribute", match.attribute)
    return match


def is_name_attribute(attribute: AttributeSpec) -> bool:
    """The retailer's product-name attribute (a text attribute called name or title)."""
    return attribute_kind(attribute) == KIND_TEXT and bool(set(attribute_names(attribute)) & NAME_ATTRIBUTE_NAMES)


def _with_profile_names(
    name: np.ndarray, profiles: list[ColumnProfile], attributes: list[AttributeSpec], kinds: list[str]
) -> np.ndarray:
    """Name evidence a header in an unknown language still gives through its values.

    A header or numbers naming a currency ("Ár (Ft)", "1 488 Ft") name a price; distinct short phrases on every row
    name the product; short repeated words that begin each row's product name name its brand. Each counts as a
    fair spelled name (``W_PROFILE_NAME``), so the values must still fit.
    """
    prices = [a for a, kind in enumerate(kinds) if kind == KIND_PRICE]
    names = [a for a, attribute in enumerate(attributes) if is_name_attribute(attribute)]
    brands = [a for a, attribute in enumerate(attributes) if is_brand_attribute(attribute)]
    if not prices and not names and not brands:
        return name
    name = name.copy()
    for c, profile in enumerate(profiles):
        if profile.names_a_currency and prices:
            name[c, prices] = np.maximum(name[c, prices], W_PROFILE_NAME)
        if profile.looks_like_names and names:
            name[c, names] = np.maximum(name[c, names], W_PROFILE_NAME)
        if profile.begins_names and brands:
            name[c, brands] = np.maximum(name[c, brands], W_PROFILE_NAME)
    return name


def is_brand_attribute(attribute: AttributeSpec) -> bool:
    """The retailer's brand attribute (a text attribute called brand or manufacturer)."""
    return attribute_kind(attribute) == KIND_TEXT and bool(set(attribute_names(attribute)) & BRAND_ATTRIBUTE_NAMES)


def _with_split_words(readings: list[Reading], words: frozenset[str]) -> list[Reading]:
    """Add a reading with run-together words cut apart ("SLEEVELENGTH" -> "sleeve length") using attribute words."""
    first = readings[0]
    pieces = [split_joined_words(t, words) or t for t in first.text.split()]
    split = " ".join(pieces)
    if split == first.text:
        return readings
    return [*readings, Reading(split, first.weight * W_SPLIT, "words split")]


def _alternatives(row: np.ndarray, attributes: list[AttributeSpec], skip: set[int]) -> list[tuple[str, float]]:
    k = min(N_ALTERNATIVES + len(skip), row.size)
    top = np.argpartition(-row, k - 1)[:k] if k else np.zeros(0, dtype=int)
    order = top[np.argsort(-row[top])]
    picked = [
        (attributes[j].code, round(float(row[j]), 3)) for j in order[: N_ALTERNATIVES + len(skip)] if j not in skip
    ]
    return picked[:N_ALTERNATIVES]


def _no_counterpart(
    column: str, row: np.ndarray, attributes: list[AttributeSpec], header_note: str | None = None
) -> ColumnMatch:
    """No attribute for ``column``; as sure as its best attribute is weak, unless its header was not read at all.

    A header nobody read gives no evidence against any attribute: "no counterpart" is then a guess, said so.
    """
    best = float(row.max()) if row.size else 0.0
    alternatives = _alternatives(row, attributes, set())
    best_text = f" (best '{alternatives[0][0]}' {alternatives[0][1]:.2f})" if alternatives else ""
    if alternatives and alternatives[0][1] >= ASSIGN_THRESHOLD:
        note = f"its best attribute went to another column{best_text}"
    else:
        note = f"no attribute reaches {ASSIGN_THRESHOLD:.2f}{best_text}"
    confidence = 1.0 - best
    reasons = [note]
    if header_note is not None:
        confidence = min(confidence, UNREAD_CONFIDENCE)
        reasons = [f"{header_note}; values alone do not place it: {note}"]
    return ColumnMatch(column, None, round(confidence, 3), reasons, alternatives)


def _column_match(
    column: str,
    a: int,
    i: int,
    scores: Scores,
    conf: np.ndarray,
    readings: list,
    attributes: list[AttributeSpec],
    profile: ColumnProfile,
) -> ColumnMatch:
    attribute = attributes[a]
    reasons = []
    score, label, reading = best_name(readings, attribute)
    via = f" (read as '{reading}')" if reading and reading != readings[0].text else ""
    reasons.append(f'name ~ "{label}" {score:.2f}{via}')
    if scores.meaning[i, a] > scores.name[i, a]:
        reasons.append(f'meaning ~ "{attribute.label}" {scores.meaning[i, a]:.2f}')
    kind = scores.kinds[a]
    if score < W_PROFILE_NAME and kind == KIND_PRICE and profile.names_a_currency:
        reasons.append("its header or numbers name a currency")
    elif score < W_PROFILE_NAME and is_name_attribute(attribute) and profile.looks_like_names:
        reasons.append(f"values look like product names (distinct phrases of about {profile.words:.0f} words)")
    elif score < W_PROFILE_NAME and is_brand_attribute(attribute) and profile.begins_names:
        reasons.append(f"values begin the product names ({profile.starts_names:.0%} of rows), as brands do")
    if kind == KIND_PRICE:
        reasons.append(
            f"{profile.numeric:.0%} numbers" + (f", currency {profile.currency}" if profile.currency else "")
        )
        unit = attribute.unit.upper()
        if profile.currency and unit and profile.currency != unit:
            reasons.append(f"{CONVERTED_NOTE} {profile.currency} to {unit} at a reference rate: check the prices")
    elif kind in ("number", "year"):
        reasons.append(f"{profile.numeric:.0%} numbers, {profile.years:.0%} years")
    elif kind == "text":
        reasons.append(f"{profile.text:.0%} free text, {len(profile.values)} distinct")
    elif kind == "identifier":
        reasons.append(f"{profile.unique:.0%} unique")
    if scores.breadth_is_coverage:
        reasons.append(f"{scores.breadth[i, a]:.0%} of its filled rows have a category with this attribute")
    else:
        reasons.append(f"attribute on {scores.breadth[i, a]:.0%} of categories")
    return ColumnMatch(
        column, attribute.code, round(float(conf[i, a]), 3), reasons, _alternatives(conf[i], attributes, {a})
    )


def _value_matches(
    columns: list[ColumnMatch],
    delivery: Delivery,
    taxonomy: Taxonomy,
    categories: dict[str, str],
    vocab: Vocabulary,
    memory: SupplierMemory | None,
    embedder: TextEmbedder | None,
    cancel: CancelToken | None,
) -> list[ValueMatch]:
    """Each distinct value of each select-mapped column, per attribute (two-target columns per attribute)."""
    out: list[ValueMatch] = []
    carried: dict[str, set[str]] = {}
    for match in columns:
        attribute = taxonomy.attributes.get(match.attribute or "")
        if attribute is None or not attribute.is_select:
            continue
        _check(cancel)
        targets = {m.attribute for m in columns if m.supplier_column == match.supplier_column and m.attribute}
        values: dict[str, None] = {}
        for product in delivery.products:
            raw = cell_text(product.row.get(match.supplier_column))
            if not raw:
                continue
            category = categories.get(product.product_id)
            if category is not None and len(targets) > 1:
                if category not in carried:
                    carried[category] = {ca.attribute.code for ca in taxonomy.attributes_for(category)}
                # A two-target column: a row whose category takes another of the targets is not this one's.
                if attribute.code not in carried[category] and targets & carried[category]:
                    continue
            values.setdefault(raw)
        letters = _letter_readings(match.supplier_column, values, vocab)
        for raw in values:
            coded = letters.get(fold_accents(normalise_text(raw)))
            if coded is not None and (memory is None or (attribute.code, raw) not in memory.values):
                out.append(_letter_match(attribute, raw, coded, vocab))
            else:
                out.append(normalise_value(attribute, raw, vocab=vocab, memory=memory, embedder=embedder))
    _note_sibling_values(columns, out)
    return out


def _letter_readings(column: str, values: dict[str, None], vocab: Vocabulary) -> dict[str, LetterReading]:
    """The column's single-letter values read together, in the language its header and other values speak."""
    letters = [v for v in values if is_letter_code(v)]
    if not letters:
        return {}
    language = column_language(vocab, [column, *(v for v in values if not is_letter_code(v))])
    return read_gender_letters(letters, vocab=vocab, language=language)


def _letter_match(attribute: AttributeSpec, raw: str, coded: LetterReading, vocab: Vocabulary) -> ValueMatch:
    """A letter code's reading as an option of ``attribute``; what the letter alone gives when it is no option here."""
    if coded.english is None:  # "V": women in Dutch, men in Spanish, and maybe an option of its own here (V neck)
        alone = normalise_value(attribute, raw, vocab=vocab)
        return alone if alone.option_code else ValueMatch(attribute.code, raw, None, 0.0, [coded.reason])
    hit = normalise_value(attribute, coded.english, vocab=vocab)
    if hit.option_code is None:  # not a gender attribute: the letter is read as any other value
        return normalise_value(attribute, raw, vocab=vocab)
    confidence = round(min(coded.confidence, hit.confidence), 3)
    return ValueMatch(attribute.code, raw, hit.option_code, confidence, [coded.reason])


def _note_sibling_values(columns: list[ColumnMatch], values: list[ValueMatch]) -> None:
    """A two-target column's value that fits the other attribute is not a problem of this one: say so."""
    targets: dict[str, set[str]] = {}
    for m in columns:
        if m.attribute:
            targets.setdefault(m.supplier_column, set()).add(m.attribute)
    siblings = {a: group - {a} for group in targets.values() if len(group) > 1 for a in group}
    mapped = {(v.attribute, v.supplier_value) for v in values if v.option_code}
    for v in values:
        if v.option_code is None:
            other = next((b for b in sorted(siblings.get(v.attribute, ())) if (b, v.supplier_value) in mapped), None)
            if other:
                v.reasons.insert(0, f"{OTHER_TARGET_NOTE} ('{other}')")


def _add_value_reasons(columns: list[ColumnMatch], values: list[ValueMatch], taxonomy: Taxonomy) -> None:
    """Add "47/49 values map to options" to each select match, from the actual value mapping."""
    for match in columns:
        attribute = taxonomy.attributes.get(match.attribute or "")
        if attribute is None or not attribute.is_select or match.source == SOURCE_MEMORY:
            continue
        mine = [v for v in values if v.attribute == attribute.code]
        theirs = sum(1 for v in mine if v.fits_other_attribute)
        mapped = sum(v.option_code is not None for v in mine)
        note = f" ({theirs} more fit the other attribute)" if theirs else ""
        match.reasons.insert(1, f"{mapped}/{len(mine) - theirs} values map to options{note}")
