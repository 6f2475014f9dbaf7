"""Export of the real Northwind delivery in the retailer's Akeneo product-CSV layout."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from icaam_desktop.core.export import ExportError, export_delivery, neutralise
from icaam_desktop.core.jobs import Cancelled, CancelToken
from icaam_desktop.core.store import Workspace
from icaam_desktop.core.taxonomy import load_taxonomy
from tests.core.store.workspace_data import (
    MODEL_V1,
    build_workspace,
    open_northwind,
    predictions_from_truth,
    truth_categories,
    truth_values,
)


@pytest.fixture(scope="module")
def taxonomy(taxonomy_dir):
    return load_taxonomy(taxonomy_dir)


@pytest.fixture(scope="module")
def northwind(fashion):
    return open_northwind(fashion)


@pytest.fixture
def ws(tmp_path, fashion, taxonomy, northwind):
    """Northwind classified (auto / review / rejected), mapped values from truth, two analyst choices."""
    workspace = build_workspace(tmp_path / "ws.sqlite", taxonomy, northwind)
    truth = truth_categories(fashion)
    ids = [p.product_id for p in northwind.products]
    workspace.save_predictions("northwind", predictions_from_truth(taxonomy, truth, ids, model_version=MODEL_V1))
    workspace.save_product_values("northwind", truth_values(fashion))
    # ids[3] is a review product the analyst accepts; ids[0] (auto) is rejected by the analyst.
    workspace.record_decision(
        delivery="northwind", product_id=ids[3], field="category", value=truth[ids[3]], source="analyst"
    )
    workspace.record_decision(delivery="northwind", product_id=ids[0], field="category", value="", source="analyst")
    yield workspace
    workspace.close()


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def _expected_statuses(ws) -> dict[str, str]:
    return {r.product_id: r.status for r in ws.products("northwind")}


def test_codes_export_has_the_akeneo_layout_and_the_accepted_products(ws, tmp_path, fashion, taxonomy):
    out = tmp_path / "export.csv"
    report = export_delivery(ws, delivery="northwind", out=out)
    rows = _read(out)
    header, body = rows[0], rows[1:]
    assert out.read_bytes()[:3] != b"\xef\xbb\xbf" and b"\r\n" not in out.read_bytes()

    statuses = _expected_statuses(ws)
    accepted = [pid for pid, s in statuses.items() if s in ("auto", "accepted")]
    assert report.rows == len(body) == len(accepted) and len(report.skipped) == 400 - len(accepted)
    assert {s.reason for s in report.skipped} == {
        "no accepted category (status review)",
        "no accepted category (status rejected)",
    }
    assert header[:2] == ["sku", "categories"] and report.columns == header

    # The attribute columns: the union of the exported categories' attributes, in the
    # taxonomy's order, which is also the order of the retailer's own catalogue export.
    truth = truth_categories(fashion)
    union = {ca.attribute.code for pid in accepted for ca in taxonomy.attributes_for(truth[pid])}
    assert set(header[2:]) == union - {"sku"}
    catalogue_header = _read(fashion / "catalog" / "products.csv")[0]
    assert header == [c for c in catalogue_header if c in header]

    values = truth_values(fashion)
    by_sku = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert list(by_sku) == accepted  # sheet order
    for pid, row in by_sku.items():
        assert row["categories"] == truth[pid]
        own = {ca.attribute.code for ca in taxonomy.attributes_for(truth[pid])}
        for code in header[2:]:
            expected = values[pid].get(code, "") if code in own else ""
            assert row[code] == neutralise(expected, number=taxonomy.attributes[code].is_number), (pid, code)
    some = next(pid for pid in accepted if values[pid].get("base_colour") == "navy_blue")
    assert by_sku[some]["base_colour"] == "navy_blue"  # option codes, not labels


def test_labels_variant_is_for_humans(ws, tmp_path, fashion, taxonomy):
    out = tmp_path / "labels.csv"
    export_delivery(ws, delivery="northwind", out=out, labels=True)
    header, *body = _read(out)
    assert header[:2] == ["SKU", "Category"] and "Base colour" in header and "Name" in header
    truth = truth_categories(fashion)
    values = truth_values(fashion)
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    pid = next(p for p in rows if values[p].get("base_colour") == "navy_blue")
    assert rows[pid]["Category"] == taxonomy.categories[truth[pid]].label
    assert rows[pid]["Base colour"] == "Navy Blue"
    assert rows[pid]["Name"] == values[pid]["name"]


def test_include_unaccepted_adds_every_product_with_its_status(ws, tmp_path, fashion, taxonomy):
    out = tmp_path / "all.csv"
    report = export_delivery(ws, delivery="northwind", out=out, include_unaccepted=True)
    header, *body = _read(out)
    assert header[-1] == "status" and report.rows == 400 and report.skipped == []
    statuses = _expected_statuses(ws)
    truth = truth_categories(fashion)
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert {pid: row["status"] for pid, row in rows.items()} == statuses
    assert set(statuses.values()) == {"auto", "review", "rejected", "accepted"}
    review = next(pid for pid, s in statuses.items() if s == "review")
    assert rows[review]["categories"] == taxonomy.ancestors(truth[review])[0]  # what the model was sure of
    # its mapped values are there although that upper category requires no attribute itself
    assert not taxonomy.attributes_for(rows[review]["categories"])
    mapped = {code: value for code, value in truth_values(fashion)[review].items() if code in header}
    assert mapped and all(rows[review][code] == value for code, value in mapped.items())
    rejected = next(pid for pid, s in statuses.items() if s == "rejected")
    assert rows[rejected]["categories"] == ""


def test_analyst_attribute_edits_are_exported(ws, tmp_path, fashion):
    pid = next(r.product_id for r in ws.products("northwind") if r.status == "auto")
    ws.record_decision(delivery="northwind", product_id=pid, field="base_colour", value="red", source="analyst")
    out = tmp_path / "edited.csv"
    export_delivery(ws, delivery="northwind", out=out)
    header, *body = _read(out)
    row = next(dict(zip(header, r, strict=True)) for r in body if r[0] == pid)
    assert row["base_colour"] == "red"


def test_cells_that_would_run_as_formulas_are_neutralised(ws, tmp_path):
    pid, other = [r.product_id for r in ws.products("northwind") if r.status == "auto"][:2]
    ws.save_product_values(
        "northwind",
        {
            pid: {
                "name": '=HYPERLINK("http://evil.example","click")',
                "brand": "@SUM(A1:A9)",
                "price": "-1299.50",  # a plain number in a number attribute stays a number
            },
            other: {"price": "-1+2"},  # not a plain number: neutralised even in a number attribute
        },
    )
    ws.record_decision(
        delivery="northwind", product_id=pid, field="name", value="\tcmd|' /C calc'!A0", source="analyst"
    )
    out = tmp_path / "inject.csv"
    export_delivery(ws, delivery="northwind", out=out)
    header, *body = _read(out)
    row = next(dict(zip(header, r, strict=True)) for r in body if r[0] == pid)
    assert row["name"] == "'\tcmd|' /C calc'!A0"
    assert row["brand"] == "'@SUM(A1:A9)"
    assert row["price"] == "-1299.50"
    assert next(r for r in body if r[0] == other)[header.index("price")] == "'-1+2"
    for cells in body:
        for cell in cells:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")) and (
                not cell.startswith("-") or cell.replace("-", "", 1).replace(".", "", 1).isdigit()
            )


@pytest.mark.parametrize(
    ("cell", "number", "expected"),
    [
        ("=1+1", False, "'=1+1"),
        ("+49 30 1234", False, "'+49 30 1234"),
        ("-5", False, "'-5"),
        ("-5", True, "-5"),
        ("-5,25", True, "-5,25"),
        ("-5+A1", True, "'-5+A1"),
        ("@x", False, "'@x"),
        ("\rx", False, "'\rx"),
        ("Navy Blue", False, "Navy Blue"),
        ("a=b", False, "a=b"),
        ("", False, ""),
    ],
)
def test_neutralise(cell, number, expected):
    assert neutralise(cell, number=number) == expected


def test_a_cancelled_export_leaves_the_previous_file_and_no_temp_file(ws, tmp_path):
    out = tmp_path / "export.csv"
    out.write_text("the previous export\n", encoding="utf-8")
    token = CancelToken()
    seen = []

    def progress(done, total, message=""):
        seen.append(done)
        if done >= 100:
            token.cancel()  # after 100 rows were written to the temporary file

    with pytest.raises(Cancelled):
        export_delivery(ws, delivery="northwind", out=out, progress=progress, cancel=token)
    assert max(seen) == 100
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "ws.sqlite", "ws.sqlite-shm", "ws.sqlite-wal"]

    report = export_delivery(ws, delivery="northwind", out=out)
    assert len(_read(out)) == report.rows + 1
    assert out.stat().st_mode & 0o777 == 0o644


def test_export_needs_a_taxonomy_and_a_folder(tmp_path, northwind):
    with Workspace.open(tmp_path / "bare.sqlite") as bare:
        bare.upsert_delivery(northwind)
        with pytest.raises(ExportError, match="no taxonomy"):
            export_delivery(bare, delivery="northwind", out=tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_export_into_a_missing_folder_is_refused(ws, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export_delivery(ws, delivery="northwind", out=tmp_path / "nope" / "x.csv")
