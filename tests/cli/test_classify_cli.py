"""`icaam classify` on small real deliveries: one CSV row per product, rejects with reasons, --db, mismatch."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from icaam_desktop.cli import main
from icaam_desktop.cli.classify_cmd import csv_header
from tests.catalogue import demo_delivery

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo"


@pytest.fixture(autouse=True)
def _needs_model():
    if not (REPO / "models" / "default" / "model.safetensors").is_file():
        pytest.skip("models/default is not present")


def contoso_defects(folder: Path, fashion: Path) -> Path:
    """The contoso sheet cut to its five defect products plus two good ones, with their files."""
    src = fashion / "suppliers" / "contoso"
    with (src / "produkte.csv").open(encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    bad = {"40826792", "40953250", "40233422", "40155871", "40359562"}
    keep = [r for r in rows[1:] if r[0] in bad][:5] + [r for r in rows[1:] if r[0] not in bad][:2]
    folder.mkdir(parents=True)
    (folder / "bilder").mkdir()
    with (folder / "produkte.csv").open("w", encoding="cp1252", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([rows[0], *keep])
    image_col = rows[0].index("Bild")
    for r in keep:
        shutil.copy(src / "bilder" / Path(r[image_col]).name, folder / "bilder" / Path(r[image_col]).name)
    return folder


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_classify_writes_a_row_per_product(tmp_path, taxonomy_dir, capsys):
    delivery = demo_delivery(tmp_path / "nw", 4)
    out = tmp_path / "p.csv"
    db = tmp_path / "ws.sqlite"
    code = main(
        [
            "classify",
            str(delivery),
            "--taxonomy",
            str(taxonomy_dir),
            "--out",
            str(out),
            "--device",
            "cpu",
            "--db",
            str(db),
        ]
    )
    assert code == 0
    rows = read_csv(out)
    assert list(rows[0]) == csv_header(3)
    assert [r["product_id"] for r in rows] == ["NW-101247", "NW-129448", "NW-148067", "NW-165118"]
    for r in rows:
        assert r["status"] in ("auto", "review")
        assert float(r["level_1_confidence"]) >= float(r["level_3_confidence"])
    assert next(r for r in rows if r["product_id"] == "NW-129448")["n_images"] == "2"
    assert "4 products" in capsys.readouterr().out

    from icaam_desktop.core.store import Workspace

    ws = Workspace.open(db)
    try:
        assert set(ws.predictions(delivery.resolve().name)) == {r["product_id"] for r in rows}
    finally:
        ws.close()


def test_every_bad_contoso_image_is_rejected_with_a_reason(tmp_path, taxonomy_dir, fashion):
    delivery = contoso_defects(tmp_path / "contoso", fashion)
    out = tmp_path / "c.csv"
    code = main(["classify", str(delivery), "--taxonomy", str(taxonomy_dir), "--out", str(out), "--device", "cpu"])
    assert code == 1  # ran, but some products could not be classified
    rows = {r["product_id"]: r for r in read_csv(out)}
    assert len(rows) == 7
    for pid, kind in {"40826792": "zero_byte", "40953250": "truncated", "40233422": "not_an_image"}.items():
        assert rows[pid]["status"] == "rejected" and kind in rows[pid]["reasons"]
        assert rows[pid]["category_code"] == "" and rows[pid]["level_1_code"] == ""
    for pid in ("40155871", "40359562"):  # CMYK and EXIF-rotated photos are usable
        assert rows[pid]["status"] in ("auto", "review")


def test_model_for_another_taxonomy_is_a_usage_error(tmp_path, taxonomy_dir, capsys):
    other = tmp_path / "tax"
    shutil.copytree(taxonomy_dir, other)
    with (other / "categories.csv").open("a", encoding="utf-8") as handle:
        handle.write("brand_new_leaf;footwear;Brand new leaf\n")
    delivery = demo_delivery(tmp_path / "nw", 1)
    code = main(
        ["classify", str(delivery), "--taxonomy", str(other), "--out", str(tmp_path / "x.csv"), "--device", "cpu"]
    )
    assert code == 2
    assert "trained on taxonomy" in capsys.readouterr().err


def test_bad_outputs_and_workspaces_are_refused_before_any_work(tmp_path, taxonomy_dir, capsys):
    delivery = demo_delivery(tmp_path / "nw", 2)
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "not-a-db.sqlite").write_text("this is not SQLite")
    cases = {
        "missing folder": (["--out", str(tmp_path / "nowhere" / "p.csv")], "the folder"),
        "a folder": (["--out", str(tmp_path)], "is a folder: name the file to write"),
        "under a file": (["--out", str(tmp_path / "a-file" / "p.csv")], "is a file, not a folder"),
        "not a workspace": (["--db", str(tmp_path / "not-a-db.sqlite")], "cannot use workspace"),
    }
    for name, (extra, expected) in cases.items():
        argv = ["classify", str(delivery), "--taxonomy", str(taxonomy_dir), "--out", str(tmp_path / "p.csv"), *extra]
        assert main(argv) == 2, name
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err, (name, err)
        assert "model " not in err, name  # refused before the model was loaded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "not-a-db.sqlite", "nw"]  # nothing written


def test_a_folder_with_two_sheets_is_classified_with_sheet(tmp_path, taxonomy_dir, capsys):
    delivery = demo_delivery(tmp_path / "nw", 3)
    shutil.copy(delivery / "products.csv", delivery / "products-old.csv")
    out = tmp_path / "p.csv"
    base = ["classify", str(delivery), "--taxonomy", str(taxonomy_dir), "--out", str(out), "--device", "cpu"]
    assert main(base) == 2
    assert "--sheet" in capsys.readouterr().err
    assert main([*base, "--sheet", "products.csv"]) == 0
    assert len(read_csv(out)) == 3


def test_a_model_with_broken_weights_is_a_clear_error(tmp_path, taxonomy_dir, capsys):
    model = tmp_path / "model"
    shutil.copytree(REPO / "models" / "default", model)
    (model / "model.safetensors").write_bytes(b"\0" * 100)
    delivery = demo_delivery(tmp_path / "nw", 1)
    argv = [
        "classify",
        str(delivery),
        "--taxonomy",
        str(taxonomy_dir),
        "--model",
        str(model),
        "--out",
        str(tmp_path / "p.csv"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot load the model: cannot read" in err and "as safetensors weights" in err


def test_the_cli_uses_the_settings_thresholds_like_the_window(tmp_path, taxonomy_dir, capsys):
    from icaam_desktop.core.settings import Settings, save_settings

    save_settings(Settings(thresholds=[0.0, 0.0, 0.0]))  # every level of every product passes
    delivery = demo_delivery(tmp_path / "nw", 3)
    out = tmp_path / "p.csv"
    assert main(["classify", str(delivery), "--taxonomy", str(taxonomy_dir), "--out", str(out), "--device", "cpu"]) == 0
    rows = read_csv(out)
    assert [r["status"] for r in rows] == ["auto"] * 3 and all(r["category_code"] == r["leaf_code"] for r in rows)
