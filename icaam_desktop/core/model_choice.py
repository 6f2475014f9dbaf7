"""Which model the app and the CLI use, and with which thresholds: one rule for both faces.

An explicit model folder (``--model``, or the ``model_path`` setting) wins; else the model activated
with ``icaam models activate`` / the window's model picker; else the shipped ``models/default``. The
analyst's per-level thresholds from the settings, when set, replace the model card's. Cheap to
import (no torch) until a model is actually loaded.
"""

from __future__ import annotations

from pathlib import Path

from icaam_desktop import paths
from icaam_desktop.core.settings import Settings, SettingsError


def model_folder(model_path: str | Path | None = "") -> Path:
    """The model folder to use: ``model_path`` if given, else the activated model, else the shipped default."""
    if model_path:
        return Path(model_path)
    from icaam_desktop.core.training.tracking import active_model_dir

    return active_model_dir() or paths.models_dir() / "default"


def apply_thresholds(classifier, thresholds: list[float]) -> None:
    """Replace the card's per-level thresholds with the settings' (nothing to do when they are empty)."""
    if not thresholds:
        return
    levels = len(classifier.thresholds or [])
    if levels and len(thresholds) != levels:
        raise SettingsError(
            f"the model has {levels} levels but the settings give {len(thresholds)} thresholds: "
            f"set {levels} (File > Settings…) or leave them empty for the model's own"
        )
    classifier.thresholds = [float(t) for t in thresholds]


def load_configured_classifier(model: str | Path | None = None, *, device: str, settings: Settings):
    """Load the model the rule above picks (``model`` overrides the setting) with the settings' thresholds."""
    from icaam_desktop.core.classify import load_classifier

    classifier = load_classifier(model_folder(model or settings.model_path), device=device)
    apply_thresholds(classifier, settings.thresholds)
    return classifier
