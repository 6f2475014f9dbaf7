"""Excel workbooks (.xlsx) as product sheets: the product worksheet's cells as text rows.

Suppliers often send the workbook itself rather than a CSV export. An .xlsx file is a zip of XML
parts; the product sheet needs only the cell texts (shared strings, inline strings, numbers,
booleans), so this reads them with the standard library rather than adding a dependency. Styles,
formulas and formatting are ignored: a number is its stored value (``1299`` rather than the displayed
``1.299,00 €``), which the price parser reads just as well.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from io import BytesIO
from xml.etree import ElementTree

from icaam_desktop.core.delivery.model import SHEET_NOTE, DeliveryError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def read_xlsx(data: bytes, *, shown: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """(Excel row number, cell texts) of the product worksheet, and warnings; ``shown`` names the file in errors.

    With several worksheets, the product sheet is the one with the most rows of two or more filled
    cells (a cover sheet of contact details or notes comes first in many supplier workbooks)."""
    if not data:
        raise DeliveryError(f"the workbook {shown} is empty (0 bytes)")
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise DeliveryError(f"the workbook {shown} is not a valid .xlsx file (not a zip archive)") from None
    with archive:
        try:
            sheets = _worksheets(archive)
            strings = _shared_strings(archive)
            padded = _zero_padded_styles(archive)
            tables = [
                (name, _rows(ElementTree.fromstring(archive.read(path)), strings, padded)) for name, path in sheets
            ]
        except (KeyError, ElementTree.ParseError) as exc:
            raise DeliveryError(f"the workbook {shown} cannot be read: {exc}") from None
    best = max(range(len(tables)), key=lambda i: (_table_rows(tables[i][1]), -i))
    warnings = []
    if len(tables) > 1:
        name = tables[best][0]
        header = _header(tables[best][1])
        same = [n for i, (n, rows) in enumerate(tables) if i != best and header and _header(rows) == header]
        others = ", ".join(f"'{n}'" for i, (n, _) in enumerate(tables) if i != best and n not in same)
        if others:
            warnings.append(
                f"{SHEET_NOTE}the workbook {shown} has {len(tables)} worksheets; read '{name}', the widest table "
                f"with the most rows ({others} ignored)"
            )
        for other in same:  # a second product table (e.g. one sheet per department): a problem to act on
            warnings.append(
                f"the worksheet '{other}' of {shown} has the same columns as '{name}' but was not read: "
                f"copy its rows under '{name}' (or save it as its own delivery) to review its products"
            )
    return tables[best][1], warnings


TABLE_CELLS = 3  # a product table's rows (and header) fill at least this many cells; titles, lookup lists fewer


def filled_cells(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def _table_rows(rows: list[tuple[int, list[str]]]) -> int:
    """Rows wide enough to be products: a long two-column lookup list does not outweigh the product table."""
    return sum(1 for _, cells in rows if filled_cells(cells) >= TABLE_CELLS)


def _header(rows: list[tuple[int, list[str]]]) -> tuple[str, ...]:
    """The first row wide enough to be a table's header, normalised for comparison."""
    first = next((cells for _, cells in rows if filled_cells(cells) >= TABLE_CELLS), [])
    return tuple(c.strip().casefold() for c in first)


def _rows(root: ElementTree.Element, strings: list[str], padded: dict[int, int]) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    for n, row in enumerate(root.iter(f"{_MAIN}row"), start=1):
        number = int(row.get("r", n))
        cells: dict[int, str] = {}
        for i, cell in enumerate(row.iter(f"{_MAIN}c")):
            ref = _CELL_REF.match(cell.get("r", ""))
            cells[_column_index(ref.group(1)) if ref else i] = _cell_text(cell, strings, padded)
        if cells:
            width = max(cells) + 1
            rows.append((number, [cells.get(i, "") for i in range(width)]))
    return rows


def _worksheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, zip path) of every worksheet, in workbook order."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheets = list(workbook.iter(f"{_MAIN}sheet"))
    if not sheets:
        raise KeyError("no worksheet in xl/workbook.xml")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    found = []
    for sheet in sheets:
        target = targets[sheet.get(f"{_REL}id")]
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        found.append((sheet.get("name", ""), path))
    return found


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    # A rich-text string is split into runs (<r><t>..</t></r>); phonetic hints (<rPh>) are not part of it.
    return ["".join(t.text or "" for t in _texts(si)) for si in root.iter(f"{_MAIN}si")]


def _texts(element: ElementTree.Element):
    for child in element:
        if child.tag == f"{_MAIN}t":
            yield child
        elif child.tag == f"{_MAIN}r":
            yield from child.iter(f"{_MAIN}t")


def _zero_padded_styles(archive: zipfile.ZipFile) -> dict[int, int]:
    """Cell style index -> digits, for number formats like ``00000000``: Excel shows 4100 as 00004100, and
    suppliers name their photos and know their articles that way. Other formats are not applied."""
    if "xl/styles.xml" not in archive.namelist():
        return {}
    try:
        root = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except ElementTree.ParseError:
        return {}
    zeros = {
        int(f.get("numFmtId", "-1")): len(code)
        for f in root.iter(f"{_MAIN}numFmt")
        for code in [f.get("formatCode", "").strip('"')]
        if code and set(code) == {"0"} and len(code) > 1
    }
    xfs = root.find(f"{_MAIN}cellXfs")
    if not zeros or xfs is None:
        return {}
    return {
        i: zeros[int(xf.get("numFmtId", "0"))]
        for i, xf in enumerate(xfs.iter(f"{_MAIN}xf"))
        if int(xf.get("numFmtId", "0")) in zeros
    }


def _cell_text(cell: ElementTree.Element, strings: list[str], padded: dict[int, int] | None = None) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return "".join(t.text or "" for t in _texts(inline)) if inline is not None else ""
    value = cell.findtext(f"{_MAIN}v") or ""
    if kind == "s":
        return strings[int(value)] if value.isdigit() and int(value) < len(strings) else ""
    if kind == "b":
        return "TRUE" if value == "1" else "FALSE"
    if kind == "n" and value:
        try:
            number = float(value)
        except ValueError:
            return value
        # 1299 stored as "1299" or "1299.0" is the integer 1299; 12.5 stays 12.5 (repr: shortest round-trip).
        if number.is_integer() and abs(number) < 1e15:
            digits = (padded or {}).get(int(cell.get("s", "0") or 0), 0)
            return str(int(number)).zfill(digits) if number >= 0 else str(int(number))
        return repr(number)
    return value


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - ord("A") + 1)
    return index - 1
