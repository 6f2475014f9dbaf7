"""Head-only retrain: the math on synthetic embeddings, and real analyst overrides on real photos."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from icaam_desktop.core.jobs import Cancelled, CancelToken
from icaam_desktop.core.training.headonly import (
    TrainingSet,
    balanced_weights,
    bump_version,
    fit_head,
    retrain_head,
    target_row,
)
from tests.core.training.test_metrics import LABELS, TREE


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _clusters(rng, n_per: int, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.repeat(np.arange(len(centres)), n_per)
    return (centres[y] + rng.normal(0, 0.3, (len(y), centres.shape[1]))).astype(np.float32), y


def _hard(y: np.ndarray, n_labels: int) -> np.ndarray:
    t = np.zeros((len(y), n_labels), dtype=bool)
    t[np.arange(len(y)), y] = True
    return t


def test_target_row_handles_leaves_inner_categories_and_untrained_ones():
    assert target_row("a1y", LABELS, TREE).tolist() == [False, True, False, False, False]
    assert target_row("A", LABELS, TREE).tolist() == [True, True, True, False, False]  # "one of these"
    assert target_row("c1x", LABELS, TREE) is None  # the model has no class for it
    assert target_row("nope", LABELS, TREE) is None


def test_balanced_weights_and_version_bump():
    w = balanced_weights(["a"] * 9 + ["b"])
    assert w.mean() == pytest.approx(1.0) and w[-1] == pytest.approx(3 * w[0])
    assert bump_version("1.0") == "1.0-h1" and bump_version("1.0-h1") == "1.0-h2" and bump_version("") == "0-h1"


@pytest.mark.parametrize("dim", [16, 600])
def test_fit_moves_corrected_points_and_replay_keeps_the_rest(dim):
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 2, (4, dim))
    x, y = _clusters(rng, 50, centres)
    w0, b0 = fit_head(
        TrainingSet(x, _hard(y, 4), np.ones(len(y))), weight=np.zeros((4, dim)), bias=np.zeros(4), iterations=100
    )
    assert (_softmax(x @ w0.T + b0).argmax(1) == y).mean() > 0.95
    # analysts say: the 5 points of class 0 closest to class 1 are class 2; class-0 points elsewhere stay
    towards = ((x - centres[1]) ** 2).sum(1)
    moved = np.argsort(np.where(y == 0, towards, np.inf))[:5]
    others = np.setdiff1d(np.arange(len(y)), moved)
    data = TrainingSet(
        x[moved],
        _hard(np.full(5, 2), 4),
        np.full(5, 10.0),
        replay_embeddings=x[others],
        replay_probs=_softmax(x[others] @ w0.T + b0).astype(np.float32),
        replay_weights=np.ones(len(others)),
        n_corrections=5,
    )
    w1, b1 = fit_head(data, weight=w0, bias=b0)
    after = _softmax(x @ w1.T + b1).argmax(1)
    assert (after[moved] == 2).all()
    assert (after[others] == y[others]).mean() > 0.95


def test_set_valued_target_is_satisfied_by_any_leaf_below():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (30, 8)).astype(np.float32)
    # "one of leaves 1 or 2" for every row: the fit must put (almost) all mass there, in either leaf
    targets = np.zeros((30, 4), dtype=bool)
    targets[:, 1:3] = True
    w, b = fit_head(TrainingSet(x, targets, np.ones(30)), weight=np.zeros((4, 8)), bias=np.zeros(4), l2=1e-4)
    p = _softmax(x @ w.T + b)
    assert (p[:, 1] + p[:, 2] > 0.9).all()


def test_fit_stops_when_cancelled():
    token = CancelToken()
    token.cancel()
    data = TrainingSet(np.zeros((2, 3), np.float32), _hard(np.array([0, 1]), 2), np.ones(2))
    with pytest.raises(Cancelled):
        fit_head(data, weight=np.zeros((2, 3)), bias=np.zeros(2), cancel=token)


# ----------------------------------------------------------------------------- real photos

N_PRODUCTS = 60
N_OVERRIDES = 20


@pytest.fixture(scope="module")
def small_delivery(fashion, tmp_path_factory):
    """The first 60 Northwind products (sheet subset + their primary photos) and their true leaves."""
    src = fashion / "suppliers" / "northwind"
    folder = tmp_path_factory.mktemp("delivery") / "northwind60"
    (folder / "images").mkdir(parents=True)
    with (src / "products.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))[:N_PRODUCTS]
    with (folder / "products.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        shutil.copy(src / "images" / row["Image File"], folder / "images" / row["Image File"])
    with (src / "truth" / "categories.csv").open(encoding="utf-8") as handle:
        truth = {r["supplier_sku"]: r["category_code"] for r in csv.DictReader(handle, delimiter=";")}
    return folder, {row["Article No"]: truth[row["Article No"]] for row in rows}


def build_probe_model(paths: list, leaves: list[str], folder, *, taxonomy_fingerprint: str):
    """ImageNet lite0 + a head fitted on these photos' leaves, saved as a model folder; returns (folder, embeddings)."""
    import torch

    from icaam_desktop.core.classify.backbone import HierarchicalClassifier, backbone_config, create_backbone
    from icaam_desktop.core.classify.model_io import Classifier, save_classifier

    labels = sorted(set(leaves))
    backbone = create_backbone("tf_efficientnet_lite0", pretrained=True)
    model = HierarchicalClassifier(backbone, len(labels)).eval()
    card = {
        "name": "test-probe",
        "version": "t1",
        "labels": labels,
        "backbone": "tf_efficientnet_lite0",
        "taxonomy_fingerprint": taxonomy_fingerprint,
        "temperature": 1.0,
        "thresholds": [0.5, 0.5, 0.5],
        **backbone_config(backbone),
    }
    emb, _ = Classifier(model, card, torch.device("cpu"), "cpu").embed_paths(paths, batch_size=32)
    y = np.array([labels.index(leaf) for leaf in leaves])
    w, b = fit_head(
        TrainingSet(emb, _hard(y, len(labels)), np.ones(len(y))),
        weight=np.zeros((len(labels), emb.shape[1])),
        bias=np.zeros(len(labels)),
        iterations=100,
    )
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(w))
        model.head.bias.copy_(torch.from_numpy(b))
    return save_classifier(model, folder=folder, card=card), emb


@pytest.fixture(scope="module")
def classifier_and_embeddings(small_delivery, tmp_path_factory):
    """The shipped model when there is one; else ImageNet lite0 with a head fitted on these photos' true leaves.

    Returns (classifier, {image path: embedding}).
    """
    from icaam_desktop.core.classify.model_io import default_model_dir, load_classifier
    from icaam_desktop.core.taxonomy import load_taxonomy
    from tests.conftest import SHARED_FASHION

    folder, truth = small_delivery
    paths = sorted((folder / "images").glob("*.jpg"))
    if (default_model_dir() / "model.safetensors").is_file():
        classifier = load_classifier(device="cpu")
        emb, _ = classifier.embed_paths(paths, batch_size=32)
        return classifier, dict(zip(paths, emb, strict=True))
    fingerprint = load_taxonomy(SHARED_FASHION / "taxonomy").fingerprint
    saved, emb = build_probe_model(
        paths,
        [truth[p.stem] for p in paths],
        tmp_path_factory.mktemp("model") / "probe",
        taxonomy_fingerprint=fingerprint,
    )
    return load_classifier(saved, device="cpu"), dict(zip(paths, emb, strict=True))


@pytest.mark.slow
def test_twenty_overrides_change_those_predictions(small_delivery, classifier_and_embeddings, taxonomy_dir, tmp_path):
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.store import FIELD_CATEGORY, SOURCE_ANALYST, Workspace, image_key
    from icaam_desktop.core.taxonomy import load_taxonomy

    folder, _truth = small_delivery
    classifier, embeddings = classifier_and_embeddings
    taxonomy = load_taxonomy(taxonomy_dir)
    ws = Workspace.open(tmp_path / "ws.sqlite")
    ws.import_taxonomy(taxonomy)
    ws.upsert_delivery(open_delivery(folder))
    products = ws.products("northwind60")
    assert len(products) == N_PRODUCTS
    # cache 40 embeddings up front; the retrain must compute only the other 20
    paths = {p.product_id: p.images[0].path for p in products}
    overridden = [p.product_id for p in products[:N_OVERRIDES]]
    ws.put_embeddings(
        classifier.backbone_id,
        {image_key(paths[pid]): embeddings[paths[pid]] for pid in paths if pid not in overridden},
    )

    def top_leaf(clf, pids):
        emb = np.stack([embeddings[paths[pid]] for pid in pids])
        return [clf.labels[i] for i in clf.leaf_probs_from_embeddings(emb).argmax(1)]

    before = dict(zip(paths, top_leaf(classifier, list(paths)), strict=True))
    # each override: the model's second choice for that product (a plausible analyst correction)
    emb20 = np.stack([embeddings[paths[pid]] for pid in overridden])
    second = np.argsort(-classifier.leaf_probs_from_embeddings(emb20), axis=1)[:, 1]
    override = {pid: classifier.labels[j] for pid, j in zip(overridden, second, strict=True)}
    for pid, leaf in override.items():
        ws.record_decision(
            delivery="northwind60", product_id=pid, field=FIELD_CATEGORY, value=leaf, source=SOURCE_ANALYST
        )
    assert sum(before[pid] == override[pid] for pid in overridden) == 0

    steps = []
    result = retrain_head(
        classifier=classifier,
        workspace=ws,
        taxonomy=taxonomy,
        delivery="northwind60",
        out_dir=tmp_path / "retrained",
        progress=lambda done, total, msg="": steps.append(msg),
    )
    assert result.n_corrections == N_OVERRIDES
    assert (result.n_embedded, result.n_cached) == (N_OVERRIDES, N_PRODUCTS - N_OVERRIDES)
    assert result.corrections_fit_before == 0.0 and result.corrections_fit_after >= 0.9
    after = dict(zip(paths, top_leaf(result.classifier, list(paths)), strict=True))
    flipped = sum(after[pid] == override[pid] for pid in overridden)
    assert flipped >= 15, f"only {flipped}/20 overridden products now predict the analyst's category"
    others = [pid for pid in paths if pid not in override]
    kept = sum(after[pid] == before[pid] for pid in others) / len(others)
    assert kept >= 0.9, f"the retrain changed {1 - kept:.0%} of the products nobody corrected"
    # the old classifier is untouched; the new one is saved with a card that says what happened
    assert top_leaf(classifier, overridden) == [before[pid] for pid in overridden]
    from icaam_desktop.core.classify.model_io import load_classifier

    reloaded = load_classifier(result.model_dir, device="cpu")
    assert reloaded.version == bump_version(classifier.version) == result.version
    assert "head-only retrain from 20 corrections" in reloaded.card["head_only"]["note"]
    assert top_leaf(reloaded, overridden) == [after[pid] for pid in overridden]
    assert reloaded.backbone_id == classifier.backbone_id  # the embedding cache stays valid
    # the delivery is re-predicted from the cache at once, and the workspace takes the new predictions
    from icaam_desktop.core.training.headonly import predict_cached

    predictions, not_cached = predict_cached(
        classifier=result.classifier, workspace=ws, taxonomy=taxonomy, delivery="northwind60"
    )
    assert not_cached == [] and len(predictions) == N_PRODUCTS
    by_id = {p.product_id: p for p in predictions}
    assert [by_id[pid].leaf_code for pid in paths] == [after[pid] for pid in paths]
    assert {p.model_version for p in predictions} == {result.version}
    ws.save_predictions("northwind60", predictions)
    # a second retrain finds every embedding cached, and is tracked in MLflow when asked
    from mlflow.tracking import MlflowClient

    from icaam_desktop.core.training.tracking import start_run

    uri = f"sqlite:///{(tmp_path / 'mlflow' / 'mlflow.db').as_posix()}"
    with start_run(tracking_uri=uri, run_name="head-only", params={}) as run:
        again = retrain_head(
            classifier=result.classifier, workspace=ws, taxonomy=taxonomy, out_dir=tmp_path / "again", tracker=run
        )
    assert again.n_embedded == 0
    logged = MlflowClient(uri).get_run(run.run_id)
    assert logged.data.params["mode"] == "head-only" and logged.data.metrics["corrections_fit_after"] >= 0.9
    assert run.model_version == "1"
    ws.close()
