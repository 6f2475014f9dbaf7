"""The assignment: one-to-one, no counterpart, two-target columns, junk sheets, memory."""

from __future__ import annotations

import random

import numpy as np
import pytest

from icaam_desktop.core.mapping.assign import ASSIGN_THRESHOLD, assign
from icaam_desktop.core.mapping.mapper import map_delivery
from icaam_desktop.core.mapping.model import SOURCE_MEMORY, SupplierMemory
from icaam_desktop.core.mapping.numbers import currency_table


def test_assign_is_one_to_one_with_a_no_counterpart_option():
    conf = np.array(
        [
            [0.95, 0.60, 0.10],  # column 0 -> attribute 0
            [0.90, 0.70, 0.10],  # column 1 wants 0 too, gets 1
            [0.30, 0.20, 0.40],  # column 2: nothing reaches the threshold -> no counterpart
        ]
    )
    assert assign(conf) == {0: 0, 1: 1}
    allowed = np.ones_like(conf, dtype=bool)
    allowed[:, 1] = False
    assert assign(conf, allowed) == {0: 0}  # column 1's only other option is masked out
    assert assign(np.full((2, 2), ASSIGN_THRESHOLD - 0.01)) == {}


def mapping(result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in result.columns:
        bucket = out.setdefault(m.supplier_column, set())
        if m.attribute:
            bucket.add(m.attribute)
    return out


CLOTHES = ["cotton", "polyester", "cotton blend", "viscose", "wool"]
SHOES = ["leather", "synthetic leather", "canvas", "suede", "mesh"]


def test_one_column_feeds_two_attributes_that_never_share_a_category(taxonomy, make_delivery):
    rows = [
        [f"P{i}", m, c] for i, (m, c) in enumerate(zip((CLOTHES + SHOES) * 4, ["Black", "White"] * 20, strict=True))
    ]
    delivery = make_delivery(["Item", "Material", "Colour"], rows)
    result = map_delivery(delivery, taxonomy, use_embeddings=False)
    assert mapping(result)["Material"] == {"fabric", "material"}
    two = [m for m in result.columns if m.supplier_column == "Material"]
    assert any("never share a category" in r for m in two for r in m.reasons)
    fabric_values = {v.supplier_value: v.option_code for v in result.values if v.attribute == "fabric"}
    material_values = {v.supplier_value: v.option_code for v in result.values if v.attribute == "material"}
    assert fabric_values["cotton blend"] == "cotton_blend" and material_values["canvas"] == "canvas"
    # without categories a product gets the one attribute whose option fits its value
    blend, canvas = result.products["P2"].values, result.products["P7"].values
    assert blend.get("fabric") == "cotton_blend" and "material" not in blend
    assert canvas.get("material") == "canvas" and "fabric" not in canvas


def test_a_plain_column_does_not_get_a_second_attribute(taxonomy, make_delivery):
    rows = [[f"P{i}", m] for i, m in enumerate(CLOTHES * 4)]
    result = map_delivery(make_delivery(["Item", "Fabric"], rows), taxonomy, use_embeddings=False)
    assert mapping(result)["Fabric"] == {"fabric"}


def test_categories_narrow_the_candidates(taxonomy, make_delivery):
    rows = [[f"P{i}", m] for i, m in enumerate(CLOTHES * 4)]
    delivery = make_delivery(["Item", "Stoff"], rows)
    categories = {f"P{i}": "tshirts" for i in range(len(rows))}
    result = map_delivery(delivery, taxonomy, categories=categories, use_embeddings=False)
    assert mapping(result)["Stoff"] == {"fabric"}
    product = result.products["P0"]
    assert product.category == "tshirts" and product.values["fabric"] == "cotton"
    assert "gender" in product.missing_required and "fabric" not in product.missing_required


def test_image_dept_and_id_columns(taxonomy, make_delivery):
    rows = [
        [f"NW-{i}", dept, f"NW-{i}.jpg", colour]
        for i, (dept, colour) in enumerate(
            zip(["Mens Tops", "Ladies Footwear", "Bags & Wallets"] * 10, ["Red", "Blue"] * 15, strict=True)
        )
    ]
    delivery = make_delivery(["Article No", "Dept", "Image File", "Colour"], rows, image_column="Image File")
    result = map_delivery(delivery, taxonomy, use_embeddings=False)
    assert mapping(result) == {"Article No": {"sku"}, "Dept": set(), "Image File": set(), "Colour": {"base_colour"}}
    dept = next(m for m in result.columns if m.supplier_column == "Dept")
    assert dept.alternatives and "no attribute reaches" in dept.reasons[0]


def test_a_sheet_of_junk_maps_nothing_confidently(taxonomy, make_delivery, embedder):
    rng = random.Random(3)
    lorem = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
        "sed",
        "do",
        "eiusmod",
        "tempor",
    ]
    columns = ["Id", "Zzq", "Field 7", "X_tmp", "Notes", "Col-AB", "Hash"]
    rows = []
    for i in range(60):
        rows.append(
            [
                f"R{i}",
                str(rng.randint(0, 10**6)),
                rng.choice(["kq", "zz", "pl", "mm"]) + str(rng.randint(0, 9)),
                f"{rng.random():.6f}",
                " ".join(rng.sample(lorem, 5)),
                rng.choice(lorem),
                f"{rng.getrandbits(64):016x}",
            ]
        )
    result = map_delivery(make_delivery(columns, rows), taxonomy, embedder=embedder)
    confident = [m for m in result.columns if m.attribute and m.supplier_column != "Id"]
    assert confident == [], [(m.supplier_column, m.attribute, m.confidence, m.reasons) for m in confident]
    assert all(0.0 <= m.confidence <= 1.0 for m in result.columns)


def test_memory_decides_columns_and_values_first(taxonomy, make_delivery):
    rows = [[f"P{i}", colour, "xq"] for i, colour in enumerate(["Petrol", "Schwarz"] * 5)]
    delivery = make_delivery(["Nr", "Tint", "Weird"], rows)
    memory = SupplierMemory(
        "acme",
        columns={"Tint": ["base_colour"], "Weird": []},
        values={("base_colour", "Petrol"): "turquoise_blue"},
    )
    result = map_delivery(delivery, taxonomy, memory=memory, use_embeddings=False)
    tint = [m for m in result.columns if m.supplier_column == "Tint"]
    assert [(m.attribute, m.source) for m in tint] == [("base_colour", SOURCE_MEMORY)]
    weird = [m for m in result.columns if m.supplier_column == "Weird"]
    assert [(m.attribute, m.source) for m in weird] == [(None, SOURCE_MEMORY)]
    values = {v.supplier_value: v for v in result.values}
    assert (values["Petrol"].option_code, values["Petrol"].source) == ("turquoise_blue", SOURCE_MEMORY)
    assert values["Schwarz"].option_code == "black" and values["Schwarz"].source != SOURCE_MEMORY
    assert result.products["P0"].values["base_colour"] == "turquoise_blue"


def test_confidences_and_reasons_are_readable(taxonomy, make_delivery):
    rows = [
        [f"P{i}", s, p]
        for i, (s, p) in enumerate(
            zip(["short sleeve", "Long Sleeve", "sleeveless"] * 10, ["1.299,00", "€ 12,50", "450"] * 10, strict=True)
        )
    ]
    result = map_delivery(make_delivery(["Nr", "Sleeve", "Preis EUR"], rows), taxonomy, use_embeddings=False)
    sleeve = next(m for m in result.columns if m.supplier_column == "Sleeve")
    assert sleeve.attribute == "sleeve_length" and 0.5 < sleeve.confidence <= 1.0
    assert sleeve.reasons[0].startswith('name ~ "sleeve length"')
    assert sleeve.reasons[1] == "3/3 values map to options"
    assert sleeve.alternatives and all(a != "sleeve_length" for a, _ in sleeve.alternatives)
    price = next(m for m in result.columns if m.supplier_column == "Preis EUR")
    assert price.attribute == "price" and any("currency EUR" in r for r in price.reasons)
    assert "converted from EUR to INR at a reference rate: check the prices" in price.reasons
    product = result.products["P1"]
    assert float(product.values["price"]) == pytest.approx(12.5 * currency_table().rate("EUR", "INR"), abs=0.01)
    assert any("converted EUR->INR" in p for p in product.problems)


def test_run_together_headers(taxonomy, make_delivery):
    rows = [
        [f"P{i}", s, c]
        for i, (s, c) in enumerate(zip(["Short Sleeves", "Sleeveless"] * 5, ["Red", "Navy"] * 5, strict=True))
    ]
    result = map_delivery(make_delivery(["ID", "SLEEVELENGTH", "BASECOLOUR"], rows), taxonomy, use_embeddings=False)
    assert mapping(result) == {"ID": {"sku"}, "SLEEVELENGTH": {"sleeve_length"}, "BASECOLOUR": {"base_colour"}}


class BrokenEmbedder:
    """A model folder that fails at first use (a corrupt download): the mapper must go on without meaning."""

    name = "broken"

    def encode(self, texts):
        from icaam_desktop.core.mapping.embeddings import EmbeddingModelError

        raise EmbeddingModelError("cannot load embedding model /nowhere: corrupt")


def test_a_broken_embedding_model_is_a_note_not_a_crash(taxonomy, make_delivery):
    rows = [[f"P{i}", "qq", c] for i, c in enumerate(["Red", "Aubergine"] * 5)]
    result = map_delivery(make_delivery(["Nr", "Hue", "Colour"], rows), taxonomy, embedder=BrokenEmbedder())
    assert any("meaning signal off" in p for p in result.problems)  # "Hue" needed the meaning signal
    assert mapping(result)["Colour"] == {"base_colour"}
    unmapped = {v.supplier_value for v in result.values if v.option_code is None}
    assert unmapped == {"Aubergine"}  # the values' embedding step was skipped, not crashed
