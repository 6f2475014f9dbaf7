"""`icaam delivery inspect` on the real Contoso delivery and on small synthetic folders."""

from __future__ import annotations

import csv

from PIL import Image

from icaam_desktop.cli import main


def test_inspect_contoso_names_every_bad_file_with_a_reason(fashion, capsys):
    supplier = fashion / "suppliers" / "contoso"
    assert main(["delivery", "inspect", str(supplier)]) == 1  # three files are rejected
    out = capsys.readouterr().out
    assert "sheet: produkte.csv" in out
    assert "encoding: cp1252" in out
    assert "delimiter: ; (semicolon)" in out
    assert "id column: Artikelnummer" in out
    assert "image column: Bild" in out
    assert "products: 400" in out
    with open(supplier / "truth" / "images.csv", encoding="utf-8", newline="") as fh:
        bad = [r for r in csv.DictReader(fh, delimiter=";") if r["status"] != "ok"]
    assert len(bad) == 5
    lines = out.splitlines()
    reasons = {"zero_byte": "0 bytes", "truncated": "end-of-image", "not_an_image": "HTML", "cmyk": "CMYK"}
    reasons["exif_rotated"] = "EXIF orientation 6"
    for row in bad:
        line = next((line for line in lines if line.strip().startswith(row["image_file"])), None)
        assert line is not None, f"{row['image_file']} not reported"
        assert reasons[row["status"]] in line, line


def test_inspect_northwind_is_clean(fashion, capsys):
    assert main(["delivery", "inspect", str(fashion / "suppliers" / "northwind")]) == 0
    out = capsys.readouterr().out
    assert "products with several images: 40" in out
    assert "result: clean" in out


def test_orphans_and_products_without_images_are_listed(tmp_path, capsys):
    (tmp_path / "items.tsv").write_text("code\tname\nK1\tCap\nK2\tScarf\n", encoding="utf-8")
    Image.new("RGB", (8, 8)).save(tmp_path / "K1.jpg")
    Image.new("RGB", (8, 8)).save(tmp_path / "unknown.png")
    assert main(["delivery", "inspect", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "delimiter: \\t (tab)" in out
    assert "unknown.png: no product" in out
    assert "K2 (line 3)" in out


def test_ambiguous_sheet_is_usage_error_and_sheet_flag_resolves_it(tmp_path, capsys):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("sku,image\nS1,S1.jpg\n", encoding="utf-8")
    Image.new("RGB", (8, 8)).save(tmp_path / "S1.jpg")
    assert main(["delivery", "inspect", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "a.csv" in err and "b.csv" in err and "--sheet" in err
    assert main(["delivery", "inspect", str(tmp_path), "--sheet", "b.csv"]) == 0
    assert "sheet: b.csv (given)" in capsys.readouterr().out


def test_bad_usage_exits_2(tmp_path, capsys):
    assert main(["delivery", "inspect", str(tmp_path / "missing")]) == 2
    (tmp_path / "p.csv").write_text("sku\nS1\n", encoding="utf-8")
    assert main(["delivery", "inspect", str(tmp_path), "--id-column", "Nope"]) == 2
    assert "'Nope' is not in the sheet" in capsys.readouterr().err


def test_empty_sheet_is_a_problem_not_a_crash(tmp_path, capsys):
    (tmp_path / "p.csv").write_bytes(b"")
    assert main(["delivery", "inspect", str(tmp_path)]) == 1
    assert "is empty" in capsys.readouterr().err


def test_a_sheet_without_product_rows_is_a_problem_not_clean(tmp_path, taxonomy_dir, capsys):
    (tmp_path / "products.csv").write_text("sku;name;image\n", encoding="utf-8")
    assert main(["delivery", "inspect", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "has a header but no product rows" in out and "result: 1 problem(s) found" in out
    argv = ["classify", str(tmp_path), "--taxonomy", str(taxonomy_dir), "--out", str(tmp_path / "p.csv")]
    assert main([*argv, "--device", "cpu"]) == 1
    assert "nothing to classify" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()
