"""Hierarchical image classification: backbone, consistent multi-level predictions, fast pipeline.

The torch-backed names load on first use, so that importing the prediction types (store, export,
GUI start-up) does not pay for importing torch.
"""

from importlib import import_module

from icaam_desktop.core.classify.prediction import (
    STATUS_AUTO,
    STATUS_REJECTED,
    STATUS_REVIEW,
    LevelPrediction,
    Prediction,
)

_LAZY = {
    "DEFAULT_BACKBONE": "backbone",
    "HierarchicalClassifier": "backbone",
    "WeightsError": "backbone",
    "create_backbone": "backbone",
    "Classifier": "model_io",
    "ModelError": "model_io",
    "ModelTaxonomyMismatch": "model_io",
    "default_model_dir": "model_io",
    "device_choice": "model_io",
    "load_classifier": "model_io",
    "save_classifier": "model_io",
    "select_device": "model_io",
    "classify_delivery": "run",
}

__all__ = ["STATUS_AUTO", "STATUS_REJECTED", "STATUS_REVIEW", "LevelPrediction", "Prediction", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
