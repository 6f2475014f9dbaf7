"""Taxonomy rows and the delivery import on the real Northwind delivery: idempotent, diffs recorded."""

from __future__ import annotations

import csv
import shutil

import pytest

from icaam_desktop.core.delivery import open_delivery
from icaam_desktop.core.store import Workspace, WorkspaceError


def test_taxonomy_round_trips_through_rows(ws, taxonomy):
    rebuilt = ws.taxonomy()
    assert rebuilt.fingerprint == taxonomy.fingerprint
    assert rebuilt.root == taxonomy.root and rebuilt.source == taxonomy.source
    assert list(rebuilt.categories) == list(taxonomy.categories)
    assert all(rebuilt.categories[c].path == taxonomy.categories[c].path for c in taxonomy.categories)
    assert rebuilt.categories["tshirts"].labels == taxonomy.categories["tshirts"].labels
    assert list(rebuilt.attributes) == list(taxonomy.attributes)
    assert [o.code for o in rebuilt.attributes["base_colour"].options] == [
        o.code for o in taxonomy.attributes["base_colour"].options
    ]
    assert rebuilt.attributes["price"].unit == "INR"
    for leaf in taxonomy.leaves():
        ours = [(ca.attribute.code, ca.required) for ca in rebuilt.attributes_for(leaf.code)]
        assert ours == [(ca.attribute.code, ca.required) for ca in taxonomy.attributes_for(leaf.code)]
    assert rebuilt.identifier.code == "sku"


def test_no_taxonomy_yet_is_none(tmp_path):
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        assert ws.taxonomy() is None


def test_import_is_complete_and_reimport_is_idempotent(ws, northwind):
    records = ws.products("northwind")
    assert len(records) == len(northwind.products) == 400
    first = records[0]
    source = northwind.products[0]
    assert first.product_id == source.product_id and first.row == source.row
    assert first.row_number == source.row_number
    assert [(im.rel, im.verdict, im.format, im.width) for im in first.images] == [
        (im.rel, im.verdict, im.format, im.width) for im in source.images
    ]
    assert first.images[0].path == source.images[0].path
    assert first.status == "unclassified" and first.category is None

    again = ws.upsert_delivery(northwind)
    assert not again.changed and len(again.unchanged) == 400
    assert ws.conn.execute("SELECT COUNT(*) FROM products").fetchone()[0] == 400
    assert ws.conn.execute("SELECT COUNT(*) FROM images").fetchone()[0] == len(northwind.images)
    info = ws.deliveries()[0]
    assert (info.name, info.supplier, info.n_products) == ("northwind", "northwind", 400)
    assert info.n_images == sum(len(p.images) for p in northwind.products)
    assert info.n_orphan_images == len(northwind.orphan_images)
    assert [e.action for e in ws.audit_log("northwind")] == ["delivery_imported", "delivery_reimported"]


def test_load_delivery_gives_back_the_delivery(ws, northwind):
    loaded = ws.load_delivery("northwind")
    assert loaded.sheet.path == northwind.sheet.path and loaded.sheet.columns == northwind.sheet.columns
    assert loaded.sheet.candidates == northwind.sheet.candidates
    assert (loaded.id_column, loaded.image_column) == (northwind.id_column, northwind.image_column)
    assert loaded.id_column_reason == northwind.id_column_reason
    assert [(p.product_id, p.row, [im.rel for im in p.images]) for p in loaded.products] == [
        (p.product_id, p.row, [im.rel for im in p.images]) for p in northwind.products
    ]


def _rewrite_sheet(folder, edit):
    sheet = folder / "products.csv"
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows = edit(rows)
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def test_a_changed_sheet_updates_the_delivery_and_records_what_changed(tmp_path, fashion, taxonomy):
    folder = tmp_path / "northwind"
    shutil.copytree(fashion / "suppliers" / "northwind", folder, ignore=shutil.ignore_patterns("truth"))
    ws = Workspace.open(tmp_path / "ws.sqlite")
    ws.import_taxonomy(taxonomy)
    ws.upsert_delivery(open_delivery(folder), supplier="Northwind Ltd")

    def edit(rows):
        header, body = rows[0], rows[1:]
        header_colour = header.index("Colour")
        changed, dropped, template = body[0], body[1], body[2]
        changed_old = changed[header_colour]
        changed[header_colour] = "Electric Lime"
        new = list(template)
        new[0] = "NW-999999"
        new[header.index("Image File")] = ""
        edit.info = (changed[0], changed_old, dropped[0])
        return [header, changed, *body[2:], new]

    _rewrite_sheet(folder, edit)
    changed_id, old_colour, dropped_id = edit.info
    ws.record_decision(delivery="northwind", product_id=dropped_id, field="category", value="shirts", source="analyst")

    result = ws.upsert_delivery(open_delivery(folder))
    assert result.added == ["NW-999999"]
    assert result.updated == [changed_id]
    assert result.removed == [dropped_id]
    assert len(result.unchanged) == 398

    records = {r.product_id: r for r in ws.products("northwind")}
    assert len(records) == 400 and dropped_id not in records
    assert records[changed_id].row["Colour"] == "Electric Lime"
    assert records["NW-999999"].images == []
    assert ws.supplier_of("northwind") == "Northwind Ltd"  # kept from the first import
    # The removed product is kept (marked), so its decision history survives.
    assert ws.conn.execute(
        "SELECT removed_at IS NOT NULL FROM products WHERE product_id = ?", (dropped_id,)
    ).fetchone() == (1,)
    assert [d.product_id for d in ws.decisions("northwind", history=True)] == [dropped_id]

    log = ws.audit_log("northwind")
    summary = log[-1]
    assert summary.action == "delivery_reimported"
    assert summary.detail["added"] == ["NW-999999"] and summary.detail["removed"] == [dropped_id]
    update = next(e for e in log if e.action == "product_updated")
    assert update.product_id == changed_id
    assert update.detail["cells"] == {"Colour": [old_colour, "Electric Lime"]}

    # Putting the dropped row back brings the product back as added.
    again = ws.upsert_delivery(open_delivery(fashion / "suppliers" / "northwind"))
    assert dropped_id in again.added and again.removed == ["NW-999999"]
    ws.close()


def test_unknown_delivery_names_the_known_ones(ws):
    with pytest.raises(WorkspaceError, match=r"no delivery named 'contoso'.*known: northwind"):
        ws.products("contoso")


def test_products_is_one_query_not_one_per_product(ws):
    """400 products must not turn into 400 queries: count the statements SQLite runs."""
    statements: list[str] = []
    ws.conn.set_trace_callback(statements.append)
    ws.products("northwind")
    ws.conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) <= 3, selects


def test_image_verdicts_and_reasons_are_kept(tmp_path, fashion, taxonomy):
    """Contoso's deliberately broken files keep their verdict and reason through the workspace."""
    contoso = open_delivery(fashion / "suppliers" / "contoso")
    rejected = {im.rel: (im.verdict, im.reason) for im in contoso.rejected_images}
    assert len(rejected) >= 3
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        ws.upsert_delivery(contoso)
        stored = {im.rel: (im.verdict, im.reason) for r in ws.products("contoso") for im in r.images if not im.ok}
        assert stored == rejected and all(reason for _, reason in stored.values())
        notes = {im.rel: im.notes for r in ws.products("contoso") for im in r.images if im.notes}
        assert notes == {im.rel: im.notes for im in contoso.images if im.notes}
        assert ws.deliveries()[0].n_rejected_images == len(contoso.rejected_images)
        assert ws.load_delivery("contoso").sheet.encoding == contoso.sheet.encoding


def test_a_workspace_from_before_image_sizes_is_not_all_changed_after_the_upgrade(ws, northwind, taxonomy, truth):
    """Schema 2 stored no image sizes: after migration 3 nothing may look changed (no re-classification)."""
    from icaam_desktop.core.store.deliveries import _digest
    from tests.core.store.workspace_data import MODEL_V1, predictions_from_truth

    ids = [p.product_id for p in northwind.products]
    ws.save_predictions("northwind", predictions_from_truth(taxonomy, truth, ids, model_version=MODEL_V1))
    # What an older version left: digests without sizes, and an empty size column after the migration.
    by_id = {p.product_id: p for p in northwind.products}
    with ws.transaction() as conn:
        conn.executemany(
            "UPDATE products SET digest = ? WHERE product_id = ?",
            [(_digest(by_id[pid], legacy=True), pid) for pid in ids],
        )
        conn.execute("UPDATE images SET bytes = NULL")
    for delivery in (ws.load_delivery("northwind"), northwind):  # restored from the store, then re-opened
        report = ws.upsert_delivery(delivery)
        assert report.updated == [] and len(report.unchanged) == len(ids)
    assert ws.predicted_ids("northwind", MODEL_V1) == set(ids)  # nothing to classify again
