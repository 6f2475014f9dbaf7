"""Fixtures for the mapper tests: the real taxonomy, the real MiniLM (loaded once), small hand-made deliveries."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from icaam_desktop.core.delivery.model import Delivery, Product, SheetInfo
from icaam_desktop.core.taxonomy import Taxonomy, load_taxonomy


@pytest.fixture(scope="session")
def taxonomy(taxonomy_dir: Path) -> Taxonomy:
    return load_taxonomy(taxonomy_dir)


@pytest.fixture(scope="session")
def embedder():
    """The bundled all-MiniLM-L6-v2, offline; loading takes seconds, so once per session."""
    from icaam_desktop.core.mapping.embeddings import default_embedder

    model = default_embedder()
    model.encode(["warm-up"])
    return model


def build_delivery(columns: list[str], rows: list[list[str]], *, id_column: str | None = None, image_column=None):
    """A Delivery built in memory from a header and rows (no files): for synthetic sheets."""
    id_column = id_column or columns[0]
    products = [
        Product(product_id=row[columns.index(id_column)], row=dict(zip(columns, row, strict=True)), row_number=i + 2)
        for i, row in enumerate(rows)
    ]
    sheet = SheetInfo(path=Path("memory.csv"), encoding="utf-8", delimiter=";", columns=columns)
    return Delivery("synthetic", Path("."), sheet, id_column, image_column, products)


def load_truth(folder: Path) -> tuple[dict[str, set[str]], dict[tuple[str, str], str], dict[str, str]]:
    """(column -> attributes, (attribute, value) -> option, sku -> category) from a supplier's truth folder."""

    def rows(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle, delimiter=";"))

    columns: dict[str, set[str]] = {}
    for row in rows("columns.csv"):
        bucket = columns.setdefault(row["supplier_column"], set())
        if row["retailer_attribute"]:
            bucket.add(row["retailer_attribute"])
    values = {(r["retailer_attribute"], r["supplier_value"]): r["option_code"] for r in rows("values.csv")}
    categories = {r["supplier_sku"]: r["category_code"] for r in rows("categories.csv")}
    return columns, values, categories


@pytest.fixture(scope="session")
def make_delivery():
    return build_delivery


@pytest.fixture(scope="session")
def read_truth():
    return load_truth
