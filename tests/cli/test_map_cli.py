"""`icaam map` on a real supplier: the three files, the truth layout, predictions, --db memory, usage errors."""

from __future__ import annotations

import csv

import pytest

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main


def read(path):
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.fixture
def contoso(fashion):
    return fashion / "suppliers" / "contoso", fashion / "taxonomy"


def test_map_writes_the_three_files_in_the_truth_layout(contoso, tmp_path, capsys):
    folder, taxonomy = contoso
    out = tmp_path / "out"
    code = main(["map", str(folder), "--taxonomy", str(taxonomy), "--out", str(out), "--no-embeddings"])
    assert code in (EXIT_OK, EXIT_PROBLEMS)
    columns = read(out / "columns.csv")
    assert list(columns[0])[:4] == ["supplier_column", "retailer_attribute", "confidence", "reasons"]
    truth = {(r["supplier_column"], r["retailer_attribute"]) for r in read(folder / "truth" / "columns.csv")}
    assert {(r["supplier_column"], r["retailer_attribute"]) for r in columns} == truth
    values = read(out / "values.csv")
    assert list(values[0])[:4] == ["retailer_attribute", "supplier_value", "option_code", "confidence"]
    truth_values = {
        (r["retailer_attribute"], r["supplier_value"]): r["option_code"] for r in read(folder / "truth" / "values.csv")
    }
    mine = {(r["retailer_attribute"], r["supplier_value"]): r["option_code"] for r in values}
    assert sum(mine.get(k) == v for k, v in truth_values.items()) / len(truth_values) >= 0.93
    products = read(out / "products.csv")
    assert len(products) == 400 and {"product_id", "category", "sku", "price", "missing_required"} <= set(products[0])
    assert "columns: 12/13 matched" in capsys.readouterr().out


def test_predictions_and_db_memory(contoso, tmp_path):
    folder, taxonomy = contoso
    predictions = tmp_path / "predictions.csv"
    truth = read(folder / "truth" / "categories.csv")
    with predictions.open("w", encoding="utf-8") as handle:
        handle.write("product_id;status;category_code;leaf_code\n")
        handle.writelines(f"{r['supplier_sku']};auto;{r['category_code']};{r['category_code']}\n" for r in truth)
    db = tmp_path / "ws.sqlite"
    args = ["map", str(folder), "--taxonomy", str(taxonomy), "--predictions", str(predictions), "--db", str(db)]
    main([*args, "--out", str(tmp_path / "a"), "--no-embeddings"])
    products = read(tmp_path / "a" / "products.csv")
    assert all(p["category"] for p in products)

    from icaam_desktop.core.store import Workspace

    with Workspace.open(db) as ws:
        name = ws.delivery_names()[0]
        assert ws.column_matches(name)  # saved
        ws.accept_column(name, supplier_column="Anlass", attributes=["occasion"])  # the analyst overrides the model
    main([*args, "--out", str(tmp_path / "b"), "--no-embeddings"])
    anlass = [r for r in read(tmp_path / "b" / "columns.csv") if r["supplier_column"] == "Anlass"]
    assert [(r["retailer_attribute"], r["source"]) for r in anlass] == [("occasion", "memory")]


def test_usage_errors(tmp_path, capsys):
    assert (
        main(["map", str(tmp_path / "missing"), "--taxonomy", str(tmp_path), "--out", str(tmp_path / "o")])
        == EXIT_USAGE
    )
    with pytest.raises(SystemExit) as exc:
        main(["map", str(tmp_path)])  # --taxonomy and --out are required
    assert exc.value.code == 2


def test_predictions_in_another_encoding_and_predictions_of_another_delivery(contoso, tmp_path, capsys):
    """A predictions file saved by a spreadsheet (cp1252, commas) is read; one that matches no product is said."""
    folder, taxonomy = contoso
    truth = read(folder / "truth" / "categories.csv")[:50]
    cp1252 = tmp_path / "vorhersagen.csv"
    with cp1252.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["product_id", "status", "category_code", "leaf_code", "Bemerkung"])
        writer.writerows([r["supplier_sku"], "auto", r["category_code"], r["category_code"], "geprüft"] for r in truth)
    base = ["map", str(folder), "--taxonomy", str(taxonomy), "--no-embeddings"]
    main([*base, "--predictions", str(cp1252), "--out", str(tmp_path / "a")])
    categories = {p["product_id"]: p["category"] for p in read(tmp_path / "a" / "products.csv")}
    assert all(categories[r["supplier_sku"]] == r["category_code"] for r in truth)
    assert "Traceback" not in capsys.readouterr().err

    other = tmp_path / "other.csv"
    other.write_text("product_id;leaf_code\nNW-1;tshirts\n", encoding="utf-8")
    main([*base, "--predictions", str(other), "--out", str(tmp_path / "b")])
    assert "no product id of" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["columns.csv", "products.csv", "values.csv"]
