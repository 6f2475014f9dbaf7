"""Hierarchical metrics on a small hand-made tree whose answers are worked out by hand below."""

from __future__ import annotations

import json

import numpy as np
import pytest

from icaam_desktop.core.taxonomy import Category, Taxonomy
from icaam_desktop.core.training.metrics import (
    NEVER_ACCEPT,
    choose_thresholds,
    coverage_error_curve,
    evaluate,
    fit_temperature,
    flat_metrics,
    marginalise,
)


def make_tree(edges: list[tuple[str, str]]) -> Taxonomy:
    """A Taxonomy from (child, parent) edges below the root ``r`` (parents listed before children)."""
    cats = {"r": Category("r", None, depth=0, path=())}
    for child, parent in edges:
        path = (*cats[parent].path, child)
        cats[child] = Category(child, parent, depth=len(path), path=path)
    return Taxonomy(categories=cats, attributes={}, assignments={}, root="r")


# r ─ A ─ A1 ─ a1x, a1y
#   │   └ A2 ─ a2x
#   ├ B ─ B1 ─ b1x
#   │   └ B2            (a leaf at depth 2: stands for itself at level 3)
#   └ C ─ C1 ─ c1x      (not a model label)
TREE = make_tree(
    [
        ("A", "r"), ("A1", "A"), ("a1x", "A1"), ("a1y", "A1"), ("A2", "A"), ("a2x", "A2"),
        ("B", "r"), ("B1", "B"), ("b1x", "B1"), ("B2", "B"),
        ("C", "r"), ("C1", "C"), ("c1x", "C1"),
    ]
)  # fmt: skip
LABELS = ["a1x", "a1y", "a2x", "b1x", "B2"]
Y_TRUE = ["a1x", "a1y", "a2x", "B2", "c1x"]
PROBS = np.array(
    [
        [0.62, 0.18, 0.10, 0.05, 0.05],  # A .90 > A1 .80 > a1x .62        all right
        [0.50, 0.30, 0.00, 0.10, 0.10],  # A .80 > A1 .80 > a1x .50        leaf wrong (a1y), distance 2
        [0.10, 0.10, 0.20, 0.35, 0.25],  # B .60 > B1 .35 > b1x .35        all wrong (a2x), distance 6
        [0.05, 0.00, 0.00, 0.50, 0.45],  # B .95 > B1 .50 > b1x .50        levels 2-3 wrong (B2), distance 3
        [0.25, 0.15, 0.20, 0.20, 0.20],  # A .60 > A1 .40 > a1x .25        unknown leaf c1x, distance 6
    ]
)


def test_marginalise_sums_leaves_up_the_tree():
    levels = marginalise(PROBS, LABELS, TREE)
    codes1, p1 = levels[1]
    assert codes1 == ["A", "B"]
    np.testing.assert_allclose(p1[0], [0.90, 0.10])
    codes3, p3 = levels[3]
    assert codes3 == LABELS  # the depth-2 leaf B2 stands for itself at level 3
    np.testing.assert_allclose(p3, PROBS)
    for _, p in levels.values():
        np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_per_level_accuracy_and_macro_f1_match_hand_computation():
    r = evaluate(y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE)
    assert r["n"] == 5 and r["depth"] == 3 and r["unknown_true_leaves"] == 1
    lv = r["levels"]
    # level 1: true A A A B C, predicted A A B B A
    assert lv["1"]["accuracy"] == pytest.approx(3 / 5)
    # A: tp2 fp1 fn1 -> 2/3; B: tp1 fp1 fn0 -> 2/3; C: 0
    assert lv["1"]["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    # level 2: true A1 A1 A2 B2 C1, predicted A1 A1 B1 B1 A1
    assert lv["2"]["accuracy"] == pytest.approx(2 / 5)
    assert lv["2"]["macro_f1"] == pytest.approx(0.8 / 5)  # only A1 scores: 2*2/(4+1+0)
    # level 3: true a1x a1y a2x B2 c1x, predicted a1x a1x b1x b1x a1x
    assert lv["3"]["accuracy"] == pytest.approx(1 / 5)
    assert lv["3"]["macro_f1"] == pytest.approx(0.5 / 6)  # a1x: 2/(2+2+0); 6 classes in the union
    conf1 = lv["1"]["confusion"]
    assert conf1["labels"] == ["A", "B", "C"]
    assert conf1["counts"] == [[2, 1, 0], [0, 1, 0], [1, 0, 0]]
    assert sum(map(sum, lv["3"]["confusion"]["counts"])) == 5
    # with product ids, each cell names its products (the GUI lists them when a cell is clicked)
    ids = ["p1", "p2", "p3", "p4", "p5"]
    cells = evaluate(y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE, product_ids=ids)["levels"]["1"]
    assert cells["confusion"]["cells"] == [
        ["A", "A", ["p1", "p2"]],
        ["A", "B", ["p3"]],
        ["B", "B", ["p4"]],
        ["C", "A", ["p5"]],
    ]


def test_hierarchical_prf_and_severity_match_hand_computation():
    r = evaluate(y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE)
    # ancestor-set overlaps 3+2+0+1+0 = 6; predicted sets 3+3+3+3+3 = 15; true sets 3+3+3+2+3 = 14
    h = r["hierarchical"]
    assert h["precision"] == pytest.approx(6 / 15)
    assert h["recall"] == pytest.approx(6 / 14)
    assert h["f1"] == pytest.approx(2 * (6 / 15) * (6 / 14) / (6 / 15 + 6 / 14))
    s = r["severity"]
    assert s["n_errors"] == 4
    assert s["histogram"] == {"2": 1, "3": 1, "6": 2}
    assert s["mean_over_errors"] == pytest.approx(17 / 4)
    assert s["mean_over_all"] == pytest.approx(17 / 5)


def test_leaf_ece_matches_hand_computation():
    r = evaluate(y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE)
    # leaf confidences .62 (right) | .50 .50 (both wrong, one bin) | .35 | .25: each in its own 1/15 bin
    expected = 0.2 * abs(1 - 0.62) + 0.4 * 0.5 + 0.2 * 0.35 + 0.2 * 0.25
    assert r["ece_leaf"] == pytest.approx(expected)


def test_thresholds_apply_the_deepest_confident_level_rule():
    r = evaluate(y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE, thresholds={1: 0.7, 2: 0.45, 3: 0.45})
    at = r["at_thresholds"]["levels"]
    # level 1 accepts rows 0, 1, 3 (.90 .80 .95), all right
    assert at["1"]["coverage"] == pytest.approx(0.6) and at["1"]["error"] == 0.0
    # level 2 keeps them (.80 .80 .50); row 3 is wrong there
    assert at["2"]["coverage"] == pytest.approx(0.6) and at["2"]["error"] == pytest.approx(1 / 3)
    assert at["3"]["coverage"] == pytest.approx(0.6) and at["3"]["error"] == pytest.approx(2 / 3)
    assert r["at_thresholds"]["auto_leaf_share"] == pytest.approx(0.6)
    # a strict level 1 gates the levels below even when their own thresholds are low (keys may be strings)
    strict = evaluate(
        y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE, thresholds={"1": 0.92, "2": 0.1, "3": 0.1}
    )["at_thresholds"]
    assert [strict["levels"][d]["coverage"] for d in "123"] == pytest.approx([0.2, 0.2, 0.2])
    assert strict["auto_leaf_error"] == 1.0
    # the model card's list form (index 0 = level 1) means the same as the mapping
    as_list = evaluate(y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE, thresholds=[0.7, 0.45, 0.45])
    assert as_list["at_thresholds"] == r["at_thresholds"]


def test_result_is_json_serialisable_and_flattens():
    r = evaluate(y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE, thresholds={1: 0.5, 2: 0.5, 3: 0.5})
    again = json.loads(json.dumps(r))
    assert again["levels"]["3"]["accuracy"] == pytest.approx(0.2)
    flat = flat_metrics(r)
    assert flat["level2_accuracy"] == pytest.approx(0.4)
    assert flat["hier_f1"] == pytest.approx(r["hierarchical"]["f1"])
    assert all(isinstance(v, float) for v in flat.values())


def test_choose_thresholds_on_the_hand_made_tree():
    th = choose_thresholds(probs=PROBS, y_true_leaf=Y_TRUE, labels=LABELS, taxonomy=TREE, target_error=0.01)
    # level 1 sorted: .95 ok, .90 ok, .80 ok, .60/.60 wrong -> .80; level 2: .80/.80 ok, .50 wrong -> .80
    # level 3: .62 ok, then .50 wrong -> .62
    assert th == pytest.approx({1: 0.80, 2: 0.80, 3: 0.62})


def test_coverage_curve_known_answer_and_ties():
    conf = np.array([0.6, 0.9, 0.7, 0.8, 0.7])
    correct = np.array([True, True, False, True, True])
    curve = coverage_error_curve(conf, correct)
    # .9 ok | .8 ok | .7 .7 (one wrong) accepted together | .6 ok
    np.testing.assert_allclose(curve["points"], [[0.2, 0.0], [0.4, 0.0], [0.8, 0.25], [1.0, 0.2]])
    assert curve["thresholds"] == pytest.approx([0.9, 0.8, 0.7, 0.6])


def test_choose_thresholds_recovers_known_threshold_on_calibrated_synthetic_data():
    # Depth-1 tree with two leaves; confidence c ~ U(0.5, 1) and the prediction is right with probability c.
    # The accepted set {c >= t} then errs (1 - t) / 2 on average: 1% error needs t = 0.98.
    tree = make_tree([("x", "r"), ("y", "r")])
    rng = np.random.default_rng(0)
    c = rng.uniform(0.5, 1.0, 40_000)
    truth = np.where(rng.uniform(size=c.size) < c, "x", "y").tolist()
    probs = np.stack([c, 1 - c], axis=1)
    th = choose_thresholds(probs=probs, y_true_leaf=truth, labels=["x", "y"], taxonomy=tree, target_error=0.01)
    assert 0.96 < th[1] < 0.995
    r = evaluate(y_true_leaf=truth, probs=probs, labels=["x", "y"], taxonomy=tree, thresholds=th)
    assert r["at_thresholds"]["levels"]["1"]["error"] <= 0.01
    assert r["at_thresholds"]["auto_leaf_share"] == pytest.approx((1 - th[1]) / 0.5, abs=0.01)
    assert r["ece_leaf"] < 0.02  # calibrated by construction


def test_choose_thresholds_never_accepts_when_the_most_confident_is_wrong():
    tree = make_tree([("x", "r"), ("y", "r")])
    th = choose_thresholds(probs=np.array([[0.9, 0.1]]), y_true_leaf=["y"], labels=["x", "y"], taxonomy=tree)
    assert th[1] == NEVER_ACCEPT > 1.0


def test_fit_temperature_recovers_known_temperature():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 3, size=(20_000, 6))
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = (p.cumsum(1) > rng.uniform(size=(len(p), 1))).argmax(1)
    assert fit_temperature(z * 2.5, y) == pytest.approx(2.5, rel=0.05)
    assert fit_temperature(z * 0.5, y) == pytest.approx(0.5, rel=0.05)


def test_model_label_outside_the_tree_is_a_clear_error():
    with pytest.raises(ValueError, match="not in the taxonomy"):
        evaluate(y_true_leaf=["a1x"], probs=np.array([[1.0]]), labels=["zzz"], taxonomy=TREE)


def test_plots_write_png_files(tmp_path):
    from icaam_desktop.core.training.plots import training_curves_png, write_report

    r = evaluate(y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE, thresholds={1: 0.7, 2: 0.5, 3: 0.5})
    written = write_report(r, tmp_path / "report", title="hand-made")
    names = sorted(p.name for p in written)
    assert names == [
        "confusion_level1.png",
        "confusion_level2.png",
        "confusion_level3.png",
        "coverage_error.png",
        "metrics.json",
    ]
    assert json.loads((tmp_path / "report" / "metrics.json").read_text())["levels"]["1"]["accuracy"] == pytest.approx(
        0.6
    )
    history = [
        {"epoch": 1, "train_loss": 1.2, "val_level3_accuracy": 0.5},
        {"epoch": 2, "train_loss": 0.8, "val_level3_accuracy": 0.7},
    ]
    for png in [*written[1:], training_curves_png(history, tmp_path / "curves.png")]:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000
