"""`icaam eval` on a small real catalogue subset and a small labelled delivery."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from icaam_desktop.cli import main
from tests.catalogue import catalogue_rows, write_catalogue
from tests.core.training.test_headonly import build_probe_model

N_LEAVES, PER_LEAF = 6, 4


@pytest.fixture(scope="module")
def catalog_subset(fashion, tmp_path_factory):
    """4 products of each of 6 leaves from the catalogue: products.csv + images224/."""
    folder = tmp_path_factory.mktemp("catalog") / "cat"
    by_leaf: dict[str, list[dict]] = {}
    for row in catalogue_rows(fashion):
        by_leaf.setdefault(row["categories"], []).append(row)
    leaves = [leaf for leaf, group in sorted(by_leaf.items(), key=lambda kv: -len(kv[1]))][:N_LEAVES]
    chosen = [row for leaf in leaves for row in by_leaf[leaf][:PER_LEAF]]
    write_catalogue(folder, chosen, fashion=fashion)
    return folder, chosen


@pytest.fixture(scope="module")
def probe_model(catalog_subset, fashion, tmp_path_factory):
    from icaam_desktop.core.taxonomy import load_taxonomy

    folder, chosen = catalog_subset
    paths = [folder / "images224" / f"{row['sku']}.jpg" for row in chosen]
    fingerprint = load_taxonomy(fashion / "taxonomy").fingerprint
    model, _ = build_probe_model(
        paths,
        [row["categories"] for row in chosen],
        tmp_path_factory.mktemp("m") / "probe",
        taxonomy_fingerprint=fingerprint,
    )
    return model


@pytest.mark.slow
def test_eval_on_catalogue_writes_metrics_and_plots(catalog_subset, probe_model, fashion, tmp_path, capsys):
    folder, chosen = catalog_subset
    out = tmp_path / "eval"
    code = main(
        ["eval", "--model", str(probe_model), "--catalog", str(folder), "--taxonomy", str(fashion / "taxonomy"),
         "--out", str(out), "--device", "cpu"]
    )  # fmt: skip
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == N_LEAVES * PER_LEAF == metrics["data"]["n_products"]
    # the head was fitted on these very photos: it must know them
    assert metrics["levels"]["3"]["accuracy"] >= 0.9
    assert metrics["levels"]["1"]["accuracy"] >= metrics["levels"]["3"]["accuracy"]
    assert metrics["model"]["version"] == "t1"
    assert set(metrics["at_thresholds"]["levels"]) == {"1", "2", "3"}
    listed = sorted(pid for _, _, ids in metrics["levels"]["3"]["confusion"]["cells"] for pid in ids)
    assert listed == sorted(row["sku"] for row in chosen)
    for name in ("confusion_level1.png", "confusion_level2.png", "confusion_level3.png", "coverage_error.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "auto-accepted to the leaf" in printed and "hierarchical precision" in printed

    # --limit takes a fixed sample
    code = main(
        ["eval", "--model", str(probe_model), "--catalog", str(folder), "--taxonomy", str(fashion / "taxonomy"),
         "--out", str(tmp_path / "small"), "--device", "cpu", "--limit", "5"]
    )  # fmt: skip
    assert code == 0 and json.loads((tmp_path / "small" / "metrics.json").read_text())["n"] == 5


@pytest.mark.slow
def test_eval_on_a_labelled_delivery(probe_model, fashion, tmp_path):
    src = fashion / "suppliers" / "northwind"
    folder = tmp_path / "nw8"
    (folder / "images").mkdir(parents=True)
    with (src / "products.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))[:8]
    with (folder / "products.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        shutil.copy(src / "images" / row["Image File"], folder / "images" / row["Image File"])
    # The labels as a spreadsheet might save them: Windows-1252, commas, CRLF.
    labels = tmp_path / "labels.csv"
    text = (src / "truth" / "categories.csv").read_text(encoding="utf-8").replace(";", ",")
    labels.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    code = main(
        ["eval", "--model", str(probe_model), "--delivery", str(folder), "--labels", str(labels),
         "--taxonomy", str(fashion / "taxonomy"), "--out", str(tmp_path / "out"), "--device", "cpu"]
    )  # fmt: skip
    assert code == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["n"] == 8 and metrics["data"]["split"] == "delivery"
    assert not [p for p in metrics["data"]["problems"] if "no label" in p]


def test_eval_refuses_a_model_of_another_taxonomy(probe_model, tmp_path, capsys):
    tax = tmp_path / "tax"
    tax.mkdir()
    (tax / "categories.csv").write_text("code;parent;label-en_US\nroot;;Root\na;root;A\n")
    (tax / "attributes.csv").write_text("code;type\nsku;pim_catalog_identifier\n")
    code = main(
        ["eval", "--model", str(probe_model), "--catalog", str(tmp_path), "--taxonomy", str(tax), "--device", "cpu"]
    )
    assert code == 2
    assert "trained on taxonomy" in capsys.readouterr().err


def test_eval_delivery_needs_labels(probe_model, fashion, capsys):
    code = main(
        ["eval", "--model", str(probe_model), "--delivery", str(fashion / "suppliers" / "northwind"),
         "--taxonomy", str(fashion / "taxonomy")]
    )  # fmt: skip
    assert code == 2 and "--labels" in capsys.readouterr().err
