"""`icaam delivery inspect DIR`: what was detected in a supplier delivery, and every file that is wrong."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from icaam_desktop.cli.paths_arg import existing_dir
from icaam_desktop.cli.progress import progress_bar
from icaam_desktop.core.delivery import Delivery, DeliveryError, ImageFile, SheetChoiceError, open_delivery


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser("delivery", help="work with a supplier delivery (a sheet plus photos)")
    sub = group.add_subparsers(dest="delivery_command", metavar="ACTION", required=True)
    inspect = sub.add_parser(
        "inspect",
        help="detect the sheet, encoding, delimiter and columns, join the images and check every file",
        description="Open a supplier delivery folder and report what was detected, then every rejected, "
        "missing or orphan image and every product without images. Exit 0 when all is clean, 1 when "
        "problems were found, 2 for bad usage.",
    )
    inspect.add_argument(
        "folder", metavar="DIR", help="the delivery folder (product sheet as CSV/TSV or .xlsx, plus images, any layout)"
    )
    inspect.add_argument("--sheet", metavar="PATH", help="the product sheet, when the folder holds several")
    inspect.add_argument("--id-column", metavar="NAME", help="the sheet column with the product id")
    inspect.add_argument("--image-column", metavar="NAME", help="the sheet column naming the image files")
    inspect.set_defaults(handler=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    folder = existing_dir(args.folder, "delivery folder")
    try:
        with progress_bar("checking images") as progress:
            delivery = open_delivery(
                folder,
                sheet=args.sheet,
                id_column=args.id_column,
                image_column=args.image_column,
                progress=progress,
            )
    except SheetChoiceError as exc:
        raise UsageError(str(exc)) from None
    except DeliveryError as exc:
        print(f"icaam: cannot open the delivery: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print_report(delivery)
    return EXIT_PROBLEMS if count_problems(delivery) else EXIT_OK


def count_problems(delivery: Delivery) -> int:
    """Rejected or missing images, orphan images, products without images and row problems."""
    return (
        len(delivery.rejected_images)
        + len([im for im in delivery.orphan_images if im.ok])
        + len(delivery.products_without_images)
        + len(delivery.problems)
    )


def _owners(delivery: Delivery) -> dict[int, list[str]]:
    owners: dict[int, list[str]] = {}
    for product in delivery.products:
        for im in product.images:
            owners.setdefault(id(im), []).append(product.product_id)
    return owners


def _image_line(im: ImageFile, owners: dict[int, list[str]], text: str) -> str:
    who = owners.get(id(im))
    product = f" (product {', '.join(who)})" if who else " (no product)"
    return f"  {im.rel}{product}: {text}"


def print_report(delivery: Delivery) -> None:
    sheet = delivery.sheet
    images = delivery.images
    rejected = delivery.rejected_images
    noted = [im for im in images if im.ok and im.notes]
    owners = _owners(delivery)
    print(f"delivery: {delivery.name} ({delivery.root})")
    print(f"sheet: {_rel(sheet.path, delivery.root)} ({sheet.selection})")
    print(f"encoding: {sheet.encoding}")
    print(f"delimiter: {sheet.delimiter_name}")
    print(f"id column: {delivery.id_column} ({delivery.id_column_reason})")
    image_column = delivery.image_column or "none"
    print(f"image column: {image_column} ({delivery.image_column_reason})")
    print(f"columns: {len(sheet.columns)}")
    print(f"products: {len(delivery.products)}")
    print(f"images: {len(images)} ({len(images) - len(rejected)} ok, {len(rejected)} rejected or missing)")
    print(f"products with several images: {len(delivery.products_with_several_images)}")
    print(f"products without images: {len(delivery.products_without_images)}")
    print(f"orphan images: {len(delivery.orphan_images)}")

    _section("warnings", sheet.warnings)
    _section("row problems", delivery.problems)
    _section(
        "rejected images", [_image_line(im, owners, f"{im.verdict}: {im.reason}") for im in rejected], indent=False
    )
    _section(
        "accepted images with notes",
        [_image_line(im, owners, "; ".join(im.notes)) for im in noted],
        indent=False,
    )
    _section(
        "orphan images (no product)",
        [f"  {im.rel}: no product row names it or has its file name as id" for im in delivery.orphan_images],
        indent=False,
    )
    _section(
        "products without images",
        [
            f"  {p.product_id} (line {p.row_number}): no image named in the sheet or found by file name"
            for p in delivery.products_without_images
        ],
        indent=False,
    )
    problems = count_problems(delivery)
    print(f"result: {'clean' if not problems else f'{problems} problem(s) found'}")


def _section(title: str, lines: list[str], *, indent: bool = True) -> None:
    if not lines:
        return
    print(f"{title} ({len(lines)}):")
    for line in lines:
        print(f"  {line}" if indent else line)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
