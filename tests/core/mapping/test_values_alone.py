"""Columns whose header names no attribute: placed by their values when those are clear, otherwise an unsure
"no counterpart" that says the header was not read."""

from __future__ import annotations

import numpy as np

from icaam_desktop.core.mapping.mapper import map_delivery
from icaam_desktop.core.mapping.signals import ColumnProfile, OptionIndex
from icaam_desktop.core.mapping.values_alone import UNREAD_CONFIDENCE, carried_by_values
from icaam_desktop.core.mapping.vocab import Reading, default_vocabulary

BRANDS = ["Puma", "Nike", "United Colors of Benetton", "Wrangler", "Flying Machine"]
# Georgian: a language with no table in resources/vocab (Mkhedruli script).
GEORGIAN_COLOURS = ["თეთრი", "შავი", "ლურჯი", "ნაცრისფერი", "მწვანე"]


def matches(result, column: str):
    return [m for m in result.columns if m.supplier_column == column]


def test_a_department_column_of_mens_and_womens_is_the_gender(taxonomy, make_delivery):
    rows = [[f"P{i}", ["Mens", "Womens", "Mens", "Kids"][i % 4], ["Red", "Navy"][i % 2]] for i in range(24)]
    for header in ("Dept", "Department"):
        result = map_delivery(make_delivery(["Style #", header, "Color"], rows), taxonomy, use_embeddings=False)
        [dept] = matches(result, header)
        assert dept.attribute == "gender" and dept.confidence >= 0.6, dept
        assert "'department', which often holds gender" in dept.reasons[0]
        assert result.products["P0"].values["gender"] == "men"


def test_a_named_gender_column_still_wins_over_a_department_column(taxonomy, make_delivery):
    rows = [[f"P{i}", ["Mens", "Womens"][i % 2], ["Men", "Women"][i % 2]] for i in range(20)]
    result = map_delivery(make_delivery(["Nr", "Dept", "Gender"], rows), taxonomy, use_embeddings=False)
    assert [m.attribute for m in matches(result, "Gender")] == ["gender"]
    assert [m.attribute for m in matches(result, "Dept")] == [None]


def georgian_sheet(make_delivery, genders: list[str]):
    header = ["კოდი", "აღწერა", "ბრენდი", "ფერი", "სქესი"]
    rows = []
    for i in range(30):
        brand = BRANDS[i % len(BRANDS)]
        rows.append(
            [
                f"GE-{i}",
                f"{brand} ქალის მაისური {i}",
                brand,
                GEORGIAN_COLOURS[i % len(GEORGIAN_COLOURS)],
                genders[i % len(genders)],
            ]
        )
    return make_delivery(header, rows)


def test_latin_values_under_a_header_in_a_language_without_vocabulary(taxonomy, make_delivery):
    result = map_delivery(georgian_sheet(make_delivery, ["Men", "Women", "Unisex"]), taxonomy, use_embeddings=False)
    [gender] = matches(result, "სქესი")
    assert gender.attribute == "gender"
    assert gender.reasons[0].startswith("header not understood (no vocabulary for its language); values alone")
    [brand] = matches(result, "ბრენდი")  # brand names that begin the product names, repeated over the rows
    assert brand.attribute == "brand" and any("begin the product names" in r for r in brand.reasons)


def test_no_counterpart_for_a_header_nothing_read_is_unsure_and_says_why(taxonomy, make_delivery):
    result = map_delivery(georgian_sheet(make_delivery, ["მამაკაცის", "ქალის"]), taxonomy, use_embeddings=False)
    for column in ("ფერი", "სქესი"):
        [match] = matches(result, column)
        assert match.attribute is None and match.confidence <= UNREAD_CONFIDENCE
        assert match.reasons[0].startswith("header not understood (no vocabulary for its language)")
        assert "values alone do not place it" in match.reasons[0]


def test_values_of_two_equally_broad_attributes_carry_nothing(taxonomy):
    """Colours are options of base_colour and of colour_family: only how widely each is used can tell them apart."""
    attributes = [taxonomy.attributes["base_colour"], taxonomy.attributes["colour_family"]]
    profile = ColumnProfile.build("Χρώμα", ["Red", "Blue", "Green", "Red", "Blue", "Pink"])
    kwargs = dict(
        profiles=[profile],
        readings=[[Reading("χρωμα", 1.0)]],
        name=np.zeros((1, 2), dtype=np.float32),
        coverage_known=False,
        attributes=attributes,
        index=OptionIndex(attributes),
        vocab=default_vocabulary(),
    )
    assert carried_by_values(scope=np.array([[1.0, 1.0]]), **kwargs) == {}
    carried = carried_by_values(scope=np.array([[1.0, 0.02]]), **kwargs)
    assert carried[0].attribute == 0 and carried[0].values == 4 and carried[0].hint is None


def test_yes_and_no_under_an_unread_header_are_no_attribute(taxonomy, make_delivery):
    """Yes/No are options of a few narrow attributes (reversible, assorted): values alone must not pick one."""
    rows = [[f"P{i}", ["Yes", "No", "Yes"][i % 3], ["Red", "Blue"][i % 2]] for i in range(30)]
    result = map_delivery(make_delivery(["Nr", "Zzq", "Colour"], rows), taxonomy, use_embeddings=False)
    [zzq] = matches(result, "Zzq")
    assert zzq.attribute is None and zzq.confidence <= UNREAD_CONFIDENCE


def test_headers_the_vocabulary_reads_keep_a_sure_no_counterpart(taxonomy, make_delivery):
    """Stock, weight and size columns are common and feed nothing: read, they are not "header not understood"."""
    rows = [[f"P{i}", str(i * 3), f"{0.2 + i / 10:.1f}", "S, M, L", ["Red", "Blue"][i % 2]] for i in range(12)]
    result = map_delivery(
        make_delivery(["Nr", "Stock", "Gewicht (kg)", "Größen", "Colour"], rows), taxonomy, use_embeddings=False
    )
    for column in ("Stock", "Gewicht (kg)", "Größen"):
        [match] = matches(result, column)
        assert match.attribute is None and not match.reasons[0].startswith("header not understood"), match


def test_a_label_column_of_brands_is_the_brand_and_the_description_the_name(taxonomy, make_delivery):
    rows = [
        [f"BW-{i}", f"{BRANDS[i % 5]} Men Blue Shirt {i}", BRANDS[i % 5], ["Navy", "Red"][i % 2]] for i in range(20)
    ]
    result = map_delivery(make_delivery(["Style", "Item Description", "Label", "Colour"], rows), taxonomy)
    assert [m.attribute for m in matches(result, "Label")] == ["brand"]
    assert [m.attribute for m in matches(result, "Item Description")] == ["name"]
