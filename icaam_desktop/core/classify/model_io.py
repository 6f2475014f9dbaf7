"""A trained classifier on disk (safetensors + model card) and in memory (``Classifier``).

A model folder holds ``model.safetensors`` (keys ``backbone.*`` and ``head.*``; metadata
``timm_name``) and ``model_card.json``. The card is the ONE source of truth for the label
order (``labels`` = trained leaf codes, the head's output order), preprocessing,
temperature, per-level thresholds and the taxonomy fingerprint the model was trained on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from icaam_desktop.core.classify.backbone import HierarchicalClassifier, create_backbone, weights_hash
from icaam_desktop.core.classify.hierarchy import LevelIndex, aggregate_images, build_predictions, softmax
from icaam_desktop.core.classify.pipeline import PipelineOptions, embed_images
from icaam_desktop.core.classify.prediction import STATUS_REJECTED, Prediction
from icaam_desktop.core.errors import IcaamError
from icaam_desktop.core.jobs import CancelToken, Progress, no_progress
from icaam_desktop.core.taxonomy import Taxonomy

WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "model_card.json"


class ModelError(IcaamError, RuntimeError):
    """A model folder is missing or broken."""


class ModelTaxonomyMismatch(ModelError):
    """The model was trained on another category tree than the one in use."""


def select_device(requested: str = "auto") -> torch.device:
    """``auto`` | ``cpu`` | ``cuda`` -> the torch device (``device_choice`` also says why)."""
    return device_choice(requested)[0]


def device_choice(requested: str = "auto") -> tuple[torch.device, str]:
    """``auto`` | ``cpu`` | ``cuda`` -> (device, a sentence: "CUDA: NVIDIA H100 ..." or "CPU (no CUDA device)").

    ``cuda`` without a usable GPU raises ``RuntimeError`` with the reason.
    """
    requested = (requested or "auto").lower()
    if requested not in ("auto", "cpu", "cuda") and not requested.startswith("cuda:"):
        raise ValueError(f"device must be auto, cpu or cuda, not {requested!r}")
    if requested == "cpu":
        return torch.device("cpu"), "CPU (asked for)"
    if torch.cuda.is_available():
        dev = torch.device(requested if requested.startswith("cuda:") else "cuda")
        return dev, f"CUDA: {torch.cuda.get_device_name(dev)}"
    why = "CPU (no CUDA device)"
    if not torch.backends.cuda.is_built():
        why = "CPU (this PyTorch build has no CUDA)"
    if requested.startswith("cuda"):
        raise RuntimeError(f"--device cuda asked for, but CUDA is not available: {why}")
    return torch.device("cpu"), why


def default_model_dir() -> Path:
    from icaam_desktop.paths import models_dir

    return models_dir() / "default"


def save_classifier(model: HierarchicalClassifier, *, folder: str | Path, card: dict) -> Path:
    """Write ``model.safetensors`` + ``model_card.json`` into ``folder`` (atomically per file)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to("cpu").contiguous()
        for k, v in model.state_dict().items()
        if k.startswith(("backbone.", "head."))
    }
    tmp = folder / (WEIGHTS_FILE + ".tmp")
    save_file(state, str(tmp), metadata={"timm_name": str(card.get("backbone", "")), "format": "icaam-v1"})
    os.chmod(tmp, 0o644)  # safetensors writes 0600: a model is shared (a team folder, MLflow artifacts)
    os.replace(tmp, folder / WEIGHTS_FILE)
    tmp_card = folder / (CARD_FILE + ".tmp")
    tmp_card.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp_card, folder / CARD_FILE)
    return folder


def read_card(folder: str | Path) -> dict:
    path = Path(folder) / CARD_FILE
    if not path.is_file():
        raise ModelError(f"no {CARD_FILE} in {folder}")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path} cannot be read as a model card: {exc}") from exc
    if not isinstance(card, dict):
        raise ModelError(f"{path} is not a model card (a JSON object)")
    return card


class Classifier:
    """A loaded model: embeddings, calibrated leaf probabilities and per-product predictions."""

    def __init__(self, model: HierarchicalClassifier, card: dict, device: torch.device, device_description: str):
        self.model = model.eval()
        self.card = card
        self.device = device
        self.device_description = device_description
        self.folder: Path | None = None  # set by load_classifier
        self.labels: list[str] = list(card["labels"])
        self.temperature = float(card.get("temperature", 1.0))
        self.thresholds: list[float] = [float(t) for t in card.get("thresholds", [])]
        self.size = int(card.get("input_size", 224))
        self.mean = list(card.get("mean", (0.5, 0.5, 0.5)))
        self.std = list(card.get("std", (0.5, 0.5, 0.5)))
        self.aggregation = str(card.get("aggregation", "mean_log"))
        # nvJPEG decoding stays opt-in: on the H200 (2026-11-28) it was 2.5x faster on 1080x1440 photos but
        # agreed with the fp32 CPU-decoded reference on only 79.5% of top-1 leaves (97.4% at 224 px).
        self.options = PipelineOptions(gpu_decode=False)
        self.backbone_id = weights_hash(model.backbone)

    @property
    def version(self) -> str:
        return str(self.card.get("version", ""))

    def check_taxonomy(self, taxonomy: Taxonomy) -> None:
        """Raise ``ModelTaxonomyMismatch`` unless the model was trained on this tree."""
        expected = self.card.get("taxonomy_fingerprint")
        if expected != taxonomy.fingerprint:
            missing = [c for c in self.labels if c not in taxonomy.categories]
            known = set(self.labels) | set(self.card.get("untrainable_leaves", []))
            added = [leaf.code for leaf in taxonomy.leaves() if leaf.code not in known] if known else []
            hint = (
                "".join(
                    f"; {what} ({len(codes)}): {', '.join(codes[:5])}{', …' if len(codes) > 5 else ''}"
                    for what, codes in (
                        ("categories of the model unknown to this taxonomy", missing),
                        ("categories new since the model was trained", added),
                    )
                    if codes
                )
                or "; the categories are the same but the tree's structure or labels changed"
            )
            raise ModelTaxonomyMismatch(
                f"model {self.card.get('name', '?')} {self.version} was trained on taxonomy {expected}, "
                f"but the taxonomy in use is {taxonomy.fingerprint}{hint}. Train a model on this taxonomy "
                "(icaam train) or pick the matching model."
            )

    def embed_paths(
        self,
        paths: Sequence[str | Path],
        *,
        batch_size: int = 64,
        progress: Progress = no_progress,
        cancel: CancelToken | None = None,
    ) -> tuple[np.ndarray, list[object | None]]:
        """Backbone features ``[n, d]`` per path and each path's ``ImageRejected`` (None when decoded)."""
        opts = PipelineOptions(**{**self.options.__dict__, "batch_size": batch_size})
        return embed_images(
            self.model,
            [Path(p) for p in paths],
            device=self.device,
            size=self.size,
            mean=self.mean,
            std=self.std,
            options=opts,
            progress=progress,
            cancel=cancel,
        )

    def leaf_logits_from_embeddings(self, emb: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            head = self.model.head
            x = torch.from_numpy(np.ascontiguousarray(emb, dtype=np.float32)).to(head.weight.device)
            return head(x).float().cpu().numpy()

    def leaf_probs_from_embeddings(self, emb: np.ndarray) -> np.ndarray:
        """Calibrated (temperature-scaled) leaf probabilities ``[n, len(labels)]``."""
        return softmax(self.leaf_logits_from_embeddings(emb), self.temperature)

    def predict_products(
        self,
        products: Sequence,
        *,
        taxonomy: Taxonomy,
        batch_size: int = 64,
        progress: Progress = no_progress,
        cancel: CancelToken | None = None,
    ) -> list[Prediction]:
        """One ``Prediction`` per product (``core.delivery.model.Product``), photos aggregated per product."""
        self.check_taxonomy(taxonomy)
        index = LevelIndex.build(taxonomy, self.labels)
        paths: list[Path] = []
        owner: list[int] = []
        for i, product in enumerate(products):
            for image in product.images:
                if image.ok:
                    paths.append(Path(image.path))
                    owner.append(i)
        emb, errors = self.embed_paths(paths, batch_size=batch_size, progress=progress, cancel=cancel)
        probs = self.leaf_probs_from_embeddings(emb) if len(paths) else np.zeros((0, len(self.labels)))
        groups: list[list[int]] = [[] for _ in products]
        decode_reasons: list[list[str]] = [[] for _ in products]
        for row, (i, err) in enumerate(zip(owner, errors, strict=True)):
            if err is None:
                groups[i].append(row)
            else:
                decode_reasons[i].append(f"{paths[row].name}: {getattr(err, 'verdict', 'unreadable')} ({err})")
        return self._assemble(products, probs, groups, decode_reasons, index)

    def _assemble(self, products, probs, groups, decode_reasons, index: LevelIndex) -> list[Prediction]:
        usable = [i for i, g in enumerate(groups) if g]
        agg = aggregate_images(probs, [groups[i] for i in usable], method=self.aggregation) if usable else None
        reasons_usable = []
        for i in usable:
            header = [f"{im.rel}: {im.verdict} ({im.reason})" for im in products[i].images if not im.ok]
            reasons_usable.append(header + decode_reasons[i])
        made = (
            build_predictions(
                [products[i].product_id for i in usable],
                agg,
                index=index,
                thresholds=self.thresholds or [0.0] * index.depth,
                model_version=self.version,
                n_images=[len(groups[i]) for i in usable],
                reasons=reasons_usable,
            )
            if usable
            else []
        )
        by_product = dict(zip(usable, made, strict=True))
        out: list[Prediction] = []
        for i, product in enumerate(products):
            if i in by_product:
                out.append(by_product[i])
                continue
            reasons = [f"{im.rel}: {im.verdict} ({im.reason})" for im in product.images if not im.ok]
            reasons += decode_reasons[i]
            if not product.images:
                reasons.append("no image")
            out.append(
                Prediction(
                    product_id=product.product_id,
                    status=STATUS_REJECTED,
                    category_code=None,
                    leaf_code=None,
                    levels=[],
                    n_images=0,
                    reasons=reasons or ["no usable image"],
                    model_version=self.version,
                )
            )
        return out


def load_classifier(path: str | Path | None = None, *, device: str = "auto") -> Classifier:
    """Load a model folder (default: the shipped ``models/default``) onto ``device``."""
    from icaam_desktop.core.classify.backbone import WeightsError, read_state_dict

    folder = Path(path) if path is not None else default_model_dir()
    if folder.is_file():
        folder = folder.parent
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelError(f"no {WEIGHTS_FILE} in {folder}: not a model folder")
    card = read_card(folder)
    for key in ("labels", "backbone", "taxonomy_fingerprint"):
        if key not in card:
            raise ModelError(f"{folder / CARD_FILE} lacks {key!r}")
    dev, why = device_choice(device)
    backbone = create_backbone(card["backbone"], pretrained=False)
    model = HierarchicalClassifier(backbone, len(card["labels"]))
    try:
        tensors, _ = read_state_dict(weights)
    except WeightsError as exc:
        raise ModelError(str(exc)) from exc
    missing = set(model.state_dict()) - set(tensors)
    extra = set(tensors) - set(model.state_dict())
    if missing or extra:
        raise ModelError(
            f"{weights} does not fit {card['backbone']}: missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]}"
        )
    model.load_state_dict(tensors, strict=True)
    model = model.to(dev).eval()
    if dev.type == "cuda" or card.get("channels_last", True):
        model = model.to(memory_format=torch.channels_last)
    classifier = Classifier(model, card, dev, why)
    classifier.folder = folder  # where it was loaded from (reports, the model picker)
    return classifier
