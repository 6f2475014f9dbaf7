"""The installed Qt binding counts references correctly (PySide6 6.12.0 on Python 3.11 does not)."""

from __future__ import annotations

import pytest

from icaam_desktop.gui.qt_compat import binding_problem

pytestmark = pytest.mark.gui


def test_installed_pyside_counts_references():
    assert binding_problem() is None
