"""Training: catalogue data and splits (data), fine-tuning (train), head-only retrain, evaluation, MLflow tracking.

``train_classifier`` and ``TrainResult`` are importable from here; they load lazily so that importing a
light sibling module (e.g. ``tracking``) does not pull in torch.
"""

from __future__ import annotations

__all__ = ["TrainResult", "train_classifier"]

CHECKPOINT = "checkpoint.pt"  # in a model folder while its training is unfinished: what a resume starts from
DEFAULT_EPOCHS = 20  # the most epochs of a fine-tune (CLI and GUI); early stopping on validation usually ends it sooner


def __getattr__(name: str):
    if name in __all__:
        from icaam_desktop.core.training import train

        return getattr(train, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
