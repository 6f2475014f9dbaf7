"""What a sheet file really holds, from its first bytes: which reader to use, or why none can.

Legacy Excel (.xls, BIFF in an OLE2 container), binary Excel (.xlsb) and Apple Numbers are not parsed:
their formats are large and the fix takes the supplier (or the user) seconds, so the file gets a message
that names it and says how to save it. Names also lie: ERP systems write tab-separated text or an HTML
table as ``.xls`` so that Excel opens it, a renamed ``.xls`` arrives as ``.xlsx``, and a password-protected
``.xlsx`` is an OLE2 container too. Each gets its own message, or is read for what it is, with a note.
"""

from __future__ import annotations

import codecs
import zipfile
from io import BytesIO
from pathlib import Path

from icaam_desktop.core.delivery.model import SHEET_NOTE, DeliveryError

TEXT, XLSX, ODS = "text", "xlsx", "ods"
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
OPENDOCUMENT_SUFFIXES = (".ods",)
READABLE_SUFFIXES = (*TEXT_SUFFIXES, *WORKBOOK_SUFFIXES, *OPENDOCUMENT_SUFFIXES)
# Found like sheets so that a delivery holding only these says why, instead of "no sheet found".
UNREADABLE_SUFFIXES = (".xls", ".xlsb", ".numbers")

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
SAVE_AS = (
    "open it in Excel or LibreOffice Calc and save it as .xlsx (Excel workbook) or CSV, then open the delivery again"
)
_NUMBERS = (
    "an Apple Numbers document, which ICaAM does not read: in Numbers choose File > Export To > Excel "
    "(or CSV), put that file in the delivery and open it again"
)
_KIND_NAMES = {XLSX: "Excel .xlsx workbook", ODS: "OpenDocument (.ods) spreadsheet"}
_EXPECTED = {**dict.fromkeys(WORKBOOK_SUFFIXES, XLSX), **dict.fromkeys(OPENDOCUMENT_SUFFIXES, ODS)}


def suffixes_text(suffixes: tuple[str, ...] = READABLE_SUFFIXES) -> str:
    """``.csv, .tsv, .txt, .xlsx, .xlsm or .ods``: the list as users read it in messages."""
    return f"{', '.join(suffixes[:-1])} or {suffixes[-1]}"


def unreadable_by_name(path: Path, shown: str) -> str | None:
    """Why a file cannot be read, known from its name alone (a Numbers document may be a folder)."""
    suffix = path.suffix.lower()
    if suffix == ".numbers":
        return f"the sheet {shown} is {_NUMBERS}"
    if suffix == ".xlsb":
        return f"the sheet {shown} is an Excel binary workbook (.xlsb), which ICaAM does not read: {SAVE_AS}"
    return None


def sheet_format(data: bytes, *, suffix: str, shown: str) -> tuple[str, str | None]:
    """(TEXT, XLSX or ODS: the reader for these bytes, a note when that is not what the name says).

    Raises ``DeliveryError`` with a message the user can act on for a format that is not read."""
    suffix = suffix.lower()
    if data.startswith(OLE2_SIGNATURE):
        raise DeliveryError(_ole2_message(data, suffix, shown))
    if data.startswith(ZIP_SIGNATURE):
        return _zip_format(data, suffix, shown)
    markup = _markup(data)
    if markup == "html":
        raise DeliveryError(
            f"the sheet {shown} is a web page (HTML) saved with the extension {suffix}, not a "
            f"{'text table' if suffix in TEXT_SUFFIXES else 'workbook'}: {SAVE_AS}"
        )
    if markup == "spreadsheetml":
        raise DeliveryError(
            f"the sheet {shown} is an Excel 2003 XML spreadsheet (saved with the extension {suffix}), which ICaAM does "
            f"not read: {SAVE_AS}"
        )
    if suffix in _EXPECTED:
        return _EXPECTED[suffix], None  # its reader says what is wrong with it ("not a zip archive", "empty")
    if suffix == ".xls":
        if data and not _looks_like_text(data):
            raise DeliveryError(f"the sheet {shown} is not an Excel workbook ICaAM can read: {SAVE_AS}")
        note = (
            f"{SHEET_NOTE}{shown} is delimited text saved with the extension .xls (not an Excel workbook); read as text"
        )
        return TEXT, note if data else None
    return TEXT, None


def _ole2_message(data: bytes, suffix: str, shown: str) -> str:
    if "EncryptedPackage".encode("utf-16-le") in data:  # Office keeps a password-protected .xlsx in OLE2
        return (
            f"the sheet {shown} is a password-protected workbook: open it in Excel, remove the password "
            "(File > Info > Protect Workbook > Encrypt with Password, clear it), save it and open the delivery again"
        )
    if any(name.encode("utf-16-le") in data for name in ("Workbook", "Book")):  # Excel 97-2003, Excel 5
        if suffix == ".xls":
            return f"the sheet {shown} is a legacy Excel workbook (.xls, Excel 97-2003), which ICaAM does not read: {SAVE_AS}"
        return (
            f"the sheet {shown} is a legacy Excel .xls workbook (Excel 97-2003) renamed to {suffix}; renaming does "
            f"not convert it: {SAVE_AS}"
        )
    return f"the sheet {shown} is an old Microsoft Office document (OLE2), not a product sheet ICaAM reads: {SAVE_AS}"


def _zip_format(data: bytes, suffix: str, shown: str) -> tuple[str, str | None]:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:200] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        names, mimetype = set(), b""
    if "xl/workbook.xml" in names:
        kind = XLSX
    elif "content.xml" in names and (not mimetype or b"opendocument.spreadsheet" in mimetype):
        kind = ODS
    elif any(name.startswith("Index/") and name.endswith(".iwa") for name in names) or suffix == ".numbers":
        raise DeliveryError(f"the sheet {shown} is {_NUMBERS}")
    elif suffix in _EXPECTED:
        return _EXPECTED[suffix], None  # its reader names the missing part
    else:
        raise DeliveryError(
            f"the sheet {shown} is a zip archive, not a product sheet: unpack it into the delivery folder and "
            "open the delivery again"
        )
    if _EXPECTED.get(suffix) == kind:
        return kind, None
    return kind, f"{SHEET_NOTE}{shown} is an {_KIND_NAMES[kind]} saved with the extension {suffix}; read as one"


def _head_text(data: bytes) -> str:
    head = data[:2048]
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(name, "ignore")
    return head.decode("latin-1").removeprefix("\xef\xbb\xbf")


def _markup(data: bytes) -> str | None:
    """ "html" for a web page, "spreadsheetml" for Excel 2003 XML, None for anything else."""
    head = _head_text(data).lstrip().lower()
    if not head.startswith("<"):
        return None
    if "urn:schemas-microsoft-com:office:spreadsheet" in head or 'progid="excel.sheet"' in head:
        return "spreadsheetml"
    if head.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")) or (
        head.startswith("<?xml") and "<html" in head
    ):
        return "html"
    return None


def _looks_like_text(data: bytes) -> bool:
    """Text has no NUL bytes, except as UTF-16 (every other byte, for Latin text)."""
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" not in head:
        return True
    even, odd = head[0::2].count(0) / len(head[0::2]), head[1::2].count(0) / max(1, len(head[1::2]))
    return max(even, odd) > 0.4 and min(even, odd) < 0.05
