"""Finding a delivery's image files and joining them to its products.

A product's images are found these ways, in this order of precedence:
1. the sheet's image columns name them (a file name, a relative path or a URL; several per cell
   separated by ; , | or whitespace; the main column first, then ``Image 2``-like ones);
2. the file's stem is the product id (``40005211.png``; a numeric id also matches its zero-padded
   form, ``00004100.jpg`` for ``4100``, as spreadsheets drop leading zeros);
3. the file's stem is the product id plus ``_N`` or ``-N`` (``NW-101247_2.jpg``): extra images,
   ordered by N;
4. the file lies in a folder named after the product id (``images/ES-02000/1.jpg``).
The first image of a product is its primary one. Images that no product claims are orphans; an
image the sheet names that is not on disk becomes a "missing" ImageFile.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from icaam_desktop.core.delivery.model import VERDICT_MISSING, ImageFile, Product
from icaam_desktop.core.delivery.sheet import walk_files

# Photo files a supplier sends; the format is then read from the content (core/images.py), and a HEIC photo gets
# a verdict that says what it is, rather than being left out of the delivery unseen.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".avif")
IMAGE_SUFFIXES += (".heic", ".heif")
_SUFFIX_N = re.compile(r"^(?P<base>.+?)[_-](?P<n>\d{1,3})$")
_CELL_SPLIT = re.compile(r"[;,|\n\r]+")


def find_images(root: Path) -> list[ImageFile]:
    """Every image file under ``root`` at any depth, by extension (case-insensitive), outside hidden
    folders; unchecked (verdict "ok" until ``inspect_image`` says otherwise). ``root`` should be absolute."""
    found = [ImageFile(path=path, rel=rel) for rel, path in walk_files(root, IMAGE_SUFFIXES)]
    return sorted(found, key=lambda im: im.rel.lower())


@dataclass
class ImageIndex:
    """Lookups from what a sheet might say to the image files on disk (all case-insensitive)."""

    root: Path
    images: list[ImageFile]
    by_rel: dict[str, ImageFile] = field(default_factory=dict)
    by_name: dict[str, list[ImageFile]] = field(default_factory=lambda: defaultdict(list))
    by_stem: dict[str, list[ImageFile]] = field(default_factory=lambda: defaultdict(list))
    by_base: dict[str, list[tuple[int, ImageFile]]] = field(default_factory=lambda: defaultdict(list))
    by_folder: dict[str, list[ImageFile]] = field(default_factory=lambda: defaultdict(list))  # parent folder name
    # A zero-padded numeric stem under the number a spreadsheet shows (00004100.jpg -> "4100"): used only for
    # files no exact rule claimed, so a real id "0123" keeps 0123.jpg.
    stem_alias: dict[str, list[ImageFile]] = field(default_factory=lambda: defaultdict(list))
    base_alias: dict[str, list[tuple[int, ImageFile]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, root: Path, images: list[ImageFile]) -> ImageIndex:
        index = cls(root=root, images=images)
        for im in images:
            rel = PurePosixPath(im.rel)
            index.by_rel[im.rel.lower()] = im
            index.by_name[rel.name.lower()].append(im)
            index.by_stem[rel.stem.lower()].append(im)
            if alias := _unpadded(rel.stem):
                index.stem_alias[alias].append(im)
            match = _SUFFIX_N.match(rel.stem)
            if match:
                index.by_base[match["base"].lower()].append((int(match["n"]), im))
                if alias := _unpadded(match["base"]):
                    index.base_alias[alias].append((int(match["n"]), im))
            if len(rel.parts) > 1:
                index.by_folder[rel.parent.name.lower()].append(im)
        return index

    def stem_keys(self) -> set[str]:
        """Every value that names photos by file name (exact stems, numbered bases and their unpadded forms)."""
        return set(self.by_stem) | set(self.by_base) | set(self.stem_alias) | set(self.base_alias)

    def named_by(self, value: str) -> list[ImageFile]:
        """The photos a sheet value names by file name, under any of the rules."""
        key = value.lower()
        return [
            *self.by_stem.get(key, []),
            *self.stem_alias.get(key, []),
            *(im for _, im in self.by_base.get(key, [])),
            *(im for _, im in self.base_alias.get(key, [])),
        ]

    def resolve_whole(self, reference: str) -> ImageFile | None:
        """A file the reference names exactly: its whole relative path, or its whole bare file name."""
        ref = _normalise_reference(reference)
        hit = self.by_rel.get(ref.lower())
        if hit is None and "/" not in ref:
            named = self.by_name.get(ref.lower(), [])
            hit = named[0] if len(named) == 1 else None
        return hit

    def resolve(self, reference: str) -> ImageFile | None:
        """The file a sheet reference points at: a relative path first, then the bare file name."""
        ref = _normalise_reference(reference)
        if not ref:
            return None
        hit = self.by_rel.get(ref.lower())
        if hit is not None:
            return hit
        named = self.by_name.get(ref.rsplit("/", 1)[-1].lower(), [])
        if len(named) == 1:
            return named[0]
        if named:  # the same file name in several folders: prefer the one whose path ends like the ref
            tail = ref.lower()
            return next((im for im in named if im.rel.lower().endswith(tail)), named[0])
        return None


def _unpadded(stem: str) -> str | None:
    """``00004100`` -> ``4100`` (a numeric cell drops the leading zeros); None for anything else."""
    if stem.isdigit() and stem.startswith("0") and stem.strip("0"):
        return stem.lstrip("0")
    return None


def _normalise_reference(reference: str) -> str:
    ref = reference.strip().strip('"').strip("'")
    if "://" in ref:
        ref = unquote(urlparse(ref).path)
    ref = ref.replace("\\", "/")
    while ref.startswith("./"):
        ref = ref[2:]
    return ref.lstrip("/")


def looks_like_image_name(token: str) -> bool:
    if "." not in token:
        return False
    name = _normalise_reference(token).rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() in IMAGE_SUFFIXES


def split_references(cell: str, index: ImageIndex | None = None) -> list[str]:
    """The image references in one cell. A whole cell that resolves is one reference (file names
    may contain spaces or commas); otherwise it is split on ; , | and line breaks, then whitespace."""
    cell = cell.strip()
    if "." not in cell:  # every file the index knows, and every image name, has an extension
        return []
    if index is not None and index.resolve_whole(cell) is not None:
        return [cell]
    refs = []
    for part in _CELL_SPLIT.split(cell):
        part = part.strip()
        if not part:
            continue
        if (index is not None and index.resolve(part) is not None) or (looks_like_image_name(part) and " " not in part):
            refs.append(part)
            continue
        refs.extend(tok for tok in part.split() if looks_like_image_name(tok) or (index and index.resolve(tok)))
    return refs


def join_images(
    products: list[Product], index: ImageIndex, *, image_columns: list[str], key_column: str | None = None
) -> tuple[list[ImageFile], list[str]]:
    """Attach images to ``products`` in place; return (orphan images, problems).

    ``image_columns``: the main image column first, then the others. ``key_column``: a column whose values
    name the photos instead of the product id (``7341461754426.jpg`` by the EAN). A file can belong to
    several products only when the sheet names it for each of them.
    """
    claimed: set[int] = set()
    problems: list[str] = []
    missing: dict[str, ImageFile] = {}

    def add(product: Product, im: ImageFile, how: str) -> None:
        if all(existing is not im for existing in product.images):
            if not im.joined_by:
                im.joined_by = how
            product.images.append(im)
            claimed.add(id(im))

    for image_column in image_columns:
        for product in products:
            cell = product.row.get(image_column, "")
            refs = split_references(cell, index)
            if cell.strip() and not refs:
                problems.append(
                    f"line {product.row_number}: {image_column} {cell.strip()!r} names no image file (product {product.product_id})"
                )
            for ref in refs:
                im = index.resolve(ref)
                if im is None:
                    key = _normalise_reference(ref).lower()
                    im = missing.get(key)
                    if im is None:
                        rel = _normalise_reference(ref)
                        im = ImageFile(
                            path=(index.root / rel).resolve(),
                            rel=rel,
                            verdict=VERDICT_MISSING,
                            reason=f"named in column {image_column!r} on line {product.row_number} but not found in the folder",
                        )
                        missing[key] = im
                add(product, im, "column")

    # File names and folders only claim files the sheet did not name for another product. Exact rules
    # first (a folder named after the product, then its exact file name, then numbered extras), the
    # unpadded aliases last, for what nothing else claimed.
    def claim(product: Product, lookup: dict, key: str, how: str, order=None) -> None:
        found = lookup.get(key, [])
        for im in sorted(found, key=order) if order else found:
            if id(im) not in claimed:
                add(product, im, how)

    def keys(product: Product) -> list[str]:
        found = [product.product_id.strip().lower()]
        if key_column and (product.row.get(key_column) or "").strip():
            found.append(product.row[key_column].strip().lower())
        return found

    def numbered(pairs: list[tuple[int, ImageFile]]) -> list[ImageFile]:
        return [im for _, im in sorted(pairs, key=lambda pair: (pair[0], pair[1].rel))]

    for product in products:
        claim(product, index.by_folder, product.product_id.strip().lower(), "folder", order=_natural_key)
    for stems, bases in ((index.by_stem, index.by_base), (index.stem_alias, index.base_alias)):
        for product in products:
            for key in keys(product):
                claim(product, stems, key, "stem")
        for product in products:
            for key in keys(product):
                for im in numbered(bases.get(key, [])):
                    if id(im) not in claimed:
                        add(product, im, "suffix")

    orphans = [im for im in index.images if id(im) not in claimed]
    return orphans, problems


def _natural_key(im: ImageFile) -> tuple:
    """``2.jpg`` before ``10.jpg``: numbers in a path compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", im.rel.lower()))
