"""Which sheet column holds the product id, and which names the image files.

Only generic signals: how unique and complete a column's values are, whether they match the image
files in the folder, and header words that mean "identifier" or "picture" in the languages
suppliers write in. No supplier's column names are known here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from icaam_desktop.core.delivery.join import ImageIndex, looks_like_image_name, split_references
from icaam_desktop.core.delivery.sheet import SheetRow

# Header words that mean "identifier" (strong) or a barcode (weak: unique, but rarely the file name).
_ID_WORDS = {
    "id", "sku", "article", "articleno", "articlenumber", "artikel", "artikelnummer", "artikelnr", "artnr",
    "art", "nummer", "number", "no", "nr", "num", "ref", "reference", "referenz", "code", "item", "itemno",
    "style", "styleno", "product", "produkt", "produit", "model", "modell", "codigo", "referencia",
    "articolo", "codice", "artikelcode", "productcode", "productid", "mpn", "partno", "numero",
}  # fmt: skip
_ID_WEAK_WORDS = {"ean", "gtin", "upc", "barcode", "ean13", "isbn", "asin"}
_IMAGE_WORDS = {
    "image", "images", "img", "picture", "pictures", "photo", "photos", "foto", "fotos", "bild", "bilder",
    "file", "filename", "datei", "dateiname", "imagen", "immagine", "url", "media", "pic", "thumbnail",
}  # fmt: skip
_MIN_IMAGE_SHARE = 0.3
_SAMPLE_ROWS = 2000  # column statistics settle long before this; keeps 100k-row sheets quick


@dataclass
class ColumnGuess:
    column: str | None
    reason: str


def _words(header: str) -> set[str]:
    """Lower-case ASCII words of a header, plus the header squashed into one word ("Art.-Nr." -> "artnr")."""
    folded = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    words = set(re.findall(r"[a-z0-9]+", folded))
    words.add(re.sub(r"[^a-z0-9]", "", folded))
    # German compounds: "Artikelnummer", "Bildname" carry the hint as a prefix or suffix.
    for hint in ("nummer", "number", "artikel", "bild", "image", "foto", "photo"):
        for word in list(words):
            if word != hint and (word.startswith(hint) or word.endswith(hint)):
                words.add(hint)
    return words


def _values(rows: list[SheetRow], column: str) -> list[str]:
    if len(rows) > _SAMPLE_ROWS:
        rows = rows[:: len(rows) // _SAMPLE_ROWS + 1]
    return [row.cells.get(column, "").strip() for row in rows]


def image_reference_share(values: list[str], index: ImageIndex | None) -> tuple[float, float]:
    """(share of non-empty cells naming an image file, share whose references resolve to a file)."""
    filled = [v for v in values if v]
    if not filled:
        return 0.0, 0.0
    named = resolved = 0
    for value in filled:
        refs = split_references(value, index)
        if refs and any(looks_like_image_name(r) or (index and index.resolve(r)) for r in refs):
            named += 1
        if index is not None and refs and any(index.resolve(r) for r in refs):
            resolved += 1
    return named / len(filled), resolved / len(filled)


def _image_columns(columns: list[str], rows: list[SheetRow], index: ImageIndex | None) -> list[tuple[float, str, str]]:
    """(score, column, reason) of every column whose cells name image files often enough, in sheet order.

    A column that resolves to files in the folder counts most; one filled on every row beats one filled
    on a few (``Image 1`` is the main photo, ``Image 2`` the occasional extra)."""
    found = []
    for position, column in enumerate(columns):
        values = _values(rows, column)
        named, resolved = image_reference_share(values, index)
        if max(named, resolved) < _MIN_IMAGE_SHARE:
            continue
        fill = sum(1 for v in values if v) / len(values)
        hint = 0.2 if _words(column) & _IMAGE_WORDS else 0.0
        score = (2 * resolved + named) * (0.5 + 0.5 * fill) + hint - position * 1e-4
        reason = (
            f"{named:.0%} of its cells name image files, {resolved:.0%} resolve to files in the folder, "
            f"{fill:.0%} filled"
        )
        found.append((score, column, reason))
    return found


def detect_image_column(columns: list[str], rows: list[SheetRow], index: ImageIndex | None) -> ColumnGuess:
    """The column whose cells most often name image files: the product's main photo."""
    found = _image_columns(columns, rows, index)
    if not found:
        return ColumnGuess(None, "no column names image files; images are joined by file name = product id")
    _, column, reason = max(found, key=lambda item: item[0])
    return ColumnGuess(column, reason)


def extra_image_columns(
    columns: list[str], rows: list[SheetRow], index: ImageIndex | None, *, main: str | None, exclude: set[str]
) -> list[str]:
    """The other columns that name image files (``Image 2``, ``Back view``), in sheet order."""
    if main is None:
        return []
    return [column for _, column, _ in _image_columns(columns, rows, index) if column != main and column not in exclude]


def detect_id_column(
    columns: list[str], rows: list[SheetRow], index: ImageIndex | None, *, image_column: str | None
) -> ColumnGuess:
    """The column that best looks like a product id: unique, filled, short codes, matching image stems,
    with an identifier-like header. Falls back to the first column when nothing stands out."""
    stems = index.stem_keys() if index is not None else set()
    scored: list[tuple[float, str, str]] = []
    for position, column in enumerate(columns):
        if column == image_column:
            continue
        values = _values(rows, column)
        filled = [v for v in values if v]
        if not filled:
            continue
        fill = len(filled) / len(values)
        unique = len(set(filled)) / len(filled)
        # Ids are short codes: no long text, at most one space (e.g. "AB 123").
        code_like = sum(len(v) <= 40 and v.count(" ") <= 1 for v in filled) / len(filled)
        stem_match = _stem_share(filled, stems)
        words = _words(column)
        hint = 1.0 if words & _ID_WORDS else (0.4 if words & _ID_WEAK_WORDS else 0.0)
        score = 3 * stem_match + 2 * unique * fill + code_like + hint - position * 0.01
        reasons = [f"{unique:.0%} unique", f"{fill:.0%} filled"]
        if stem_match:
            reasons.append(f"{stem_match:.0%} match image file names")
        if hint:
            reasons.append("identifier-like header")
        scored.append((score, column, ", ".join(reasons)))
    if not scored:
        return ColumnGuess(columns[0] if columns else None, "no column has values; took the first")
    score, column, reason = max(scored, key=lambda item: item[0])
    return ColumnGuess(column, reason)


def _stem_share(values: list[str], stems: set[str]) -> float:
    filled = [v for v in values if v]
    return sum(v.lower() in stems for v in filled) / len(filled) if filled else 0.0


def prefer_article_number(columns: list[str], rows: list[SheetRow], chosen: str) -> tuple[str, str]:
    """A barcode column (EAN, GTIN, UPC) chosen as the id because the photos are named by it gives way to a
    complete, unique column with an identifier header (the article number): the retailer keeps the
    supplier's article number as sku, and the photos are still joined through the barcode
    (``image_key_column``). Returns (id column, reason; "" when ``chosen`` stays)."""
    words = _words(chosen)
    if not (words & _ID_WEAK_WORDS) or (words & _ID_WORDS):
        return chosen, ""
    for column in columns:
        if column == chosen or not (_words(column) & _ID_WORDS) or _words(column) & _ID_WEAK_WORDS:
            continue
        # Every row, not a sample: one article in three sizes (three EANs) must not pass as unique.
        filled = [v for v in (row.cells.get(column, "").strip() for row in rows) if v]
        if filled and len(filled) >= 0.95 * len(rows) and len(set(filled)) == len(filled):
            return column, f"identifier-like header, unique and filled; {chosen!r} is a barcode"
    return chosen, ""


def image_key_column(
    columns: list[str], rows: list[SheetRow], index: ImageIndex | None, *, id_column: str, image_column: str | None
) -> ColumnGuess:
    """The column whose values are the photos' file names (``7341461754426.jpg`` for an EAN column) when the
    product id is not: photos are then joined through it."""
    if index is None or image_column:
        return ColumnGuess(None, "")
    stems = index.stem_keys()
    if _stem_share(_values(rows, id_column), stems) >= _MIN_IMAGE_SHARE:
        return ColumnGuess(None, "")
    best = max(
        ((_stem_share(_values(rows, c), stems), c) for c in columns if c != id_column),
        default=(0.0, None),
        key=lambda item: item[0],
    )
    if best[1] is None or best[0] < 0.5:
        return ColumnGuess(None, "")
    return ColumnGuess(best[1], f"{best[0]:.0%} of its values are photo file names")
