from __future__ import annotations

import pytest

from icaam_desktop.core.taxonomy import load_taxonomy
from tests.core.store.workspace_data import build_workspace, open_northwind, truth_categories


@pytest.fixture(scope="session")
def taxonomy(taxonomy_dir):
    return load_taxonomy(taxonomy_dir)


@pytest.fixture(scope="session")
def northwind(fashion):
    return open_northwind(fashion)


@pytest.fixture(scope="session")
def truth(fashion):
    return truth_categories(fashion)


@pytest.fixture
def ws(tmp_path, taxonomy, northwind):
    workspace = build_workspace(tmp_path / "ws.sqlite", taxonomy, northwind)
    yield workspace
    workspace.close()
