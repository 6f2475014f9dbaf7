"""What a spreadsheet's number format adds to a stored number: the supplier's leading zeros, a currency, a percent.

A workbook stores ``12.99`` and shows ``$12.99``: under a header that names no currency ("Retail"), the format
is the only place the currency is written, so a cell formatted with a currency is read as the number with that
symbol or code as written (``$12.99``, ``12.99 €``, ``EUR 12.99``), which the price reader understands. Other
formats (thousands separators, colours, conditions) are not applied: the stored value reads just as well.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_ISO_CODE = re.compile(r"[A-Z]{3}")
_PLACEHOLDERS = "0#?"
# Builtin Excel formats 9 (0%) and 10 (0.00%): not written in styles.xml, the same in every locale.
BUILTIN_PERCENT = (9, 10)


def number_text(value: str, *, digits: int = 0) -> str:
    """A stored number as the supplier means it: 1299 stored as "1299" or "1299.0" is the integer 1299;
    12.5 stays 12.5 (repr: shortest round-trip); ``digits`` restores the zeros of an ``00000000`` format."""
    try:
        number = float(value)
    except ValueError:
        return value
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number)).zfill(digits) if number >= 0 else str(int(number))
    return repr(number)


def percent_text(value: str) -> str:
    """0.19 stored for a cell shown as 19%: read as ``19%``, as the supplier wrote it (not ``0.19``)."""
    try:
        number = float(value)
    except ValueError:
        return value
    return number_text(repr(round(number * 100, 10))) + "%"


def money_text(value: str, currency: str, *, before: bool = False, decimals: int = 0) -> str:
    """The stored number with its currency as the format writes it: ``$12.50`` or ``12.50 €`` or ``EUR 12.50``.

    ``decimals`` pads 12.5 to 12.50 as shown; a value with more decimals than shown keeps them all."""
    text = number_text(value)
    try:
        number = float(value)
    except ValueError:
        return text
    if decimals and round(number, decimals) == number:
        text = f"{number:.{decimals}f}"
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    if not before:
        return f"{sign}{text} {currency}"
    glue = " " if currency[-1].isalpha() else ""  # "$12.50", but "EUR 12.50"
    return f"{sign}{currency}{glue}{text}"


@dataclass(frozen=True)
class NumberFormat:
    """What of a cell's number format is applied: leading zeros, or a currency, or a percentage."""

    digits: int = 0  # ``00000000``: Excel shows 4100 as 00004100
    currency: str = ""  # the symbol or code as written in the format
    before: bool = False  # the currency comes before the number
    decimals: int = 0
    percent: bool = False

    def text(self, value: str) -> str:
        if self.currency:
            return money_text(value, self.currency, before=self.before, decimals=self.decimals)
        if self.percent:
            return percent_text(value)
        return number_text(value, digits=self.digits)


def parse_format(code: str) -> NumberFormat | None:
    """The parts of an Excel format code that change what the number means; None for a plain format.

    Only the first section (positive numbers) is read. A currency is a literal with a currency sign (``"$"``,
    ``£``, ``\\€``, ``"R$"``), an ISO code (``"EUR"``) or Excel's currency tag (``[$€-407]``, ``[$EUR]``);
    ``[$-409]`` only names a locale."""
    if code and set(code.strip('"')) == {"0"} and len(code.strip('"')) > 1:
        return NumberFormat(digits=len(code.strip('"')))
    literals, placeholders = _tokens(_first_section(code))
    if not placeholders:
        return None  # text or a date/time format: no number placeholder
    first = next(i for i, ch in enumerate(placeholders) if ch in _PLACEHOLDERS)
    decimals = _decimals(placeholders)
    for position, literal, tagged in literals:
        text = literal.strip()
        if text and (tagged or _ISO_CODE.fullmatch(text) or any(unicodedata.category(c) == "Sc" for c in text)):
            return NumberFormat(currency=text, before=position <= first, decimals=decimals)
    if "%" in placeholders:
        return NumberFormat(percent=True)
    return None


def _first_section(code: str) -> str:
    quoted = bracket = escaped = False
    for i, ch in enumerate(code):
        if escaped:
            escaped = False
        elif ch == "\\" and not quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "[" and not quoted:
            bracket = True
        elif ch == "]" and not quoted:
            bracket = False
        elif ch == ";" and not quoted and not bracket:
            return code[:i]
    return code


def _tokens(section: str) -> tuple[list[tuple[int, str, bool]], str]:
    """(literals as (position among the format characters, text, from a ``[$..]`` tag), the format characters).

    A bare currency sign (``$``, ``£``) is a literal too; ``_x`` (a space as wide as x) and ``*x`` (fill) are not."""
    literals: list[tuple[int, str, bool]] = []
    chars: list[str] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            literals.append((len(chars), section[i + 1 : end], False))
            i = end + 1
        elif ch == "[":
            end = section.find("]", i + 1)
            end = len(section) if end < 0 else end
            tag = section[i + 1 : end]
            if tag.startswith("$"):
                literals.append((len(chars), tag[1:].split("-", 1)[0], True))
            i = end + 1
        elif ch == "\\" and i + 1 < len(section):
            literals.append((len(chars), section[i + 1], False))
            i += 2
        elif ch in "_*":
            i += 2
        elif unicodedata.category(ch) == "Sc":
            literals.append((len(chars), ch, False))
            i += 1
        else:
            chars.append(ch)
            i += 1
    text = "".join(chars)
    return literals, text if any(ch in _PLACEHOLDERS for ch in text) and not _is_date(text) else ""


def _is_date(chars: str) -> bool:
    """``dd.mm.yyyy``, ``h:mm``: a date or time format (placeholders only in its seconds, ``ss.00``)."""
    return any(ch in "yYmMdDhHsS" for ch in chars)


def _decimals(chars: str) -> int:
    match = re.search(r"\.([0#?]+)", chars)
    return match.group(1).count("0") if match else 0
