"""The part of the workspace every table section shares: connection, transactions, audit, meta."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from icaam_desktop.core.store.connection import translate_error
from icaam_desktop.core.store.records import AuditEntry, WorkspaceError

if TYPE_CHECKING:
    import sqlite_utils

# Stay well under SQLite's bound-variable limit when a query lists keys.
CHUNK = 900


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str | None, default: Any = None) -> Any:
    return json.loads(text) if text else default


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class WorkspaceBase:
    """Connection handling shared by the table sections (mixins) of ``Workspace``."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, timeout: float = 5.0) -> None:
        self.path = path
        self.timeout = timeout
        self.conn = conn
        self._delivery_ids: dict[str, int] = {}

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The sqlite-utils Database over the same connection, for ad-hoc reads and tools.

        Built on first use: importing sqlite-utils also imports pandas (over a second
        on a busy CPU), which the GUI's start-up should not pay for.
        """
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``); nested calls become savepoints.

        IMMEDIATE takes the write lock up front, so a second writer waits for
        ``busy_timeout`` instead of failing half-way through a read-then-write.
        """
        conn = self.conn
        if conn.in_transaction:
            yield from self._savepoint(conn)
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise translate_error(exc, self.path, self.timeout) from exc
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise translate_error(exc, self.path, self.timeout) from exc

    @staticmethod
    def _savepoint(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        name = f"icaam_{secrets.token_hex(8)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")

    def _audit(self, action: str, *, delivery: str | None = None, product_id: str | None = None, **detail: Any) -> None:
        self.conn.execute(
            "INSERT INTO audit (at, action, delivery, product_id, detail) VALUES (?, ?, ?, ?, ?)",
            (now_utc(), action, delivery, product_id, to_json(detail)),
        )

    def audit_log(self, delivery: str | None = None, *, limit: int | None = None) -> list[AuditEntry]:
        """Audit entries, oldest first (of one delivery when given; the newest ``limit`` when given)."""
        sql = "SELECT * FROM audit" + (" WHERE delivery = ?" if delivery is not None else "") + " ORDER BY id DESC"
        params: list[Any] = [delivery] if delivery is not None else []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self.conn.execute(sql, params).fetchall()
        return [
            AuditEntry(
                id=r[0], at=parse_time(r[1]), action=r[2], delivery=r[3], product_id=r[4], detail=from_json(r[5])
            )
            for r in reversed(rows)
        ]

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A workspace-level setting, e.g. the last opened delivery."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
            self._audit("set_meta", key=key, value=value)

    def delivery_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM deliveries ORDER BY name")]

    def _delivery_id(self, name: str) -> int:
        cached = self._delivery_ids.get(name)
        if cached is not None:
            return cached
        row = self.conn.execute("SELECT id FROM deliveries WHERE name = ?", (name,)).fetchone()
        if row is None:
            known = ", ".join(self.delivery_names()) or "none yet"
            raise WorkspaceError(f"no delivery named {name!r} in {self.path} (known: {known})")
        self._delivery_ids[name] = row[0]
        return row[0]

    def _known_products(self, delivery_id: int, product_ids: Iterable[str]) -> None:
        """Raise if any id is not a (present or removed) product of the delivery: nothing is written then."""
        wanted = list(dict.fromkeys(product_ids))
        found: set[str] = set()
        for part in chunks(wanted):
            marks = ",".join("?" * len(part))
            found.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT product_id FROM products WHERE delivery_id = ? AND product_id IN ({marks})",
                    [delivery_id, *part],
                )
            )
        unknown = [p for p in wanted if p not in found]
        if unknown:
            shown = ", ".join(repr(p) for p in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise WorkspaceError(f"{len(unknown)} unknown product id(s) for this delivery: {shown}")
