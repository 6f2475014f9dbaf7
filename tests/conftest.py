"""Shared fixtures: real data from ../shared when present, settings redirected to tmp."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


class _QtBlocker:
    """With ICAAM_BLOCK_QT=1 any PySide6 import fails: proves the core's tests need no Qt (CI runs them so)."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ModuleNotFoundError(f"PySide6 is blocked in this run (ICAAM_BLOCK_QT=1): {name}", name=name)
        return None


if os.environ.get("ICAAM_BLOCK_QT") == "1":
    sys.meta_path.insert(0, _QtBlocker())

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
