"""Opening a supplier delivery folder: pick the product sheet, detect its columns, join the images
and give every image a verdict from a cheap header check."""

from __future__ import annotations

import os
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from icaam_desktop.core.delivery.columns import (
    detect_id_column,
    detect_image_column,
    extra_image_columns,
    image_key_column,
    prefer_article_number,
)
from icaam_desktop.core.delivery.formats import READABLE_SUFFIXES, suffixes_text
from icaam_desktop.core.delivery.join import ImageIndex, find_images, join_images, looks_like_image_name
from icaam_desktop.core.delivery.model import (
    SHEET_NOTE,
    Delivery,
    DeliveryError,
    ImageFile,
    Product,
    SheetChoiceError,
    SheetInfo,
)
from icaam_desktop.core.delivery.sheet import SheetRow, find_sheets, read_sheet
from icaam_desktop.core.images import inspect_image
from icaam_desktop.core.jobs import CancelToken, Progress, no_progress

# A sheet within this share of the best sheet's image coverage counts as just as plausible.
_COVERAGE_TIE = 0.8
_CHECK_CHUNK = 64


def open_delivery(
    folder: Path,
    *,
    sheet: Path | str | None = None,
    id_column: str | None = None,
    image_column: str | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> Delivery:
    """Open a supplier delivery folder: its product sheet joined to its image files, each image checked.

    ``sheet`` (a path, absolute or relative to ``folder``) and the column names override detection.
    Raises ``DeliveryError`` when the folder cannot be opened as asked (no sheet, several equally
    plausible sheets, an empty sheet, an unknown column); bad rows and bad images are recorded in
    the returned ``Delivery`` instead.
    """
    root = Path(folder).resolve()
    if not root.is_dir():
        raise DeliveryError(f"{folder} is not a folder")
    progress(0, None, "finding files")
    index = ImageIndex.build(root, find_images(root))
    if cancel:
        cancel.raise_if_cancelled()

    info, rows = _choose_sheet(root, sheet, index)
    progress(0, None, "reading the sheet")
    image_col, image_reason = _image_column(info, rows, index, image_column)
    id_col, id_reason = _id_column(info, rows, index, id_column, image_col)

    extras = extra_image_columns(info.columns, rows, index, main=image_col, exclude={id_col})
    key = image_key_column(info.columns, rows, index, id_column=id_col, image_column=image_col)
    products, problems, notes = _products(rows, id_col)
    info.warnings.extend(notes)
    orphans, join_problems = join_images(
        products, index, image_columns=[c for c in [image_col, *extras] if c], key_column=key.column
    )
    problems.extend(join_problems)
    delivery = Delivery(
        name=root.name,
        root=root,
        sheet=info,
        id_column=id_col,
        image_column=image_col,
        products=products,
        orphan_images=orphans,
        problems=problems,
        id_column_reason=id_reason,
        image_column_reason=image_reason,
        extra_image_columns=extras,
        image_key_column=key.column,
        image_key_reason=key.reason,
    )
    check_images(delivery.images, progress=progress, cancel=cancel)
    return delivery


def check_images(
    images: list[ImageFile], *, progress: Progress = no_progress, cancel: CancelToken | None = None
) -> None:
    """Give every image a verdict from ``inspect_image`` (header only), in place. Files the sheet
    named but that are not on disk keep their "missing" verdict."""
    todo = [im for im in images if im.verdict != "missing"]
    total = len(todo)
    progress(0, total, "checking images")
    workers = min(8, (os.cpu_count() or 2) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for start in range(0, total, _CHECK_CHUNK):
            if cancel:
                cancel.raise_if_cancelled()
            chunk = todo[start : start + _CHECK_CHUNK]
            for im, check in zip(chunk, pool.map(inspect_image, [im.path for im in chunk]), strict=True):
                im.verdict, im.reason, im.format = check.verdict, check.reason, check.format
                im.width, im.height, im.mode = check.width, check.height, check.mode
                im.n_frames, im.notes, im.bytes = check.n_frames, check.notes, check.bytes
            progress(start + len(chunk), total, "checking images")


# --- the sheet -------------------------------------------------------------------------------------


def rel_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _given_sheet(root: Path, sheet: Path | str) -> Path:
    given = Path(sheet)
    for candidate in [given] if given.is_absolute() else [root / given, given]:
        if candidate.is_file():
            return candidate.resolve()
    raise SheetChoiceError(f"the sheet {sheet} does not exist (looked in {root} and the current folder)")


@dataclass
class _Candidate:
    path: Path
    info: SheetInfo
    rows: list[SheetRow]
    depth: int
    coverage: float  # share of the folder's images its cells point at, by file name or id stem
    named: float  # share of the folder's images its cells name as files (e.g. "40005211.png")


def _image_coverage(rows: list[SheetRow], index: ImageIndex) -> tuple[float, float]:
    """(share of the folder's images the cells point at by file name or id stem, share named as files)."""
    if not index.images:
        return 0.0, 0.0
    hit: set[int] = set()
    named: set[int] = set()
    for row in rows:
        for value in row.cells.values():
            value = value.strip()
            if not value or len(value) > 500:
                continue
            hit.update(id(im) for im in index.named_by(value))
            if looks_like_image_name(value):
                im = index.resolve(value)
                if im is not None:
                    hit.add(id(im))
                    named.add(id(im))
    return len(hit) / len(index.images), len(named) / len(index.images)


def _narrow(cands: list[_Candidate], key, share: float = _COVERAGE_TIE) -> list[_Candidate]:
    best = max(key(c) for c in cands)
    return [c for c in cands if key(c) >= share * best] if best > 0 else cands


def _choose_sheet(root: Path, sheet: Path | str | None, index: ImageIndex) -> tuple[SheetInfo, list[SheetRow]]:
    """The given sheet, the only one, or the most plausible product sheet among several.

    Most plausible, step by step: it points at the folder's images (by file name or id); it is
    nearest the top of the folder (extra tables tend to sit in subfolders); it names the image files
    outright; it has at least twice the columns of the next (a product sheet describes products).
    Anything still tied is the user's choice.
    """
    if sheet is not None:
        path = _given_sheet(root, sheet)
        info, rows = read_sheet(path, root=root)
        info.candidates = [path]
        info.selection = "given"
        return info, rows
    candidates = find_sheets(root)
    if not candidates:
        raise SheetChoiceError(f"no product sheet ({suffixes_text(READABLE_SUFFIXES)}) found in {root}")
    if len(candidates) == 1:
        info, rows = read_sheet(candidates[0], root=root)
        info.candidates, info.selection = candidates, "the only sheet in the folder"
        return info, rows

    tables: list[_Candidate] = []
    unread: list[str] = []  # why each file that is not a table could not be read
    for path in candidates:
        try:
            info, rows = read_sheet(path, root=root)
        except DeliveryError as exc:
            unread.append(str(exc))  # an empty or unreadable extra file is not the product sheet
            continue
        if len(info.columns) >= 2 and rows:
            depth = len(path.relative_to(root).parts)
            tables.append(_Candidate(path, info, rows, depth, *_image_coverage(rows, index)))
    if not tables:
        raise SheetChoiceError(
            f"none of the {len(candidates)} sheets in {root.name} is a table with rows: "
            + ", ".join(rel_path(p, root) for p in candidates)
            + "".join(f"; {why}" for why in unread)
            + ". Pass sheet= (CLI: --sheet PATH) to pick one."
        )
    reasons = []
    plausible = _narrow(tables, lambda c: c.coverage)
    if plausible[0].coverage > 0:
        reasons.append("points at the folder's images")  # completed with the share below
    depth = min(c.depth for c in plausible)
    remaining = [c for c in plausible if c.depth == depth]
    if len(remaining) < len(plausible):
        reasons.append("is nearest the top of the folder")
    if len(remaining) > 1:
        named = _narrow(remaining, lambda c: c.named)
        if len(named) < len(remaining):
            reasons.append("names the image files")
        remaining = named
    if len(remaining) > 1:
        by_columns = sorted(remaining, key=lambda c: len(c.info.columns), reverse=True)
        if len(by_columns[0].info.columns) >= 2 * len(by_columns[1].info.columns):
            reasons.append(f"has by far the most columns ({len(by_columns[0].info.columns)})")
            remaining = by_columns[:1]
    if len(remaining) != 1:
        listed = ", ".join(rel_path(c.path, root) for c in remaining)
        raise SheetChoiceError(
            f"found {len(candidates)} possible product sheets in {root.name} and cannot tell which one holds "
            f"the products: {listed}. Pass sheet= (CLI: --sheet PATH) to pick one."
        )
    chosen = remaining[0]
    chosen.info.candidates = candidates
    # Said, not silently dropped: an .xls or Numbers file next to the CSV may be the newer product list.
    chosen.info.warnings.extend(f"{SHEET_NOTE}not read: {why}" for why in unread)
    if chosen.coverage > 0:
        reasons[0] = f"points at {chosen.coverage:.0%} of the folder's images"
    chosen.info.selection = f"chosen from {len(candidates)} sheets: it " + ", ".join(reasons or ["is the only table"])
    return chosen.info, chosen.rows


# --- columns and products --------------------------------------------------------------------------


def _find_column(info: SheetInfo, name: str, what: str) -> str:
    if name in info.columns:
        return name
    folded = [c for c in info.columns if c.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise SheetChoiceError(
        f"the {what} column {name!r} is not in the sheet {info.path.name}; its columns are: "
        + ", ".join(repr(c) for c in info.columns)
    )


def _image_column(
    info: SheetInfo, rows: list[SheetRow], index: ImageIndex, given: str | None
) -> tuple[str | None, str]:
    if given:
        return _find_column(info, given, "image"), "given"
    guess = detect_image_column(info.columns, rows, index)
    return guess.column, guess.reason


def _id_column(
    info: SheetInfo, rows: list[SheetRow], index: ImageIndex, given: str | None, image_col: str | None
) -> tuple[str, str]:
    if given:
        return _find_column(info, given, "product-id"), "given"
    if not info.columns:
        raise DeliveryError(f"the sheet {info.path.name} has no columns")
    guess = detect_id_column(info.columns, rows, index, image_column=image_col)
    chosen = guess.column or info.columns[0]
    article, why = prefer_article_number(info.columns, rows, chosen)
    return (article, why) if why else (chosen, guess.reason)


def _products(rows: list[SheetRow], id_column: str) -> tuple[list[Product], list[str], list[str]]:
    """One Product per row with an id, and (problems, sheet notes). Duplicates keep the first row and are
    reported with both lines; a continuation row (``_continues``) is merged into the product above it."""
    products: list[Product] = []
    problems: list[str] = []
    merged: list[tuple[int, str]] = []  # (line, product id) of each continuation row
    first_line: dict[str, int] = {}
    totals = totals_rows(rows, id_column)  # before continuations: a trailing totals row is never merged
    above: Product | None = None  # the product the row above made or continued
    for n, row in enumerate(rows):
        product_id = row.cells.get(id_column, "").strip()
        current, above = above, None
        if n in totals:
            shown = product_id or " ".join(c.strip() for c in row.cells.values() if c.strip())
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            problems.append(f"line {row.line} looks like a totals row ({shown!r}), not a product: skipped")
            continue
        if not product_id:
            if current is not None and _continues(current, row):
                current.row = {**current.row, **{k: v for k, v in row.cells.items() if v.strip()}}
                merged.append((row.line, current.product_id))
                above = current
                continue
            problems.append(f"line {row.line}: no product id in column {id_column!r}; row skipped")
            continue
        if product_id in first_line:
            problems.append(
                f"line {row.line}: duplicate product id {product_id!r} (first on line {first_line[product_id]}); "
                "row skipped, the first is kept"
            )
            continue
        first_line[product_id] = row.line
        above = Product(product_id=product_id, row=dict(row.cells), row_number=row.line)
        products.append(above)
    return products, problems, _continuation_notes(merged)


def _continues(product: Product, row: SheetRow) -> bool:
    """A row without an id under a product (a line sheet's colourway row under its style row) continues that
    product when every cell it fills is empty for the product: it adds to it and contradicts nothing."""
    filled = [k for k, v in row.cells.items() if v.strip()]
    return bool(filled) and all(not product.row.get(k, "").strip() for k in filled)


_LISTED_CONTINUATIONS = 3


def _continuation_notes(merged: list[tuple[int, str]]) -> list[str]:
    if len(merged) <= _LISTED_CONTINUATIONS:
        return [f"{SHEET_NOTE}line {line} continues product {pid} above: its cells were added" for line, pid in merged]
    listed = ", ".join(f"line {line} into {pid}" for line, pid in merged[:_LISTED_CONTINUATIONS])
    return [
        f"{SHEET_NOTE}{len(merged)} lines continue the product above them (no id, cells only in the product's "
        f"empty columns): their cells were added to it ({listed} and {len(merged) - _LISTED_CONTINUATIONS} more)"
    ]


_TOTALS_TAIL = 3  # summary rows end a sheet: a subtotal, a tax line, a total
_DIGIT_IDS = 0.9  # ... and are told apart from products where (nearly) every id holds a digit
_MIN_IDS = 3


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def totals_rows(rows: list[SheetRow], id_column: str) -> set[int]:
    """Indices of the last rows that sum the sheet up ("TOTAL;3 styles;;;USD 111.49") rather than describe a product.

    Told by their shape, in any language: at the very end, sparser than the product rows, holding a number
    outside the id column, and with an id that is empty or has no digit where (nearly) every other id has
    one. A sheet whose ids are words keeps its last product, and so does a fully described last row, and so does
    a line sheet's last colourway row (no id, the columns of the colourway rows above it)."""
    ids = [row.cells.get(id_column, "").strip() for row in rows]
    filled = [sum(1 for c in row.cells.values() if c.strip()) for row in rows]
    found: set[int] = set()
    for i in range(len(rows) - 1, max(len(rows) - _TOTALS_TAIL, 0) - 1, -1):
        others = [ids[j] for j in range(len(rows)) if j != i and j not in found and ids[j]]
        if len(others) < _MIN_IDS or sum(map(_has_digit, others)) < _DIGIT_IDS * len(others):
            break
        typical = statistics.median(filled[j] for j in range(len(rows)) if j != i and j not in found)
        numbers = any(_has_digit(v) for k, v in rows[i].cells.items() if k != id_column)
        if _has_digit(ids[i]) or not numbers or filled[i] >= typical or _shaped_like_one_above(rows, ids, i):
            break
        found.add(i)
    return found


def _shaped_like_one_above(rows: list[SheetRow], ids: list[str], i: int) -> bool:
    """Row ``i`` has no id and fills the same columns as an earlier row without an id: one of a run of
    continuation rows (colour and photo under each style), not a one-off summary."""
    if ids[i]:
        return False
    shape = {k for k, v in rows[i].cells.items() if v.strip()}
    return any(not ids[j] and {k for k, v in rows[j].cells.items() if v.strip()} == shape for j in range(i))
