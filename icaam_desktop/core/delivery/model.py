"""What a supplier delivery is once opened: a sheet of products joined to image files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from icaam_desktop.core.errors import IcaamError

# Image verdicts from the cheap header check (core/images.py). "ok" means the
# header is readable and within limits; anything else is a rejection reason code.
VERDICT_OK = "ok"
VERDICT_MISSING = "missing"  # named by the sheet but not on disk


class DeliveryError(IcaamError):
    """A delivery folder that cannot be opened as asked: no sheet, an ambiguous sheet, an empty sheet,
    an unknown column. The message says what to do (e.g. pass ``sheet=`` / ``--sheet``)."""


class SheetChoiceError(DeliveryError):
    """The caller must choose: no sheet, several equally plausible sheets, a given sheet or column
    that does not exist. A usage problem (CLI exit 2), unlike a sheet that is unreadable or empty."""


@dataclass
class ImageFile:
    path: Path  # absolute
    rel: str  # relative to the delivery root, with forward slashes
    verdict: str = (
        VERDICT_OK  # "ok" or a reason code: zero_byte, truncated, not_an_image, too_large, unreadable, missing
    )
    reason: str = ""  # a human sentence for a rejection
    format: str | None = None  # from the content, e.g. "JPEG", "PNG"
    width: int | None = None
    height: int | None = None
    mode: str | None = None  # PIL mode, e.g. "RGB", "CMYK", "P", "I;16"
    n_frames: int = 1
    notes: list[str] = field(default_factory=list)  # usable but unusual: CMYK, EXIF rotation, animation, ...
    joined_by: str = ""  # how it was joined to its product: "column", "stem", "suffix", "folder" ("" for orphans)
    bytes: int | None = None  # the file's size (None: not checked, or stored by an older version)

    @property
    def ok(self) -> bool:
        return self.verdict == VERDICT_OK


@dataclass
class Product:
    product_id: str
    row: dict[str, str]  # supplier column -> raw cell value (after header de-duplication)
    row_number: int  # 1-based line of the row in the sheet (header = 1)
    images: list[ImageFile] = field(default_factory=list)

    @property
    def usable_images(self) -> list[ImageFile]:
        return [im for im in self.images if im.ok]


SHEET_NOTE = "note: "  # a sheet message that informs (which worksheet, a title skipped) rather than warns


@dataclass
class SheetInfo:
    path: Path
    encoding: str
    delimiter: str
    columns: list[str]  # de-duplicated header names, in sheet order
    warnings: list[str] = field(default_factory=list)  # duplicate/blank headers, ragged rows, ... (and SHEET_NOTEs)
    candidates: list[Path] = field(default_factory=list)  # every sheet-like file found in the folder
    selection: str = ""  # why this sheet was chosen, for the user

    @property
    def delimiter_name(self) -> str:
        if not self.delimiter:
            return "none (workbook cells)"
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
        shown = "\\t" if self.delimiter == "\t" else self.delimiter
        return f"{shown} ({names.get(self.delimiter, 'other')})"


@dataclass
class Delivery:
    name: str
    root: Path
    sheet: SheetInfo
    id_column: str
    image_column: str | None
    products: list[Product]
    orphan_images: list[ImageFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # row-level problems, e.g. duplicate ids
    id_column_reason: str = ""  # why this column was taken as the product id ("given" when overridden)
    image_column_reason: str = ""
    extra_image_columns: list[str] = field(default_factory=list)  # more photos per row ("Image 2"), in sheet order
    image_key_column: str | None = None  # photos are named by this column's values (an EAN), not by the id
    image_key_reason: str = ""

    @property
    def images(self) -> list[ImageFile]:
        """Every image of the delivery once: the products' (in product order), then the orphans."""
        seen: dict[int, ImageFile] = {}
        for im in [im for p in self.products for im in p.images] + self.orphan_images:
            seen.setdefault(id(im), im)
        return list(seen.values())

    @property
    def products_with_several_images(self) -> list[Product]:
        return [p for p in self.products if len(p.images) > 1]

    @property
    def products_without_images(self) -> list[Product]:
        return [p for p in self.products if not p.images]

    @property
    def rejected_images(self) -> list[ImageFile]:
        return [im for im in self.images if not im.ok]

    def product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.product_id == product_id), None)
