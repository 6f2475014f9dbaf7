"""Placeholder cells ("n/a", "-", "k.A.", "s/d", ...) are read as empty by every mapping step."""

from __future__ import annotations

import pytest

from icaam_desktop.core.mapping.mapper import map_delivery
from icaam_desktop.core.mapping.placeholders import is_placeholder
from icaam_desktop.core.mapping.signals import ColumnProfile

PLACEHOLDERS = [
    "n/a",
    "N/A",
    "n.a.",
    "-",
    "—",
    "--",
    "?",
    "N.D.",
    "s/d",
    "NC",
    "n.v.t.",
    "k.A.",
    "keine Angabe",
    "non renseigné",
    "sin datos",
    "TBD",
    "#N/A",
    " unknown ",
]


@pytest.mark.parametrize("cell", PLACEHOLDERS)
def test_placeholders_are_recognised(cell):
    assert is_placeholder(cell)


@pytest.mark.parametrize("cell", ["", "Navy", "V", "M", "U", "none", "n/a (see photo)", "-5", "0", "NA-123", "SD"])
def test_values_are_not_placeholders(cell):
    assert not is_placeholder(cell)


def test_a_profile_does_not_count_placeholders():
    profile = ColumnProfile.build("Farbe", ["Schwarz", "n/a", "-", "Weiß", "k.A.", ""])
    assert set(profile.values) == {"Schwarz", "Weiß"}
    assert profile.filled == 2


def test_placeholder_cells_are_neither_values_nor_unmapped_nor_product_values(taxonomy, make_delivery):
    columns = ["Id", "Name", "Colour", "Gender", "Season", "Price"]
    colours, genders, seasons = ["Black", "White", "Navy"], ["Men", "Women"], ["Summer", "Winter"]
    rows = []
    for i in range(40):
        gap = PLACEHOLDERS[i % len(PLACEHOLDERS)]
        rows.append(
            [
                f"P{i}",
                gap if i % 5 == 0 else f"Brand Shirt {i}",
                gap if i % 2 else colours[i % 3],
                gap if i % 3 == 0 else genders[i % 2],
                gap if i % 4 == 0 else seasons[i % 2],
                gap if i % 7 == 0 else f"{100 + i},00",
            ]
        )
    result = map_delivery(make_delivery(columns, rows), taxonomy, use_embeddings=False)

    attributes = {m.supplier_column: m.attribute for m in result.columns}
    assert attributes["Colour"] == "base_colour" and attributes["Gender"] == "gender"
    assert {v.supplier_value for v in result.values} == {*colours, *genders, *seasons}
    assert all(v.option_code for v in result.values)  # nothing left unmapped
    for product in result.products.values():
        assert not set(product.values.values()) & set(PLACEHOLDERS)
        assert product.problems == ["no category: required attributes unknown"]
