"""OpenDocument spreadsheets (.ods, LibreOffice Calc) as product sheets, built here as LibreOffice lays them out:
runs of identical cells and rows stored once, every sheet padded with empty runs to its edge, typed values."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from icaam_desktop.core.delivery import (
    DeliveryError,
    SheetChoiceError,
    open_delivery,
    opendocument,
    read_sheet,
    workbook,
)
from icaam_desktop.core.delivery.sheet import find_sheets
from tests.core.delivery.test_workbook import write_xlsx

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)
MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
EDGE_COLUMNS = 16_384  # LibreOffice pads each row with empty cells to the sheet's last column...
EDGE_ROWS = 1_048_576  # ...and each sheet with empty rows to its last row


def cell(value: object) -> str:
    """One <table:table-cell> the way LibreOffice writes the value (str, int/float, bool or raw XML)."""
    if isinstance(value, str) and value.startswith("<table:"):
        return value
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        word = "true" if value else "false"
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{word}"><text:p>{word.upper()}</text:p></table:table-cell>'
    if isinstance(value, int | float):
        shown = f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")  # German display: 1.299,00
        return f'<table:table-cell office:value-type="float" office:value="{value!r}"><text:p>{shown}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def row_xml(values: list[object], *, repeat: int = 1) -> str:
    """A row with runs of identical cells compressed into one repeated cell, and the empty run to the edge."""
    cells: list[str] = []
    i = 0
    while i < len(values):
        run = 1
        while i + run < len(values) and values[i + run] == values[i] and type(values[i + run]) is type(values[i]):
            run += 1
        xml = cell(values[i])
        if run > 1:
            xml = xml.replace("<table:table-cell", f'<table:table-cell table:number-columns-repeated="{run}"', 1)
        cells.append(xml)
        i += run
    cells.append(f'<table:table-cell table:number-columns-repeated="{EDGE_COLUMNS - len(values)}"/>')
    rows = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{rows}>{''.join(cells)}</table:table-row>"


def table_xml(name: str, rows: list[list[object] | str]) -> str:
    body = "".join(r if isinstance(r, str) else row_xml(r) for r in rows)
    pad = f'<table:table-row table:number-rows-repeated="{EDGE_ROWS - len(rows)}"><table:table-cell table:number-columns-repeated="{EDGE_COLUMNS}"/></table:table-row>'
    return (
        f'<table:table table:name="{escape(name)}">'
        f'<table:table-column table:number-columns-repeated="{EDGE_COLUMNS}"/>{body}{pad}</table:table>'
    )


def write_ods(
    path: Path,
    sheets: dict[str, list[list[object] | str]],
    *,
    mimetype: str = MIMETYPE,
    manifest_extra: str = "",
    content: str | None = None,
) -> Path:
    """A minimal valid .ods: ``mimetype`` first and stored, a manifest, and content.xml with the sheets."""
    if content is None:
        tables = "".join(table_xml(name, rows) for name, rows in sheets.items())
        content = (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} office:version="1.3">'
            f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
        )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{manifest_extra}'
        "</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


HEADER = ["Artikelnummer", "Bezeichnung", "Preis (EUR)", "Farbe", "Nachhaltig"]


def test_cells_are_read_by_type_and_the_padding_to_the_sheet_edge_is_never_expanded(tmp_path):
    styled = (
        '<table:table-cell office:value-type="string"><text:p>Herren Hemd</text:p>'
        '<text:p>kariert,<text:s text:c="2"/>slim <text:span text:style-name="T1">fit</text:span></text:p>'
        "<office:annotation><text:p>internal note</text:p></office:annotation></table:table-cell>"
    )
    rows = [
        HEADER,
        [40826792, styled, 1299, "Weiß", True],
        [40953250, "Damen Bluse", 12.5, "", False],  # an empty cell between filled ones keeps its column
    ]
    path = write_ods(tmp_path / "produkte.ods", {"Artikel": rows})
    started = time.perf_counter()
    info, read = read_sheet(path)
    assert time.perf_counter() - started < 5  # 16,384 x 1,048,576 cells of padding: counted, not built
    assert info.columns == HEADER
    assert (info.encoding, info.delimiter_name) == ("ods", "none (workbook cells)")
    assert [r.cells for r in read] == [
        {
            "Artikelnummer": "40826792",
            # paragraphs are lines; <text:s c="2"/> is two spaces; a span is part of the text; a comment is not
            "Bezeichnung": "Herren Hemd\nkariert,  slim fit",
            "Preis (EUR)": "1299",  # the stored value, not the shown "1.299,00"
            "Farbe": "Weiß",
            "Nachhaltig": "TRUE",
        },
        {
            "Artikelnummer": "40953250",
            "Bezeichnung": "Damen Bluse",
            "Preis (EUR)": "12.5",
            "Farbe": "",
            "Nachhaltig": "FALSE",
        },
    ]
    assert [r.line for r in read] == [2, 3]  # the row numbers Calc shows
    assert info.warnings == []


def test_currency_cells_keep_their_currency_percentages_read_as_shown_dates_as_iso(tmp_path):
    """A currency cell stores its currency in the cell (office:currency), not in the header ("Preço"): without it
    the price would be read in the retailer's own currency. Shown "R$ 74,50" reads "74.5 BRL"."""
    typed = (
        "<table:table-row>"
        '<table:table-cell office:value-type="string"><text:p>A1</text:p></table:table-cell>'
        '<table:table-cell office:value-type="currency" office:currency="EUR" office:value="19.9"><text:p>19,90 €</text:p></table:table-cell>'
        '<table:table-cell office:value-type="currency" office:currency="BRL" office:value="74.5" calcext:value-type="currency"><text:p>R$ 74,50</text:p></table:table-cell>'
        '<table:table-cell office:value-type="currency" office:value="-1299"><text:p>-1.299,00 kr</text:p></table:table-cell>'
        '<table:table-cell office:value-type="percentage" office:value="0.19"><text:p>19%</text:p></table:table-cell>'
        '<table:table-cell office:value-type="percentage" office:value="0.075"><text:p>7,5%</text:p></table:table-cell>'
        '<table:table-cell office:value-type="date" office:date-value="2026-03-01"><text:p>01.03.26</text:p></table:table-cell>'
        '<table:table-cell office:value-type="date" office:date-value="2026-03-01T14:30:00"><text:p>01.03.26 14:30</text:p></table:table-cell>'
        '<table:table-cell office:value-type="float" office:value="4100"><text:p>00004100</text:p></table:table-cell>'
        "</table:table-row>"
    )
    header = ["sku", "price", "Preço", "credit", "vat", "discount", "from", "updated", "article"]
    path = write_ods(tmp_path / "p.ods", {"S": [header, typed]})
    _, read = read_sheet(path)
    assert read[0].cells == {
        "sku": "A1",
        "price": "19.9 EUR",
        "Preço": "74.5 BRL",
        "credit": "-1.299,00 kr",  # no currency code stored: the shown text says which
        "vat": "19%",  # stored 0.19: read as the supplier sees it, not as a number a hundred times smaller
        "discount": "7.5%",
        "from": "2026-03-01",
        "updated": "2026-03-01T14:30:00",
        "article": "00004100",  # shown with leading zeros: that is the supplier's article number
    }


def test_runs_of_identical_cells_and_rows_are_expanded(tmp_path):
    same = ["X1", "Socke", "EUR", "EUR", "EUR"]  # LibreOffice stores the three EURs as one cell repeated 3 times
    rows = [["sku", "name", "currency", "currency", "currency"], same, row_xml(["X2", "Socke", 5, 5, 5], repeat=2)]
    info, read = read_sheet(write_ods(tmp_path / "p.ods", {"S": rows}))
    assert info.columns == ["sku", "name", "currency", "currency (2)", "currency (3)"]
    assert [list(r.cells.values()) for r in read] == [
        same,
        ["X2", "Socke", "5", "5", "5"],
        ["X2", "Socke", "5", "5", "5"],
    ]
    assert [r.line for r in read] == [2, 3, 4]


def test_merged_cells_keep_every_column_in_place(tmp_path):
    merged = (
        "<table:table-row>"
        '<table:table-cell office:value-type="string"><text:p>M1</text:p></table:table-cell>'
        '<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>Hemd blau</text:p></table:table-cell>'
        "<table:covered-table-cell><text:p>hidden by the merge</text:p></table:covered-table-cell>"
        '<table:table-cell office:value-type="string"><text:p>M1.jpg</text:p></table:table-cell>'
        "</table:table-row>"
    )
    _, read = read_sheet(write_ods(tmp_path / "p.ods", {"S": [["sku", "name", "colour", "bild"], merged]}))
    assert read[0].cells == {"sku": "M1", "name": "Hemd blau", "colour": "", "bild": "M1.jpg"}


def test_the_product_table_is_chosen_like_a_workbook_worksheet(tmp_path):
    cover = [["Kontakt: verkauf@example.com"], ["Gültig ab 2026-03-01"]]
    lookup = [["code", "colour"], *[[f"C{i}", f"colour {i}"] for i in range(50)]]
    listing = [["Preisliste Frühjahr 2026"], [], HEADER, [1, "Hemd", 10, "rot", True], [2, "Hose", 20, "blau", False]]
    info, read = read_sheet(write_ods(tmp_path / "p.ods", {"Info": cover, "Listen": lookup, "Produkte": listing}))
    assert info.columns == HEADER
    assert [r.cells["Bezeichnung"] for r in read] == ["Hemd", "Hose"]
    assert [r.line for r in read] == [4, 5]  # the blank row 2 still counts
    notes = [w for w in info.warnings if w.startswith("note: ")]
    assert any("3 worksheets; read 'Produkte'" in w and "'Info', 'Listen' ignored" in w for w in notes)
    assert any("header is on line 3" in w and "Preisliste" in w for w in notes)


def test_a_delivery_folder_with_an_ods_sheet(tmp_path):
    write_ods(tmp_path / "produkte.ods", {"Artikel": [["sku", "name", "bild"], ["A1", "Hemd", "A1.jpg"]]})
    (tmp_path / ".~lock.produkte.ods#").write_text("user,host")  # what LibreOffice leaves while the file is open
    (tmp_path / "A1.jpg").write_bytes(b"")
    assert [p.name for p in find_sheets(tmp_path)] == ["produkte.ods"]
    delivery = open_delivery(tmp_path)
    assert delivery.sheet.encoding == "ods"
    assert [(p.product_id, [im.rel for im in p.images]) for p in delivery.products] == [("A1", ["A1.jpg"])]


def test_a_folder_without_a_sheet_lists_ods_among_the_readable_formats(tmp_path):
    with pytest.raises(SheetChoiceError, match=r"no product sheet \(\.csv, \.tsv, \.txt, \.xlsx, \.xlsm or \.ods\)"):
        open_delivery(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"p.ods is empty \(0 bytes\)"),
        (b"sku;name\n1;x\n", r"p.ods is not a valid .ods file \(not a zip archive\)"),
    ],
)
def test_a_broken_ods_file_says_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "p.ods"
    path.write_bytes(content)
    with pytest.raises(DeliveryError, match=message):
        read_sheet(path)


def test_a_text_document_or_a_password_saved_as_ods_says_so(tmp_path):
    writer = write_ods(tmp_path / "a.ods", {"S": [["a", "b", "c"]]}, mimetype="application/vnd.oasis.opendocument.text")
    with pytest.raises(DeliveryError, match="a.ods is not a spreadsheet but a application/vnd.oasis.opendocument.text"):
        read_sheet(writer)
    locked = write_ods(
        tmp_path / "b.ods",
        {"S": [["a", "b", "c"]]},
        manifest_extra='<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>',
    )
    with pytest.raises(DeliveryError, match="b.ods is password-protected"):
        read_sheet(locked)


def test_invalid_content_xml_names_the_file(tmp_path):
    path = write_ods(tmp_path / "p.ods", {}, content="<office:document-content><unclosed>")
    with pytest.raises(DeliveryError, match="p.ods cannot be read: content.xml is not valid XML"):
        read_sheet(path)


def test_a_repeat_bomb_is_refused_before_it_takes_the_memory(tmp_path):
    """One filled cell repeated to the sheet's edge in a row repeated a million times: 17 billion cells."""
    bomb = (
        f'<table:table-row table:number-rows-repeated="{EDGE_ROWS - 1}">'
        f'<table:table-cell table:number-columns-repeated="{EDGE_COLUMNS}" office:value-type="string"><text:p>x</text:p></table:table-cell>'
        "</table:table-row>"
    )
    path = write_ods(tmp_path / "p.ods", {"S": [["a", "b", "c"], bomb]})
    started = time.perf_counter()
    with pytest.raises(
        DeliveryError, match=r"p.ods is too large to read: its filled rows hold more than 10,000,000 cells"
    ):
        read_sheet(path)
    assert time.perf_counter() - started < 5
    wide = '<table:table-row><table:table-cell table:number-columns-repeated="99999"/><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
    with pytest.raises(DeliveryError, match="row 2 has a cell beyond column 16,384"):
        read_sheet(write_ods(tmp_path / "w.ods", {"S": [["a", "b", "c"], wide]}))


def test_a_spaces_bomb_is_capped(tmp_path):
    spaces = '<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="2000000000"/>b</text:p></table:table-cell><table:table-cell><text:p>y</text:p></table:table-cell><table:table-cell><text:p>z</text:p></table:table-cell></table:table-row>'
    _, read = read_sheet(write_ods(tmp_path / "p.ods", {"S": [["a", "b", "c"], spaces]}))
    assert read[0].cells["a"] == "a" + " " * 1000 + "b"


@pytest.mark.parametrize("kind", ["ods", "xlsx"])
def test_a_zip_bomb_is_refused_from_its_stated_size(tmp_path, monkeypatch, kind):
    """A part that unpacks far bigger than a product sheet is: refused before it is unpacked. The limit is
    lowered here so that the test builds a 2 MB bomb instead of a 300 MB one."""
    monkeypatch.setattr(workbook, "MAX_PART_BYTES", 1_000_000)
    padding = " " * 2_000_000  # compresses to about 2 KB
    path = tmp_path / f"p.{kind}"
    if kind == "ods":
        content = f"<office:document-content {NS}>{padding}<office:body/></office:document-content>"
        write_ods(path, {}, content=content)
    else:
        write_xlsx(path, {"S": [["a", "b", padding]]})  # the padding lands in xl/sharedStrings.xml
    assert path.stat().st_size < 50_000
    with pytest.raises(DeliveryError, match=r"unpacks to 2,0\d\d,\d\d\d bytes, over the limit .*zip bomb"):
        read_sheet(path)


def test_the_cell_limit_is_the_modules_own(tmp_path, monkeypatch):
    monkeypatch.setattr(opendocument, "MAX_CELLS", 5)
    with pytest.raises(DeliveryError, match="more than 5 cells"):
        read_sheet(write_ods(tmp_path / "p.ods", {"S": [["a", "b", "c"], ["1", "2", "3"]]}))
