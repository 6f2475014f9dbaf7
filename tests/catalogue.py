"""Small real catalogues for tests: rows of the shared dev catalogue written with their photos."""

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
