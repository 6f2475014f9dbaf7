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


def write_sheet(folder, header, rows):
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "products.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return folder


def a_leaf_with_required_attributes(taxonomy_dir):
    from icaam_desktop.core.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(taxonomy_dir)
    return next(
        leaf.code
        for leaf in taxonomy.leaves()
        if any(ca.required and ca.attribute.code not in ("sku", "name") for ca in taxonomy.attributes_for(leaf.code))
    )


def test_exit_1_when_most_columns_match_nothing(taxonomy_dir, tmp_path, capsys):
    """A sheet whose headers and values say nothing the mapper knows has not been mapped: it must not look clean."""
    header = ["Kood", "Vrakt", "Plimzo", "Quorbel", "Zintaf", "Bleskor"]
    rows = [[f"K{i}", f"vr{i % 3}", f"pz{i % 4}", f"qb{i % 2}", f"zt{i % 5}", f"bk{i % 3}"] for i in range(20)]
    folder = write_sheet(tmp_path / "delivery", header, rows)
    code = main(["map", str(folder), "--taxonomy", str(taxonomy_dir), "--out", str(tmp_path / "o"), "--no-embeddings"])
    out = capsys.readouterr().out
    assert code == EXIT_PROBLEMS
    assert "problem: 5 of 6 columns with values matched no attribute" in out


def test_required_attributes_no_column_gives_are_a_note_not_a_problem(taxonomy_dir, tmp_path, capsys):
    """Suppliers rarely send every required attribute (age group, year): the analyst fills those, so they are
    reported but do not make every mapping "failed"."""
    folder = write_sheet(tmp_path / "delivery", ["SKU", "Name"], [[f"S{i}", f"Plain shirt {i}"] for i in range(10)])
    leaf = a_leaf_with_required_attributes(taxonomy_dir)
    predictions = tmp_path / "p.csv"
    predictions.write_text(
        "product_id;status;leaf_code\n" + "".join(f"S{i};auto;{leaf}\n" for i in range(10)), encoding="utf-8"
    )
    args = ["map", str(folder), "--taxonomy", str(taxonomy_dir), "--predictions", str(predictions), "--no-embeddings"]
    code = main([*args, "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == EXIT_OK, out
    assert "note: every product with a category (10) misses required attributes" in out and "problem:" not in out
    with pytest.raises(SystemExit):  # and the help states the rule
        main(["map", "--help"])
    assert "listed as a note, not a problem" in " ".join(capsys.readouterr().out.split())


def test_predictions_that_give_no_product_a_category_say_so(taxonomy_dir, tmp_path, capsys):
    """Every product rejected (no photo): the ids match, so the warning must not say that none is in the delivery."""
    folder = write_sheet(tmp_path / "delivery", ["SKU", "Name"], [[f"S{i}", f"Plain shirt {i}"] for i in range(6)])
    predictions = tmp_path / "p.csv"
    predictions.write_text(
        "product_id,status,category_code,leaf_code,reasons\n"
        + "".join(f"S{i},rejected,,,no image\n" for i in range(6)),
        encoding="utf-8",
    )
    base = ["map", str(folder), "--taxonomy", str(taxonomy_dir), "--no-embeddings", "--out", str(tmp_path / "o")]
    main([*base, "--predictions", str(predictions)])
    err = capsys.readouterr().err
    assert "no product id of" not in err
    assert "lists 6 of this delivery's 6 products but gives none of them a leaf category (6 rejected)" in err


def test_problem_lines_say_what_happened_and_count_each_thing_once(taxonomy_dir, tmp_path, capsys):
    """A value that maps to no option is one unmapped value (on the products it leaves without a colour), not also
    "cells that could not be read"; a price that is no number is said as such."""
    colours = ["Schwarz", "Zzyzx", "Weiß", "Zzyzx", "Rot", "Zzyzx"]
    prices = ["12,50", "19,90", "zwölf", "8,00", "5,00", "7,50"]
    rows = [[f"A{i}", colour, price] for i, (colour, price) in enumerate(zip(colours, prices, strict=True))]
    folder = write_sheet(tmp_path / "delivery", ["Art.-Nr.", "Farbe", "VK-Preis (EUR)"], rows)
    code = main(["map", str(folder), "--taxonomy", str(taxonomy_dir), "--out", str(tmp_path / "o"), "--no-embeddings"])
    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem:")]
    assert code == EXIT_PROBLEMS
    assert problems == [
        "problem: 1 value maps to no option (3 products with such a cell)",
        "problem: 1 product has cells that could not be read as numbers",
    ]
