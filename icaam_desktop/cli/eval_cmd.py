"""`icaam eval --model M --catalog DIR --taxonomy DIR [--out DIR]`: score a model on labelled products.

Labelled products come from a retailer catalogue (``products.csv`` with leaf codes + photos) or from a
supplier delivery folder plus a ``--labels`` CSV (``supplier_sku;category_code``). Writes
``metrics.json`` (``core.training.metrics.evaluate`` with the model card's thresholds, plus what was
evaluated) and PNG plots (a confusion matrix per level, coverage vs error) into ``--out``.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime
from pathlib import Path

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from icaam_desktop.cli.paths_arg import classifier_arg, existing_dir, output_dir, table_arg, taxonomy_arg

SPLITS = ("all", "train", "val", "test")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval",
        help="evaluate a classifier on a labelled catalogue or delivery",
        description="Run the classifier over labelled products and report per-level accuracy and macro-F1, "
        "hierarchical precision/recall/F1, mistake severity, coverage vs error at the model's thresholds, "
        "calibration, and per-level confusion matrices (metrics.json + PNG plots in --out).",
    )
    p.add_argument(
        "--model", default=None, metavar="M", help="model folder (default: the active model, else models/default)"
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--catalog", metavar="DIR", help="catalogue folder: products.csv (sku;categories) + images224/")
    source.add_argument("--delivery", metavar="DIR", help="supplier delivery folder (needs --labels)")
    p.add_argument("--labels", metavar="CSV", help="with --delivery: supplier_sku;category_code per product")
    p.add_argument("--taxonomy", required=True, metavar="DIR", help="taxonomy folder (PIM CSV export)")
    p.add_argument("--out", metavar="DIR", help="folder for metrics.json and the plots (default: ./icaam-eval-<time>)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="with --catalog: only this part of the training split (same fixed seed as icaam train); "
        "use 'test' on the catalogue the model was trained on",
    )
    p.add_argument("--limit", type=int, default=None, metavar="N", help="evaluate a fixed random sample of N products")
    p.set_defaults(handler=run)


def _sample(items: list, limit: int | None) -> list:
    if limit is None or limit >= len(items):
        return items
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    keep = sorted(random.Random(0).sample(range(len(items)), limit))
    return [items[i] for i in keep]


def _catalog_products(args, taxonomy) -> tuple[list, list[str]]:
    from icaam_desktop.core.training.evaluation import catalogue_products

    folder = existing_dir(args.catalog, "catalogue folder")
    try:
        return catalogue_products(folder, taxonomy=taxonomy, split=args.split)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc


def _read_labels(value: str) -> dict[str, str]:
    """supplier_sku -> category code: the first two columns of the labels file (any encoding/delimiter)."""
    columns, rows = table_arg(value, "labels file")
    if len(columns) < 2:
        raise UsageError(f"labels file {value!r}: expected two columns, supplier_sku and category_code")
    sku, code = columns[0], columns[1]
    labels = {row[sku].strip(): row[code].strip() for row in rows if row.get(sku, "").strip()}
    if columns[0].strip().lower() not in ("supplier_sku", "sku", "product_id"):
        labels[columns[0].strip()] = columns[1].strip()  # no header: the first line is a label too
    return labels


def _delivery_products(args, taxonomy) -> tuple[list, list[str]]:
    from icaam_desktop.core.delivery import DeliveryError, open_delivery
    from icaam_desktop.core.training.evaluation import LabelledProduct

    if not args.labels:
        raise UsageError("--delivery needs --labels CSV (supplier_sku;category_code)")
    labels = _read_labels(args.labels)
    try:
        delivery = open_delivery(existing_dir(args.delivery, "delivery folder"))
    except DeliveryError as exc:
        raise UsageError(str(exc)) from exc
    out, problems = [], list(delivery.problems)
    for product in delivery.products:
        code = labels.get(product.product_id)
        if code is None:
            problems.append(f"{product.product_id}: no label in {args.labels}")
        elif code not in taxonomy.categories:
            problems.append(f"{product.product_id}: label {code!r} is not a category of the taxonomy")
        else:
            out.append(
                LabelledProduct(product.product_id, code, tuple(Path(im.path) for im in product.images if im.ok))
            )
    return out, problems


def _print_summary(result: dict, out: Path) -> None:
    at = result.get("at_thresholds") or {"levels": {}}
    print(f"{'level':>5}  {'accuracy':>8}  {'macro-F1':>8}  {'classes':>7}  {'coverage@t':>10}  {'error@t':>7}")
    for d, lv in result["levels"].items():
        point = at["levels"].get(d)
        cov = f"{point['coverage']:10.3f}" if point else f"{'-':>10}"
        err = f"{point['error']:7.4f}" if point else f"{'-':>7}"
        print(f"{d:>5}  {lv['accuracy']:8.4f}  {lv['macro_f1']:8.4f}  {lv['n_classes']:7d}  {cov}  {err}")
    h, s = result["hierarchical"], result["severity"]
    print(f"hierarchical precision {h['precision']:.4f}, recall {h['recall']:.4f}, F1 {h['f1']:.4f}")
    print(
        f"mistakes: {s['n_errors']} of {result['n']}, mean tree distance {s['mean_over_errors']:.2f} ({s['histogram']})"
    )
    print(f"leaf calibration error (ECE, 15 bins): {result['ece_leaf']:.4f}")
    if at.get("levels"):
        print(f"auto-accepted to the leaf: {at['auto_leaf_share']:.3f} at error {at['auto_leaf_error']:.4f}")
    print(f"metrics and plots written to {out}")


def run(args: argparse.Namespace) -> int:
    from icaam_desktop.cli.progress import progress_bar
    from icaam_desktop.core.training.evaluation import evaluate_classifier
    from icaam_desktop.core.training.plots import write_report

    taxonomy = taxonomy_arg(args.taxonomy)
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    out = output_dir(args.out or f"icaam-eval-{datetime.now():%Y%m%d-%H%M%S}", "--out")
    classifier = classifier_arg(args.model, taxonomy=taxonomy, device=args.device)
    if args.catalog:
        products, problems = _catalog_products(args, taxonomy)
    else:
        products, problems = _delivery_products(args, taxonomy)
    products = _sample(products, args.limit)
    if not products:
        raise UsageError("no labelled product to evaluate")
    print(
        f"model {classifier.card.get('name', '')} {classifier.version} on {classifier.device_description}",
        file=sys.stderr,
    )
    print(f"evaluating {len(products)} products", file=sys.stderr)
    try:
        with progress_bar("eval") as progress:
            evaluation = evaluate_classifier(
                classifier, products, taxonomy=taxonomy, batch_size=args.batch_size, progress=progress
            )
    except ValueError as exc:
        print(f"icaam eval: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    problems += [f"{pid}: no decodable photo (not scored)" for pid in evaluation.rejected]
    rejected = evaluation.rejected
    result = evaluation.metrics
    result["model"] = {
        "folder": str(classifier.folder),
        "name": classifier.card.get("name", ""),
        "version": classifier.version,
        "temperature": classifier.temperature,
        "thresholds": classifier.thresholds,
    }
    result["data"] = {
        "source": str(args.catalog or args.delivery),
        "split": args.split if args.catalog else "delivery",
        "limit": args.limit,
        "n_products": len(products),
        "n_rejected": len(rejected),
        "problems": problems[:200],
    }
    write_report(result, out, title=f"{classifier.card.get('name', 'model')} {classifier.version}".strip())
    if problems:
        print(f"{len(problems)} problem(s), e.g.: {problems[0]}", file=sys.stderr)
    _print_summary(result, out)
    return EXIT_OK
