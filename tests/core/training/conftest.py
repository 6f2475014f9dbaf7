"""Shared pieces of the training tests: the retailer taxonomy and a short CPU training run on real photos."""

from __future__ import annotations

import pytest

from icaam_desktop.core.training.train import train_classifier


@pytest.fixture(scope="module")
def taxonomy(taxonomy_dir):
    from icaam_desktop.core.taxonomy import load_taxonomy

    return load_taxonomy(taxonomy_dir)


@pytest.fixture
def train_small(fashion, taxonomy):
    """``train_small(out, backbone=..., **overrides)``: a short CPU training on 40 real catalogue products."""

    def run(out, **overrides):
        kwargs = dict(
            catalog=fashion / "catalog", taxonomy=taxonomy, out=out, epochs=1, device="cpu", limit=40, variants=2
        )
        return train_classifier(**{**kwargs, **overrides})

    return run
