"""Where things live: user data/config dirs and bundled resources/models.

PyInstaller-aware: in a frozen app the bundled folders sit under ``sys._MEIPASS``.
Environment overrides (``ICAAM_DATA_DIR``, ``ICAAM_CONFIG_DIR``) let tests and
portable installs redirect everything to one folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "icaam-desktop"


def bundle_root() -> Path:
    """The folder that holds ``resources/`` and ``models/`` (repo root or frozen bundle)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return bundle_root() / "resources"


def models_dir() -> Path:
    return bundle_root() / "models"


def demo_dir() -> Path:
    return resources_dir() / "demo"


def selftest_dir() -> Path:
    """Labelled catalogue photos the shipped model never trained on (``--self-test``)."""
    return resources_dir() / "selftest"


def user_data_dir() -> Path:
    override = os.environ.get("ICAAM_DATA_DIR")
    if override:
        path = Path(override)
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_config_dir() -> Path:
    override = os.environ.get("ICAAM_CONFIG_DIR")
    if override:
        path = Path(override)
    else:
        import platformdirs

        path = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_workspace() -> Path:
    """The default SQLite workspace file."""
    return user_data_dir() / "workspace.sqlite"
