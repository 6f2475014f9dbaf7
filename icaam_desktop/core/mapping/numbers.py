"""Numbers, prices and years as suppliers write them.

``"1.299,00"``, ``"1299 INR"``, ``"INR 1,299.00"``, ``"€ 12,50"``, ``"1 299,00"``: the decimal separator is
inferred per cell when unambiguous and per column otherwise; currencies come from symbols or ISO
codes in the cell or the header; conversion to the attribute's unit uses a small table of reference
rates (``resources/vocab/currency.json``) and is always flagged for a human check.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from icaam_desktop.core.mapping.text import normalise_text, unglue

YEAR_RANGE = (1900, 2100)
# Thousands may be grouped with spaces (plain, no-break, narrow) or apostrophes (Swiss 1'299.50 or 1’299.50).
_NUMBER = re.compile(r"[-+]?\d[\d\s.,'\u2019\u00a0\u202f]*")


@dataclass(frozen=True)
class CurrencyTable:
    usd_per_unit: dict[str, float]
    symbols: dict[str, str]
    as_of: str = ""
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)  # symbol -> every currency it may stand for
    by_language: dict[str, str] = field(default_factory=dict)  # language -> the currency usual where it is spoken

    def rate(self, source: str, target: str) -> float | None:
        """Units of ``target`` per unit of ``source``; None when either is unknown."""
        a, b = self.usd_per_unit.get(source), self.usd_per_unit.get(target)
        if a is None or b is None:
            return None
        return a / b

    def is_currency_word(self, token: str) -> bool:
        """``inr``, ``eur``, ``rs``: a header token that names a currency rather than the attribute."""
        return token.upper() in self.usd_per_unit or token.lower() in self.symbols

    @cached_property
    def _symbol_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        """Symbols with a non-letter (``€``, ``R$``, ``Rs.``), longest first so ``R$`` and ``US$`` win over ``$``.

        A symbol that starts with a letter must start a word (``R$ 12``, not ``EUR$``); plain words
        (eur, rupees) are matched as tokens instead.
        """
        found = []
        for symbol in sorted(self.symbols, key=len, reverse=True):
            if all(ch.isalpha() for ch in symbol):
                continue
            prefix = r"(?<![^\W\d_])" if symbol[0].isalpha() else ""
            found.append((symbol, re.compile(prefix + re.escape(symbol))))
        return found

    def strip_symbols(self, text: str) -> str:
        """``"Preço (R$)"`` -> ``"Preço ( )"``: currency symbols removed before a header is cut into words."""
        lowered = text.lower()
        for _, pattern in self._symbol_patterns:
            match = pattern.search(lowered)
            while match:
                text = text[: match.start()] + " " * len(match.group(0)) + text[match.end() :]
                lowered = text.lower()
                match = pattern.search(lowered)
        return text

    def could_be(self, text: str, code: str) -> bool:
        """Whether ``text`` may name ``code``: by its ISO code, or by a symbol several currencies share (``kr``
        is Swedish, Danish, Norwegian or Icelandic; the header's ``DKK`` then says which)."""
        text = unicodedata.normalize("NFKC", text)
        if self.find(text) == code:
            return True
        lowered = text.lower()
        found = [symbol for symbol, pattern in self._symbol_patterns if pattern.search(lowered)]
        found += [token for token in normalise_text(text).split() if token in self.symbols]
        return any(code in self.shared.get(symbol, ()) for symbol in found)

    def find(self, text: str) -> str | None:
        """The currency named in ``text``, else None: an ISO code in capitals first (``$12 CAD`` is Canadian,
        ``12 EUR$`` is euros), then a symbol (``R$``, ``€``, ``$``), then a word (``rupees``), then a code in
        lower case when it is the cell's only word (``12,50 usd``). Lower-case codes elsewhere are words:
        "price for all sizes" is not in Albanian lek, "try on" not in Turkish lira."""
        for code in _CAPITAL_CODE.findall(text):
            if code in self.usd_per_unit:
                return code
        lowered = text.lower()
        for symbol, pattern in self._symbol_patterns:
            if pattern.search(lowered):
                return self.symbols[symbol]
        # "12900円", "12,900원": a currency word glued to the number is a word of its own.
        tokens = unglue(normalise_text(text)).split()
        for token in tokens:
            if token in self.symbols:
                return self.symbols[token]
        words = [t for t in tokens if t.isalpha()]
        if len(words) == 1 and words[0].upper() in self.usd_per_unit:
            return words[0].upper()
        return None


_CAPITAL_CODE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")


@lru_cache(maxsize=4)
def currency_table(path: str | None = None) -> CurrencyTable:
    """The bundled reference-rate table, loaded once."""
    from icaam_desktop.core.mapping.vocab import vocab_dir

    data = json.loads(Path(path or vocab_dir() / "currency.json").read_text(encoding="utf-8"))
    return CurrencyTable(
        dict(data["usd_per_unit"]),
        {k.lower(): v for k, v in data["symbols"].items()},
        data.get("as_of", ""),
        {k.lower(): tuple(v) for k, v in data.get("shared_symbols", {}).items()},
        dict(data.get("language_currencies", {})),
    )


@dataclass
class ParsedNumber:
    """A cell read as a number; ``value`` None means it was not a number (``problem`` says why)."""

    raw: str
    value: float | None
    currency: str | None = None
    decimal: str | None = None  # the decimal separator the cell proved, if any
    problem: str = ""
    unit: str = ""  # short letters next to the number that name no known currency ("Ft" before it was known)
    reasons: list[str] = field(default_factory=list)


def _digits_only(text: str) -> str:
    return re.sub(r"[\s'\u2019\u00a0\u202f]", "", text)


def cell_decimal_separator(number_text: str) -> str | None:
    """The decimal separator a number string proves by itself (None when ambiguous or absent)."""
    text = _digits_only(number_text)
    has_dot, has_comma = "." in text, "," in text
    if has_dot and has_comma:
        return "," if text.rfind(",") > text.rfind(".") else "."
    sep = "," if has_comma else "." if has_dot else None
    if sep is None:
        return None
    parts = text.split(sep)
    if len(parts) > 2:  # 1.234.567 -> thousands
        return "," if sep == "." else "."
    if len(parts[1]) != 3:  # 12,5 / 12,50 -> decimal
        return sep
    return None  # 1,049 could be either


def parse_number(raw: str, *, decimal: str | None = None, currencies: CurrencyTable | None = None) -> ParsedNumber:
    """Read ``raw`` as a number; ``decimal`` is the column's separator for ambiguous cells like ``1,049``."""
    # Full-width digits and signs (￥１２,９００, typed on a Japanese or Chinese keyboard) read as their ASCII forms.
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return ParsedNumber(raw, None, problem="empty")
    table = currencies or currency_table()
    currency = table.find(text)
    match = _NUMBER.search(text)
    if not match:
        return ParsedNumber(raw, None, currency, problem=f"'{raw}' is not a number")
    rest = (text[: match.start()] + text[match.end() :]).strip()
    leftover = normalise_text(rest)
    if leftover and not table.find(rest) and any(len(t) > 2 for t in leftover.split()):
        return ParsedNumber(raw, None, currency, problem=f"'{raw}' has text besides a number")
    unit = rest if currency is None and any(ch.isalpha() for ch in rest) else ""
    number = _digits_only(match.group(0)).rstrip(".,")
    proven = cell_decimal_separator(number)
    sep = proven or decimal
    if sep is None and re.search(r"[.,]\d{3}$", number):
        # A lone 1,049 or 1.049 with no column evidence: read the separator as thousands.
        sep = "." if "," in number else ","
    number = number.replace(".", "").replace(",", ".") if sep == "," else number.replace(",", "")
    try:
        value = float(number)
    except ValueError:
        return ParsedNumber(raw, None, currency, problem=f"'{raw}' is not a number")
    return ParsedNumber(raw, value, currency, decimal=proven, unit=unit)


def column_decimal_separator(cells: list[str]) -> str | None:
    """The separator most cells of a column prove (``"12,50"`` proves ``,``), for the ambiguous ones."""
    votes = {",": 0, ".": 0}
    for cell in cells:
        match = _NUMBER.search(cell or "")
        if match:
            sep = cell_decimal_separator(match.group(0).strip())
            if sep:
                votes[sep] += 1
    if not any(votes.values()):
        return None
    return max(votes, key=votes.get)


def parse_year(raw: str) -> int | None:
    """A 4-digit year in 1900..2100 (``"2012"``, ``"2012.0"``, ``"FW 2013"``), else None."""
    match = re.search(r"(?<!\d)(\d{4})(?:\.0+)?(?!\d)", raw or "")
    if not match:
        return None
    year = int(match.group(1))
    return year if YEAR_RANGE[0] <= year <= YEAR_RANGE[1] else None


def convert_price(
    parsed: ParsedNumber,
    *,
    unit: str,
    default_currency: str | None = None,
    currencies: CurrencyTable | None = None,
) -> ParsedNumber:
    """``parsed`` in ``unit`` (an ISO code); converted at the reference rate and flagged, or a problem when unknown."""
    if parsed.value is None or not unit:
        return parsed
    table = currencies or currency_table()
    source = parsed.currency or default_currency
    if source is None or source == unit:
        return parsed
    rate = table.rate(source, unit)
    if rate is None:
        return ParsedNumber(parsed.raw, None, source, problem=f"no reference rate {source}->{unit} for '{parsed.raw}'")
    note = f"converted {source}->{unit} at {rate:.4g} (reference rate {table.as_of}, check)"
    return ParsedNumber(
        parsed.raw, round(parsed.value * rate, 2), unit, parsed.decimal, reasons=[*parsed.reasons, note]
    )
