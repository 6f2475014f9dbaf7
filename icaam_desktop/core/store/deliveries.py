"""Deliveries, products and images in the workspace: idempotent import with a recorded diff."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

from icaam_desktop.core.delivery.model import Delivery, ImageFile, Product, SheetInfo
from icaam_desktop.core.store.base import WorkspaceBase, from_json, now_utc, parse_time, to_json
from icaam_desktop.core.store.records import (
    SOURCE_ANALYST,
    SOURCE_MODEL,
    STATUS_ACCEPTED,
    STATUS_AUTO,
    STATUS_REJECTED,
    STATUS_UNCLASSIFIED,
    DeliveryImport,
    DeliveryInfo,
    ProductRecord,
)

# The current category decision per product: the newest one not undone.
CURRENT_CATEGORY_SQL = """
SELECT product_id, value, source, score, model_version FROM decisions
WHERE id IN (
    SELECT MAX(id) FROM decisions
    WHERE delivery_id = :d AND field = 'category' AND undone_at IS NULL AND product_id IS NOT NULL
    GROUP BY product_id
)
"""

# Image fields stored as columns, in this order (notes as JSON text).
IMAGE_COLUMNS = (
    "rel",
    "verdict",
    "reason",
    "format",
    "width",
    "height",
    "mode",
    "n_frames",
    "notes",
    "joined_by",
    "bytes",
)
_IMAGE_SELECT = ", ".join(IMAGE_COLUMNS)
# Delivery and sheet fields with their own columns; any other dataclass field goes to ``details``.
_DELIVERY_COLUMNS = {"name", "root", "sheet", "id_column", "image_column", "products", "orphan_images", "problems"}
_SHEET_COLUMNS = {"path", "encoding", "delimiter", "columns", "warnings"}

# The images of every product as one JSON array per product (notes nested as JSON, not text).
_IMAGE_JSON = ", ".join("json(notes)" if c == "notes" else c for c in IMAGE_COLUMNS)
# The current category decision is looked up per product through the decisions_current
# index; a join against a grouped subquery made SQLite scan it once per product.
_PRODUCTS_SQL = f"""
WITH imgs AS (
    SELECT product_id, json_group_array(json_array(ord, {_IMAGE_JSON})) AS images
    FROM images WHERE delivery_id = :d AND product_id IS NOT NULL GROUP BY product_id
)
SELECT p.product_id, p.row_number, p.row, imgs.images,
       pr.status, pr.category_code, pr.leaf_code, pr.confidence, pr.model_version,
       cd.value, cd.source, cd.score, cd.model_version
FROM products p
LEFT JOIN imgs ON imgs.product_id = p.product_id
LEFT JOIN predictions pr ON pr.delivery_id = p.delivery_id AND pr.product_id = p.product_id AND pr.current = 1
LEFT JOIN decisions cd ON cd.id = (
    SELECT MAX(id) FROM decisions
    WHERE delivery_id = p.delivery_id AND field = 'category' AND product_id = p.product_id AND undone_at IS NULL
)
WHERE p.delivery_id = :d AND p.removed_at IS NULL
ORDER BY p.row_number, p.product_id
"""
_PRODUCTS_SQL_NO_IMAGES = _PRODUCTS_SQL.replace("imgs.images,", "NULL,").replace(
    "LEFT JOIN imgs ON imgs.product_id = p.product_id", ""
)


def _image_tuple(image: ImageFile) -> list[Any]:
    """An image as stored (and compared on re-import): everything but its absolute path."""
    return [
        image.rel,
        image.verdict,
        image.reason,
        image.format,
        image.width,
        image.height,
        image.mode,
        getattr(image, "n_frames", 1),
        to_json(list(getattr(image, "notes", []))),
        getattr(image, "joined_by", ""),
        image.bytes,
    ]


@cache
def _image_fields() -> frozenset[str]:
    return frozenset(f.name for f in fields(ImageFile))


def _image_from(root: Path, values: list[Any] | tuple[Any, ...]) -> ImageFile:
    data = dict(zip(IMAGE_COLUMNS, values, strict=True))
    notes = data["notes"]
    data["notes"] = from_json(notes, []) if isinstance(notes, str) else notes
    data["reason"] = data["reason"] or ""
    known = _image_fields()
    return ImageFile(path=root / data["rel"], **{k: v for k, v in data.items() if k in known})


def _digest(product: Product, *, legacy: bool = False) -> str:
    """What counts as a change on re-import: the row's cells and the images' identity and verdicts.

    ``legacy``: the digest of workspaces made before image sizes were stored (schema < 3), which
    must still read as unchanged after an upgrade: an upgrade alone never re-classifies a delivery.
    """
    images = [_image_tuple(im)[:-1] if legacy else _image_tuple(im) for im in product.images]
    payload = to_json([sorted(product.row.items()), images])
    return hashlib.sha1(payload.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _details(delivery: Delivery) -> dict[str, dict[str, Any]]:
    """The fields without a column of their own (e.g. why a sheet or column was chosen), kept as JSON."""
    return {
        "delivery": {
            f.name: _jsonable(getattr(delivery, f.name)) for f in fields(delivery) if f.name not in _DELIVERY_COLUMNS
        },
        "sheet": {
            f.name: _jsonable(getattr(delivery.sheet, f.name))
            for f in fields(delivery.sheet)
            if f.name not in _SHEET_COLUMNS
        },
    }


def _restore(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``cls`` from stored details: fields it no longer has are dropped, paths restored."""
    out = {}
    for f in fields(cls):
        if f.name in data:
            value = data[f.name]
            if "Path" in str(f.type):
                value = [Path(v) for v in value] if isinstance(value, list) else Path(value) if value else value
            out[f.name] = value
    return out


class DeliverySection(WorkspaceBase):
    def upsert_delivery(self, delivery: Delivery, *, supplier: str | None = None) -> DeliveryImport:
        """Store ``delivery`` keyed by its name; re-importing is idempotent and records what changed.

        ``supplier`` names whose mapping memory applies (default: kept from an earlier
        import, else the delivery's name). Products missing from the new sheet are
        marked removed, never deleted, so their decisions keep their history. All of it
        is one transaction.
        """
        now = now_utc()
        products: dict[str, Product] = {}
        duplicates: list[str] = []
        for product in delivery.products:
            if product.product_id in products:
                duplicates.append(product.product_id)
            else:
                products[product.product_id] = product
        with self.transaction() as conn:
            found = conn.execute("SELECT id, supplier FROM deliveries WHERE name = ?", (delivery.name,)).fetchone()
            supplier = supplier or (found[1] if found else delivery.name)
            sheet = delivery.sheet
            stored = (
                str(delivery.root),
                supplier,
                str(sheet.path),
                sheet.encoding,
                sheet.delimiter,
                to_json(sheet.columns),
                to_json(sheet.warnings),
                delivery.id_column,
                delivery.image_column,
                to_json(delivery.problems),
                to_json(_details(delivery)),
            )
            if found is None:
                cursor = conn.execute(
                    "INSERT INTO deliveries (root, supplier, sheet_path, encoding, delimiter, columns, sheet_warnings,"
                    " id_column, image_column, problems, details, name, imported_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*stored, delivery.name, now, now),
                )
                delivery_id = int(cursor.lastrowid)
            else:
                delivery_id = int(found[0])
                conn.execute(
                    "UPDATE deliveries SET root = ?, supplier = ?, sheet_path = ?, encoding = ?, delimiter = ?,"
                    " columns = ?, sheet_warnings = ?, id_column = ?, image_column = ?, problems = ?, details = ?,"
                    " updated_at = ?"
                    " WHERE id = ?",
                    (*stored, now, delivery_id),
                )
            result = self._write_products(delivery_id, delivery, products, now)
            self._write_images(delivery_id, delivery, products)
            self._audit(
                "delivery_imported" if found is None else "delivery_reimported",
                delivery=delivery.name,
                root=str(delivery.root),
                sheet=str(sheet.path),
                supplier=supplier,
                added=result.added,
                updated=result.updated,
                removed=result.removed,
                unchanged=len(result.unchanged),
                duplicate_ids_ignored=duplicates,
            )
        self._delivery_ids[delivery.name] = delivery_id  # only once committed
        return result

    def _write_products(
        self, delivery_id: int, delivery: Delivery, products: dict[str, Product], now: str
    ) -> DeliveryImport:
        conn = self.conn
        stored = {
            pid: (digest, row, removed_at)
            for pid, digest, row, removed_at in conn.execute(
                "SELECT product_id, digest, row, removed_at FROM products WHERE delivery_id = ?", (delivery_id,)
            )
        }
        stored_images: dict[str, list[list[Any]]] = {}
        if stored:
            for pid, *values in conn.execute(
                f"SELECT product_id, {_IMAGE_SELECT} FROM images"
                " WHERE delivery_id = ? AND product_id IS NOT NULL ORDER BY product_id, ord",
                (delivery_id,),
            ):
                stored_images.setdefault(pid, []).append(values)
        added, updated, unchanged, rows = [], [], [], []
        for pid, product in products.items():
            digest = _digest(product)
            previous = stored.get(pid)
            if previous is not None and previous[0] != digest and previous[0] == _digest(product, legacy=True):
                digest = previous[0]  # stored by an older version, and the same product: keep its digest
            if previous is None or previous[2] is not None:
                added.append(pid)
            elif previous[0] != digest:
                updated.append(pid)
                self._audit(
                    "product_updated",
                    delivery=delivery.name,
                    product_id=pid,
                    **_diff(from_json(previous[1], {}), stored_images.get(pid, []), product),
                )
            else:
                unchanged.append(pid)
            rows.append((delivery_id, pid, product.row_number, to_json(product.row), digest, now, now))
        conn.executemany(
            "INSERT INTO products (delivery_id, product_id, row_number, row, digest, added_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (delivery_id, product_id) DO UPDATE SET"
            " row_number = excluded.row_number, row = excluded.row,"
            " updated_at = CASE WHEN products.digest != excluded.digest OR products.removed_at IS NOT NULL"
            "   THEN excluded.updated_at ELSE products.updated_at END,"
            " added_at = CASE WHEN products.removed_at IS NOT NULL THEN excluded.added_at ELSE products.added_at END,"
            " digest = excluded.digest, removed_at = NULL",
            rows,
        )
        removed = [pid for pid, (_, _, removed_at) in stored.items() if removed_at is None and pid not in products]
        conn.executemany(
            "UPDATE products SET removed_at = ? WHERE delivery_id = ? AND product_id = ?",
            [(now, delivery_id, pid) for pid in removed],
        )
        return DeliveryImport(
            delivery_id=delivery_id,
            name=delivery.name,
            added=added,
            updated=updated,
            removed=removed,
            unchanged=unchanged,
        )

    def _write_images(self, delivery_id: int, delivery: Delivery, products: dict[str, Product]) -> None:
        conn = self.conn
        conn.execute("DELETE FROM images WHERE delivery_id = ?", (delivery_id,))
        rows = [
            (delivery_id, pid, i, *_image_tuple(image))
            for pid, product in products.items()
            for i, image in enumerate(product.images)
        ]
        rows += [(delivery_id, None, i, *_image_tuple(image)) for i, image in enumerate(delivery.orphan_images)]
        conn.executemany(
            f"INSERT INTO images (delivery_id, product_id, ord, {_IMAGE_SELECT})"
            f" VALUES (?, ?, ?, {', '.join('?' * len(IMAGE_COLUMNS))})",
            rows,
        )

    def deliveries(self) -> list[DeliveryInfo]:
        """Every stored delivery with its counts, by name."""
        sql = f"""
        SELECT d.id, d.name, d.root, d.supplier, d.sheet_path, d.imported_at, d.updated_at,
          (SELECT COUNT(*) FROM products p WHERE p.delivery_id = d.id AND p.removed_at IS NULL),
          (SELECT COUNT(*) FROM images i JOIN products p USING (delivery_id, product_id)
             WHERE i.delivery_id = d.id AND p.removed_at IS NULL),
          (SELECT COUNT(*) FROM images i WHERE i.delivery_id = d.id AND i.verdict != 'ok'),
          (SELECT COUNT(*) FROM images i WHERE i.delivery_id = d.id AND i.product_id IS NULL),
          (SELECT COUNT(*) FROM predictions pr JOIN products p USING (delivery_id, product_id)
             WHERE pr.delivery_id = d.id AND pr.current = 1 AND p.removed_at IS NULL),
          (SELECT COUNT(*) FROM ({CURRENT_CATEGORY_SQL.replace(":d", "d.id")}) c
             WHERE c.source = '{SOURCE_ANALYST}' AND c.value != '')
        FROM deliveries d ORDER BY d.name
        """
        return [
            DeliveryInfo(
                id=r[0],
                name=r[1],
                root=Path(r[2]),
                supplier=r[3],
                sheet=r[4],
                imported_at=parse_time(r[5]),
                updated_at=parse_time(r[6]),
                n_products=r[7],
                n_images=r[8],
                n_rejected_images=r[9],
                n_orphan_images=r[10],
                n_predicted=r[11],
                n_accepted=r[12],
            )
            for r in self.conn.execute(sql)
        ]

    def delivery_info(self, name: str) -> DeliveryInfo:
        delivery_id = self._delivery_id(name)
        return next(info for info in self.deliveries() if info.id == delivery_id)

    def products(self, delivery: str, *, images: bool = True) -> list[ProductRecord]:
        """Every present product of ``delivery`` in sheet order, with images and current status (one query).

        ``images=False`` skips building the image objects (export and counts do not need them).
        """
        delivery_id = self._delivery_id(delivery)
        root = Path(self.conn.execute("SELECT root FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()[0])
        records = []
        sql = _PRODUCTS_SQL if images else _PRODUCTS_SQL_NO_IMAGES
        for r in self.conn.execute(sql, {"d": delivery_id}):
            (pid, row_number, row, images, p_status, p_category, p_leaf, p_conf, p_model, d_value, d_source) = r[:11]
            d_score, d_model = r[11], r[12]
            image_rows = sorted(from_json(images, []), key=lambda values: values[0])
            record = ProductRecord(
                product_id=pid,
                row_number=row_number,
                row=from_json(row, {}),
                images=[_image_from(root, values[1:]) for values in image_rows],
                status=STATUS_UNCLASSIFIED,
                category=None,
                confidence=None,
                leaf_code=p_leaf,
                model_version=p_model or "",
            )
            if d_source is not None:
                record.source = d_source
                record.model_version = d_model or record.model_version
                if d_source == SOURCE_ANALYST:
                    record.status = STATUS_ACCEPTED if d_value else STATUS_REJECTED
                    record.confidence = 1.0
                else:
                    record.status = STATUS_AUTO if d_value else STATUS_REJECTED
                    record.confidence = d_score
                record.category = d_value or None
            elif p_status is not None:
                record.status, record.category, record.confidence, record.source = (
                    p_status,
                    p_category,
                    p_conf,
                    SOURCE_MODEL,
                )
            records.append(record)
        return records

    def load_delivery(self, name: str) -> Delivery:
        """The stored delivery as a ``Delivery`` (present products only), without rescanning its folder."""
        delivery_id = self._delivery_id(name)
        d = self.conn.execute(
            "SELECT root, sheet_path, encoding, delimiter, columns, sheet_warnings, id_column, image_column, problems,"
            " details FROM deliveries WHERE id = ?",
            (delivery_id,),
        ).fetchone()
        root = Path(d[0])
        images: dict[str | None, list[ImageFile]] = {}
        for pid, *values in self.conn.execute(
            f"SELECT product_id, {_IMAGE_SELECT} FROM images WHERE delivery_id = ? ORDER BY product_id, ord",
            (delivery_id,),
        ):
            images.setdefault(pid, []).append(_image_from(root, values))
        products = [
            Product(product_id=pid, row=from_json(row, {}), row_number=row_number, images=images.get(pid, []))
            for pid, row, row_number in self.conn.execute(
                "SELECT product_id, row, row_number FROM products WHERE delivery_id = ? AND removed_at IS NULL"
                " ORDER BY row_number, product_id",
                (delivery_id,),
            )
        ]
        details = from_json(d[9], {})
        sheet = SheetInfo(
            path=Path(d[1]),
            encoding=d[2],
            delimiter=d[3],
            columns=from_json(d[4], []),
            warnings=from_json(d[5], []),
            **_restore(SheetInfo, details.get("sheet", {})),
        )
        return Delivery(
            name=name,
            root=root,
            sheet=sheet,
            id_column=d[6],
            image_column=d[7],
            products=products,
            orphan_images=images.get(None, []),
            problems=from_json(d[8], []),
            **_restore(Delivery, details.get("delivery", {})),
        )

    def supplier_of(self, delivery: str) -> str:
        self._delivery_id(delivery)
        return self.conn.execute("SELECT supplier FROM deliveries WHERE name = ?", (delivery,)).fetchone()[0]


def _diff(old_row: dict[str, str], old_images: list[list[Any]], product: Product) -> dict[str, Any]:
    """The audit detail of an updated product: changed cells (old, new) and image changes."""
    cells = {
        column: [old_row.get(column), product.row.get(column)]
        for column in dict.fromkeys([*old_row, *product.row])
        if old_row.get(column) != product.row.get(column)
    }
    old = {values[0]: values for values in old_images}
    new = {im.rel: _image_tuple(im) for im in product.images}
    detail: dict[str, Any] = {"cells": cells}
    image_changes = {
        "added": [rel for rel in new if rel not in old],
        "removed": [rel for rel in old if rel not in new],
        "changed": [rel for rel in new if rel in old and old[rel] != new[rel]],
    }
    if any(image_changes.values()):
        detail["images"] = image_changes
    return detail
