"""Fixtures for the classifier tests: the shipped model, the real taxonomy, small real deliveries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.catalogue import demo_delivery

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "resources" / "demo"


@pytest.fixture(scope="session")
def taxonomy(taxonomy_dir):
    from icaam_desktop.core.taxonomy import load_taxonomy

    return load_taxonomy(taxonomy_dir)


@pytest.fixture(scope="session")
def classifier():
    """The shipped default model on the CPU (real weights, ~14 MB)."""
    from icaam_desktop.core.classify import default_model_dir, load_classifier

    if not (default_model_dir() / "model.safetensors").is_file():
        pytest.skip("models/default is not present")
    return load_classifier(device="cpu")


@pytest.fixture()
def small_delivery(tmp_path) -> Path:
    return demo_delivery(tmp_path / "small", 5)
