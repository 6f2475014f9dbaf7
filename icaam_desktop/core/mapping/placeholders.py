"""Cells that stand for "no value": ``n/a``, ``-``, ``—``, ``?``, ``N.D.``, ``k.A.``, ``n.v.t.``, ``s/d``, ``TBD``...

Suppliers fill the gaps of a sheet with such markers. Mapping reads them as empty everywhere: they are not
values of a column (nor counted as unmapped), they do not shape a column's profile, and they never reach a
product. The table is ``resources/vocab/placeholders.json`` (general usage per language, not any supplier's).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from icaam_desktop.core.mapping.text import fold_accents, normalise_text


def _form(text: str) -> str:
    return fold_accents(normalise_text(text))


@lru_cache(maxsize=4)
def placeholder_table(path: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """(placeholders in normal form, spreadsheet error codes in lower case) from the bundled table."""
    from icaam_desktop.core.mapping.vocab import vocab_dir

    data = json.loads(Path(path or vocab_dir() / "placeholders.json").read_text(encoding="utf-8"))
    words = frozenset(_form(p) for entries in data["placeholders"].values() for p in entries if _form(p))
    errors = frozenset(e.strip().lower() for e in data.get("spreadsheet_errors", []))
    return words, errors


@lru_cache(maxsize=200_000)
def is_placeholder(value: str) -> bool:
    """True for a cell that only says "no value"; a cell with no letter or digit at all ("-", "?") is one too.

    A cell that merely contains a placeholder ("n/a (see photo)") is left alone.
    """
    text = (value or "").strip()
    if not text:
        return False
    if not any(ch.isalnum() for ch in text):
        return True
    words, errors = placeholder_table()
    return text.lower() in errors or _form(text) in words


def cell_text(value: str | None) -> str:
    """The cell stripped, or "" when it is empty or only a placeholder: what every mapping step reads."""
    text = (value or "").strip()
    return "" if is_placeholder(text) else text
