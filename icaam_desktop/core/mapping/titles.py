"""Which column of a supplier sheet names the products, before anything is mapped: for titles in the window.

The header is read through the multilingual vocabulary (``商品名称``, ``Наименование`` and ``Artikelbezeichnung``
all read as a product name), so a delivery in any language the tables know shows its product names, not its ids.
A column read as a description counts only when no column reads as a name.
"""

from __future__ import annotations

from icaam_desktop.core.mapping.vocab import default_vocabulary

NAME_READINGS = frozenset(
    {"name", "product name", "item name", "article name", "style name", "title", "product title", "designation"}
)
DESCRIPTION_READINGS = frozenset({"description", "product description", "item description", "article description"})


def title_column(columns: list[str]) -> str | None:
    """The first column whose header reads as a product name (and not also as a brand), else the first that reads
    as a description; None when no header says either."""
    vocab = default_vocabulary()
    described = None
    for column in columns:
        readings = {r.text for r in vocab.header_readings(column)}
        if readings & NAME_READINGS and "brand" not in readings:  # "Label" is a brand label as often as a name
            return column
        if described is None and readings & DESCRIPTION_READINGS:
            described = column
    return described
