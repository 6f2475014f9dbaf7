"""`icaam map DELIVERY_DIR --taxonomy DIR --out OUTDIR`: supplier columns and values onto retailer attributes."""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
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
        "Placeholder cells (n/a, -, k.A., s/d, ...) are read as empty. Exit 0 when the mapping found no problem; "
        "1 when it did: values or cells that could not be mapped, or most of the sheet's columns with values "
        "matched to no attribute; 2 for bad usage. Required attributes that no column gives (often the age group "
        "or the year) are listed as a note, not a problem: the analyst fills them (the window's Fill a missing "
        "attribute).",
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
    return _read_predictions(value, leaves)[0]


def _read_predictions(value: str, leaves: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(product id -> leaf code, product id -> status) of every row, the rows without a leaf included."""
    columns, rows = table_arg(value, "predictions file")
    if "product_id" not in columns or not set(columns) & {"leaf_code", "category_code"}:
        raise UsageError(f"predictions file {value!r}: expected columns product_id and leaf_code or category_code")
    out: dict[str, str] = {}
    listed: dict[str, str] = {}
    for row in rows:
        pid = (row.get("product_id") or "").strip()
        leaf = (row.get("leaf_code") or "").strip()
        category = (row.get("category_code") or "").strip()
        code = leaf if leaf in leaves else category if category in leaves else ""
        if pid:
            listed[pid] = (row.get("status") or "").strip() or "no leaf"
        if pid and code:
            out[pid] = code
    return out, listed


def _predictions_warning(name: str, categories: dict[str, str], listed: dict[str, str], ids: set[str]) -> str | None:
    """What to tell when none of the delivery's products gets a category from the predictions file, else None."""
    if categories.keys() & ids:
        return None
    mine = {pid: status for pid, status in listed.items() if pid in ids}
    if not mine:
        return f"no product id of {name} is in this delivery; mapping without the predicted categories"
    statuses = ", ".join(f"{n} {status}" for status, n in Counter(mine.values()).most_common())
    return (
        f"{name} lists {len(mine)} of this delivery's {len(ids)} products but gives none of them a leaf category "
        f"({statuses}); mapping without categories, so required attributes are unknown"
    )


def run_map(args: argparse.Namespace) -> int:
    from icaam_desktop.core.delivery import DeliveryError, SheetChoiceError, open_delivery
    from icaam_desktop.core.mapping.embeddings import EmbeddingModelError, SentenceEmbedder
    from icaam_desktop.core.mapping.mapper import map_delivery

    folder = existing_dir(args.folder, "delivery folder")
    taxonomy = taxonomy_arg(args.taxonomy)  # an invalid schema is bad usage, as for every command
    out_dir = output_dir(args.out, "--out")
    categories = None
    listed: dict[str, str] = {}
    if args.predictions:
        leaves = {leaf.code for leaf in taxonomy.leaves()}
        categories, listed = _read_predictions(args.predictions, leaves)
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
        warning = _predictions_warning(args.predictions, categories, listed, {p.product_id for p in delivery.products})
        if warning:
            print(f"icaam: warning: {warning}", file=sys.stderr)
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


# "Most columns found nothing": more than this share of the columns with values (not the id, image or empty ones).
UNMATCHED_SHARE = 0.5
# A product problem about a cell whose value is no option: the value is already counted among the unmapped ones.
OPTION_PROBLEM = "is not an option"
# The other problems about a cell's value (not conversion notes nor a missing category), by what happened.
CELL_PROBLEMS = (
    ("is not a number", "cells that could not be read as numbers"),
    ("has text besides a number", "cells that could not be read as numbers"),
    ("is not a year", "cells that could not be read as years"),
    ("not converted", "prices that were not converted (a currency not known, or mixed in the column)"),
)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def mapping_problems(result) -> list[str]:
    """Why a mapping is not clean, one line each ([] = clean): what decides the exit code of `icaam map`.

    Each thing is said once, as what happened: a value that maps to no option is counted with the values (and
    the products it leaves without that attribute said with it), not again as cells that could not be read.
    """
    out = []
    unmapped = [v for v in result.values if v.option_code is None and not v.fits_other_attribute]
    products = list(result.products.values())
    with_option_problem = sum(1 for p in products if any(OPTION_PROBLEM in x for x in p.problems))
    if unmapped:
        line = f"{_count(len(unmapped), 'value maps', 'values map')} to no option"
        if with_option_problem:
            line += f" ({_count(with_option_problem, 'product', 'products')} with such a cell)"
        out.append(line)
    elif with_option_problem:
        out.append(f"{_count(with_option_problem, 'product has', 'products have')} a value that is no option")
    kinds: Counter = Counter()
    for p in products:
        kinds.update({label for x in p.problems for needle, label in CELL_PROBLEMS if needle in x})
    for label, n in kinds.items():
        out.append(f"{_count(n, 'product has', 'products have')} {label}")
    content = {m.supplier_column for m in result.columns} - result.quiet_columns
    matched = {m.supplier_column for m in result.columns if m.attribute}
    unmatched = content - matched
    if content and len(unmatched) > UNMATCHED_SHARE * len(content):
        out.append(f"{len(unmatched)} of {len(content)} columns with values matched no attribute")
    return out


def missing_note(result) -> str | None:
    """The required attributes products miss most, when every product with a category misses one."""
    with_category = [p for p in result.products.values() if p.category]
    if not with_category or not all(p.missing_required for p in with_category):
        return None
    common = Counter(a for p in with_category for a in p.missing_required).most_common(4)
    most = ", ".join(f"{a} {n}" for a, n in common)
    return f"every product with a category ({len(with_category)}) misses required attributes (most: {most})"


def _summary(result, out_dir: Path) -> int:
    matched = [m for m in result.columns if m.attribute]
    unmapped = [v for v in result.values if v.option_code is None and not v.fits_other_attribute]
    mapped = sum(1 for v in result.values if v.option_code)
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
    note = missing_note(result)
    if note:
        print(f"note: {note}")
    problems = mapping_problems(result)
    for problem in problems:
        print(f"problem: {problem}")
    return EXIT_PROBLEMS if problems else EXIT_OK
