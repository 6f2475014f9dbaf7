"""Sheets in formats that are not read (.xls, .xlsb, Numbers) or not what their name says: each gets a message
that names the file and says how to fix it, or is read for what it is, with a note."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from icaam_desktop.core.delivery import DeliveryError, open_delivery, read_sheet
from icaam_desktop.core.delivery.join import find_images
from icaam_desktop.core.delivery.sheet import find_sheets
from tests.core.delivery.test_opendocument import write_ods
from tests.core.delivery.test_workbook import write_xlsx

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAVE_AS = "save it as .xlsx (Excel workbook) or CSV"
SAVE_AS_RE = re.escape(SAVE_AS)


def ole2_file(path: Path, *streams: str) -> Path:
    """An OLE2 compound file as Office writes one: the signature, then (in its directory sector) the
    stream names in UTF-16: "Workbook" for an Excel 97-2003 .xls, "EncryptedPackage" for a locked .xlsx."""
    header = OLE2 + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + b"\x00" * (512 - 32)
    directory = b"".join(
        name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64 for name in ("Root Entry", *streams)
    )
    path.write_bytes(header + directory.ljust(512, b"\x00"))
    return path


def test_a_delivery_whose_only_sheet_is_a_legacy_xls_says_how_to_fix_it(tmp_path):
    ole2_file(tmp_path / "Produkte.XLS", "Workbook", "\x05SummaryInformation")
    (tmp_path / "A1.jpg").write_bytes(b"")
    assert [p.name for p in find_sheets(tmp_path)] == ["Produkte.XLS"]
    with pytest.raises(DeliveryError) as caught:
        open_delivery(tmp_path)
    message = str(caught.value)
    assert "the sheet Produkte.XLS is a legacy Excel workbook (.xls, Excel 97-2003)" in message
    assert SAVE_AS in message
    assert "no product sheet" not in message


def test_a_legacy_xls_next_to_the_csv_is_noted_not_dropped_silently(tmp_path):
    ole2_file(tmp_path / "alt.xls", "Workbook")
    (tmp_path / "produkte.csv").write_text("sku;name;bild\nA1;Hemd;A1.jpg\n")
    (tmp_path / "A1.jpg").write_bytes(b"")
    delivery = open_delivery(tmp_path)
    assert [p.product_id for p in delivery.products] == ["A1"]
    notes = [w for w in delivery.sheet.warnings if w.startswith("note: not read: ")]
    assert len(notes) == 1 and "alt.xls is a legacy Excel workbook" in notes[0] and SAVE_AS in notes[0]


def test_legacy_xls_files_that_are_not_a_table_are_listed_with_their_reasons(tmp_path):
    ole2_file(tmp_path / "a.xls", "Workbook")
    (tmp_path / "b.csv").write_text("")
    with pytest.raises(
        DeliveryError, match=r"none of the 2 sheets .*a\.xls is a legacy Excel workbook.*b\.csv is empty"
    ):
        open_delivery(tmp_path)


def test_a_renamed_xls_or_a_password_protected_workbook_named_xlsx(tmp_path):
    renamed = ole2_file(tmp_path / "produkte.xlsx", "Workbook")
    with pytest.raises(DeliveryError, match="is a legacy Excel .xls workbook .* renamed to .xlsx; renaming does not"):
        read_sheet(renamed, root=tmp_path)
    locked = ole2_file(tmp_path / "locked.xlsx", "EncryptionInfo", "EncryptedPackage")
    with pytest.raises(DeliveryError, match="locked.xlsx is a password-protected workbook: open it in Excel, remove"):
        read_sheet(locked, root=tmp_path)


@pytest.mark.parametrize("name", ["export.xls", "export.xlsx", "export.csv"])
def test_an_html_table_saved_as_a_sheet(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(
        b'\xef\xbb\xbf<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8"></head>'
        b"<body><table><tr><td>sku</td><td>name</td></tr><tr><td>A1</td><td>Hemd</td></tr></table></body></html>"
    )
    with pytest.raises(
        DeliveryError, match=rf"{name} is a web page \(HTML\) saved with the extension \.\w+.*{SAVE_AS_RE}"
    ):
        read_sheet(path, root=tmp_path)


def test_an_excel_2003_xml_spreadsheet_saved_as_xls(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text(
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S"/></Workbook>\n'
    )
    with pytest.raises(DeliveryError, match=rf"export.xls is an Excel 2003 XML spreadsheet .*{SAVE_AS_RE}"):
        read_sheet(path, root=tmp_path)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_tab_separated_text_saved_as_xls_is_read_as_text_with_a_note(tmp_path, encoding):
    path = tmp_path / "export.xls"
    path.write_bytes("Artikel\tBezeichnung\tGröße\n1001\tHemd\tXL\n".encode(encoding))
    info, rows = read_sheet(path, root=tmp_path)
    assert info.delimiter == "\t" and info.columns == ["Artikel", "Bezeichnung", "Größe"]
    assert rows[0].cells == {"Artikel": "1001", "Bezeichnung": "Hemd", "Größe": "XL"}
    assert (
        info.warnings[0]
        == "note: export.xls is delimited text saved with the extension .xls (not an Excel workbook); read as text"
    )


def test_a_binary_xls_that_is_no_known_format(tmp_path):
    path = tmp_path / "x.xls"
    path.write_bytes(b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(range(256)) * 4)  # a BIFF5 stream without OLE2
    with pytest.raises(DeliveryError, match=f"x.xls is not an Excel workbook ICaAM can read: .*{SAVE_AS_RE}"):
        read_sheet(path, root=tmp_path)


@pytest.mark.parametrize(
    ("name", "kind"), [("a.xls", "Excel .xlsx workbook"), ("b.xlsx", "OpenDocument (.ods) spreadsheet")]
)
def test_a_workbook_under_the_wrong_name_is_read_for_what_it_is(tmp_path, name, kind):
    rows = [["sku", "name", "price"], ["A1", "Hemd", 10]]
    path = tmp_path / name
    write_xlsx(path, {"S": rows}) if name.endswith(".xls") else write_ods(path, {"S": rows})
    info, read = read_sheet(path, root=tmp_path)
    assert read[0].cells == {"sku": "A1", "name": "Hemd", "price": "10"}
    suffix = Path(name).suffix
    assert info.warnings[0] == f"note: {name} is an {kind} saved with the extension {suffix}; read as one"


def test_a_zip_archive_named_csv(tmp_path):
    path = tmp_path / "produkte.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("produkte/produkte.csv", "sku;name\nA1;Hemd\n")
    with pytest.raises(DeliveryError, match="produkte.csv is a zip archive, not a product sheet: unpack it"):
        read_sheet(path, root=tmp_path)


def test_numbers_documents_single_file_and_bundle_say_how_to_export(tmp_path):
    single = tmp_path / "a" / "Produkte.numbers"
    single.parent.mkdir()
    with zipfile.ZipFile(single, "w") as archive:  # Numbers '13 and later: one zip file
        archive.writestr("Index/Document.iwa", b"\x00\x01")
        archive.writestr("preview.jpg", b"\xff\xd8\xff")
    bundle = tmp_path / "b" / "Produkte.numbers"  # older Numbers, or a bundle copied off a Mac: a folder
    (bundle / "QuickLook").mkdir(parents=True)
    (bundle / "Index.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (bundle / "QuickLook" / "Thumbnail.jpg").write_bytes(b"\xff\xd8\xff")
    (bundle / "preview.jpg").write_bytes(b"\xff\xd8\xff")
    for folder in (single.parent, bundle.parent):
        assert [p.name for p in find_sheets(folder)] == ["Produkte.numbers"]
        with pytest.raises(
            DeliveryError, match=r"Produkte.numbers is an Apple Numbers document.*File > Export To > Excel"
        ):
            open_delivery(folder)
    assert find_images(bundle.parent) == []  # the bundle's previews are not product photos
