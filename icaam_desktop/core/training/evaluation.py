"""Score a classifier on labelled products: the job behind `icaam eval` and the GUI's evaluation view."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from icaam_desktop.core.jobs import CancelToken, Progress, no_progress
from icaam_desktop.core.taxonomy import Taxonomy


@dataclass(frozen=True)
class LabelledProduct:
    product_id: str
    leaf: str  # the true leaf code
    images: tuple[Path, ...]


@dataclass
class Evaluation:
    metrics: dict  # core.training.metrics.evaluate(...) with per-cell product ids in each confusion matrix
    products: dict[str, LabelledProduct]  # by product id: what the GUI shows when a confusion cell is clicked
    rejected: list[str] = field(default_factory=list)  # products without a decodable photo (not scored)


def catalogue_products(catalog: Path, *, taxonomy: Taxonomy, split: str = "all") -> tuple[list[LabelledProduct], list]:
    """The catalogue's labelled products (one photo each), optionally one part of the fixed training split."""
    from icaam_desktop.core.training.data import load_catalog, split_items

    loaded = load_catalog(catalog, taxonomy=taxonomy)
    items = loaded.items if split == "all" else split_items(loaded.items)[split]
    return [LabelledProduct(it.sku, it.leaf, (it.image,)) for it in items], list(loaded.problems)


def evaluate_classifier(
    classifier,
    products: list[LabelledProduct],
    *,
    taxonomy: Taxonomy,
    batch_size: int = 64,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> Evaluation:
    """Classify ``products`` (photos aggregated as in production) and compute every metric at the model's thresholds."""
    from icaam_desktop.core.classify.hierarchy import aggregate_images
    from icaam_desktop.core.training.metrics import evaluate

    paths, owner = [], []
    for i, product in enumerate(products):
        for image in product.images:
            paths.append(Path(image))
            owner.append(i)
    emb, errors = classifier.embed_paths(paths, batch_size=batch_size, progress=progress, cancel=cancel)
    probs = classifier.leaf_probs_from_embeddings(emb) if paths else np.zeros((0, len(classifier.labels)))
    groups: list[list[int]] = [[] for _ in products]
    for row, (i, err) in enumerate(zip(owner, errors, strict=True)):
        if err is None:
            groups[i].append(row)
    usable = [i for i, g in enumerate(groups) if g]
    rejected = [products[i].product_id for i, g in enumerate(groups) if not g]
    if not usable:
        raise ValueError("no product had a decodable photo")
    agg = aggregate_images(probs, [groups[i] for i in usable], method=classifier.aggregation)
    thresholds = {d + 1: t for d, t in enumerate(classifier.thresholds)} or None
    metrics = evaluate(
        y_true_leaf=[products[i].leaf for i in usable],
        probs=agg,
        labels=classifier.labels,
        taxonomy=taxonomy,
        thresholds=thresholds,
        product_ids=[products[i].product_id for i in usable],
    )
    return Evaluation(metrics=metrics, products={p.product_id: p for p in products}, rejected=rejected)
