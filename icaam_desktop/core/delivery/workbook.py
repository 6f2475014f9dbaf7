"""Excel workbooks (.xlsx) as product sheets: the product worksheet's cells as text rows.

Suppliers often send the workbook itself rather than a CSV export. An .xlsx file is a zip of XML
parts; the product sheet needs only the cell texts (shared strings, inline strings, numbers,
booleans), so this reads them with the standard library rather than adding a dependency. Formulas and
most formatting are ignored: a number is its stored value (``1299`` rather than the displayed ``1.299,00``),
which the price parser reads just as well; only a number format that changes the meaning is applied
(leading zeros, a currency, a percentage: ``number_formats``).

What any zip-packaged spreadsheet needs is here too, shared with ``opendocument.py``: reading parts within
a size budget (``ZipParts``) and choosing the product table among the sheets (``choose_table``).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from io import BytesIO
from typing import IO
from xml.etree import ElementTree

from icaam_desktop.core.delivery.model import SHEET_NOTE, DeliveryError
from icaam_desktop.core.delivery.number_formats import BUILTIN_PERCENT, NumberFormat, number_text, parse_format

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def read_xlsx(data: bytes, *, shown: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """(Excel row number, cell texts) of the product worksheet, and warnings; ``shown`` names the file in errors.

    With several worksheets, the product sheet is the one with the most rows of two or more filled
    cells (a cover sheet of contact details or notes comes first in many supplier workbooks)."""
    with ZipParts(data, shown=shown, kind="workbook", suffix=".xlsx") as parts:
        try:
            sheets = _worksheets(parts)
            strings = _shared_strings(parts)
            formats = _cell_formats(parts)
            tables = [
                (name, _rows(ElementTree.fromstring(parts.read(path)), strings, formats)) for name, path in sheets
            ]
        except (KeyError, ElementTree.ParseError) as exc:
            raise DeliveryError(f"the workbook {shown} cannot be read: {exc}") from None
    return choose_table(tables, shown=shown, kind="workbook")


# One part unpacked bigger than this, or all parts together, is a damaged file or a zip bomb: a 100,000-row
# product sheet is well under 200 MB of XML.
MAX_PART_BYTES = 256 * 2**20
MAX_TOTAL_BYTES = 512 * 2**20


class ZipParts:
    """The parts of a zip-packaged spreadsheet (.xlsx, .ods), read within a size budget.

    A zip's central directory states each part's unpacked size and ``zipfile`` never unpacks more than
    that, so checking the stated size before reading bounds the memory a crafted file can take."""

    def __init__(self, data: bytes, *, shown: str, kind: str, suffix: str) -> None:
        self.shown, self.kind, self.read_bytes = shown, kind, 0
        if not data:
            raise DeliveryError(f"the {kind} {shown} is empty (0 bytes)")
        try:
            self.archive = zipfile.ZipFile(BytesIO(data))
        except zipfile.BadZipFile:
            raise DeliveryError(f"the {kind} {shown} is not a valid {suffix} file (not a zip archive)") from None

    def __enter__(self) -> ZipParts:
        return self

    def __exit__(self, *exc) -> None:
        self.archive.close()

    def __contains__(self, name: str) -> bool:
        return name in self.archive.NameToInfo

    def read(self, name: str) -> bytes:
        """The unpacked part; ``KeyError`` when the file has no such part."""
        with self.open(name) as handle:
            return handle.read()

    def open(self, name: str) -> IO[bytes]:
        info = self.archive.getinfo(name)
        self.read_bytes += info.file_size
        if info.file_size > MAX_PART_BYTES or self.read_bytes > MAX_TOTAL_BYTES:
            raise DeliveryError(
                f"the {self.kind} {self.shown} cannot be read: its part {name} unpacks to {info.file_size:,} bytes, "
                f"over the limit of {MAX_PART_BYTES:,} per part and {MAX_TOTAL_BYTES:,} in all (a damaged file or "
                "a zip bomb); export the product sheet as CSV instead"
            )
        try:
            return _CheckedPart(self.archive.open(info), self)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise self.damaged(name, exc) from None

    def damaged(self, name: str, exc: BaseException) -> DeliveryError:
        return DeliveryError(f"the {self.kind} {self.shown} cannot be read: its part {name} is damaged ({exc})")


class _CheckedPart:
    """A part being unpacked: a bad checksum or a truncated stream becomes a ``DeliveryError`` naming the file."""

    def __init__(self, handle: IO[bytes], parts: ZipParts) -> None:
        self.handle, self.parts = handle, parts

    def read(self, size: int = -1) -> bytes:
        try:
            return self.handle.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise self.parts.damaged(self.handle.name, exc) from None

    def __enter__(self) -> _CheckedPart:
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def choose_table(
    tables: list[tuple[str, list[tuple[int, list[str]]]]], *, shown: str, kind: str
) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """The product table among a workbook's sheets, and notes saying which was read and which were not.

    The product table is the sheet with the most rows of ``TABLE_CELLS`` or more filled cells (the first
    such on a tie); another sheet with the same header is a second product table, a problem to act on."""
    if not tables:
        return [], []
    best = max(range(len(tables)), key=lambda i: (_table_rows(tables[i][1]), -i))
    warnings = []
    if len(tables) > 1:
        name = tables[best][0]
        header = _header(tables[best][1])
        same = [n for i, (n, rows) in enumerate(tables) if i != best and header and _header(rows) == header]
        others = ", ".join(f"'{n}'" for i, (n, _) in enumerate(tables) if i != best and n not in same)
        if others:
            warnings.append(
                f"{SHEET_NOTE}the {kind} {shown} has {len(tables)} worksheets; read '{name}', the widest table "
                f"with the most rows ({others} ignored)"
            )
        for other in same:  # a second product table (e.g. one sheet per department): a problem to act on
            warnings.append(
                f"the worksheet '{other}' of {shown} has the same columns as '{name}' but was not read: "
                f"copy its rows under '{name}' (or save it as its own delivery) to review its products"
            )
    return tables[best][1], warnings


HEADER_LOOKAHEAD = 25  # records read before the header is chosen: title blocks are a few lines
TABLE_CELLS = 3  # a product table's rows (and header) fill at least this many cells; titles, lookup lists fewer


def filled_cells(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def header_index(records: list[list[str]]) -> int:
    """Which of the first non-blank records is the header: title lines and column-group rows at its top are skipped.

    A title line ("Price list 2026", "Supplier: X") fills fewer than ``TABLE_CELLS`` cells while the table
    below is at least twice as wide. A row of column groups ("Product;;;Attributes;;;Commercial": merged cells,
    exported) fills fewer than half the cells of the row below it, with blanks between its names, and the row
    below is a header: as wide as any row, of distinct names. A short header of adjacent names
    ("sku;name;price" over wider rows) stays the header.
    Only leading rows are skipped: a wide row further down (a name with an unquoted delimiter) or
    a header with some blank names never moves the header."""
    counts = [filled_cells(record) for record in records]
    widest = max(counts, default=0)
    skip = 0
    while skip < len(counts) - 1 and counts[skip] < TABLE_CELLS and 2 * counts[skip] < widest:
        skip += 1
    if skip >= len(counts) or counts[skip] < TABLE_CELLS:
        return 0
    while (
        skip < len(counts) - 1
        and counts[skip + 1] == widest
        and 2 * counts[skip] < counts[skip + 1]
        and _spread(records[skip])
        and _names_only(records[skip])
        and _names_only(records[skip + 1])
    ):
        skip += 1
    return skip


def _spread(cells: list[str]) -> bool:
    """Blank cells between filled ones: names each over a group of columns, not one run of column names."""
    filled = [i for i, cell in enumerate(cells) if cell.strip()]
    return bool(filled) and filled[-1] - filled[0] + 1 > len(filled)


def _names_only(cells: list[str]) -> bool:
    """Filled cells that could all be column names: distinct, each with a letter (no number, no price)."""
    names = [cell.strip().casefold() for cell in cells if cell.strip()]
    return len(set(names)) == len(names) and all(any(ch.isalpha() for ch in name) for name in names)


def _table_rows(rows: list[tuple[int, list[str]]]) -> int:
    """Rows wide enough to be products: a long two-column lookup list does not outweigh the product table."""
    return sum(1 for _, cells in rows if filled_cells(cells) >= TABLE_CELLS)


def _header(rows: list[tuple[int, list[str]]]) -> tuple[str, ...]:
    """The table's header row (``header_index``), normalised for comparison."""
    filled = [cells for _, cells in rows[:HEADER_LOOKAHEAD] if filled_cells(cells)]
    first = filled[header_index(filled)] if filled else []
    return tuple(c.strip().casefold() for c in first) if filled_cells(first) >= TABLE_CELLS else ()


def _rows(
    root: ElementTree.Element, strings: list[str], formats: dict[int, NumberFormat]
) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    for n, row in enumerate(root.iter(f"{_MAIN}row"), start=1):
        number = int(row.get("r", n))
        cells: dict[int, str] = {}
        for i, cell in enumerate(row.iter(f"{_MAIN}c")):
            ref = _CELL_REF.match(cell.get("r", ""))
            cells[_column_index(ref.group(1)) if ref else i] = _cell_text(cell, strings, formats)
        if cells:
            width = max(cells) + 1
            rows.append((number, [cells.get(i, "") for i in range(width)]))
    return rows


def _worksheets(archive: ZipParts) -> list[tuple[str, str]]:
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


def _shared_strings(archive: ZipParts) -> list[str]:
    if "xl/sharedStrings.xml" not in archive:
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


def _cell_formats(archive: ZipParts) -> dict[int, NumberFormat]:
    """Cell style index -> the number format's meaning (``number_formats``): leading zeros (``00000000``: Excel
    shows 4100 as 00004100, and suppliers name their photos and know their articles that way), a currency
    (``"$"#,##0.00``: the only place a "Retail" column says its currency) or a percentage."""
    if "xl/styles.xml" not in archive:
        return {}
    try:
        root = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except ElementTree.ParseError:
        return {}
    formats: dict[int, NumberFormat] = {k: NumberFormat(percent=True) for k in BUILTIN_PERCENT}
    for f in root.iter(f"{_MAIN}numFmt"):
        found = parse_format(f.get("formatCode", ""))
        if found is not None and f.get("numFmtId", "").isdigit():
            formats[int(f.get("numFmtId", ""))] = found
    xfs = root.find(f"{_MAIN}cellXfs")
    if xfs is None:
        return {}
    return {
        i: formats[int(number)]
        for i, xf in enumerate(xfs.iter(f"{_MAIN}xf"))
        for number in [xf.get("numFmtId", "0")]
        if number.isdigit() and int(number) in formats
    }


def _cell_text(cell: ElementTree.Element, strings: list[str], formats: dict[int, NumberFormat] | None = None) -> str:
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
        style = cell.get("s", "0") or "0"
        found = (formats or {}).get(int(style)) if style.isdigit() else None
        return found.text(value) if found else number_text(value)
    return value


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - ord("A") + 1)
    return index - 1
