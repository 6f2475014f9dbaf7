"""Argument helpers shared by the command modules."""

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
