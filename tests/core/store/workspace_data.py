"""Real inputs for the store, export and CLI-export tests: the Northwind delivery, its truth, the taxonomy.

Plain functions (not fixtures) so the export and CLI tests can build the same workspace.
Truth files are read here only to make realistic predictions and values to store and
compare, never by product code.
"""

from __future__ import annotations

import csv
from pathlib import Path

from icaam_desktop.core.classify.prediction import LevelPrediction, Prediction
from icaam_desktop.core.delivery import Delivery, open_delivery
from icaam_desktop.core.store import Workspace
from icaam_desktop.core.taxonomy import Taxonomy

NORTHWIND = "northwind"
MODEL_V1 = "lite0-test-v1"
MODEL_V2 = "lite0-test-v2"
# Truth columns after supplier_sku;catalog_sku;categories that hold retailer attribute values.
TRUTH_VALUE_COLUMNS = (
    "name",
    "brand",
    "price",
    "base_colour",
    "fabric",
    "material",
    "pattern",
    "sleeve_length",
    "fit",
    "neck",
    "gender",
    "season",
    "usage",
)


def _truth_rows(fashion: Path, name: str) -> list[dict[str, str]]:
    with (fashion / "suppliers" / NORTHWIND / "truth" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def open_northwind(fashion: Path) -> Delivery:
    return open_delivery(fashion / "suppliers" / NORTHWIND)


def truth_categories(fashion: Path) -> dict[str, str]:
    """Supplier sku -> leaf category code."""
    return {row["supplier_sku"]: row["category_code"] for row in _truth_rows(fashion, "categories.csv")}


def truth_values(fashion: Path) -> dict[str, dict[str, str]]:
    """Supplier sku -> attribute -> retailer value (option codes for selects), empty cells left out."""
    return {
        row["supplier_sku"]: {c: row[c] for c in TRUTH_VALUE_COLUMNS if row[c]}
        for row in _truth_rows(fashion, "products.csv")
    }


def prediction(
    taxonomy: Taxonomy, product_id: str, leaf: str, *, status: str, model_version: str, confidence: float = 0.93
) -> Prediction:
    """A hierarchical prediction down ``leaf``'s path; a review one is only confident at level 1."""
    path = taxonomy.ancestors(leaf)
    levels = []
    for depth, code in enumerate(path, start=1):
        accepted = status == "auto" or (status == "review" and depth == 1)
        conf = confidence if accepted else 0.41
        siblings = [c for c in taxonomy.children(taxonomy.categories[code].parent or taxonomy.root) if c != code]
        alternatives = [(code, conf)] + [(s, round((1 - conf) / 2, 4)) for s in siblings[:2]]
        levels.append(
            LevelPrediction(depth=depth, code=code, confidence=conf, alternatives=alternatives, accepted=accepted)
        )
    category = leaf if status == "auto" else (path[0] if status == "review" else None)
    return Prediction(
        product_id=product_id,
        status=status,
        category_code=category,
        leaf_code=leaf if status != "rejected" else None,
        levels=levels if status != "rejected" else [],
        n_images=1 if status != "rejected" else 0,
        reasons=[] if status == "auto" else [f"{status} for the test"],
        model_version=model_version,
    )


def predictions_from_truth(
    taxonomy: Taxonomy, truth: dict[str, str], product_ids: list[str], *, model_version: str
) -> list[Prediction]:
    """Every 4th product review, every 25th rejected, the rest auto."""
    out = []
    for i, pid in enumerate(product_ids):
        status = "rejected" if i % 25 == 24 else ("review" if i % 4 == 3 else "auto")
        out.append(prediction(taxonomy, pid, truth[pid], status=status, model_version=model_version))
    return out


def build_workspace(path: Path, taxonomy: Taxonomy, delivery: Delivery, *, supplier: str | None = None) -> Workspace:
    ws = Workspace.open(path)
    ws.import_taxonomy(taxonomy)
    ws.upsert_delivery(delivery, supplier=supplier)
    return ws
