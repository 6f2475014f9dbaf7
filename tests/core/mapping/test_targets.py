"""Two-target columns decided by the values and the products' categories, not by the header's wording."""

from __future__ import annotations

import pytest

from icaam_desktop.core.mapping.mapper import map_delivery

# (value, leaf): clothes carry fabric, shoes and bags carry material; the two never share a category.
GERMAN = [
    ("100% Baumwolle", "tshirts"),
    ("Baumwolle", "shirts"),
    ("100% Polyester", "tshirts"),
    ("60% Baumwolle, 40% Polyester", "shirts"),
    ("Kunstfaser", "tshirts"),
    ("Leder", "casual_shoes"),
    ("Echtleder", "handbags"),
    ("Kunstleder", "casual_shoes"),
]
AMERICAN = [
    ("Cotton", "tshirts"),
    ("Polyester", "shirts"),
    ("Cotton", "shirts"),
    ("Polyester", "tshirts"),
    ("Faux Leather", "casual_shoes"),
    ("PU Leather", "handbags"),
]


def sheet(make_delivery, header: str, pairs: list[tuple[str, str]], repeat: int = 4):
    rows, categories = [], {}
    for i, (value, leaf) in enumerate(pairs * repeat):
        rows.append([f"P{i}", value, ["Schwarz", "Blau"][i % 2]])
        categories[f"P{i}"] = leaf
    return make_delivery(["Nr", header, "Farbe"], rows), categories


def feeds(result, column: str) -> set[str]:
    return {m.attribute for m in result.columns if m.supplier_column == column and m.attribute}


@pytest.mark.parametrize(
    ("header", "pairs"),
    [("Materialzusammensetzung", GERMAN), ("Fabric Content", AMERICAN), ("Material", GERMAN)],
)
def test_a_column_serving_clothes_and_shoes_feeds_fabric_and_material(taxonomy, make_delivery, header, pairs):
    delivery, categories = sheet(make_delivery, header, pairs)
    result = map_delivery(delivery, taxonomy, categories=categories, use_embeddings=False)
    assert feeds(result, header) == {"fabric", "material"}
    second = [m for m in result.columns if m.supplier_column == header][1]
    assert second.confidence >= 0.5 and any("products split between them" in r for r in second.reasons)
    products = result.products
    shirt = next(pid for pid, leaf in categories.items() if leaf == "tshirts")
    shoe = next(pid for pid, leaf in categories.items() if leaf == "casual_shoes")
    assert products[shirt].values.get("fabric") in {"cotton", "polyester"} and "material" not in products[shirt].values
    assert products[shoe].values.get("material") in {"leather", "synthetic_leather"}
    assert "fabric" not in products[shoe].values


def test_faux_leather_on_a_shoe_is_material_not_synthetic_fabric(taxonomy, make_delivery):
    delivery, categories = sheet(make_delivery, "Fabric Content", AMERICAN)
    result = map_delivery(delivery, taxonomy, categories=categories, use_embeddings=False)
    values = {(v.attribute, v.supplier_value): v.option_code for v in result.values}
    assert values[("material", "Faux Leather")] == "synthetic_leather"
    assert ("fabric", "Faux Leather") not in values  # the shoe rows are not the fabric attribute's


def test_one_product_in_a_shoe_category_does_not_split_a_fabric_column(taxonomy, make_delivery):
    """A misclassified product is not a split: the column stays fabric only."""
    pairs = [("Cotton", "tshirts"), ("Polyester", "shirts"), ("Cotton", "shirts")] * 5 + [("Cotton", "casual_shoes")]
    delivery, categories = sheet(make_delivery, "Fabric Content", pairs, repeat=1)
    result = map_delivery(delivery, taxonomy, categories=categories, use_embeddings=False)
    assert feeds(result, "Fabric Content") == {"fabric"}


def test_a_split_needs_the_values_of_each_side_to_be_its_options(taxonomy, make_delivery):
    """Shoe rows whose values are no material ("Mixed", codes) do not make the column feed material."""
    pairs = [("Cotton", "tshirts"), ("Polyester", "shirts")] * 4 + [("Mixed", "casual_shoes"), ("X-12", "handbags")] * 3
    delivery, categories = sheet(make_delivery, "Fabric Content", pairs, repeat=1)
    result = map_delivery(delivery, taxonomy, categories=categories, use_embeddings=False)
    assert feeds(result, "Fabric Content") == {"fabric"}
