"""`icaam audit` on a small real catalogue with planted label errors."""

from __future__ import annotations

import csv

from icaam_desktop.cli import EXIT_USAGE, main
from tests.core.training.test_audit import planted_catalog


def test_audit_cli_lists_the_planted_errors_and_writes_its_files(fashion, tmp_path, capsys):
    folder, planted = planted_catalog(fashion, tmp_path / "cat")
    out = tmp_path / "audit"
    code = main(["audit", str(folder), "--taxonomy", str(fashion / "taxonomy"), "--out", str(out), "--device", "cpu"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "of 40 products" in printed and "label_audit.csv" in printed
    with (out / "label_audit.csv").open(encoding="utf-8") as handle:
        rows = {r["product_id"]: r for r in csv.DictReader(handle, delimiter=";")}
    for sku, (wrong, true) in planted.items():
        assert rows[sku]["given_leaf"] == wrong and rows[sku]["suggested_leaf"] == true
    assert (out / "label_audit.png").stat().st_size > 10_000
    assert (out / "label_audit_pairs.csv").is_file()
    taxonomy = str(fashion / "taxonomy")
    assert main(["audit", str(folder), "--taxonomy", taxonomy, "--backbone", "no_such_net"]) == EXIT_USAGE
    assert "unknown timm model 'no_such_net'" in capsys.readouterr().err


def test_audit_cli_rejects_bad_arguments_with_a_reason(fashion, tmp_path, capsys):
    taxonomy = str(fashion / "taxonomy")
    assert main(["audit", str(tmp_path / "missing"), "--taxonomy", taxonomy]) == EXIT_USAGE
    assert "is not a folder" in capsys.readouterr().err
    assert main(["audit", str(tmp_path), "--taxonomy", taxonomy]) == EXIT_USAGE
    assert "no products.csv" in capsys.readouterr().err
    assert main(["audit", str(tmp_path), "--taxonomy", taxonomy, "--max-given", "0.9"]) == EXIT_USAGE
    assert "--max-given" in capsys.readouterr().err
