"""The catalogue label audit: folds, the suspect rule, and planted label errors found in real catalogue photos."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from icaam_desktop.core.training.audit import (
    LabelAudit,
    LabelSuspect,
    audit_labels,
    find_suspects,
    out_of_fold_probabilities,
    stratified_folds,
    write_audit,
)
from tests.catalogue import catalogue_rows, write_catalogue

LEAVES = ("watches_watches", "tshirts", "casual_shoes", "handbags")
PER_LEAF = 10
# (index in the chosen rows, wrong label): a watch called a t-shirt, shoes called a handbag, a bag called shoes
PLANTED = ((0, "tshirts"), (PER_LEAF * 2, "handbags"), (PER_LEAF * 3 + 1, "casual_shoes"))


def planted_catalog(fashion: Path, folder: Path) -> tuple[Path, dict[str, tuple[str, str]]]:
    """A 40-product catalogue from real photos of four distinct leaves, three of them relabelled wrongly.

    Returns the folder and {sku: (wrong label, true label)}.
    """
    rows = catalogue_rows(fashion)
    chosen = [dict(row) for leaf in LEAVES for row in [r for r in rows if r["categories"] == leaf][:PER_LEAF]]
    planted = {}
    for i, wrong in PLANTED:
        planted[chosen[i]["sku"]] = (wrong, chosen[i]["categories"])
        chosen[i]["categories"] = wrong
    write_catalogue(folder, chosen, fashion=fashion)
    return folder, planted


def test_folds_spread_every_leaf_evenly_and_are_fixed():
    leaves = ["a"] * 10 + ["b"] * 7 + ["c"] * 3
    folds = stratified_folds(leaves, 5)
    for leaf, n in Counter(leaves).items():
        per_fold = Counter(int(f) for f, lf in zip(folds, leaves, strict=True) if lf == leaf)
        assert max(per_fold.values()) - min(per_fold.get(f, 0) for f in range(5)) <= 1, (leaf, per_fold)
        assert sum(per_fold.values()) == n
    assert np.array_equal(folds, stratified_folds(leaves, 5))
    assert sorted(Counter(folds.tolist()).values()) == [4, 4, 4, 4, 4]  # rare leaves do not pile into fold 0


def test_suspect_rule_needs_an_unlikely_label_and_a_likely_other_leaf():
    probs = np.array(
        [
            [0.05, 0.90, 0.05],  # label 0 unlikely, leaf 1 likely: suspect
            [0.15, 0.80, 0.05],  # label not unlikely enough
            [0.02, 0.60, 0.38],  # no leaf likely enough
            [0.01, 0.01, 0.98],  # label 0, leaf 2 even surer: suspect, first
            [0.90, 0.05, 0.05],  # right
        ]
    )
    y = np.array([0, 0, 0, 0, 0])
    assert find_suspects(probs, y, max_given=0.1, min_suggested=0.8) == [(3, 2), (0, 1)]
    assert find_suspects(probs, y, max_given=0.2, min_suggested=0.8) == [(3, 2), (0, 1), (1, 1)]


def test_out_of_fold_scores_find_flipped_labels_the_fit_has_seen():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), 30)
    x = (np.eye(3, 16)[y] * 10 + rng.normal(size=(90, 16))).astype(np.float32)  # three clean clusters
    noisy = y.copy()
    noisy[[0, 31, 62]] = [1, 2, 0]  # three flipped labels
    probs, temperature = out_of_fold_probabilities(x, noisy, 3, folds=5)
    assert sorted(find_suspects(probs, noisy)) == [(0, 0), (31, 1), (62, 2)]  # each with its true class suggested
    assert np.allclose(probs.sum(axis=1), 1.0) and temperature > 0
    assert out_of_fold_probabilities(x, noisy, 3, folds=2)[0].shape == (90, 3)


def test_audit_finds_planted_label_errors_in_real_photos(fashion, taxonomy, tmp_path):
    from icaam_desktop.core.training.evaluation import catalogue_products

    folder, planted = planted_catalog(fashion, tmp_path / "cat")
    products, problems = catalogue_products(folder, taxonomy=taxonomy)
    assert len(products) == 40 and not problems
    ticks = []
    audit = audit_labels(products, taxonomy=taxonomy, device="cpu", progress=lambda d, t, m="": ticks.append(m))
    found = {s.product_id: (s.given, s.suggested) for s in audit.suspects}
    assert planted.items() <= found.items(), (planted, found)
    assert len(found) <= len(planted) + 2  # clean, distinct photos are (almost) never flagged
    assert audit.n_products == 40 and audit.oof_accuracy >= 0.85
    assert any("probe" in m for m in ticks)
    first = audit.suspects[0]
    assert first.p_given < 0.1 <= 0.8 <= first.p_suggested

    files = write_audit(audit, tmp_path / "out", taxonomy=taxonomy)
    with files["suspects"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {r["product_id"] for r in rows} == set(found)
    row = next(r for r in rows if r["product_id"] in planted)
    assert row["given_category"] == taxonomy.path_label(row["given_leaf"])
    assert " > " in row["suggested_category"] and Path(row["image"]).is_file()
    pairs = files["pairs"].read_text(encoding="utf-8").splitlines()
    assert pairs[0] == "given_leaf;suggested_leaf;products" and len(pairs) >= 4
    from PIL import Image

    with Image.open(files["sheet"]) as sheet:
        assert sheet.width == 8 * 160 and sheet.height >= 160
    assert not list((tmp_path / "out").glob("*.part"))


def test_products_that_cannot_be_audited_are_listed_with_the_reason(fashion, taxonomy, tmp_path):
    from icaam_desktop.core.training.evaluation import LabelledProduct, catalogue_products

    folder, _ = planted_catalog(fashion, tmp_path / "cat")
    products, _ = catalogue_products(folder, taxonomy=taxonomy)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"<html>not a photo</html>")
    extra = [
        LabelledProduct("ONE-OF-A-KIND", "sunglasses", (products[0].images[0],)),  # a leaf with 1 product
        LabelledProduct("NOT-IN-TREE", "no_such_leaf", (products[0].images[0],)),
        LabelledProduct("BROKEN", "tshirts", (broken,)),
    ]
    audit = audit_labels(products + extra, taxonomy=taxonomy, device="cpu")
    reasons = {s.split(":")[0]: s for s in audit.skipped}
    assert "fewer than the 5 folds" in reasons["ONE-OF-A-KIND"]
    assert "not a category" in reasons["NOT-IN-TREE"]
    assert "no decodable photo" in reasons["BROKEN"]
    assert audit.n_products == 40


def test_an_audit_needs_two_leaves(taxonomy):
    from icaam_desktop.core.training.evaluation import LabelledProduct

    lonely = [LabelledProduct(f"P{i}", "tshirts", (Path("x.jpg"),)) for i in range(6)]
    with pytest.raises(ValueError, match="at least 2 leaves"):
        audit_labels(lonely, taxonomy=taxonomy, device="cpu")


def test_pairs_count_the_disagreements():
    s = [
        LabelSuspect("a", "flats", "heels", 0.05, 0.9, ()),
        LabelSuspect("b", "flats", "heels", 0.02, 0.85, ()),
        LabelSuspect("c", "tops", "tshirts", 0.01, 0.95, ()),
    ]
    audit = LabelAudit(suspects=s, n_products=10, oof_accuracy=0.9, temperature=1.0, backbone="x")
    assert audit.pairs() == [("flats", "heels", 2), ("tops", "tshirts", 1)]


def test_a_failed_write_leaves_no_half_written_files(taxonomy, tmp_path, monkeypatch):
    import icaam_desktop.core.training.audit as audit_module

    audit = LabelAudit(
        suspects=[LabelSuspect("a", "flats", "heels", 0.05, 0.9, ())],
        n_products=10,
        oof_accuracy=0.9,
        temperature=1.0,
        backbone="x",
    )

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit_module, "contact_sheet", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_audit(audit, tmp_path / "out", taxonomy=taxonomy)
    assert list((tmp_path / "out").iterdir()) == []
    monkeypatch.undo()
    files = write_audit(audit, tmp_path / "out", taxonomy=taxonomy)
    assert files["suspects"].read_text(encoding="utf-8").splitlines()[1].startswith("a;flats;")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "label_audit.csv",
        "label_audit.png",
        "label_audit_pairs.csv",
    ]
