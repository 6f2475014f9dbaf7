"""Argument loaders shared by the command modules: folders, output paths, the taxonomy, the model,
the workspace; and the atomic writer every output file goes through."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

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


def _writable_folder(folder: Path, what: str) -> None:
    """``folder`` (or the nearest existing folder above it, where it will be created) can be written to."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{what}: {str(probe)!r} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: cannot write in {str(probe)!r} (permission denied)")


def output_file(value: str | Path, what: str) -> Path:
    """An output file path checked BEFORE the work: its folder exists and is writable, it is not a folder."""
    path = Path(value).expanduser()
    if path.is_dir():
        raise UsageError(f"{what} {str(path)!r} is a folder: name the file to write")
    folder = path.parent
    if not folder.exists():
        raise UsageError(f"{what}: the folder {str(folder)!r} does not exist")
    _writable_folder(folder, what)
    return path


def output_dir(value: str | Path, what: str) -> Path:
    """An output folder checked BEFORE the work: not a file, and creatable or writable."""
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{what} {str(path)!r} is a file, not a folder")
    _writable_folder(path, what)
    return path


@contextmanager
def atomic_text(path: Path, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Write ``path`` through ``path.tmp``, renamed into place only when complete: a failure or Ctrl-C
    leaves the previous file (or none) and no temporary file behind."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding=encoding, newline="") as handle:
            yield handle
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_files_atomically(writes: dict[Path, Callable[[TextIO], None]]) -> None:
    """Several files that belong together: all written to temporaries first, then renamed in one go."""
    done: list[Path] = []
    try:
        for path, write in writes.items():
            tmp = path.with_name(path.name + ".tmp")
            done.append(tmp)
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                write(handle)
        for path in writes:
            path.with_name(path.name + ".tmp").replace(path)
    finally:
        for tmp in done:
            tmp.unlink(missing_ok=True)


def workspace_arg(value: str | Path, *, create: bool = True):
    """Open ``--db``; a file that is not a usable workspace is bad usage, said before any work."""
    from icaam_desktop.core.store import Workspace, WorkspaceError

    try:
        return Workspace.open(value, create=create)
    except WorkspaceError as exc:
        raise UsageError(f"cannot use workspace {str(value)!r}: {exc}") from None


def table_arg(value: str | Path, what: str) -> tuple[list[str], list[dict[str, str]]]:
    """A small CSV/TSV/XLSX input (``--predictions``, ``--labels``) read like a supplier sheet: any common
    encoding and delimiter. Returns (columns, rows); an unreadable file is bad usage."""
    from icaam_desktop.core.delivery import DeliveryError, read_sheet

    path = existing_file(value, what)
    try:
        info, rows = read_sheet(path)
    except DeliveryError as exc:
        raise UsageError(f"{what}: {exc}") from None
    return list(info.columns), [row.cells for row in rows]


def taxonomy_arg(value: str | Path):
    """Load and validate the ``--taxonomy`` folder; an invalid schema is bad usage."""
    from icaam_desktop.core.taxonomy import TaxonomyError, load_taxonomy

    try:
        return load_taxonomy(existing_dir(value, "taxonomy folder"))
    except TaxonomyError as exc:
        raise UsageError(str(exc)) from exc


def classifier_arg(model: str | None, *, taxonomy, device: str):
    """Load ``--model`` (else the model the settings or an activation name, else the shipped default, as the
    window does, with the settings' thresholds) and check it fits ``taxonomy``."""
    from icaam_desktop.core.classify import ModelError, ModelTaxonomyMismatch
    from icaam_desktop.core.model_choice import load_configured_classifier
    from icaam_desktop.core.settings import SettingsError, load_settings

    if model:
        existing_dir(model, "model folder")
    try:
        classifier = load_configured_classifier(model, device=device, settings=load_settings())
        classifier.check_taxonomy(taxonomy)
    except ModelTaxonomyMismatch as exc:
        raise UsageError(str(exc)) from exc
    except (ModelError, SettingsError, RuntimeError, ValueError) as exc:
        raise UsageError(f"cannot load the model: {exc}") from exc
    return classifier
