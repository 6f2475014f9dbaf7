"""Shared fixtures: real data from ../shared when present, settings redirected to tmp."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_FASHION = REPO.parent / "shared" / "data" / "fashion"
TESTDATA = REPO / "tests" / "data"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never touch the real user data/config dirs from a test."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("ICAAM_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("ICAAM_CONFIG_DIR", str(base / "config"))


@pytest.fixture(scope="session")
def fashion() -> Path:
    """The shared dev dataset; the tests that need it skip without it (CI has it)."""
    if not SHARED_FASHION.is_dir():
        pytest.skip("../shared/data/fashion is not present")
    return SHARED_FASHION


@pytest.fixture(scope="session")
def taxonomy_dir() -> Path:
    """The retailer taxonomy: the shared one, else the small copy under resources/demo."""
    if SHARED_FASHION.is_dir():
        return SHARED_FASHION / "taxonomy"
    return REPO / "resources" / "demo" / "taxonomy"
