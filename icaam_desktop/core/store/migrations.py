"""The workspace schema: the ONE place it lives, as an ordered list of migrations.

A workspace file's ``PRAGMA user_version`` is the number of migrations applied to
it. Opening an older file applies the missing ones, each in its own transaction
together with the version bump, so a crash leaves the file at a whole version.
Never edit a migration that has shipped: append a new one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


_V1 = """
-- Marks the file as an ICaAM workspace ("ICAA"), so another program's SQLite file is refused.
PRAGMA application_id = 1229144385;

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT
);

-- Append-only: the triggers below refuse any UPDATE or DELETE.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    delivery TEXT,
    product_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_delivery ON audit (delivery, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be deleted'); END;

-- The retailer schema, one set of rows per taxonomy fingerprint; ord keeps file order.
CREATE TABLE taxonomies (
    fingerprint TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    source TEXT,
    imported_at TEXT NOT NULL
);
CREATE TABLE tax_categories (
    fingerprint TEXT NOT NULL REFERENCES taxonomies (fingerprint) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    code TEXT NOT NULL,
    parent TEXT,
    labels TEXT NOT NULL,
    PRIMARY KEY (fingerprint, code)
);
CREATE TABLE tax_attributes (
    fingerprint TEXT NOT NULL REFERENCES taxonomies (fingerprint) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    code TEXT NOT NULL,
    type TEXT NOT NULL,
    labels TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (fingerprint, code)
);
CREATE TABLE tax_options (
    fingerprint TEXT NOT NULL REFERENCES taxonomies (fingerprint) ON DELETE CASCADE,
    attribute TEXT NOT NULL,
    ord INTEGER NOT NULL,
    code TEXT NOT NULL,
    labels TEXT NOT NULL,
    PRIMARY KEY (fingerprint, attribute, code)
);
CREATE TABLE tax_assignments (
    fingerprint TEXT NOT NULL REFERENCES taxonomies (fingerprint) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    category TEXT NOT NULL,
    attribute TEXT NOT NULL,
    required INTEGER NOT NULL,
    PRIMARY KEY (fingerprint, category, attribute)
);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    root TEXT NOT NULL,
    supplier TEXT NOT NULL,
    sheet_path TEXT NOT NULL,
    encoding TEXT NOT NULL,
    delimiter TEXT NOT NULL,
    columns TEXT NOT NULL,
    sheet_warnings TEXT NOT NULL,
    id_column TEXT NOT NULL,
    image_column TEXT,
    problems TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Products are never deleted (decisions point at them): a product missing from a
-- re-imported sheet gets removed_at instead.
CREATE TABLE products (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    product_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    row TEXT NOT NULL,
    digest TEXT NOT NULL,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    removed_at TEXT,
    PRIMARY KEY (delivery_id, product_id)
);

-- product_id NULL: an orphan image (no product claims it).
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    product_id TEXT,
    ord INTEGER NOT NULL,
    rel TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    format TEXT,
    width INTEGER,
    height INTEGER,
    mode TEXT,
    n_frames INTEGER NOT NULL DEFAULT 1,
    notes TEXT NOT NULL DEFAULT '[]',
    joined_by TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (delivery_id, product_id) REFERENCES products (delivery_id, product_id)
);
CREATE INDEX images_by_product ON images (delivery_id, product_id, ord);

-- One row per (product, model version); current = 1 marks the latest saved one.
CREATE TABLE predictions (
    delivery_id INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    status TEXT NOT NULL,
    category_code TEXT,
    leaf_code TEXT,
    confidence REAL,
    levels TEXT NOT NULL,
    n_images INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    current INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (delivery_id, product_id, model_version),
    FOREIGN KEY (delivery_id, product_id) REFERENCES products (delivery_id, product_id)
);
CREATE INDEX predictions_current ON predictions (delivery_id, product_id) WHERE current = 1;

-- Append-only provenance: rows are never deleted, and the only change allowed is
-- setting undone_at once (an undo).
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    product_id TEXT,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('model', 'analyst', 'memory')),
    model_version TEXT NOT NULL DEFAULT '',
    score REAL,
    alternatives TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    undone_at TEXT,
    FOREIGN KEY (delivery_id, product_id) REFERENCES products (delivery_id, product_id)
);
CREATE INDEX decisions_current ON decisions (delivery_id, field, product_id, id);
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only: use undo, never delete'); END;
CREATE TRIGGER decisions_only_undo BEFORE UPDATE ON decisions
WHEN NOT (
    OLD.undone_at IS NULL AND NEW.undone_at IS NOT NULL
    AND NEW.id = OLD.id AND NEW.delivery_id = OLD.delivery_id AND NEW.product_id IS OLD.product_id
    AND NEW.field = OLD.field AND NEW.value = OLD.value AND NEW.source = OLD.source
    AND NEW.model_version = OLD.model_version AND NEW.score IS OLD.score
    AND NEW.alternatives = OLD.alternatives AND NEW.note = OLD.note AND NEW.decided_at = OLD.decided_at
)
BEGIN SELECT RAISE(ABORT, 'decisions are append-only: only undone_at may be set, once'); END;

-- attribute '' = the column has no counterpart.
CREATE TABLE column_matches (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    supplier_column TEXT NOT NULL,
    attribute TEXT NOT NULL,
    ord INTEGER NOT NULL,
    confidence REAL NOT NULL,
    reasons TEXT NOT NULL,
    alternatives TEXT NOT NULL,
    source TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (delivery_id, supplier_column, attribute)
);
-- option_code NULL = unmapped.
CREATE TABLE value_matches (
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
    attribute TEXT NOT NULL,
    supplier_value TEXT NOT NULL,
    ord INTEGER NOT NULL,
    option_code TEXT,
    confidence REAL NOT NULL,
    reasons TEXT NOT NULL,
    source TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (delivery_id, attribute, supplier_value)
);
CREATE TABLE memory_columns (
    supplier TEXT NOT NULL,
    supplier_column TEXT NOT NULL,
    attributes TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (supplier, supplier_column)
);
CREATE TABLE memory_values (
    supplier TEXT NOT NULL,
    attribute TEXT NOT NULL,
    supplier_value TEXT NOT NULL,
    option_code TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (supplier, attribute, supplier_value)
);
CREATE TABLE product_values (
    delivery_id INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    attribute TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (delivery_id, product_id, attribute),
    FOREIGN KEY (delivery_id, product_id) REFERENCES products (delivery_id, product_id)
);
"""

_V2 = """
-- Backbone embeddings per image content hash, for the head-only retrain. Rows of any
-- other backbone are stale: they are purged when a new backbone's rows are put.
CREATE TABLE embeddings (
    backbone_id TEXT NOT NULL,
    key TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (backbone_id, key)
) WITHOUT ROWID;
"""

_V3 = """
-- The file size of each image: a photo replaced by another of the same name and dimensions
-- counts as a change on re-import (and its product is classified again).
ALTER TABLE images ADD COLUMN bytes INTEGER;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "taxonomy, deliveries, products, images, predictions, decisions, mappings, memory, audit", _V1),
    Migration(2, "embedding cache for the head-only retrain", _V2),
    Migration(3, "image file sizes, to notice replaced photos", _V3),
)
LATEST_VERSION = MIGRATIONS[-1].version
APPLICATION_ID = 1229144385  # b"ICAA"


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection, *, target: int = LATEST_VERSION) -> list[int]:
    """Bring ``conn``'s file up to ``target``; return the versions applied.

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction, which also
    serialises two processes opening the same old file at once: the second one
    re-reads the version under the lock and finds nothing left to do.
    ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version > target:
            break
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= migration.version:
                conn.execute("COMMIT")
                continue
            for statement in _statements(migration.sql):
                conn.execute(statement)
            # PRAGMA user_version is transactional: it commits or rolls back with the DDL.
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers contain ';' inside BEGIN...END)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
