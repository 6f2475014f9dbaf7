"""`icaam export --db FILE --delivery NAME --out FILE.csv [--labels] [--include-unaccepted]`."""

from __future__ import annotations

import argparse
import sys

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from icaam_desktop.cli.paths_arg import existing_dir, output_file, workspace_arg
from icaam_desktop.cli.progress import progress_bar


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser(
        "export",
        help="write a delivery's products as a PIM (Akeneo) product CSV",
        description="Write the products of a delivery from a workspace in the retailer's schema: "
        "';'-separated UTF-8 with sku, the categories leaf code and the category's attributes as option codes. "
        "Products without an accepted category are skipped (and counted) unless --include-unaccepted. "
        "Exit 0 when the file was written, 1 when the workspace cannot be exported (no taxonomy: import one or "
        "pass --taxonomy), "
        "2 for bad usage (unknown workspace, delivery or output folder).",
    )
    export.add_argument("--db", metavar="FILE", help="the workspace file (default: the one in the user data folder)")
    export.add_argument("--delivery", metavar="NAME", required=True, help="the delivery's name in the workspace")
    export.add_argument("--out", metavar="FILE.csv", required=True, help="the CSV file to write (replaced atomically)")
    export.add_argument(
        "--taxonomy",
        metavar="DIR",
        help="the retailer's PIM schema export to use (default: the one imported into the workspace)",
    )
    export.add_argument(
        "--labels", action="store_true", help="the human variant: attribute, category and option labels"
    )
    export.add_argument(
        "--include-unaccepted",
        action="store_true",
        help="also write products without an accepted category, with a trailing status column",
    )
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    from icaam_desktop.core.export import ExportError, export_delivery

    out = output_file(args.out, "--out")
    taxonomy = _taxonomy(args.taxonomy)
    workspace = workspace_arg(args.db, create=False)
    with workspace:
        known = workspace.delivery_names()
        if args.delivery not in known:
            listing = ", ".join(known) if known else "none (open a delivery first)"
            raise UsageError(f"no delivery named {args.delivery!r} in {workspace.path}; known deliveries: {listing}")
        try:
            with progress_bar("export") as progress:
                report = export_delivery(
                    workspace,
                    delivery=args.delivery,
                    out=out,
                    labels=args.labels,
                    include_unaccepted=args.include_unaccepted,
                    taxonomy=taxonomy,
                    progress=progress,
                )
        except ExportError as exc:
            print(f"icaam: cannot export: {exc} (or pass --taxonomy DIR)", file=sys.stderr)
            return EXIT_PROBLEMS
    print(f"wrote {report.rows} product(s) with {len(report.columns)} columns to {report.path}")
    if report.skipped:
        print(f"skipped {len(report.skipped)} product(s):")
        for reason, count in report.skipped_by_reason().most_common():
            print(f"  {count} x {reason}")
    return EXIT_OK


def _taxonomy(folder: str | None):
    if folder is None:
        return None
    from icaam_desktop.core.taxonomy import TaxonomyError, load_taxonomy

    try:
        return load_taxonomy(existing_dir(folder, "taxonomy folder"))
    except TaxonomyError as exc:
        raise UsageError(f"the taxonomy in {folder} is invalid:\n{exc}") from None
