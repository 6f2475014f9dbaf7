"""`icaam map DELIVERY_DIR --taxonomy DIR --out OUTDIR`: supplier columns and values onto retailer attributes."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from icaam_desktop.cli.paths_arg import (
    existing_dir,
    output_dir,
    table_arg,
    taxonomy_arg,
    workspace_arg,
    write_files_atomically,
)
from icaam_desktop.cli.progress import progress_bar


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "map",
        help="map a delivery's columns and values onto the retailer's attributes",
        description="Match every supplier column to retailer attributes (name, meaning, values, supplier memory), "
        "map each distinct value to an option code, and fill each product's category attributes. Writes "
        "OUTDIR/columns.csv, OUTDIR/values.csv and OUTDIR/products.csv (semicolon-separated UTF-8). "
        "Exit 0 when everything mapped, 1 when values or cells could not be mapped, 2 for bad usage.",
    )
    parser.add_argument("folder", metavar="DELIVERY_DIR", help="the supplier delivery folder")
    parser.add_argument("--taxonomy", metavar="DIR", required=True, help="the retailer's PIM export folder")
    parser.add_argument(
        "--predictions",
        metavar="FILE",
        help="the classifier's predictions.csv (product_id;...;leaf_code or category_code): narrows the candidates",
    )
    parser.add_argument(
        "--out", metavar="OUTDIR", required=True, help="folder for columns.csv, values.csv, products.csv"
    )
    parser.add_argument("--db", metavar="FILE", help="workspace file: use and update this supplier's mapping memory")
    parser.add_argument("--supplier", metavar="NAME", help="the supplier whose memory applies (default: from --db)")
    parser.add_argument(
        "--embedding-model",
        metavar="PATH",
        help="a local sentence-transformers model folder (default: the settings' one, else the bundled all-MiniLM-L6-v2)",
    )
    parser.add_argument("--no-embeddings", action="store_true", help="match on spelling and values only")
    parser.add_argument("--sheet", metavar="PATH", help="the product sheet, when the folder holds several")
    parser.add_argument("--id-column", metavar="NAME", help="the sheet column with the product id")
    parser.add_argument("--image-column", metavar="NAME", help="the sheet column naming the image files")
    parser.set_defaults(handler=run_map)


def read_predictions(value: str, leaves: set[str]) -> dict[str, str]:
    """product id -> leaf code from a predictions CSV (``leaf_code``, else a ``category_code`` that is a leaf)."""
    columns, rows = table_arg(value, "predictions file")
    if "product_id" not in columns or not set(columns) & {"leaf_code", "category_code"}:
        raise UsageError(f"predictions file {value!r}: expected columns product_id and leaf_code or category_code")
    out: dict[str, str] = {}
    for row in rows:
        leaf = (row.get("leaf_code") or "").strip()
        category = (row.get("category_code") or "").strip()
        code = leaf if leaf in leaves else category if category in leaves else ""
        if row.get("product_id") and code:
            out[row["product_id"].strip()] = code
    return out


def run_map(args: argparse.Namespace) -> int:
    from icaam_desktop.core.delivery import DeliveryError, SheetChoiceError, open_delivery
    from icaam_desktop.core.mapping.embeddings import EmbeddingModelError, SentenceEmbedder
    from icaam_desktop.core.mapping.mapper import map_delivery

    folder = existing_dir(args.folder, "delivery folder")
    taxonomy = taxonomy_arg(args.taxonomy)  # an invalid schema is bad usage, as for every command
    out_dir = output_dir(args.out, "--out")
    categories = None
    if args.predictions:
        leaves = {leaf.code for leaf in taxonomy.leaves()}
        categories = read_predictions(args.predictions, leaves)
    embedder = None
    if args.embedding_model and not args.no_embeddings:
        try:
            embedder = SentenceEmbedder(existing_dir(args.embedding_model, "embedding model folder"))
        except EmbeddingModelError as exc:
            raise UsageError(str(exc)) from None
    elif not args.no_embeddings:
        from icaam_desktop.core.settings import load_settings

        configured = load_settings().embedding_model  # the GUI's setting; empty = the bundled MiniLM
        if configured:
            try:
                embedder = SentenceEmbedder(configured)
            except EmbeddingModelError as exc:
                print(
                    f"icaam: the configured embedding model is unusable ({exc}); using the bundled one", file=sys.stderr
                )
    try:
        with progress_bar("reading the delivery") as progress:
            delivery = open_delivery(
                folder, sheet=args.sheet, id_column=args.id_column, image_column=args.image_column, progress=progress
            )
    except SheetChoiceError as exc:
        raise UsageError(str(exc)) from None
    except DeliveryError as exc:
        print(f"icaam: cannot open the delivery: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS

    if categories is not None:
        known = categories.keys() & {p.product_id for p in delivery.products}
        if not known:
            print(
                f"icaam: warning: no product id of {args.predictions} is in this delivery; "
                "mapping without the predicted categories",
                file=sys.stderr,
            )
    workspace = workspace_arg(args.db) if args.db else None
    try:
        memory = None
        if workspace is not None:
            workspace.upsert_delivery(delivery, supplier=args.supplier)
            memory = workspace.supplier_memory(workspace.supplier_of(delivery.name))
        with progress_bar("mapping") as progress:
            result = map_delivery(
                delivery,
                taxonomy,
                categories=categories,
                memory=memory,
                embedder=embedder,
                use_embeddings=not args.no_embeddings,
                progress=progress,
            )
        out_dir.mkdir(parents=True, exist_ok=True)
        write_files_atomically(
            {
                out_dir / "columns.csv": lambda handle: write_columns(handle, result.columns),
                out_dir / "values.csv": lambda handle: write_values(handle, result.values),
                out_dir / "products.csv": lambda handle: write_products(handle, result, taxonomy),
            }
        )
        if workspace is not None:
            # The workspace needs the schema the values were mapped to, so `icaam export` works on it alone.
            workspace.import_taxonomy(taxonomy)
            workspace.save_column_matches(delivery.name, result.columns)
            workspace.save_value_matches(delivery.name, result.values)
            workspace.save_product_values(delivery.name, {pid: p.values for pid, p in result.products.items()})
    finally:
        if workspace is not None:
            workspace.close()
    return _summary(result, out_dir)


def _writer(handle):
    return csv.writer(handle, delimiter=";", lineterminator="\n")


def write_columns(handle, columns) -> None:
    """``supplier_column;retailer_attribute;confidence;reasons`` (+ source, alternatives), truth-file layout first."""
    writer = _writer(handle)
    writer.writerow(["supplier_column", "retailer_attribute", "confidence", "reasons", "source", "alternatives"])
    for m in columns:
        alternatives = ", ".join(f"{a} {c:.2f}" for a, c in m.alternatives)
        writer.writerow(
            [
                m.supplier_column,
                m.attribute or "",
                f"{m.confidence:.3f}",
                " | ".join(m.reasons),
                m.source,
                alternatives,
            ]
        )


def write_values(handle, values) -> None:
    """``retailer_attribute;supplier_value;option_code;confidence`` (+ reasons, source)."""
    writer = _writer(handle)
    writer.writerow(["retailer_attribute", "supplier_value", "option_code", "confidence", "reasons", "source"])
    for v in values:
        writer.writerow(
            [
                v.attribute,
                v.supplier_value,
                v.option_code or "",
                f"{v.confidence:.3f}",
                " | ".join(v.reasons),
                v.source,
            ]
        )


def write_products(handle, result, taxonomy) -> None:
    """One row per product: id, category, every mapped attribute (taxonomy order), missing required, problems."""
    present = {a for p in result.products.values() for a in p.values}
    attributes = [code for code in taxonomy.attributes if code in present]
    writer = _writer(handle)
    writer.writerow(["product_id", "category", *attributes, "missing_required", "problems"])
    for pid, p in result.products.items():
        cells = [p.values.get(a, "") for a in attributes]
        writer.writerow([pid, p.category or "", *cells, ",".join(p.missing_required), " | ".join(p.problems)])


def _summary(result, out_dir: Path) -> int:
    matched = [m for m in result.columns if m.attribute]
    unmapped = [v for v in result.values if v.option_code is None and not v.fits_other_attribute]
    mapped = sum(1 for v in result.values if v.option_code)
    with_problems = [
        p for p in result.products.values() if any("not an option" in x or "not a" in x for x in p.problems)
    ]
    missing = [p for p in result.products.values() if p.missing_required]
    columns = len({m.supplier_column for m in result.columns})
    print(f"columns: {len({m.supplier_column for m in matched})}/{columns} matched ({len(matched)} attribute links)")
    for m in result.columns:
        target = m.attribute or "(no counterpart)"
        print(f"  {m.supplier_column} -> {target}  {m.confidence:.2f}  {'; '.join(m.reasons[:2])}")
    print(f"values: {mapped} mapped to options, {len(unmapped)} unmapped", end="")
    others = len(result.values) - mapped - len(unmapped)
    print(f", {others} belong to the other attribute of a two-attribute column" if others else "")
    for v in unmapped[:20]:
        print(f"  unmapped {v.attribute}: {v.supplier_value!r} ({'; '.join(v.reasons)})")
    if len(unmapped) > 20:
        print(f"  ... and {len(unmapped) - 20} more in values.csv")
    print(f"products: {len(result.products)}, {len(missing)} with required attributes missing")
    for note in result.problems:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {out_dir / 'columns.csv'}, {out_dir / 'values.csv'}, {out_dir / 'products.csv'}")
    return EXIT_PROBLEMS if unmapped or with_problems else EXIT_OK
