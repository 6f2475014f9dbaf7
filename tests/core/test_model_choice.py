"""One rule picks the model and its thresholds for the CLI and the window."""

from __future__ import annotations

import shutil

import pytest

from icaam_desktop import paths
from icaam_desktop.core.model_choice import apply_thresholds, load_configured_classifier, model_folder
from icaam_desktop.core.settings import Settings, SettingsError
from icaam_desktop.core.training import tracking

DEFAULT = paths.models_dir() / "default"


def test_explicit_then_activated_then_shipped(tmp_path):
    assert model_folder("") == DEFAULT
    copy = tmp_path / "mine"
    shutil.copytree(DEFAULT, copy)
    active = tracking.activate_model(copy)
    assert model_folder("") == active
    assert model_folder(str(copy)) == copy  # an explicit folder (argument or setting) wins
    tracking.deactivate_model()
    assert model_folder(None) == DEFAULT


def test_settings_thresholds_replace_the_cards_and_must_fit():
    classifier = load_configured_classifier(device="cpu", settings=Settings(thresholds=[0.5, 0.6, 0.7]))
    assert classifier.thresholds == [0.5, 0.6, 0.7]
    assert load_configured_classifier(device="cpu", settings=Settings()).thresholds == classifier.card["thresholds"]
    with pytest.raises(SettingsError, match="the model has 3 levels but the settings give 2 thresholds"):
        apply_thresholds(classifier, [0.5, 0.5])
