"""Opening a workspace: settings, schema versions, migrations, and every way opening can fail cleanly."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from icaam_desktop.core.store import LATEST_VERSION, MIGRATIONS, Workspace, WorkspaceError
from icaam_desktop.core.store.migrations import apply_migrations, schema_version


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_new_workspace_has_wal_busy_timeout_foreign_keys_and_latest_schema(tmp_path):
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        conn = ws.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert ws.schema_version == LATEST_VERSION
        assert "audit" in ws.db.table_names()  # the sqlite-utils Database over the same connection


def test_default_location_is_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("ICAAM_DATA_DIR", str(tmp_path / "data"))
    with Workspace.open() as ws:
        assert ws.path == tmp_path / "data" / "workspace.sqlite"
        ws.set_meta("last_delivery", "northwind")
    with Workspace.open(create=False) as ws:
        assert ws.get_meta("last_delivery") == "northwind"


def test_migrations_are_numbered_one_by_one():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_an_older_file_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    assert apply_migrations(conn, target=1) == [1]
    conn.execute("INSERT INTO meta (key, value) VALUES ('last_delivery', 'northwind')")
    assert "embeddings" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()

    with Workspace.open(path) as ws:
        assert ws.schema_version == LATEST_VERSION
        assert ws.get_meta("last_delivery") == "northwind"
        ws.put_embeddings("b1", {"k": np.ones(4, dtype=np.float32)})
        assert set(ws.get_embeddings("b1", ["k"])) == {"k"}


def test_a_newer_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "new.sqlite"
    Workspace.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    conn.close()
    before = _listing(tmp_path)
    with pytest.raises(WorkspaceError, match="newer than this ICaAM knows"):
        Workspace.open(path)
    assert _listing(tmp_path) == before


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n")
    with pytest.raises(WorkspaceError, match="not a SQLite database"):
        Workspace.open(path)
    assert path.read_text() == "these are my notes, not a database\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]


def test_another_programs_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="another program"):
        Workspace.open(path)
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    conn.close()


def test_a_missing_file_without_create_is_an_error_and_creates_nothing(tmp_path):
    with pytest.raises(WorkspaceError, match="there is no workspace"):
        Workspace.open(tmp_path / "sub" / "ws.sqlite", create=False)
    assert list(tmp_path.iterdir()) == []


def test_missing_folders_are_created(tmp_path):
    with Workspace.open(tmp_path / "a" / "b" / "ws.sqlite") as ws:
        assert ws.path.is_file()


def test_a_path_under_a_file_is_a_clean_error(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(WorkspaceError, match="is a file, not a folder"):
        Workspace.open(blocker / "sub" / "ws.sqlite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_a_folder_is_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="is a folder"):
        Workspace.open(tmp_path)


def _open_in_unprivileged_child(paths: list[Path]) -> list[str]:
    """Try Workspace.open on each path in a forked child that runs as ``nobody`` when we are root.

    Tests run as root here, and root ignores permission bits, so a chmod'ed folder would
    not be read-only for this process. Dropping to uid 65534 in a forked child (which
    still has everything imported) makes the kernel enforce them for real.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            lines = []
            for path in paths:
                try:
                    Workspace.open(path).close()
                    lines.append("OPENED")
                except WorkspaceError as exc:
                    lines.append(f"WorkspaceError: {exc}")
                except Exception as exc:  # noqa: BLE001 - reported to the parent as a failure
                    lines.append(f"{type(exc).__name__}: {exc}")
            os.write(write_end, "\n".join(lines).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return b"".join(chunks).decode().splitlines()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to drop privileges")
def test_read_only_folder_gives_a_clean_error_and_writes_nothing():
    # Not under pytest's tmp_path: its parents are private to root, and the child runs as nobody.
    folder = Path(tempfile.mkdtemp(prefix="icaam-readonly-"))
    try:
        existing = folder / "existing.sqlite"
        with Workspace.open(existing) as ws:
            ws.set_meta("k", "v")
        before = _listing(folder)
        folder.chmod(0o555)
        results = _open_in_unprivileged_child([folder / "new.sqlite", existing, folder / "sub" / "ws.sqlite"])
        assert len(results) == 3
        for line in results:
            assert line.startswith("WorkspaceError:") and "read-only" in line, line
        assert _listing(folder) == before  # no new db, no -wal/-shm, no probe file, no sub folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


@pytest.mark.skipif(
    not (hasattr(os, "geteuid") and os.geteuid() == 0 and os.path.isdir("/sys/kernel")),
    reason="needs root and sysfs: a folder root may write by permission bits but that refuses new files",
)
def test_folder_that_refuses_files_even_to_root_is_a_clean_error():
    # os.access says yes to root here; only the real probe write finds out.
    with pytest.raises(WorkspaceError, match="read-only"):
        Workspace.open("/sys/kernel/icaam-workspace.sqlite")


def test_a_locked_workspace_is_a_clean_error(tmp_path):
    path = tmp_path / "ws.sqlite"
    Workspace.open(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with Workspace.open(path, timeout=0.2) as ws:
            assert ws.get_meta("k") is None  # readers still read beside a writer (WAL)
            with pytest.raises(WorkspaceError, match="locked by another program"):
                ws.set_meta("k", "v")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with Workspace.open(path) as ws:
        ws.set_meta("k", "v")
        assert ws.get_meta("k") == "v"


def test_an_old_file_locked_during_migration_is_a_clean_error_and_stays_old(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    apply_migrations(conn, target=1)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(WorkspaceError, match="locked"):
            Workspace.open(path, timeout=0.2)
    finally:
        conn.execute("ROLLBACK")
    assert schema_version(conn) == 1
    conn.close()


def test_a_workspace_belongs_to_its_thread_and_each_thread_opens_its_own(ws):
    errors: list[BaseException] = []

    def use_foreign():
        try:
            ws.get_meta("k")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=use_foreign)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], sqlite3.ProgrammingError)

    product_ids = [r.product_id for r in ws.products("northwind")[:40]]

    def worker(ids: list[str]):
        with Workspace.open(ws.path) as mine:
            for pid in ids:
                mine.record_decision(
                    delivery="northwind", product_id=pid, field="category", value="tshirts", source="analyst"
                )

    threads = [threading.Thread(target=worker, args=(product_ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {d.product_id for d in ws.decisions("northwind")} == set(product_ids)


def test_importing_the_store_stays_light_for_the_gui_start_up():
    """The GUI opens the last workspace right after its window shows: no torch, no pandas on import."""
    code = (
        "import sys, icaam_desktop.core.store\n"
        "heavy = [m for m in ('torch', 'pandas', 'sqlite_utils', 'sentence_transformers') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
