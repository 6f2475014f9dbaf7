"""`icaam audit CATALOG_DIR --taxonomy DIR [--out DIR]`: list catalogue products whose label contradicts their photo.

The suspects go to ``label_audit.csv`` (with the suggested leaf), ``label_audit_pairs.csv`` (which labels
disagree with which) and a contact sheet ``label_audit.png``, for an analyst to check before training.
The method is in ``core/training/audit.py``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from icaam_desktop.cli.paths_arg import existing_dir, output_dir, taxonomy_arg


def register(subparsers: argparse._SubParsersAction) -> None:
    from icaam_desktop.core.training.audit import DEFAULT_FOLDS, MAX_GIVEN, MIN_SUGGESTED

    p = subparsers.add_parser(
        "audit",
        help="find catalogue products whose label contradicts their photo",
        description="Cross-validate a linear probe on ImageNet features of the catalogue's photos and list the "
        "products whose own label the probe finds unlikely while it is confident of another leaf "
        "(label_audit.csv, label_audit_pairs.csv, label_audit.png in --out). A list to review, not a relabelling.",
    )
    p.add_argument("catalog", metavar="CATALOG_DIR", help="catalogue folder: products.csv (sku;categories) + images")
    p.add_argument("--taxonomy", required=True, metavar="DIR", help="taxonomy folder (PIM CSV export)")
    p.add_argument("--out", metavar="DIR", help="folder for the audit files (default: ./icaam-audit-<time>)")
    p.add_argument("--backbone", default=None, help="timm name or local weights file (default: lite0, ImageNet)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--folds", type=int, default=DEFAULT_FOLDS, help=f"cross-validation folds (default {DEFAULT_FOLDS})")
    p.add_argument(
        "--max-given",
        type=float,
        default=MAX_GIVEN,
        help=f"flag when the label's probability is below this (default {MAX_GIVEN})",
    )
    p.add_argument(
        "--min-suggested",
        type=float,
        default=MIN_SUGGESTED,
        help=f"... and another leaf's reaches this (default {MIN_SUGGESTED})",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from icaam_desktop.cli.progress import progress_bar
    from icaam_desktop.core.classify.backbone import WeightsError
    from icaam_desktop.core.training.audit import audit_labels, write_audit
    from icaam_desktop.core.training.evaluation import catalogue_products

    taxonomy = taxonomy_arg(args.taxonomy)
    out = output_dir(args.out or f"icaam-audit-{datetime.now():%Y%m%d-%H%M%S}", "--out")
    if args.folds < 2:
        raise UsageError("--folds must be at least 2")
    if not (0.0 < args.max_given < args.min_suggested <= 1.0):
        raise UsageError("need 0 < --max-given < --min-suggested <= 1")
    try:
        products, problems = catalogue_products(existing_dir(args.catalog, "catalogue folder"), taxonomy=taxonomy)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    print(f"auditing the labels of {len(products)} products", file=sys.stderr)
    try:
        with progress_bar("audit") as progress:
            audit = audit_labels(
                products,
                taxonomy=taxonomy,
                backbone=args.backbone,
                device=args.device,
                folds=args.folds,
                max_given=args.max_given,
                min_suggested=args.min_suggested,
                progress=progress,
            )
    except WeightsError as exc:
        raise UsageError(str(exc)) from exc
    except ValueError as exc:
        print(f"icaam audit: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    files = write_audit(audit, out, taxonomy=taxonomy)
    skipped = list(problems) + audit.skipped
    if skipped:
        print(f"{len(skipped)} product(s) not audited, e.g.: {skipped[0]}", file=sys.stderr)
    share = len(audit.suspects) / max(audit.n_products, 1)
    print(
        f"{len(audit.suspects)} of {audit.n_products} products ({share:.1%}) have a label the photo contradicts "
        f"(out-of-fold probe agreement with the labels: {audit.oof_accuracy:.3f})"
    )
    for given, suggested, n in audit.pairs()[:10]:
        print(f"  {n:4d}  {given} -> {suggested}")
    print(f"written: {files['suspects']}, {files['pairs']}, {files['sheet']}")
    return EXIT_OK
