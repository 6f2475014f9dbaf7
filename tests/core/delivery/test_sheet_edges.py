"""The edges of a product table that are not products: column-group rows above the header, totals rows below."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from icaam_desktop.core.delivery import open_delivery, read_sheet
from tests.core.delivery.test_opendocument import write_ods
from tests.core.delivery.test_workbook import write_xlsx

HEADER = ["Item Code", "Description", "Brand", "Colour", "Gender", "Season", "Retail Price", "Image"]
GROUPS = ["Product", "", "", "Attributes", "", "", "Commercial", ""]  # merged cells over groups of columns
PRODUCTS = [
    ["A-1", "Puma Men Black Tshirt", "Puma", "Black", "Men", "Summer", "USD 12.99", "A-1.jpg"],
    ["A-2", "Nike Women White Shoes", "Nike", "White", "Women", "Winter", "USD 59.00", "A-2.jpg"],
    ["A-3", "Lee Men Blue Jeans", "Lee", "Blue", "Men", "Fall", "USD 39.50", "A-3.jpg"],
]


def _write(tmp_path: Path, kind: str, rows: list[list[str]]) -> Path:
    if kind == "csv":
        path = tmp_path / "lines.csv"
        path.write_bytes("".join(";".join(row) + "\r\n" for row in rows).encode("utf-8"))
        return path
    if kind == "xlsx":
        return write_xlsx(tmp_path / "lines.xlsx", {"Lines": rows})
    return write_ods(tmp_path / "lines.ods", {"Lines": rows})


@pytest.mark.parametrize("kind", ["csv", "xlsx", "ods"])
def test_a_row_of_column_groups_above_the_header_is_skipped_with_a_note(tmp_path, kind):
    info, rows = read_sheet(_write(tmp_path, kind, [GROUPS, HEADER, *PRODUCTS]))
    assert info.columns == HEADER
    assert [r.cells["Item Code"] for r in rows] == ["A-1", "A-2", "A-3"]
    assert [r.line for r in rows] == [3, 4, 5]
    assert [w for w in info.warnings if w.startswith("note: the header is on line 2;") and "Product Attributes" in w]
    assert not [w for w in info.warnings if "blank" in w]


def test_a_group_row_after_excels_sep_line(tmp_path):
    text = "sep=;\r\n" + "".join(";".join(row) + "\r\n" for row in [GROUPS, HEADER, *PRODUCTS])
    (tmp_path / "lines.csv").write_text(text, encoding="utf-8")
    info, rows = read_sheet(tmp_path / "lines.csv")
    assert info.columns == HEADER and [r.line for r in rows] == [4, 5, 6]


@pytest.mark.parametrize(
    "rows",
    [
        # a genuinely short header of adjacent names above wider rows: the header stays, extras are kept
        [["sku", "name", "colour", "", "", "", "", ""], *PRODUCTS],
        # a header with blank names above rows of repeated values
        [["sku", "", "name", "", "", "", "", "price"], *[["A1", "x", "Shirt", "x", "x", "x", "x", "12"]] * 3],
        # a narrow table: header and rows of the same width
        [["sku", "name", "colour"], ["A1", "Shirt", "red"], ["A2", "Dress", "blue"]],
    ],
)
def test_a_short_header_is_never_skipped(tmp_path, rows):
    info, read = read_sheet(_write(tmp_path, "csv", rows))
    assert info.columns[0] == rows[0][0]
    assert read[0].cells[rows[0][0]] == rows[1][0]
    assert not [w for w in info.warnings if "the header is on line" in w]


def _delivery(tmp_path: Path, rows: list[list[str]], ids: list[str]) -> Path:
    (tmp_path / "lines.csv").write_bytes("".join(";".join(row) + "\r\n" for row in rows).encode("utf-8"))
    for pid in ids:
        Image.new("RGB", (8, 8), "white").save(tmp_path / f"{pid}.jpg")
    return tmp_path


def test_a_totals_row_at_the_end_is_not_a_product(tmp_path):
    total = ["TOTAL", "3 styles", "", "", "", "", "USD 111.49", ""]
    delivery = open_delivery(_delivery(tmp_path, [HEADER, *PRODUCTS, total], ["A-1", "A-2", "A-3"]))
    assert [p.product_id for p in delivery.products] == ["A-1", "A-2", "A-3"]
    assert delivery.problems == ["line 5 looks like a totals row ('TOTAL'), not a product: skipped"]
    assert not delivery.products_without_images


def test_totals_rows_without_an_id_are_named_as_totals(tmp_path):
    rows = [HEADER, *PRODUCTS, ["", "", "", "", "", "", "USD 111.49", ""], ["Summe", "", "", "", "", "", "3", ""]]
    delivery = open_delivery(_delivery(tmp_path, rows, ["A-1", "A-2", "A-3"]))
    assert [p.product_id for p in delivery.products] == ["A-1", "A-2", "A-3"]
    assert delivery.problems == [
        "line 5 looks like a totals row ('USD 111.49'), not a product: skipped",
        "line 6 looks like a totals row ('Summe'), not a product: skipped",
    ]


@pytest.mark.parametrize(
    "last",
    [
        # a sparse last product in a sheet whose ids are words, not codes
        ["ZEBRA", "Zebra print scarf", "", "", "", "", "USD 9.99", ""],
        # a fully described last product whose id has no digit
        ["SCARF", "Lee Scarf", "Lee", "Red", "Women", "Winter", "USD 9.99", "SCARF.jpg"],
        # a sparse last row whose id is a code like the others
        ["A-4", "Scarf", "", "", "", "", "USD 9.99", ""],
    ],
)
def test_a_real_last_product_is_kept(tmp_path, last):
    products = [list(p) for p in PRODUCTS]
    if last[0] == "ZEBRA":
        for p, word in zip(products, ["LION", "TIGER", "BEAR"], strict=True):
            p[0], p[-1] = word, f"{word}.jpg"
    ids = [p[0] for p in products]
    delivery = open_delivery(_delivery(tmp_path, [HEADER, *products, last], ids))
    assert [p.product_id for p in delivery.products] == [*ids, last[0]]
    assert not [p for p in delivery.problems if "totals" in p]


LINE_HEADER = ["Style No", "Description", "Colour", "RRP £", "Image"]


def _line_sheet(tmp_path: Path, rows: list[list[object]], ids: list[str]) -> Path:
    write_xlsx(tmp_path / "lines.xlsx", {"Lines": [LINE_HEADER, *rows]})
    for pid in ids:
        Image.new("RGB", (8, 8), "white").save(tmp_path / f"{pid}.jpg")
    return tmp_path


def test_a_colourway_row_without_an_id_continues_the_style_above(tmp_path):
    """A line sheet: the style row holds the id, the colourway row under it only the colour and the photo."""
    rows = [
        ["HB-1001", "Tee", "", 20, ""],
        ["", "", "Navy", "", "HB-1001.jpg"],
        ["HB-1002", "Polo", "", 30, ""],
        ["", "", "Black", "", ""],
        ["", "", "", "", "HB-1002.jpg"],  # a second continuation row of the same style
    ]
    delivery = open_delivery(_line_sheet(tmp_path, rows, ["HB-1001", "HB-1002"]))
    assert [(p.product_id, p.row["Colour"], p.row_number) for p in delivery.products] == [
        ("HB-1001", "Navy", 2),
        ("HB-1002", "Black", 4),
    ]
    assert delivery.problems == []
    assert not delivery.products_without_images
    assert "note: line 3 continues product HB-1001 above: its cells were added" in delivery.sheet.warnings
    assert "note: line 6 continues product HB-1002 above: its cells were added" in delivery.sheet.warnings


def test_many_continuation_rows_are_one_note_and_the_totals_row_after_them_is_not_merged(tmp_path):
    rows: list[list[object]] = []
    ids = [f"HB-{1001 + k}" for k in range(5)]
    for k, pid in enumerate(ids):
        rows += [[pid, f"Tee {k}", "", 20 + k, ""], ["", "", "Navy", "", f"{pid}.jpg"]]
    rows.append(["", "", "", 110, ""])  # a total without an id
    delivery = open_delivery(_line_sheet(tmp_path, rows, ids))
    assert [p.product_id for p in delivery.products] == ids
    assert all(p.row["Colour"] == "Navy" and p.images for p in delivery.products)  # the last colourway row too
    assert delivery.problems == ["line 12 looks like a totals row ('110'), not a product: skipped"]
    notes = [w for w in delivery.sheet.warnings if "continue" in w]
    assert notes == [
        "note: 5 lines continue the product above them (no id, cells only in the product's empty columns): their "
        "cells were added to it (line 3 into HB-1001, line 5 into HB-1002, line 7 into HB-1003 and 2 more)"
    ]


def test_a_row_without_an_id_that_contradicts_the_product_above_is_still_skipped(tmp_path):
    rows = [
        ["HB-1001", "Tee", "Navy", 20, "HB-1001.jpg"],
        ["", "", "Black", "", ""],  # a second colour: not the same product, cannot be merged
        ["HB-1002", "Polo", "Red", 30, "HB-1002.jpg"],
        ["", "", "", "", ""],
    ]
    delivery = open_delivery(_line_sheet(tmp_path, rows, ["HB-1001", "HB-1002"]))
    assert [(p.product_id, p.row["Colour"]) for p in delivery.products] == [("HB-1001", "Navy"), ("HB-1002", "Red")]
    assert delivery.problems == ["line 3: no product id in column 'Style No'; row skipped"]
    assert not [w for w in delivery.sheet.warnings if "continue" in w]
