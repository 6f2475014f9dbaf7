"""Training mechanics on the real catalogue with a tiny timm backbone: cancel + resume, head-only, the model card."""

from __future__ import annotations

import pytest
import torch

from icaam_desktop.core.classify import load_classifier
from icaam_desktop.core.jobs import Cancelled, CancelToken
from icaam_desktop.core.training.data import load_catalog, split_items
from icaam_desktop.core.training.train import CHECKPOINT

TINY = "mobilenetv3_small_050"  # random init, no download: the mechanics, not the accuracy


@pytest.fixture
def tiny_run(train_small):
    """A short CPU training of the tiny backbone on 40 real catalogue products."""
    return lambda out, **overrides: train_small(out, **{"backbone": TINY, **overrides})


def test_split_is_by_product_fixed_and_stratified(fashion, taxonomy):
    catalog = load_catalog(fashion / "catalog", taxonomy=taxonomy)
    assert len(catalog.items) == 6811 and not catalog.problems
    a, b = split_items(catalog.items), split_items(catalog.items)
    assert [it.sku for it in a["test"]] == [it.sku for it in b["test"]]
    skus = [{it.sku for it in a[k]} for k in ("train", "val", "test")]
    assert not (skus[0] & skus[1]) and not (skus[0] & skus[2]) and not (skus[1] & skus[2])
    assert sum(map(len, skus)) == 6811
    assert 0.08 < len(skus[2]) / 6811 < 0.12
    # every leaf of the catalogue is trained on; rare leaves stay whole in train
    assert {it.leaf for it in a["train"]} == {it.leaf for it in catalog.items}


def test_a_repeated_sku_is_reported_and_used_once(fashion, taxonomy, tmp_path):
    """A sku listed twice would put one photo in two splits (train and test): only its first row counts."""
    from tests.catalogue import catalogue_rows, write_catalogue

    rows = catalogue_rows(fashion)[:6]
    folder = write_catalogue(tmp_path / "cat", rows, fashion=fashion)
    with (folder / "products.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{rows[2]['sku']};{rows[0]['categories']}\n")
    catalog = load_catalog(folder, taxonomy=taxonomy)
    assert [it.sku for it in catalog.items] == [r["sku"] for r in rows]
    assert catalog.problems == [f"line 8: sku {rows[2]['sku']} repeats line 4; this row is ignored"]


@pytest.mark.slow
def test_cancel_leaves_a_checkpoint_and_resume_finishes(tiny_run, taxonomy, tmp_path):
    out = tmp_path / "model"
    token = CancelToken()
    seen: list[int] = []

    def stop_after_first(record: dict) -> None:
        seen.append(record["epoch"])
        token.cancel()

    common = dict(epochs=3, batch_size=16)
    with pytest.raises(Cancelled):
        tiny_run(out, **common, cancel=token, on_epoch=stop_after_first)
    assert seen == [1]
    state = torch.load(out / CHECKPOINT, map_location="cpu", weights_only=True)
    assert state["epoch"] == 0 and len(state["history"]) == 1
    assert not (out / "model.safetensors").exists()

    result = tiny_run(out, **common, resume=True, on_epoch=lambda r: seen.append(r["epoch"]))
    assert seen == [1, 2, 3]  # epoch 1 was not redone
    assert result.epochs_run == 3 and [h["epoch"] for h in result.history] == [1, 2, 3]
    assert sorted(p.name for p in out.iterdir()) == ["model.safetensors", "model_card.json"]  # checkpoint gone
    assert (out / "model.safetensors").stat().st_mode & 0o044 == 0o044  # readable by the team, not 0600
    card = result.card
    assert card["backbone"] == TINY and len(card["thresholds"]) == 3 and card["temperature"] > 0
    assert card["taxonomy_fingerprint"] == taxonomy.fingerprint
    assert set(card["labels"]).isdisjoint(card["untrainable_leaves"])
    assert len(card["labels"]) + len(card["untrainable_leaves"]) == len(taxonomy.leaves())
    clf = load_classifier(out, device="cpu")
    assert clf.labels == card["labels"] and clf.model.head.out_features == len(card["labels"])


def test_head_only_keeps_the_backbone(tiny_run, tmp_path):
    from icaam_desktop.core.classify import create_backbone

    torch.manual_seed(0)
    result = tiny_run(tmp_path / "head", head_only=True)
    assert result.card["mode"] == "head-only"
    torch.manual_seed(0)
    fresh = create_backbone(TINY).state_dict()
    trained = load_classifier(tmp_path / "head", device="cpu").model.backbone.state_dict()
    assert all(torch.equal(fresh[k], trained[k].float() if fresh[k].is_floating_point() else trained[k]) for k in fresh)


@pytest.mark.slow
def test_compiled_training_step_trains_and_saves_the_plain_model(tiny_run, tmp_path):
    """--compile: the step runs through torch.compile; the saved weights are the plain module's, loadable."""
    from icaam_desktop.core.classify.compiled import compiler_available

    if not compiler_available():
        pytest.fail("torch.compile needs a C++ compiler on the CPU (apt-get install g++)")
    result = tiny_run(tmp_path / "compiled", epochs=2, batch_size=16, compile=True)
    assert result.card["training"]["compiled"] is True
    losses = [h["train_loss"] for h in result.history]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
    clf = load_classifier(tmp_path / "compiled", device="cpu")
    assert not any(k.startswith("_orig_mod") for k in clf.model.state_dict())


@pytest.mark.slow
def test_a_training_step_that_cannot_compile_trains_eagerly(tiny_run, tmp_path):
    import torch._inductor.config as inductor_config

    messages: list[str] = []
    torch._dynamo.reset()  # and batch 8 below: kernels no earlier test has built, so a compiler is needed
    with inductor_config.patch({"cpp.cxx": ("/nonexistent/g++",), "fx_graph_cache": False}):
        result = tiny_run(
            tmp_path / "eager",
            batch_size=8,
            compile=True,
            progress=lambda done, total, message="": messages.append(message),
        )
    assert result.card["training"]["compiled"] is False
    assert any("training eagerly" in m for m in messages)
    assert result.epochs_run == 1 and torch.isfinite(torch.tensor(result.history[0]["train_loss"]))


@pytest.mark.slow
def test_init_continues_from_an_existing_model(tiny_run, tmp_path):
    """--init: the backbone and the shared leaves' head rows come from the given model, not ImageNet."""
    from icaam_desktop.core.training.warm_start import warm_start

    first = tiny_run(tmp_path / "first")
    old = load_classifier(tmp_path / "first", device="cpu").model.state_dict()
    labels = first.card["labels"]
    new_labels = [labels[1], "a_leaf_the_first_model_never_saw", labels[0]]
    net, name = warm_start(tmp_path / "first", new_labels)
    assert name == TINY
    body = net.backbone.state_dict()
    assert all(torch.equal(body[k], old[f"backbone.{k}"]) for k in body)
    assert torch.equal(net.head.weight[0], old["head.weight"][1]) and torch.equal(
        net.head.weight[2], old["head.weight"][0]
    )
    assert not any(torch.equal(net.head.weight[1], row) for row in old["head.weight"])  # fresh row for the new leaf

    second = tiny_run(tmp_path / "second", init=tmp_path / "first")
    assert second.card["training"]["initialised_from"] == str(tmp_path / "first")
    assert second.card["backbone"] == first.card["backbone"]
