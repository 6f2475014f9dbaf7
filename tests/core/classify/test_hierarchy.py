"""Level consistency, thresholds/abstention, calibration and photo aggregation (pure numpy, real taxonomy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from icaam_desktop.core.classify.hierarchy import (
    LevelIndex,
    aggregate_images,
    build_predictions,
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from icaam_desktop.core.classify.pipeline import run_in_chunks

LABELS = ["tshirts", "shirts", "tops", "casual_shoes", "sports_shoes", "heels", "handbags", "watches_watches"]


@pytest.fixture(scope="module")
def index(taxonomy):
    return LevelIndex.build(taxonomy, LABELS)


def test_levels_are_consistent_with_the_tree(taxonomy, index):
    rng = np.random.default_rng(0)
    probs = softmax(rng.normal(size=(200, len(LABELS))) * 3)
    preds = build_predictions([str(i) for i in range(200)], probs, index=index, thresholds=[0.5, 0.7, 0.9])
    for pred in preds:
        codes = tuple(lv.code for lv in pred.levels)
        assert codes == taxonomy.ancestors(pred.leaf_code)  # a leaf implies its ancestors
        confs = [lv.confidence for lv in pred.levels]
        assert confs[0] >= confs[1] - 1e-12 >= confs[2] - 2e-12  # a parent is at least as likely as its child
        for lv in pred.levels:
            assert lv.alternatives[0] == (lv.code, pytest.approx(lv.confidence))
    for d in (1, 2, 3):
        assert np.allclose(index.level_probs(probs, d).sum(axis=1), 1.0)


def test_top_down_choice_can_differ_from_the_leaf_argmax(index):
    # Footwear as a whole outweighs the single best apparel leaf: the top-down path picks footwear.
    p = np.zeros((1, len(LABELS)))
    p[0, LABELS.index("tshirts")] = 0.34
    p[0, LABELS.index("casual_shoes")] = 0.33
    p[0, LABELS.index("sports_shoes")] = 0.33
    pred = build_predictions(["x"], p, index=index, thresholds=[0.5, 0.5, 0.5])[0]
    assert pred.levels[0].code == "footwear" and pred.levels[0].confidence == pytest.approx(0.66)
    assert pred.leaf_code in ("casual_shoes", "sports_shoes")


def test_thresholds_decide_auto_review_and_deepest_accepted_level(index):
    thresholds = [0.6, 0.8, 0.9]
    p = np.full((3, len(LABELS)), 1e-6)
    p[0, LABELS.index("shirts")] = 0.97  # confident all the way down
    p[1, LABELS.index("shirts")], p[1, LABELS.index("tshirts")] = 0.55, 0.43  # topwear sure, leaf unsure
    p[2, LABELS.index("shirts")], p[2, LABELS.index("heels")] = 0.5, 0.5  # not even level 1 is sure
    p /= p.sum(axis=1, keepdims=True)
    auto, review, unsure = build_predictions(["a", "b", "c"], p, index=index, thresholds=thresholds)
    assert (auto.status, auto.category_code, auto.leaf_code) == ("auto", "shirts", "shirts")
    assert [lv.accepted for lv in auto.levels] == [True, True, True]
    assert (review.status, review.category_code, review.leaf_code) == ("review", "topwear", "shirts")
    assert [lv.accepted for lv in review.levels] == [True, True, False]
    assert "level 3" in review.reasons[0]
    assert unsure.status == "review" and unsure.category_code is None
    assert not any(lv.accepted for lv in unsure.levels)


def test_the_review_reason_never_reads_as_a_tie(index):
    """0.9812 against 0.9827 is shown with the decimals that tell them apart, not as "0.98 below 0.98"."""
    p = np.full((2, len(LABELS)), 1e-9)
    p[0, LABELS.index("shirts")], p[0, LABELS.index("tshirts")] = 0.9812, 0.0188
    p[1, LABELS.index("shirts")], p[1, LABELS.index("tshirts")] = 0.41, 0.59
    p /= p.sum(axis=1, keepdims=True)
    close, far = build_predictions(["a", "b"], p, index=index, thresholds=[0.5, 0.5, 0.9827])
    assert close.reasons == ["level 3 confidence 98.1% below threshold 98.2%"]
    assert far.reasons == ["level 3 confidence 59% below threshold 98%"]


def test_choose_threshold_meets_the_target_error():
    conf = np.array([0.99, 0.98, 0.97, 0.95, 0.90, 0.80, 0.70, 0.60])
    correct = np.array([1, 1, 1, 1, 0, 1, 0, 0], dtype=bool)
    assert choose_threshold(conf, correct, target_error=0.0) == pytest.approx(0.95)
    assert choose_threshold(conf, correct, target_error=0.2) == pytest.approx(0.80)  # 1 error in 6
    assert choose_threshold(conf[4:5], correct[4:5], target_error=0.01) > 1.0  # nothing qualifies: accept nothing


def test_temperature_scaling_recovers_the_true_temperature_and_lowers_ece():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4000, 10)) * 4
    true_t = 2.5
    labels = np.array([rng.choice(10, p=row) for row in softmax(logits, true_t)])
    t = fit_temperature(logits, labels)
    assert t == pytest.approx(true_t, rel=0.1)
    raw, cal = softmax(logits), softmax(logits, t)
    ece_raw = expected_calibration_error(raw.max(1), raw.argmax(1) == labels)
    ece_cal = expected_calibration_error(cal.max(1), cal.argmax(1) == labels)
    assert ece_cal < ece_raw / 2


def test_photo_aggregation_methods():
    per_image = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    mean_prob = aggregate_images(per_image, [[0, 2], [1]], method="mean_prob")
    assert np.allclose(mean_prob, [[0.55, 0.45], [0.6, 0.4]])
    mean_log = aggregate_images(per_image, [[0, 2], [1]], method="mean_log")
    g = np.sqrt([0.9 * 0.2, 0.1 * 0.8])
    assert np.allclose(mean_log[0], g / g.sum()) and np.allclose(mean_log[1], [0.6, 0.4])


class FakeOOM(RuntimeError):
    """What PyTorch raises: a RuntimeError whose text says CUDA out of memory."""


def test_out_of_memory_halves_the_batch_and_carries_on():
    calls: list[int] = []

    def fn(x: torch.Tensor) -> torch.Tensor:
        calls.append(len(x))
        if len(x) > 5:
            raise FakeOOM("CUDA out of memory. Tried to allocate 2.00 GiB")
        return x * 2

    x = torch.arange(23, dtype=torch.float32)
    shrunk: list[int] = []
    out, chunk = run_in_chunks(fn, x, chunk=16, on_shrink=shrunk.append)
    assert torch.equal(out, x * 2) and chunk == 4 and shrunk == [8, 4]
    assert calls[:3] == [16, 8, 4]

    def always(x: torch.Tensor) -> torch.Tensor:
        raise FakeOOM("out of memory")

    with pytest.raises(FakeOOM):
        run_in_chunks(always, x, chunk=4)

    def other(x: torch.Tensor) -> torch.Tensor:
        raise ValueError("not an OOM")

    with pytest.raises(ValueError):
        run_in_chunks(other, x, chunk=4)
