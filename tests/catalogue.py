"""Small real catalogues and deliveries for tests: real rows written with their photos."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path


def catalogue_rows(fashion: Path) -> list[dict]:
    """Every row of the dev catalogue's products.csv."""
    with (fashion / "catalog" / "products.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def write_catalogue(folder: Path, rows: list[dict], *, fashion: Path) -> Path:
    """``folder/products.csv`` (sku;categories of ``rows``) and ``folder/images224/`` with their photos."""
    (folder / "images224").mkdir(parents=True)
    with (folder / "products.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["sku", "categories"], delimiter=";", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        name = f"{row['sku']}.jpg"
        shutil.copy(fashion / "catalog" / "images224" / name, folder / "images224" / name)
    return folder


_DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"


def demo_delivery(folder: Path, n: int) -> Path:
    """A small real Northwind-format delivery: the first ``n`` demo products and their photos (incl. ``_2``)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (_DEMO / "products.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1 : n + 1]
    with (folder / "products.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    (folder / "images").mkdir(exist_ok=True)
    for row in body:
        for src in (_DEMO / "images").glob(f"{row[0]}*.jpg"):
            shutil.copy(src, folder / "images" / src.name)
    return folder


def catalogue_delivery(folder: Path, n: int, *, fashion: Path) -> Path:
    """A plain delivery (``Article,Product Name,Image``) of the first ``n`` catalogue products, photos copied."""
    (folder / "images").mkdir(parents=True)
    rows = catalogue_rows(fashion)[:n]
    with (folder / "products.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Article", "Product Name", "Image"])
        for row in rows:
            name = f"{row['sku']}.jpg"
            shutil.copy(fashion / "catalog" / "images224" / name, folder / "images" / name)
            out.writerow([row["sku"], row["name"], name])
    return folder
