"""`icaam export` on a real workspace built from the Northwind delivery."""

from __future__ import annotations

import csv

import pytest

from icaam_desktop.cli import main
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
def db(tmp_path_factory, fashion, taxonomy_dir):
    path = tmp_path_factory.mktemp("cli-export") / "ws.sqlite"
    taxonomy = load_taxonomy(taxonomy_dir)
    northwind = open_northwind(fashion)
    with build_workspace(path, taxonomy, northwind) as ws:
        ids = [p.product_id for p in northwind.products]
        ws.save_predictions(
            "northwind", predictions_from_truth(taxonomy, truth_categories(fashion), ids, model_version=MODEL_V1)
        )
        ws.save_product_values("northwind", truth_values(fashion))
    return path


def _rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_export_writes_the_file_and_reports_what_it_skipped(db, tmp_path, capsys):
    out = tmp_path / "northwind.csv"
    assert main(["export", "--db", str(db), "--delivery", "northwind", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = _rows(out)
    assert rows[0][:2] == ["sku", "categories"]
    assert f"wrote {len(rows) - 1} product(s)" in printed
    assert f"skipped {400 - (len(rows) - 1)} product(s)" in printed
    assert "no accepted category (status review)" in printed


def test_export_labels_with_unaccepted(db, tmp_path, capsys):
    out = tmp_path / "all.csv"
    code = main(
        ["export", "--db", str(db), "--delivery", "northwind", "--out", str(out), "--labels", "--include-unaccepted"]
    )
    assert code == 0
    rows = _rows(out)
    assert rows[0][:2] == ["SKU", "Category"] and rows[0][-1] == "Status" and len(rows) == 401
    assert "skipped" not in capsys.readouterr().out


def test_unknown_delivery_is_a_usage_error_listing_the_known_ones(db, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["export", "--db", str(db), "--delivery", "contoso", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no delivery named 'contoso'" in err and "known deliveries: northwind" in err
    assert not out.exists()


def test_missing_workspace_is_a_usage_error_and_is_not_created(tmp_path, capsys):
    db = tmp_path / "missing.sqlite"
    assert main(["export", "--db", str(db), "--delivery", "northwind", "--out", str(tmp_path / "x.csv")]) == 2
    assert "there is no workspace" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder_is_a_usage_error(db, tmp_path, capsys):
    out = tmp_path / "nope" / "x.csv"
    assert main(["export", "--db", str(db), "--delivery", "northwind", "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--include-unaccepted" in out and "--labels" in out and "--db FILE" in out


def test_a_workspace_without_taxonomy_needs_one_passed(tmp_path, fashion, taxonomy_dir, capsys):
    """As `icaam map --db` leaves it: the delivery and its mapped values, no taxonomy, nothing classified."""
    from icaam_desktop.core.store import Workspace

    db = tmp_path / "mapped.sqlite"
    with Workspace.open(db) as ws:
        ws.upsert_delivery(open_northwind(fashion))
        ws.save_product_values("northwind", truth_values(fashion))
    out = tmp_path / "out.csv"
    assert main(["export", "--db", str(db), "--delivery", "northwind", "--out", str(out)]) == 1
    assert "no taxonomy" in capsys.readouterr().err and not out.exists()

    args = ["export", "--db", str(db), "--delivery", "northwind", "--out", str(out), "--taxonomy", str(taxonomy_dir)]
    assert main(args) == 0
    assert "skipped 400 product(s)" in capsys.readouterr().out and len(_rows(out)) == 1
    assert main([*args, "--include-unaccepted"]) == 0
    header, *body = _rows(out)
    assert len(body) == 400 and {row[-1] for row in body} == {"unclassified"}
    assert {"name", "brand", "base_colour"} <= set(header)  # the values it has, though it has no category
    first = dict(zip(header, body[0], strict=True))
    assert first["categories"] == "" and first["base_colour"] == truth_values(fashion)[first["sku"]]["base_colour"]
