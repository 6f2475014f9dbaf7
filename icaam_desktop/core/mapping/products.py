"""Per-product values: each product's category attributes filled from the matched columns."""

from __future__ import annotations

import itertools
from dataclasses import replace

from icaam_desktop.core.delivery.model import Delivery
from icaam_desktop.core.mapping.codes import column_language
from icaam_desktop.core.mapping.model import ColumnMatch, ProductMapping, ValueMatch
from icaam_desktop.core.mapping.numbers import ParsedNumber, convert_price, currency_table, parse_number, parse_year
from icaam_desktop.core.mapping.placeholders import cell_text
from icaam_desktop.core.mapping.signals import (
    KIND_IDENTIFIER,
    KIND_PRICE,
    KIND_SELECT,
    KIND_YEAR,
    ColumnProfile,
    attribute_kind,
)
from icaam_desktop.core.mapping.vocab import default_vocabulary
from icaam_desktop.core.taxonomy import AttributeSpec, Taxonomy


def cell_value(
    attribute: AttributeSpec, raw: str, profile: ColumnProfile | None, value_map: dict[tuple[str, str], ValueMatch]
) -> tuple[str | None, str | None, list[str]]:
    """(value in the retailer's terms, problem, notes) for one cell of a column mapped to ``attribute``."""
    kind = attribute_kind(attribute)
    if kind == KIND_SELECT:
        match = value_map.get((attribute.code, raw))
        if match is None or match.option_code is None:
            return None, f"'{raw}' is not an option of '{attribute.code}'", []
        return match.option_code, None, []
    if kind == KIND_YEAR:
        year = parse_year(raw)
        return (str(year), None, []) if year else (None, f"'{raw}' is not a year", [])
    if kind in (KIND_PRICE, "number"):
        decimal = profile.decimal if profile else None
        parsed = parse_number(raw, decimal=decimal)
        if kind == KIND_PRICE and parsed.value is not None:
            source, problem = price_currency(parsed, profile)
            if problem:
                return None, problem, []
            parsed.currency = source
            parsed = convert_price(parsed, unit=attribute.unit.upper())
            header = profile.header_currency if profile else None
            if header and source and header != source:
                parsed.reasons.append(f"the cell says {source} but its header says {header}: read as {source}; check")
            if source is None and profile and profile.sheet_currency not in (None, attribute.unit.upper()):
                parsed.reasons.append(
                    f"no currency given: taken as {attribute.unit.upper()}, but the sheet is in "
                    f"'{profile.sheet_language}', where prices are usually in {profile.sheet_currency}; check"
                )
        if parsed.value is None:
            return None, parsed.problem, []
        return f"{parsed.value:.2f}", None, parsed.reasons
    return raw.strip(), None, []  # identifier and text: as written


def price_currency(parsed: ParsedNumber, profile: ColumnProfile | None) -> tuple[str | None, str | None]:
    """(the currency of one price cell, or a problem): the cell's own, else the header's, else the one its column uses.

    None with no problem means nothing anywhere names a currency: the retailer's own is assumed. A cell is
    never silently read in the column's currency when its own letters name none we know ("1 488 Ft" before
    HUF was known) or when the column mixes currencies.
    """
    header = profile.header_currency if profile else None
    if parsed.currency is not None:
        # "12,50 kr." under "Pris (DKK)": Danish crowns, not the symbol's Swedish default; "¥129" in a Chinese sheet: yuan.
        for hint in (header, profile.sheet_currency if profile else None):
            if hint and hint != parsed.currency and currency_table().could_be(parsed.raw, hint):
                return hint, None
        return parsed.currency, None
    if parsed.unit:
        return None, f"'{parsed.raw}' is not a price in a currency I know ('{parsed.unit}'): not converted"
    if header:
        return header, None
    named = sorted(profile.cell_currencies) if profile else []
    if len(named) > 1:
        return None, f"'{parsed.raw}' names no currency and its column mixes {', '.join(named)}: not converted"
    return (named[0] if named else None), None


def fill_products(
    delivery: Delivery,
    taxonomy: Taxonomy,
    *,
    columns: list[ColumnMatch],
    values: list[ValueMatch],
    profiles: dict[str, ColumnProfile],
    categories: dict[str, str],
) -> dict[str, ProductMapping]:
    """product id -> its mapped values and the required attributes still missing."""
    value_map = {(v.attribute, v.supplier_value): v for v in values}
    targets: dict[str, list[AttributeSpec]] = {}
    for match in columns:
        if match.attribute and match.attribute in taxonomy.attributes:
            targets.setdefault(match.supplier_column, []).append(taxonomy.attributes[match.attribute])
    out: dict[str, ProductMapping] = {}
    for product in delivery.products:
        category = categories.get(product.product_id)
        carried = {ca.attribute.code: ca.required for ca in taxonomy.attributes_for(category)} if category else None
        mapping = ProductMapping(product.product_id, category)
        for column, attributes in targets.items():
            raw = cell_text(product.row.get(column))
            if not raw:
                continue
            wanted = [
                a for a in attributes if carried is None or a.code in carried or attribute_kind(a) == KIND_IDENTIFIER
            ]
            if len(wanted) > 1 and carried is None:
                # A two-target column and no category to choose: the target whose option fits the value best.
                wanted = sorted(wanted, key=lambda a: -_value_confidence(value_map, a, raw))[:1]
            problems = []
            for attribute in wanted:
                value, problem, notes = cell_value(attribute, raw, profiles.get(column), value_map)
                if value is not None:
                    mapping.values[attribute.code] = value
                    mapping.problems += [f"{attribute.code}: {n}" for n in notes]
                elif problem:
                    problems.append(f"{column}: {problem}")
            if problems and not any(a.code in mapping.values for a in wanted):
                mapping.problems += problems[:1]
        if carried is not None:
            mapping.missing_required = [code for code, req in carried.items() if req and code not in mapping.values]
        else:
            mapping.problems.append("no category: required attributes unknown")
        out[product.product_id] = mapping
    return out


def _value_confidence(value_map: dict[tuple[str, str], ValueMatch], attribute: AttributeSpec, raw: str) -> float:
    match = value_map.get((attribute.code, raw))
    return match.confidence if match is not None and match.option_code else -1.0


def column_profiles(delivery: Delivery, columns) -> dict[str, ColumnProfile]:
    """Each column's value profile over every product row (decimal mark, currency, kinds of values)."""
    rows = [p.row for p in delivery.products]
    profiles = {c: ColumnProfile.build(c, [r.get(c, "") for r in rows]) for c in columns}
    language = column_language(default_vocabulary(), delivery.sheet.columns, with_english=True)
    currency = currency_table().by_language.get(language or "")
    table = currency_table()
    for profile in profiles.values():
        profile.sheet_language, profile.sheet_currency = language, currency
        # "¥" cells in a Chinese sheet: the column's currency is the yuan, as its prices are converted (price_currency).
        shared = currency and not profile.header_currency and profile.currency not in (None, currency)
        if shared and any(table.could_be(value, currency) for value in itertools.islice(profile.values, 50)):
            profile.currency = currency
    return profiles


def refill_products(
    delivery: Delivery,
    taxonomy: Taxonomy,
    *,
    columns: list[ColumnMatch],
    values: list[ValueMatch],
    categories: dict[str, str],
    only: set[str] | None = None,
    profiles: dict[str, ColumnProfile] | None = None,
) -> dict[str, ProductMapping]:
    """The products' values again from the given (stored) matches, without matching anything anew.

    What an analyst's decision changes: on one column or value, every product (``only`` None); on a
    product's category, that product (``only``). ``profiles`` (``column_profiles``) may be reused between
    refills of one delivery: they depend on its rows alone.
    """
    mapped = {m.supplier_column for m in columns if m.attribute}
    known = profiles or {}
    missing = [c for c in mapped if c not in known]
    profiles = {**known, **column_profiles(delivery, missing)} if missing else known
    categories = {pid: code for pid, code in categories.items() if code in taxonomy.categories}
    if only is not None:
        delivery = replace(delivery, products=[p for p in delivery.products if p.product_id in only])
    return fill_products(delivery, taxonomy, columns=columns, values=values, profiles=profiles, categories=categories)
