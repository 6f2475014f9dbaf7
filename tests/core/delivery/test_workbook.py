"""Excel workbooks as product sheets: shared and rich-text strings, numbers, gaps, several worksheets."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from icaam_desktop.core.delivery import DeliveryError, open_delivery, read_sheet
from icaam_desktop.core.delivery.sheet import find_sheets

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _column(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], *, rich: bool = False, styles: str = "") -> Path:
    """A workbook laid out the way Excel saves one (shared strings, r= cell references, relationship ids).

    A ``(number, style index)`` cell is a number shown with that cell style of ``styles`` (xl/styles.xml)."""
    strings: list[str] = []
    parts: dict[str, str] = {}
    for n, rows in enumerate(sheets.values(), start=1):
        xml_rows = []
        for r, row in enumerate(rows, start=1):
            cells = []
            for c, value in enumerate(row):
                ref = f"{_column(c)}{r}"
                if value is None or value == "":
                    continue  # Excel writes no element for an empty cell
                if isinstance(value, tuple):
                    cells.append(f'<c r="{ref}" s="{value[1]}"><v>{value[0]!r}</v></c>')
                elif isinstance(value, bool):
                    cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, int | float):
                    cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
                else:
                    strings.append(str(value))
                    cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
        parts[f"xl/worksheets/sheet{n}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData>{"".join(xml_rows)}</sheetData></worksheet>'
        )

    def si(text: str) -> str:
        if rich and " " in text:  # a rich-text cell: the words in separate runs
            head, tail = text.split(" ", 1)
            return f'<si><r><t>{escape(head)}</t></r><r><rPr><b/></rPr><t xml:space="preserve"> {escape(tail)}</t></r></si>'
        return f"<si><t>{escape(text)}</t></si>"

    parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{"".join(si(s) for s in strings)}</sst>'
    names = "".join(
        f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(sheets, start=1)
    )
    parts["xl/workbook.xml"] = f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{names}</sheets></workbook>'
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    parts["xl/_rels/workbook.xml.rels"] = f'<Relationships xmlns="{PKG}">{rels}</Relationships>'
    if styles:
        parts["xl/styles.xml"] = styles
    parts["[Content_Types].xml"] = '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


ROWS = [
    ["Artikelnummer", "Bezeichnung", "Preis (EUR)", "Farbe", "Größe", "Nachhaltig"],
    [40826792, "Herren Hemd kariert", 1299, "Weiß", "EU 42", True],
    [40953250, "Damen Bluse", 12.5, "", "UK 8", False],
]


def test_first_worksheet_cells_as_text(tmp_path):
    path = write_xlsx(tmp_path / "produkte.xlsx", {"Artikel": ROWS, "Legende": [["Code", "Bedeutung"]]})
    info, rows = read_sheet(path)
    assert info.columns == ROWS[0]
    assert (info.encoding, info.delimiter_name) == ("xlsx", "none (workbook cells)")
    assert [r.cells for r in rows] == [
        {
            "Artikelnummer": "40826792",
            "Bezeichnung": "Herren Hemd kariert",
            "Preis (EUR)": "1299",
            "Farbe": "Weiß",
            "Größe": "EU 42",
            "Nachhaltig": "TRUE",
        },
        {
            "Artikelnummer": "40953250",
            "Bezeichnung": "Damen Bluse",
            "Preis (EUR)": "12.5",
            "Farbe": "",  # no cell element at all: the gap stays in its column
            "Größe": "UK 8",
            "Nachhaltig": "FALSE",
        },
    ]
    assert [r.line for r in rows] == [2, 3]  # Excel row numbers, as the user sees them
    assert any("2 worksheets" in w and "Legende" in w for w in info.warnings)


def test_rich_text_runs_are_joined(tmp_path):
    _, rows = read_sheet(write_xlsx(tmp_path / "p.xlsx", {"S": ROWS}, rich=True))
    assert rows[0].cells["Bezeichnung"] == "Herren Hemd kariert"


def test_a_delivery_folder_with_a_workbook_and_its_lock_file(tmp_path):
    write_xlsx(tmp_path / "produkte.xlsx", {"Artikel": [["sku", "name", "bild"], ["A1", "Hemd", "A1.jpg"]]})
    (tmp_path / "~$produkte.xlsx").write_bytes(b"\x00lock")  # what Excel leaves while the file is open
    (tmp_path / "A1.jpg").write_bytes(b"")
    assert [p.name for p in find_sheets(tmp_path)] == ["produkte.xlsx"]
    delivery = open_delivery(tmp_path)
    assert [p.product_id for p in delivery.products] == ["A1"]


def test_a_broken_workbook_is_an_error_the_user_can_act_on(tmp_path):
    path = tmp_path / "produkte.xlsx"
    path.write_bytes(b"Artikel;Preis\n1;2\n")  # a CSV renamed to .xlsx (an HTML page: see test_formats.py)
    with pytest.raises(DeliveryError, match="not a valid .xlsx"):
        read_sheet(path)


def test_the_product_worksheet_is_read_even_behind_a_cover_sheet_and_a_title(tmp_path):
    cover = [["Contact: sales@example.com"], ["Valid from 2026-03-01"]]
    listing = [["Price list spring 2026"], [], *ROWS]  # a title and a blank row above the header
    path = write_xlsx(tmp_path / "produkte.xlsx", {"Info": cover, "Products": listing})
    info, rows = read_sheet(path)
    assert info.columns == ROWS[0]
    assert [r.cells["Artikelnummer"] for r in rows] == ["40826792", "40953250"]
    assert any("read 'Products'" in w and "'Info' ignored" in w for w in info.warnings)
    assert any(w.startswith("note: the header is on line 3;") and "Price list spring 2026" in w for w in info.warnings)


def test_an_empty_workbook_file_says_so(tmp_path):
    path = tmp_path / "produkte.xlsx"
    path.write_bytes(b"")
    with pytest.raises(DeliveryError, match=r"produkte.xlsx is empty \(0 bytes\)"):
        read_sheet(path)


def test_zero_padded_numbers_keep_their_zeros(tmp_path):
    """Excel shows 4100 formatted "00000000" as 00004100: that is the supplier's article number."""
    styles = (
        f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="00000000"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="4"/></cellXfs></styleSheet>'
    )
    rows = [["Artikelnummer", "Prijs"], [(4100, 1), (1299, 2)], [(12345678, 1), (12.5, 2)]]
    _, read = read_sheet(write_xlsx(tmp_path / "p.xlsx", {"S": rows}, styles=styles))
    assert [r.cells for r in read] == [
        {"Artikelnummer": "00004100", "Prijs": "1299"},  # a thousands format is not applied: the value stays
        {"Artikelnummer": "12345678", "Prijs": "12.5"},
    ]


def test_which_worksheet_was_read_is_a_note_not_a_problem(tmp_path):
    from icaam_desktop.core.delivery.report import delivery_report

    write_xlsx(
        tmp_path / "p.xlsx", {"Info": [["Contact"]], "Items": [["sku", "name", "bild"], ["A1", "Hemd", "A1.jpg"]]}
    )
    (tmp_path / "A1.jpg").write_bytes(b"")
    report = delivery_report(open_delivery(tmp_path))
    notes = dict(report.sections)["notes on the sheet"]
    assert notes and "read 'Items'" in notes[0]
    assert "warnings" not in dict(report.sections)
    assert report.problems == 1  # only the 0-byte photo, not the worksheet note


def test_a_long_lookup_list_does_not_beat_the_product_table_and_a_second_product_sheet_is_a_problem(tmp_path):
    lookup = [["code", "colour"], *[[f"C{i}", f"colour {i}"] for i in range(120)]]
    men = [["sku", "name", "price"], *[[f"M{i}", "Shirt", 10 + i] for i in range(30)]]
    women = [["SKU", "Name", "Price"], *[[f"W{i}", "Dress", 20 + i] for i in range(25)]]
    info, rows = read_sheet(write_xlsx(tmp_path / "p.xlsx", {"Lists": lookup, "Men": men, "Women": women}))
    assert info.columns == ["sku", "name", "price"] and len(rows) == 30
    problems = [w for w in info.warnings if not w.startswith("note: ")]
    assert problems and "the worksheet 'Women'" in problems[0] and "same columns as 'Men'" in problems[0]
    assert any("'Lists' ignored" in w for w in info.warnings if w.startswith("note: "))


def test_a_currency_number_format_writes_its_currency_after_the_number(tmp_path):
    """Cells formatted "$"#,##0.00 under "Retail": the format is the only place the currency is written, so the
    cell is read with the symbol or code as the format writes it. Plain and thousands formats stay plain."""
    codes = [
        '"$"#,##0.00',  # 164: Excel's "Currency" with a quoted symbol
        "[$€-407] #,##0.00",  # 165: Excel's currency tag, symbol and locale
        '#,##0.00\\ "€"',  # 166: the German "Currency" format, symbol after the number
        "#,##0.00 [$EUR]",  # 167: an ISO code in the tag
        "£#,##0;[Red]-£#,##0",  # 168: a bare symbol, negative section in red
        "[$-409]d mmm yyyy",  # 169: a locale tag naming no currency (a date)
        '0.00 "pcs"',  # 170: a unit, not a currency
    ]
    formats = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode="{escape(code, {chr(34): "&quot;"})}"/>'
        for i, code in enumerate(codes)
    )
    xfs = "".join(f'<xf numFmtId="{n}"/>' for n in [0, *range(164, 164 + len(codes)), 4, 9])
    styles = f'<styleSheet xmlns="{MAIN}"><numFmts>{formats}</numFmts><cellXfs>{xfs}</cellXfs></styleSheet>'
    header = ["Style", "Retail", "Preis", "Brutto", "Netto", "RRP", "Since", "Pack", "Plain", "VAT"]
    rows = [
        header,
        ["T-1", (12.5, 1), (12.5, 2), (1299, 3), (9.99, 4), (-20, 5), (46000, 6), (6, 7), (1299, 8), (0.19, 9)],
    ]
    _, read = read_sheet(write_xlsx(tmp_path / "p.xlsx", {"S": rows}, styles=styles))
    assert read[0].cells == {
        "Style": "T-1",
        "Retail": "$12.50",
        "Preis": "€12.50",
        "Brutto": "1299.00 €",
        "Netto": "9.99 EUR",
        "RRP": "-£20",
        "Since": "46000",
        "Pack": "6",
        "Plain": "1299",
        "VAT": "19%",  # builtin format 9 (0%): stored 0.19
    }


def test_a_short_workbook_row_is_padded_without_a_warning(tmp_path):
    """A workbook stores no empty trailing cells: a row whose last columns are empty is normal, not a defect
    (in a CSV it is one, and stays a warning)."""
    rows = [["Style", "Description", "Colour", "Note"], ["T-1", "Tee", "Black", ""], ["T-2", "Tee", "", ""]]
    info, read = read_sheet(write_xlsx(tmp_path / "p.xlsx", {"S": rows}))
    assert [r.cells["Note"] for r in read] == ["", ""]
    assert not [w for w in info.warnings if "padded" in w]
    csv = tmp_path / "csv"
    csv.mkdir()
    (csv / "p.csv").write_text("Style;Description;Colour;Note\nT-1;Tee;Black\n", encoding="utf-8")
    info, _ = read_sheet(csv / "p.csv")
    assert any("fewer cells than the header and were padded" in w for w in info.warnings)
