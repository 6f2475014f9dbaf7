"""Hierarchical image classification: backbone, consistent multi-level predictions, fast pipeline."""

from icaam_desktop.core.classify.backbone import (
    DEFAULT_BACKBONE,
    HierarchicalClassifier,
    WeightsError,
    create_backbone,
)
from icaam_desktop.core.classify.model_io import (
    Classifier,
    ModelError,
    ModelTaxonomyMismatch,
    default_model_dir,
    device_choice,
    load_classifier,
    save_classifier,
    select_device,
)
from icaam_desktop.core.classify.prediction import (
    STATUS_AUTO,
    STATUS_REJECTED,
    STATUS_REVIEW,
    LevelPrediction,
    Prediction,
)

__all__ = [
    "DEFAULT_BACKBONE",
    "STATUS_AUTO",
    "STATUS_REJECTED",
    "STATUS_REVIEW",
    "Classifier",
    "HierarchicalClassifier",
    "LevelPrediction",
    "ModelError",
    "ModelTaxonomyMismatch",
    "Prediction",
    "WeightsError",
    "classify_delivery",
    "create_backbone",
    "default_model_dir",
    "device_choice",
    "load_classifier",
    "save_classifier",
    "select_device",
]


def __getattr__(name: str):
    # classify_delivery pulls in the workspace store lazily (it is optional for the pipeline).
    if name == "classify_delivery":
        from icaam_desktop.core.classify.run import classify_delivery

        return classify_delivery
    raise AttributeError(name)
