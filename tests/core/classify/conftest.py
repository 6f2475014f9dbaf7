"""Fixtures for the classifier tests: the shipped model, the real taxonomy, small real deliveries."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "resources" / "demo"


@pytest.fixture(scope="session")
def taxonomy(taxonomy_dir):
    from icaam_desktop.core.taxonomy import load_taxonomy

    return load_taxonomy(taxonomy_dir)


@pytest.fixture(scope="session")
def classifier():
    """The shipped default model on the CPU (real weights, ~14 MB)."""
    from icaam_desktop.core.classify import default_model_dir, load_classifier

    if not (default_model_dir() / "model.safetensors").is_file():
        pytest.skip("models/default is not present")
    return load_classifier(device="cpu")


def make_delivery(folder: Path, n: int) -> Path:
    """A small real Northwind-format delivery: the first ``n`` demo products and their photos (incl. ``_2``)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (DEMO / "products.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1 : n + 1]
    with (folder / "products.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    (folder / "images").mkdir(exist_ok=True)
    for row in body:
        for src in (DEMO / "images").glob(f"{row[0]}*.jpg"):
            shutil.copy(src, folder / "images" / src.name)
    return folder


@pytest.fixture()
def small_delivery(tmp_path) -> Path:
    return make_delivery(tmp_path / "small", 5)
