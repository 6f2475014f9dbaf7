"""Start a training run from an existing model instead of ImageNet weights (``icaam train --init``)."""

from __future__ import annotations

from pathlib import Path

import torch

from icaam_desktop.core.classify.backbone import HierarchicalClassifier, create_backbone, read_state_dict
from icaam_desktop.core.classify.model_io import WEIGHTS_FILE, ModelError, read_card


def warm_start(folder: Path, labels: list[str]) -> tuple[HierarchicalClassifier, str]:
    """A classifier for ``labels`` initialised from the model in ``folder`` (and that model's backbone name).

    The backbone is copied whole; head rows are copied for the leaves both label lists share, the
    others keep their fresh initialisation. Raises ``ModelError`` for a folder that is not a model.
    """
    card = read_card(folder)
    tensors, _ = read_state_dict(folder / WEIGHTS_FILE)
    name = str(card["backbone"])
    net = HierarchicalClassifier(create_backbone(name, pretrained=False), len(labels))
    body = {k.removeprefix("backbone."): v for k, v in tensors.items() if k.startswith("backbone.")}
    try:
        net.backbone.load_state_dict(body, strict=True)
    except RuntimeError as exc:
        raise ModelError(f"{folder} does not hold a {name} backbone: {exc}") from exc
    old_rows = {code: i for i, code in enumerate(card["labels"])}
    with torch.no_grad():
        for i, code in enumerate(labels):
            if code in old_rows:
                net.head.weight[i] = tensors["head.weight"][old_rows[code]]
                net.head.bias[i] = tensors["head.bias"][old_rows[code]]
    return net, name
