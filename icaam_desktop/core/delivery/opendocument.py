"""OpenDocument spreadsheets (.ods, saved by LibreOffice Calc) as product sheets: the product table's cells as text.

An .ods file is a zip whose ``content.xml`` holds every sheet ("table"). It is streamed with iterparse and each
row is dropped once read, so a large sheet never sits in memory as XML. ODF stores a run of identical cells or
rows once with a repeat count, and LibreOffice pads each sheet with one run of empty cells or rows out to the
sheet's edge (``table:number-rows-repeated="1048000"``): empty runs are counted, never expanded, and the filled
cells a file can expand to are capped, so a crafted file cannot take all the memory.

Cells read as in workbooks (``workbook.py``): a number is its stored value (``1299``, ``12.5``), except that a
number shown with leading zeros (``00004100``) keeps them, a currency cell is followed by its ISO code
(``74.5 BRL``, shown ``R$ 74,50``) and a percentage is one (``19%``, stored 0.19); a date is its ISO date.
The product table is chosen among the sheets by the same rule as a workbook's worksheet.
"""

from __future__ import annotations

import re
from typing import IO
from xml.etree import ElementTree

from icaam_desktop.core.delivery.model import DeliveryError
from icaam_desktop.core.delivery.number_formats import money_text, number_text, percent_text
from icaam_desktop.core.delivery.workbook import ZipParts, choose_table

_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = f"{_TABLE_NS}table"
_ROW = f"{_TABLE_NS}table-row"
_CELL = f"{_TABLE_NS}table-cell"
_COVERED = f"{_TABLE_NS}covered-table-cell"  # hidden under a merged cell: the merged cell's first one holds the text
_PARAGRAPHS = (f"{_TEXT_NS}p", f"{_TEXT_NS}h")
_SKIPPED_INLINE = (f"{_OFFICE_NS}annotation", f"{_TEXT_NS}note", f"{_TEXT_NS}soft-page-break")

SPREADSHEET_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
MAX_COLUMNS = 16_384  # LibreOffice Calc's (and Excel's) widest sheet
MAX_CELLS = 10_000_000  # filled rows x their width, all sheets together: 100,000 products of 100 columns
_MAX_SPACES = 1_000  # one <text:s text:c="..."/>: a real cell never holds a longer run of spaces
_WHITESPACE = re.compile(r"[ \t\r\n]+")

Records = list[tuple[int, list[str]]]


def read_ods(data: bytes, *, shown: str) -> tuple[Records, list[str]]:
    """(row number, cell texts) of the product table of an .ods file, and warnings; ``shown`` names the file."""
    with ZipParts(data, shown=shown, kind="spreadsheet", suffix=".ods") as parts:
        _check_package(parts, shown)
        try:
            with parts.open("content.xml") as handle:
                tables = _tables(handle, shown)
        except KeyError:
            raise DeliveryError(f"the spreadsheet {shown} cannot be read: it has no content.xml") from None
        except ElementTree.ParseError as exc:
            raise DeliveryError(
                f"the spreadsheet {shown} cannot be read: content.xml is not valid XML ({exc})"
            ) from None
        except RecursionError:
            raise DeliveryError(f"the spreadsheet {shown} cannot be read: its cell text is nested too deeply") from None
    return choose_table(tables, shown=shown, kind="spreadsheet")


def _check_package(parts: ZipParts, shown: str) -> None:
    """Another OpenDocument kind (a Writer text saved as .ods) or a password-protected file: say which."""
    if "mimetype" in parts:
        mimetype = parts.read("mimetype").decode("ascii", "replace").strip()
        if mimetype and mimetype != SPREADSHEET_MIMETYPE and not mimetype.startswith(f"{SPREADSHEET_MIMETYPE}-"):
            raise DeliveryError(
                f"the spreadsheet {shown} is not a spreadsheet but a {mimetype} document: export the product "
                "table from it as .ods, .xlsx or CSV"
            )
    if "META-INF/manifest.xml" in parts and b"encryption-data" in parts.read("META-INF/manifest.xml"):
        raise DeliveryError(
            f"the spreadsheet {shown} is password-protected: open it in LibreOffice, remove the password "
            "(File > Properties > Security, or save a copy without 'Save with password') and deliver that copy"
        )


class _CellBudget:
    """Counts the cells the file expands to; past ``MAX_CELLS`` the file is refused, not read half."""

    def __init__(self, shown: str) -> None:
        self.shown, self.cells = shown, 0

    def spend(self, cells: int) -> None:
        self.cells += cells
        if self.cells > MAX_CELLS:
            raise DeliveryError(
                f"the spreadsheet {self.shown} is too large to read: its filled rows hold more than {MAX_CELLS:,} "
                "cells; export the product table as CSV"
            )

    def check_width(self, width: int, row_number: int) -> None:
        if width > MAX_COLUMNS:
            raise DeliveryError(
                f"the spreadsheet {self.shown} cannot be read: row {row_number} has a cell beyond column "
                f"{MAX_COLUMNS:,}, more than any spreadsheet program writes (a damaged file)"
            )


def _tables(handle: IO[bytes], shown: str) -> list[tuple[str, Records]]:
    """(name, rows) of every top-level sheet in ``content.xml``, in document order."""
    budget = _CellBudget(shown)
    tables: list[tuple[str, Records]] = []
    stack: list[ElementTree.Element] = []
    rows: Records | None = None
    row_number = 0
    cell_depth = 0  # rows inside a cell (a table in a text frame) are not the sheet's rows
    for event, element in ElementTree.iterparse(handle, events=("start", "end")):
        tag = element.tag
        if event == "start":
            stack.append(element)
            if tag == _TABLE and rows is None:
                rows, row_number = [], 0
            elif tag in (_CELL, _COVERED):
                cell_depth += 1
            continue
        stack.pop()
        if tag in (_CELL, _COVERED):
            cell_depth -= 1
            continue  # read with its row
        if tag == _ROW and rows is not None and cell_depth == 0:
            repeat = _repeat(element, f"{_TABLE_NS}number-rows-repeated")
            cells = _row_cells(element, budget, row_number + 1)
            if cells:  # an empty row (or a run of them) only moves the row numbers on
                budget.spend(len(cells) * repeat)
                rows.extend((row_number + i, cells) for i in range(1, repeat + 1))
            row_number += repeat
        elif tag == _TABLE and rows is not None and not any(e.tag == _TABLE for e in stack):
            tables.append((element.get(f"{_TABLE_NS}name", f"Sheet{len(tables) + 1}"), rows))
            rows = None
        else:
            continue
        if stack and cell_depth == 0:
            stack[-1].remove(element)  # read: drop it, so memory holds one row, not the document
    return tables


def _repeat(element: ElementTree.Element, attribute: str) -> int:
    value = element.get(attribute, "1")
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else 1


def _row_cells(row: ElementTree.Element, budget: _CellBudget, row_number: int) -> list[str]:
    """The row's cell texts up to its last filled cell; a run of empty cells is placed only when a filled cell
    follows it (the run to the sheet's edge never is)."""
    cells: list[str] = []
    pending = 0
    for cell in row:
        if cell.tag not in (_CELL, _COVERED):
            continue
        repeat = _repeat(cell, f"{_TABLE_NS}number-columns-repeated")
        text = _cell_text(cell) if cell.tag == _CELL else ""
        if not text:
            pending += repeat
            continue
        budget.check_width(len(cells) + pending + repeat, row_number)
        cells.extend([""] * pending)
        cells.extend([text] * repeat)
        pending = 0
    return cells


def _cell_text(cell: ElementTree.Element) -> str:
    shown = "\n".join(_inline_text(p) for p in cell if p.tag in _PARAGRAPHS)
    kind = cell.get(f"{_OFFICE_NS}value-type", "")
    if kind in ("float", "percentage", "currency"):
        value = cell.get(f"{_OFFICE_NS}value")
        if value is None:
            return shown
        if kind == "currency":  # the currency is in the cell, not the header: "74.5 BRL" for "R$ 74,50"
            currency = cell.get(f"{_OFFICE_NS}currency", "")
            return money_text(value, currency) if currency else shown or number_text(value)
        if kind == "percentage":
            return percent_text(value)
        text = number_text(value)
        # Shown as "00004100" (a leading-zero number format): that is how the supplier writes the article number.
        if shown.isascii() and shown.isdigit() and text.isdigit() and int(shown) == int(text):
            return shown
        return text
    if kind == "date":
        value = cell.get(f"{_OFFICE_NS}date-value", "")
        return value.removesuffix("T00:00:00") if value else shown
    if kind == "boolean":
        value = cell.get(f"{_OFFICE_NS}boolean-value", "")
        return ("TRUE" if value.lower() == "true" else "FALSE") if value else shown
    if kind == "string" and not shown:
        return cell.get(f"{_OFFICE_NS}string-value", "")
    return shown  # strings, times (their shown text reads better than PT12H30M00S) and untyped cells


def _inline_text(element: ElementTree.Element) -> str:
    """A paragraph's text: ODF collapses white space in the XML; ``text:s`` (``text:c`` spaces), ``text:tab``
    and ``text:line-break`` are the real ones. Comments and footnotes are not the cell's text."""
    parts = [_WHITESPACE.sub(" ", element.text or "")]
    for child in element:
        tag = child.tag
        if tag == f"{_TEXT_NS}s":
            parts.append(" " * min(_repeat(child, f"{_TEXT_NS}c"), _MAX_SPACES))
        elif tag == f"{_TEXT_NS}tab":
            parts.append("\t")
        elif tag == f"{_TEXT_NS}line-break":
            parts.append("\n")
        elif tag not in _SKIPPED_INLINE:
            parts.append(_inline_text(child))  # span, a (link), ruby, ...
        parts.append(_WHITESPACE.sub(" ", child.tail or ""))
    return "".join(parts)
