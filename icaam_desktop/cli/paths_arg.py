"""Argument loaders shared by the command modules: folders, the taxonomy, the model."""

from __future__ import annotations

from pathlib import Path

from icaam_desktop.cli import UsageError


def existing_dir(value: str | Path, what: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise UsageError(f"{what} {str(path)!r} is not a folder")
    return path


def existing_file(value: str | Path, what: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"{what} {str(path)!r} does not exist")
    return path


def taxonomy_arg(value: str | Path):
    """Load and validate the ``--taxonomy`` folder; an invalid schema is bad usage."""
    from icaam_desktop.core.taxonomy import TaxonomyError, load_taxonomy

    try:
        return load_taxonomy(existing_dir(value, "taxonomy folder"))
    except TaxonomyError as exc:
        raise UsageError(str(exc)) from exc


def classifier_arg(model: str | None, *, taxonomy, device: str):
    """Load ``--model`` (else the activated model, else the shipped default) and check it fits ``taxonomy``."""
    from icaam_desktop.core.classify import ModelError, ModelTaxonomyMismatch, load_classifier
    from icaam_desktop.core.training.tracking import active_model_dir

    folder = existing_dir(model, "model folder") if model else active_model_dir()
    try:
        classifier = load_classifier(folder, device=device)
        classifier.check_taxonomy(taxonomy)
    except ModelTaxonomyMismatch as exc:
        raise UsageError(str(exc)) from exc
    except (ModelError, RuntimeError, ValueError) as exc:
        raise UsageError(f"cannot load the model: {exc}") from exc
    return classifier
