"""Opening a workspace file safely: checks first, then SQLite, and nothing left behind on failure.

SQLite only discovers a read-only folder after it has created the database file
(and, in WAL mode, its ``-wal``/``-shm`` companions). So the folder and the file
are checked before SQLite sees them, and if anything still fails while opening,
every file and folder this call created is removed again.

The folder check uses ``os.access`` AND a real probe file: ``os.access`` is not
enough on its own because root passes it on a read-only mount, and the probe
alone would not explain a permission problem as clearly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from pathlib import Path

from icaam_desktop.core.store.migrations import APPLICATION_ID, LATEST_VERSION, apply_migrations, schema_version
from icaam_desktop.core.store.records import WorkspaceError

SQLITE_HEADER = b"SQLite format 3\x00"
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def open_connection(path: Path, *, create: bool, timeout: float) -> sqlite3.Connection:
    """A configured, migrated connection to ``path`` (autocommit mode: callers open transactions)."""
    if path.is_dir():
        raise WorkspaceError(f"{path} is a folder; a workspace is a single .sqlite file")
    existed = path.exists()
    if not existed and not create:
        raise WorkspaceError(f"there is no workspace at {path}")
    created_dirs = _ensure_folder(path.parent)
    side_before = {s for s in SIDE_SUFFIXES if _side(path, s).exists()}
    try:
        _check_folder_writable(path.parent)
        if existed:
            _check_file(path)
        return _connect(path, timeout)
    except BaseException:
        if not existed:
            path.unlink(missing_ok=True)
        for suffix in SIDE_SUFFIXES:
            if suffix not in side_before:
                _side(path, suffix).unlink(missing_ok=True)
        for folder in created_dirs:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _side(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _ensure_folder(folder: Path) -> list[Path]:
    """Create ``folder`` if missing; return the folders created, deepest first (for cleanup)."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    if current.exists() and not current.is_dir():
        raise WorkspaceError(f"cannot put a workspace under {folder}: {current} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for created in missing:
            if created.exists():
                with contextlib.suppress(OSError):
                    created.rmdir()
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise _read_only(current, f"cannot create {folder}: {exc.strerror}") from exc
        raise WorkspaceError(f"cannot create the folder {folder}: {exc.strerror or exc}") from exc
    return missing


def _read_only(folder: Path, why: str) -> WorkspaceError:
    return WorkspaceError(
        f"the folder {folder} is read-only ({why}); a workspace needs a writable folder for its "
        "database and journal files. Choose another location (e.g. --db) or fix the permissions."
    )


def _check_folder_writable(folder: Path) -> None:
    # WAL mode writes -wal/-shm files next to the database, so even an existing
    # workspace needs a writable folder.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _read_only(folder, "no write permission")
    try:
        handle, probe = tempfile.mkstemp(prefix=".icaam-probe-", dir=folder)
    except OSError as exc:
        raise _read_only(folder, exc.strerror or str(exc)) from exc
    os.close(handle)
    os.unlink(probe)


def _check_file(path: Path) -> None:
    try:
        with path.open("r+b") as handle:  # opened for writing, nothing written
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise WorkspaceError(f"the workspace {path} cannot be opened for writing: {exc.strerror or exc}") from exc
    if header and header != SQLITE_HEADER:
        raise WorkspaceError(f"{path} is not an ICaAM workspace: it is not a SQLite database")


def _connect(path: Path, timeout: float) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate_error(exc, path, timeout) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Check the version before anything writes: a newer file must stay untouched.
        version = schema_version(conn)
        _check_identity(conn, path, version)
        if version > LATEST_VERSION:
            raise WorkspaceError(
                f"the workspace {path} has schema version {version}, newer than this ICaAM knows "
                f"({LATEST_VERSION}); update ICaAM or use another workspace"
            )
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed decision survives a power cut too (one fsync per commit; bulk writes are one commit).
        conn.execute("PRAGMA synchronous = FULL")
        if version < LATEST_VERSION:
            apply_migrations(conn)
        return conn
    except sqlite3.Error as exc:
        conn.close()
        raise translate_error(exc, path, timeout) from exc
    except BaseException:
        conn.close()
        raise


def _check_identity(conn: sqlite3.Connection, path: Path, version: int) -> None:
    """Refuse another program's SQLite file instead of adding our tables to it."""
    if version == 0:
        if conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            raise WorkspaceError(f"{path} is a SQLite database of another program, not an ICaAM workspace")
    elif conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        raise WorkspaceError(f"{path} is a SQLite database of another program, not an ICaAM workspace")


def translate_error(exc: sqlite3.Error, path: Path, timeout: float) -> WorkspaceError:
    """A SQLite error as a sentence the analyst can act on."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return WorkspaceError(
            f"the workspace {path} is locked by another program (waited {timeout:g} s); "
            "close the other ICaAM window or job and try again"
        )
    if "not a database" in text or "malformed" in text:
        return WorkspaceError(f"{path} is not an ICaAM workspace: {exc}")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return WorkspaceError(f"the workspace {path} cannot be written: {exc}")
    return WorkspaceError(f"workspace {path}: {exc}")
