"""Settings round-trip through the JSON file; bad files and values never stop the app."""

from __future__ import annotations

import json

import pytest

from icaam_desktop.core.settings import Settings, SettingsError, load_settings, save_settings, settings_path


def test_defaults_when_no_file():
    settings = load_settings()
    assert settings == Settings()
    assert settings.problems == []


def test_round_trip(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    saved = Settings(
        model_path=str(model),
        device="cpu",
        batch_size=8,
        thresholds=[0.9, 0.7, 0.5],
        mlflow_tracking_uri="http://mlflow.example:5000",
        last_workspace=str(tmp_path / "w.sqlite"),
    )
    path = save_settings(saved)
    assert path == settings_path()
    assert load_settings() == saved


@pytest.mark.parametrize(
    "change",
    [
        {"device": "tpu"},
        {"batch_size": 0},
        {"batch_size": "8"},
        {"thresholds": [1.5]},
        {"model_path": "/nope/x"},
        {"embedding_model": "/nope/minilm"},
    ],
)
def test_validation_rejects_bad_values(change):
    settings = Settings(**change)
    with pytest.raises(SettingsError):
        settings.validate()
    with pytest.raises(SettingsError):
        save_settings(settings)


def test_bad_values_in_file_fall_back_one_by_one():
    settings_path().write_text(json.dumps({"device": "tpu", "batch_size": 16, "unknown": 1}), encoding="utf-8")
    settings = load_settings()
    assert settings.device == "auto"
    assert settings.batch_size == 16
    assert any("device" in p for p in settings.problems)


def test_corrupt_file_gives_defaults_and_a_reason():
    settings_path().write_text("{not json", encoding="utf-8")
    settings = load_settings()
    assert settings == Settings()
    assert settings.problems and "could not be read" in settings.problems[0]
