"""`icaam delivery inspect DIR`: what was detected in a supplier delivery, and every file that is wrong."""

from __future__ import annotations

import argparse
import sys

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from icaam_desktop.cli.paths_arg import existing_dir
from icaam_desktop.cli.progress import progress_bar
from icaam_desktop.core.delivery import Delivery, DeliveryError, SheetChoiceError, open_delivery
from icaam_desktop.core.delivery.report import count_problems, delivery_report


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
        "folder",
        metavar="DIR",
        help="the delivery folder (product sheet as CSV/TSV, .xlsx or .ods, plus images, any layout)",
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


def print_report(delivery: Delivery) -> None:
    print(delivery_report(delivery).text())
