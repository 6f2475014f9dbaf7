"""Reading a supplier's product sheet: encoding, delimiter, header clean-up and ragged rows.

Suppliers export from Excel, LibreOffice, ERP systems and hand-written scripts, so a sheet may be a
workbook (.xlsx, .ods) or text: UTF-8 with or without a BOM, UTF-16, or a Windows or Shift_JIS code
page; separated by commas, semicolons, tabs or pipes; with
newlines inside quoted cells, repeated or blank headers and rows of the wrong length. Every fix-up
made here is recorded as a warning so the user can see what was assumed.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from icaam_desktop.core.delivery.code_pages import fewer_implausible_words, western_or_central
from icaam_desktop.core.delivery.formats import (
    ODS,
    READABLE_SUFFIXES,
    UNREADABLE_SUFFIXES,
    XLSX,
    sheet_format,
    unreadable_by_name,
)
from icaam_desktop.core.delivery.model import SHEET_NOTE, DeliveryError, SheetInfo
from icaam_desktop.core.delivery.opendocument import read_ods
from icaam_desktop.core.delivery.workbook import HEADER_LOOKAHEAD, filled_cells, header_index, read_xlsx

# Every file taken for a product sheet: the readable ones, and those whose format gets its own message.
SHEET_SUFFIXES = (*READABLE_SUFFIXES, *UNREADABLE_SUFFIXES)
# Apple's document bundles are folders: a sheet (.numbers), never a folder of product photos (their previews).
_BUNDLE_SUFFIXES = (".numbers",)
DELIMITERS = (",", ";", "\t", "|")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF_CHARS = 64_000
_SNIFF_RECORDS = 200
_MAX_LISTED_LINES = 10
# How much more "chaos" charset-normalizer may see in cp1252 than in its own pick before we
# distrust cp1252. Short Western sheets often score a rare Mac code page marginally better.
_CP1252_TOLERANCE = 0.2


@dataclass
class SheetRow:
    """One data row: its 1-based starting line in the file (header = line 1) and its cells by column."""

    line: int
    cells: dict[str, str]


def is_hidden(rel_parts: tuple[str, ...]) -> bool:
    """Hidden files/folders, macOS zip debris and Office lock files (``~$produkte.xlsx``) are never part of a delivery."""
    return any(part.startswith((".", "~$")) or part == "__MACOSX" for part in rel_parts)


def walk_files(root: Path, suffixes: tuple[str, ...]) -> list[tuple[str, Path]]:
    """(relative posix path, path) of every file under ``root`` whose suffix is in ``suffixes``
    (case-insensitive), skipping hidden folders without descending into them, and symbolic links
    that lead outside ``root`` (a delivery is its folder: it never reads, or shows, other files)."""
    found = []
    inside = Path(root).resolve()
    for folder, dirs, files in os.walk(root):
        bundles = [d for d in dirs if os.path.splitext(d)[1].lower() in _BUNDLE_SUFFIXES]
        dirs[:] = [d for d in dirs if not is_hidden((d,)) and d not in bundles]
        base = Path(folder)
        rel_base = base.relative_to(root).as_posix()
        for name in files + bundles:
            if is_hidden((name,)) or os.path.splitext(name)[1].lower() not in suffixes:
                continue
            rel = name if rel_base == "." else f"{rel_base}/{name}"
            if (base / name).is_symlink() and not (base / name).resolve().is_relative_to(inside):
                continue
            found.append((rel, base / name))
    return found


def find_sheets(root: Path) -> list[Path]:
    """Every sheet file (``SHEET_SUFFIXES``) under ``root`` at any depth (case-insensitive), outside hidden folders."""
    found = walk_files(root, SHEET_SUFFIXES)
    return [path for rel, path in sorted(found, key=lambda item: (item[0].count("/"), item[0].lower()))]


def decode_sheet(data: bytes) -> tuple[str, str]:
    """Decode the sheet's bytes; return (text, encoding name). BOMs win, then strict UTF-8, then
    charset-normalizer, preferring cp1252 where it reads the bytes just as cleanly, unless cp1250 reads them
    as one Central European alphabet (``code_pages``)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name), codecs.lookup(name).name if name != "utf-16" else _utf16_name(bom)
    bomless16 = _bomless_utf16(data)  # before UTF-8: ASCII in UTF-16 is valid UTF-8 full of NULs
    if bomless16:
        return data.decode(bomless16, errors="replace"), bomless16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if _cp1252_is_as_good(data, best):
        text, encoding = data.decode("cp1252"), "cp1252"
    elif best is None:
        # Nothing fits cleanly; latin-1 decodes every byte, so the run goes on and the user sees the text.
        text, encoding = data.decode("latin-1"), "latin-1"
    else:
        text, encoding = str(best), codecs.lookup(best.encoding).name
    text, encoding = fewer_implausible_words(data, text, encoding)
    return western_or_central(data, text, encoding)


def _utf16_name(bom: bytes) -> str:
    return "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as a zero byte in every other position for Latin text."""
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0) / len(sample[0::2])
    odd_zeros = sample[1::2].count(0) / len(sample[1::2])
    if odd_zeros > 0.4 and even_zeros < 0.05:
        return "utf-16-le"
    if even_zeros > 0.4 and odd_zeros < 0.05:
        return "utf-16-be"
    return None


def _cp1252_is_as_good(data: bytes, best: charset_normalizer.CharsetMatch | None) -> bool:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        return False
    if best is None:
        return True
    if codecs.lookup(best.encoding).name == "cp1252" or str(best) == text:
        return True  # same text either way: report the far more common Western code page
    as_cp1252 = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
    return as_cp1252 is not None and as_cp1252.chaos <= best.chaos + _CP1252_TOLERANCE


def detect_delimiter(text: str) -> str:
    """The delimiter among , ; tab | whose records have the most consistent field count.

    csv.Sniffer proposes; the proposal stands unless another delimiter splits the sample into a
    clearly more consistent table (the Sniffer is easily fooled by commas inside names or prices).
    """
    sample = text[:_SNIFF_CHARS]
    scores = {d: _consistency(sample, d) for d in DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    best = max(DELIMITERS, key=lambda d: scores[d])
    if sniffed in scores and scores[sniffed] >= scores[best]:
        return sniffed
    if scores[best][1] < 2:
        return sniffed or ","  # a single-column sheet: the delimiter does not matter
    return best


def _consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """(share of records with the header's field count, header field count) over the sample."""
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    counts = []
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                counts.append(len(record))
            if len(counts) >= _SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    if len(counts) > 2 and len(sample) >= _SNIFF_CHARS:
        counts = counts[:-1]  # the sample may cut the last record short
    if not counts:
        return (0.0, 0)
    header = counts[0]
    if header < 2:  # a one-cell title line above the header: judge by the most common width instead
        header = max(set(counts), key=counts.count)
        if header < 2:
            return (0.0, header)
    same = sum(c == header for c in counts)
    return (same / len(counts), header)


def clean_headers(raw: list[str]) -> tuple[list[str], list[str]]:
    """De-duplicate and fill blank headers; return (headers, warnings)."""
    headers: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(raw, start=1):
        name = cell.replace("\ufeff", "").strip()
        if not name:
            name = f"column_{i}"
            warnings.append(f"header of column {i} is blank; named it {name!r}")
        key = name.casefold()
        if key in seen:
            seen[key] += 1
            fixed = f"{name} ({seen[key]})"
            while fixed.casefold() in seen:
                seen[key] += 1
                fixed = f"{name} ({seen[key]})"
            warnings.append(f"header {name!r} appears more than once; column {i} renamed {fixed!r}")
            seen[fixed.casefold()] = 1
            name = fixed
        else:
            seen[key] = 1
        headers.append(name)
    return headers, warnings


def _lines_text(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_MAX_LISTED_LINES])
    more = len(lines) - _MAX_LISTED_LINES
    return shown + (f" and {more} more" if more > 0 else "")


def parse_sheet(text: str, *, delimiter: str) -> tuple[list[str], list[SheetRow], list[str]]:
    """Split decoded text into (headers, rows, warnings). Blank lines are skipped; short rows are
    padded with empty cells; extra cells are kept under ``extra_N`` columns when they hold values."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered():
        line = 1
        try:
            for record in reader:
                start, line = line, reader.line_num + 1
                yield start, record
        except csv.Error as exc:  # a broken quote: keep what was read, say where it stopped
            raise _StoppedAt(f"stopped reading at line {line}: {exc}") from None

    return parse_records(numbered())


class _StoppedAt(Exception):
    """The reader could not go on; the message says where and why."""


def _with_header_found(records, warnings: list[str]):
    """The records from the header on: title lines above it are dropped, with a warning naming them."""
    head: list[tuple[int, list[str]]] = []
    records = iter(records)
    stopped: _StoppedAt | None = None
    try:
        for start, record in records:
            if filled_cells(record):
                head.append((start, record))
                if len(head) >= HEADER_LOOKAHEAD:
                    break
    except _StoppedAt as exc:
        stopped = exc
    skip = header_index([record for _, record in head])
    if skip:
        titles = " | ".join(" ".join(c.strip() for c in record if c.strip()) for _, record in head[:skip])
        shown = titles if len(titles) <= 80 else titles[:77] + "..."
        warnings.append(
            f"{SHEET_NOTE}the header is on line {head[skip][0]}; {skip} line(s) above it look like a title or a row "
            f"of column groups and were skipped: {shown!r}"
        )
    yield from head[skip:]
    if stopped is not None:
        raise stopped
    yield from records


def parse_records(records, *, workbook: bool = False) -> tuple[list[str], list[SheetRow], list[str]]:
    """(headers, rows, warnings) from (line number, cells) records, as read from a CSV or a workbook.

    The header is the first record filled at least half as wide as the widest of the first few
    (``header_index``): a title block above it is skipped with a warning, not read as products.
    Short rows are padded; only in text are they a warning: a workbook stores no empty trailing cells."""
    headers: list[str] | None = None
    warnings: list[str] = []
    rows: list[SheetRow] = []
    short: list[int] = []
    long_kept: list[int] = []
    long_empty: list[int] = []
    n_extra = 0
    try:
        for start, record in _with_header_found(records, warnings):
            if not any(cell.strip() for cell in record):
                continue
            if headers is None:
                headers, header_warnings = clean_headers(record)
                warnings.extend(header_warnings)
                continue
            cells = record
            if len(cells) < len(headers):
                short.append(start)
                cells = cells + [""] * (len(headers) - len(cells))
            row = dict(zip(headers, cells, strict=False))
            extra = cells[len(headers) :]
            if extra:
                if any(cell.strip() for cell in extra):
                    long_kept.append(start)
                    n_extra = max(n_extra, len(extra))
                    row.update({f"extra_{i}": cell for i, cell in enumerate(extra, start=1)})
                else:
                    long_empty.append(start)
            rows.append(SheetRow(start, row))
    except _StoppedAt as exc:
        warnings.append(str(exc))
    if headers is None:
        return [], [], warnings
    if short and not workbook:
        warnings.append(
            f"{len(short)} row(s) had fewer cells than the header and were padded (line {_lines_text(short)})"
        )
    if long_kept:
        warnings.append(
            f"{len(long_kept)} row(s) had more cells than the header; the extra cells are kept as "
            f"extra_1..extra_{n_extra} (line {_lines_text(long_kept)})"
        )
    if long_empty:
        warnings.append(
            f"{len(long_empty)} row(s) had empty extra cells after the last column, dropped (line {_lines_text(long_empty)})"
        )
    for row in rows:  # every row carries every column, extras included
        for i in range(1, n_extra + 1):
            row.cells.setdefault(f"extra_{i}", "")
    headers = headers + [f"extra_{i}" for i in range(1, n_extra + 1) if f"extra_{i}" not in headers]
    return headers, rows, warnings


def read_sheet(path: Path, *, root: Path | None = None) -> tuple[SheetInfo, list[SheetRow]]:
    """Read a product sheet: detect encoding and delimiter, clean the header, pad ragged rows.

    Raises ``DeliveryError`` for an unreadable or empty file. A header without rows is not an
    error: it yields no rows and a warning.
    """
    shown = _shown(path, root)
    unreadable = unreadable_by_name(path, shown)
    if unreadable:
        raise DeliveryError(unreadable)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DeliveryError(f"cannot read the sheet {shown}: {exc}") from None
    kind, note = sheet_format(data, suffix=path.suffix, shown=shown)
    if kind in (XLSX, ODS):
        info, rows = _read_workbook(path, data, shown, kind=kind)
    else:
        info, rows = _read_text(path, data, shown)
    if note:
        info.warnings.insert(0, note)
    return info, rows


def _read_text(path: Path, data: bytes, shown: str) -> tuple[SheetInfo, list[SheetRow]]:
    text, encoding = decode_sheet(data)
    if not text.replace("\ufeff", "").strip():
        raise DeliveryError(f"the sheet {shown} is empty")
    fixes = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        fixes.append("the sheet holds NUL characters; they were removed")
    text, declared = _excel_sep_line(text)
    if declared:
        delimiter = declared
    elif path.suffix.lower() == ".tsv" and "\t" in text[:_SNIFF_CHARS]:
        delimiter = "\t"
    else:
        delimiter = detect_delimiter(text)
    headers, rows, warnings = parse_sheet(text, delimiter=delimiter)
    warnings = fixes + warnings
    if not rows:
        warnings.append(f"the sheet {shown} has a header but no product rows")
    info = SheetInfo(path=path, encoding=encoding, delimiter=delimiter, columns=headers, warnings=warnings)
    return info, rows


def _read_workbook(path: Path, data: bytes, shown: str, *, kind: str) -> tuple[SheetInfo, list[SheetRow]]:
    records, warnings = (read_xlsx if kind == XLSX else read_ods)(data, shown=shown)
    if not records:
        raise DeliveryError(f"the sheet {shown} is empty")
    headers, rows, parse_warnings = parse_records(records, workbook=True)
    warnings = warnings + parse_warnings
    if not rows:
        warnings.append(f"the sheet {shown} has a header but no product rows")
    # A workbook has no text encoding or delimiter; these say so where the user sees them.
    info = SheetInfo(path=path, encoding=kind, delimiter="", columns=headers, warnings=warnings)
    return info, rows


# Excel's "sep=;" line; re-saved by a program that took it for a cell: "sep=;";;; or sep=,,,
_SEP_LINE = re.compile(r'"?sep=(.)"?(?:\1)*', re.IGNORECASE)


def _excel_sep_line(text: str) -> tuple[str, str | None]:
    """Excel's ``sep=;`` first line declares the delimiter. It is blanked (not removed) so that
    line numbers still match the file."""
    first, newline, rest = text.lstrip("\ufeff").partition("\n")
    match = _SEP_LINE.fullmatch(first.strip(" \r"))  # not strip(): "sep=\t" declares a tab
    if match and match.group(1) not in '"\r\n':
        return newline + rest, match.group(1)
    return text, None


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)
