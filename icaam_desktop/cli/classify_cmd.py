"""`icaam classify DELIVERY_DIR --taxonomy DIR`: predict the retailer category of every product.

Writes one CSV row per product: product_id, status, category_code, leaf_code, then
level_i_code / level_i_confidence for every level of the tree, then n_images and reasons.
With ``--db`` the predictions are saved in the workspace in chunks, so Ctrl-C leaves it
consistent and a rerun skips the products already done by the same model.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from icaam_desktop.cli.paths_arg import (
    atomic_text,
    classifier_arg,
    existing_dir,
    output_file,
    taxonomy_arg,
    workspace_arg,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "classify",
        help="classify a supplier delivery's products into the retailer's categories from their photos",
        description="Classify every product of DELIVERY_DIR from its photos; write a CSV with one row per product.",
    )
    p.add_argument("delivery", metavar="DELIVERY_DIR", help="supplier delivery folder (sheet + images)")
    p.add_argument("--taxonomy", required=True, metavar="DIR", help="taxonomy folder (PIM CSV export)")
    p.add_argument("--model", default=None, metavar="PATH", help="model folder (default: the shipped models/default)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument(
        "--compile",
        default="auto",
        choices=["auto", "on", "off"],
        help="torch.compile the model (auto: on the CPU for 2,000+ photos when a C++ compiler is installed; "
        "the first compile takes 30-60 s, then it runs about 1.5x as fast)",
    )
    p.add_argument("--out", default="predictions.csv", metavar="CSV", help="output CSV (default predictions.csv)")
    p.add_argument("--db", default=None, metavar="FILE", help="also store predictions in this workspace file")
    p.add_argument("--sheet", metavar="PATH", help="the product sheet, when the folder holds several")
    p.add_argument("--id-column", metavar="NAME", help="the sheet column with the product id (default: detected)")
    p.add_argument("--image-column", metavar="NAME", help="the sheet column naming the image files (default: detected)")
    p.set_defaults(handler=run)


def csv_header(depth: int) -> list[str]:
    cols = ["product_id", "status", "category_code", "leaf_code"]
    for d in range(1, depth + 1):
        cols += [f"level_{d}_code", f"level_{d}_confidence"]
    return cols + ["n_images", "reasons"]


def csv_row(pred, depth: int) -> list[str]:
    row = [pred.product_id, pred.status, pred.category_code or "", pred.leaf_code or ""]
    by_depth = {lv.depth: lv for lv in pred.levels}
    for d in range(1, depth + 1):
        lv = by_depth.get(d)
        row += [lv.code, f"{lv.confidence:.4f}"] if lv else ["", ""]
    return row + [str(pred.n_images), " | ".join(pred.reasons)]


def write_predictions_csv(path: Path, predictions: list, depth: int) -> None:
    """UTF-8 CSV with a header; written to a temporary file first so a crash never leaves half a file."""
    with atomic_text(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(csv_header(depth))
        for pred in predictions:
            writer.writerow(csv_row(pred, depth))


def run(args: argparse.Namespace) -> int:

    folder = existing_dir(args.delivery, "delivery folder")
    taxonomy = taxonomy_arg(args.taxonomy)
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    out = output_file(args.out, "--out")
    workspace = workspace_arg(args.db) if args.db else None
    try:
        return _classify(args, folder, taxonomy, out, workspace)
    except KeyboardInterrupt:
        if workspace is not None:
            print(
                "icaam: interrupted; every finished chunk is saved in the workspace, a rerun skips it", file=sys.stderr
            )
            return 130
        raise
    finally:
        if workspace is not None:
            workspace.close()


def _classify(args, folder: Path, taxonomy, out: Path, workspace) -> int:
    from icaam_desktop.cli.progress import progress_bar
    from icaam_desktop.core.classify.prediction import STATUS_AUTO, STATUS_REJECTED, STATUS_REVIEW
    from icaam_desktop.core.classify.run import classify_delivery
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.delivery.model import DeliveryError, SheetChoiceError
    from icaam_desktop.core.store.taxonomy_rows import META_ACTIVE_TAXONOMY

    classifier = classifier_arg(args.model, taxonomy=taxonomy, device=args.device)
    classifier.options.compile = {"auto": None, "on": True, "off": False}[args.compile]
    print(
        f"model {classifier.card.get('name', '?')} {classifier.version} on {classifier.device_description}",
        file=sys.stderr,
    )
    try:
        with progress_bar("opening delivery") as progress:
            delivery = open_delivery(
                folder, sheet=args.sheet, id_column=args.id_column, image_column=args.image_column, progress=progress
            )
    except (SheetChoiceError, DeliveryError) as exc:
        raise UsageError(str(exc)) from exc
    if not delivery.products:
        why = "; ".join(delivery.sheet.warnings) or "its sheet has no product rows"
        print(f"icaam: nothing to classify in {folder}: {why}", file=sys.stderr)
        return EXIT_PROBLEMS
    if workspace is not None and workspace.get_meta(META_ACTIVE_TAXONOMY) != taxonomy.fingerprint:
        workspace.import_taxonomy(taxonomy)  # the workspace then stands alone (review, map, retrain, export)
    with progress_bar("classify", enabled=None) as progress:
        preds = classify_delivery(
            delivery,
            classifier=classifier,
            taxonomy=taxonomy,
            workspace=workspace,
            batch_size=args.batch_size,
            progress=progress,
        )
    write_predictions_csv(out, preds, taxonomy.max_depth)
    counts = {s: sum(p.status == s for p in preds) for s in (STATUS_AUTO, STATUS_REVIEW, STATUS_REJECTED)}
    print(
        f"{len(preds)} products: {counts[STATUS_AUTO]} auto, {counts[STATUS_REVIEW]} to review, "
        f"{counts[STATUS_REJECTED]} rejected; written to {out}"
    )
    for p in preds:
        if p.status == STATUS_REJECTED:
            print(f"  rejected {p.product_id}: {'; '.join(p.reasons)}", file=sys.stderr)
    return EXIT_PROBLEMS if counts[STATUS_REJECTED] else EXIT_OK
