"""What was detected in a delivery and everything wrong with it, as text lines: the one report that
``icaam delivery inspect`` prints and the window's Delivery report shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from icaam_desktop.core.delivery.folder import rel_path
from icaam_desktop.core.delivery.model import SHEET_NOTE, Delivery, ImageFile


@dataclass
class DeliveryReport:
    summary: list[tuple[str, str]]  # (what, detected), e.g. ("encoding", "cp1252")
    sections: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, lines), non-empty only
    problems: int = 0  # rejected/missing images, orphans, products without images, row problems

    def text(self) -> str:
        lines = [f"{what}: {value}" for what, value in self.summary]
        for title, items in self.sections:
            lines.append(f"{title} ({len(items)}):")
            lines.extend(f"  {item}" for item in items)
        lines.append(f"result: {'clean' if not self.problems else f'{self.problems} problem(s) found'}")
        return "\n".join(lines)


NOTES = "accepted images with notes"
SHEET_NOTES = "notes on the sheet"
INFORMATION = (NOTES, SHEET_NOTES)  # listed, not counted as problems


def count_problems(delivery: Delivery) -> int:
    """Every line of the report's problem sections: sheet warnings, row problems, rejected or missing
    images, orphan images, products without images (and a sheet without product rows)."""
    return delivery_report(delivery).problems


def delivery_report(delivery: Delivery) -> DeliveryReport:
    sheet = delivery.sheet
    images = delivery.images
    rejected = delivery.rejected_images
    owners: dict[int, list[str]] = {}
    for product in delivery.products:
        for im in product.images:
            owners.setdefault(id(im), []).append(product.product_id)

    def image_line(im: ImageFile, text: str) -> str:
        who = owners.get(id(im))
        owner = f"product {', '.join(who)}" if who else "no product"
        return f"{im.rel} ({owner}): {text}"

    summary = [
        ("delivery", f"{delivery.name} ({delivery.root})"),
        ("sheet", f"{rel_path(sheet.path, delivery.root)} ({sheet.selection})"),
        ("encoding", sheet.encoding),
        ("delimiter", sheet.delimiter_name),
        ("id column", f"{delivery.id_column} ({delivery.id_column_reason})"),
        ("image column", f"{delivery.image_column or 'none'} ({delivery.image_column_reason})"),
        *([("more image columns", ", ".join(delivery.extra_image_columns))] if delivery.extra_image_columns else []),
        *(
            [("photos named by", f"{delivery.image_key_column} ({delivery.image_key_reason})")]
            if delivery.image_key_column
            else []
        ),
        ("columns", str(len(sheet.columns))),
        ("products", str(len(delivery.products))),
        ("images", f"{len(images)} ({len(images) - len(rejected)} ok, {len(rejected)} rejected or missing)"),
        ("products with several images", str(len(delivery.products_with_several_images))),
        ("products without images", str(len(delivery.products_without_images))),
        ("orphan images", str(len(delivery.orphan_images))),
    ]
    warnings = [w for w in sheet.warnings if not w.startswith(SHEET_NOTE)]
    sections = [
        (SHEET_NOTES, [w.removeprefix(SHEET_NOTE) for w in sheet.warnings if w.startswith(SHEET_NOTE)]),
        ("warnings", warnings),
        ("row problems", list(delivery.problems)),
        ("rejected images", [image_line(im, f"{im.verdict}: {im.reason}") for im in rejected]),
        (NOTES, [image_line(im, "; ".join(im.notes)) for im in images if im.ok and im.notes]),
        (
            "orphan images (no product)",
            [f"{im.rel}: no product row names it or has its file name as id" for im in delivery.orphan_images],
        ),
        (
            "products without images",
            [
                f"{p.product_id} (line {p.row_number}): no image named in the sheet or found by file name"
                for p in delivery.products_without_images
            ],
        ),
    ]
    if not delivery.products and not warnings:
        sections.insert(0, ("no products", ["the sheet has no product rows: nothing to review"]))
    listed = [(t, lines) for t, lines in sections if lines]
    # The count is what the report lists (notes on usable photos are information, not problems).
    problems = sum(len(lines) for title, lines in listed if title not in INFORMATION)
    return DeliveryReport(summary, listed, problems)
