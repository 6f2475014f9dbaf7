"""Fixtures for the mapper tests: the real taxonomy, the real MiniLM (loaded once), small hand-made deliveries."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.mapping_eval import read_truth as load_truth
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


@pytest.fixture(scope="session")
def make_delivery():
    return build_delivery


@pytest.fixture(scope="session")
def read_truth():
    return load_truth
