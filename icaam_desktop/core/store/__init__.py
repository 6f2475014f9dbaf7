"""The workspace: one SQLite file that holds an analyst's whole job.

Open it::

    from icaam_desktop.core.store import Workspace, WorkspaceError
    ws = Workspace.open()              # default: <user data dir>/workspace.sqlite
    ws = Workspace.open("x.sqlite")    # or any file; create=False refuses a missing one
    ws.db                              # a sqlite_utils.Database over the same connection (ad-hoc reads)
    ws.conn                            # the sqlite3 connection itself

The store's own queries use the sqlite3 connection directly; ``ws.db`` is built on first
use because importing sqlite-utils imports pandas (over a second), which the GUI's
start-up must not pay for.

Threads: a ``Workspace`` belongs to the thread that opened it (SQLite connections
refuse other threads). ``Workspace.open`` costs a few milliseconds on an up-to-date
file, so each GUI worker opens its own and closes it when done. Several
connections (threads or processes) may share one file: WAL mode lets readers run
beside one writer, and a writer waits up to ``busy_timeout`` (5 s) for another.

Guarantees:
- Schema: ``migrations.py`` is the one place the schema lives, as an ordered list;
  ``PRAGMA user_version`` counts those applied. An older file is migrated on open;
  a newer one raises ``WorkspaceError`` and is not touched.
- Every write method is one transaction (``BEGIN IMMEDIATE``), multi-row ones included;
  ``with ws.transaction(): ...`` groups several calls into one (e.g. "accept all").
  Each write appends to the ``audit`` table, which SQLite triggers make append-only
  (UPDATE and DELETE raise). Decisions are append-only too: an undo only sets
  ``undone_at``, and triggers refuse every other change.
- ``WorkspaceError`` says what is wrong and what to do: read-only folder, missing
  folder that cannot be created, not a SQLite file, newer schema, locked. When
  opening fails, no database, ``-wal``/``-shm`` file or folder created by the attempt is
  left behind.

API (delivery = the delivery's name; see each method's docstring):
- taxonomy: ``import_taxonomy(taxonomy) -> fingerprint``, ``taxonomy() -> Taxonomy | None``
- deliveries: ``upsert_delivery(delivery, supplier=None) -> DeliveryImport`` (idempotent;
  a changed sheet is recorded per product in the audit log), ``deliveries() -> [DeliveryInfo]``,
  ``delivery_info(name)``, ``products(delivery) -> [ProductRecord]`` (one query),
  ``load_delivery(name) -> Delivery``, ``supplier_of(delivery)``
- predictions: ``save_predictions(delivery, predictions)``, ``predictions(delivery, model_version=None)``,
  ``predicted_ids(delivery, model_version)`` (resume an interrupted run)
- decisions: ``record_decision(delivery=, product_id=, field=, value=, source=, ...) -> id``,
  ``decisions(delivery) -> [Decision]`` (current per product and field), ``undo_last(delivery)``.
  field "category" with value "" = the analyst rejected the product; an attribute
  field with value "" clears that value.
- mappings: ``save_column_matches``, ``column_matches``, ``save_value_matches``, ``value_matches``,
  ``accept_column``, ``accept_value`` (match + decision + supplier memory), ``supplier_memory(supplier)``
- attribute values: ``save_product_values(delivery, values, source="model")``,
  ``product_values(delivery)`` (analyst attribute decisions override the saved values)
- embedding cache: ``put_embeddings(backbone_id, {image_key: vector})``, ``get_embeddings(backbone_id, keys)``;
  ``image_key(path)`` is the sha1 of the file bytes; a new backbone id purges the others
- settings: ``get_meta(key)``, ``set_meta(key, value)``; history: ``audit_log(delivery=None)``
"""

from icaam_desktop.core.store.embeddings import image_key
from icaam_desktop.core.store.migrations import LATEST_VERSION, MIGRATIONS
from icaam_desktop.core.store.records import (
    FIELD_CATEGORY,
    SOURCE_ANALYST,
    SOURCE_MEMORY,
    SOURCE_MODEL,
    STATUS_ACCEPTED,
    STATUS_UNCLASSIFIED,
    AuditEntry,
    Decision,
    DeliveryImport,
    DeliveryInfo,
    ProductRecord,
    WorkspaceError,
)
from icaam_desktop.core.store.workspace import Workspace

__all__ = [
    "FIELD_CATEGORY",
    "LATEST_VERSION",
    "MIGRATIONS",
    "SOURCE_ANALYST",
    "SOURCE_MEMORY",
    "SOURCE_MODEL",
    "STATUS_ACCEPTED",
    "STATUS_UNCLASSIFIED",
    "AuditEntry",
    "Decision",
    "DeliveryImport",
    "DeliveryInfo",
    "ProductRecord",
    "Workspace",
    "WorkspaceError",
    "image_key",
]
