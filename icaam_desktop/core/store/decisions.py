"""Predictions and decisions: what the model said, and who chose what, when, from which evidence."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from icaam_desktop.core.store.base import from_json, now_utc, parse_time, to_json
from icaam_desktop.core.store.records import (
    FIELD_CATEGORY,
    FIELD_COLUMN_PREFIX,
    FIELD_VALUE_PREFIX,
    SOURCE_ANALYST,
    SOURCES,
    Decision,
    WorkspaceError,
)
from icaam_desktop.core.store.taxonomy_rows import TaxonomySection

if TYPE_CHECKING:
    # core.classify's package imports torch: the store loads its result types only when used.
    from icaam_desktop.core.classify.prediction import LevelPrediction, Prediction

BATCH_NOTE_PREFIX = "batch "  # decisions made together (one "fill for all"): undone together

_DECISION_COLUMNS = (
    "d.id, d.product_id, d.field, d.value, d.source, d.model_version, d.score, d.alternatives, d.note,"
    " d.decided_at, d.undone_at"
)


def _levels_to_json(levels: list[LevelPrediction]) -> str:
    return to_json(
        [
            {
                "depth": lv.depth,
                "code": lv.code,
                "confidence": lv.confidence,
                "alternatives": [[code, p] for code, p in lv.alternatives],
                "accepted": lv.accepted,
            }
            for lv in levels
        ]
    )


def _levels_from_json(text: str) -> list[LevelPrediction]:
    from icaam_desktop.core.classify.prediction import LevelPrediction

    return [
        LevelPrediction(
            depth=lv["depth"],
            code=lv["code"],
            confidence=lv["confidence"],
            alternatives=[(code, p) for code, p in lv["alternatives"]],
            accepted=lv["accepted"],
        )
        for lv in from_json(text, [])
    ]


def is_mapping_field(field: str) -> bool:
    return field.startswith((FIELD_COLUMN_PREFIX, FIELD_VALUE_PREFIX))


class DecisionSection(TaxonomySection):
    # -- predictions -------------------------------------------------------------------------

    def save_predictions(self, delivery: str, predictions: list[Prediction]) -> None:
        """Store a batch of predictions in one transaction; the saved ones become each product's current one.

        Upserts per (delivery, product, model version), so re-saving after an
        interrupted run is harmless. Unknown product ids raise before anything is written.
        """
        if not predictions:
            return
        delivery_id = self._delivery_id(delivery)
        now = now_utc()
        rows = [
            (
                delivery_id,
                p.product_id,
                p.model_version,
                p.status,
                p.category_code,
                p.leaf_code,
                # The grid's confidence is the deepest level's: the one that decides between auto and review.
                p.levels[-1].confidence if p.levels else None,
                _levels_to_json(p.levels),
                p.n_images,
                to_json(p.reasons),
                now,
            )
            for p in predictions
        ]
        with self.transaction() as conn:
            self._known_products(delivery_id, (p.product_id for p in predictions))
            conn.executemany(
                "UPDATE predictions SET current = 0"
                " WHERE delivery_id = ? AND product_id = ? AND model_version != ? AND current = 1",
                [(delivery_id, p.product_id, p.model_version) for p in predictions],
            )
            conn.executemany(
                "INSERT INTO predictions (delivery_id, product_id, model_version, status, category_code, leaf_code,"
                " confidence, levels, n_images, reasons, saved_at, current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
                " ON CONFLICT (delivery_id, product_id, model_version) DO UPDATE SET"
                " status = excluded.status, category_code = excluded.category_code, leaf_code = excluded.leaf_code,"
                " confidence = excluded.confidence, levels = excluded.levels, n_images = excluded.n_images,"
                " reasons = excluded.reasons, saved_at = excluded.saved_at, current = 1",
                rows,
            )
            self._audit(
                "predictions_saved",
                delivery=delivery,
                count=len(predictions),
                model_versions=sorted({p.model_version for p in predictions}),
                statuses=dict(Counter(p.status for p in predictions)),
            )

    def predictions(self, delivery: str, *, model_version: str | None = None) -> dict[str, Prediction]:
        """Product id -> prediction: the current one, or the one of ``model_version`` when given."""
        from icaam_desktop.core.classify.prediction import Prediction

        delivery_id = self._delivery_id(delivery)
        where = "pr.model_version = ?" if model_version is not None else "pr.current = 1"
        params: list[Any] = [delivery_id] + ([model_version] if model_version is not None else [])
        sql = (
            "SELECT pr.product_id, pr.status, pr.category_code, pr.leaf_code, pr.levels, pr.n_images, pr.reasons,"
            " pr.model_version FROM predictions pr JOIN products p USING (delivery_id, product_id)"
            f" WHERE pr.delivery_id = ? AND p.removed_at IS NULL AND {where} ORDER BY p.row_number"
        )
        return {
            r[0]: Prediction(
                product_id=r[0],
                status=r[1],
                category_code=r[2],
                leaf_code=r[3],
                levels=_levels_from_json(r[4]),
                n_images=r[5],
                reasons=from_json(r[6], []),
                model_version=r[7],
            )
            for r in self.conn.execute(sql, params)
        }

    def predicted_ids(self, delivery: str, model_version: str) -> set[str]:
        """Products that already have an up-to-date prediction from ``model_version`` (to resume a run).

        A prediction saved before the product last changed on re-import (another photo, another row)
        does not count: that product is classified again.
        """
        delivery_id = self._delivery_id(delivery)
        return {
            r[0]
            for r in self.conn.execute(
                "SELECT pr.product_id FROM predictions pr JOIN products p USING (delivery_id, product_id)"
                " WHERE pr.delivery_id = ? AND pr.model_version = ? AND pr.saved_at >= p.updated_at",
                (delivery_id, model_version),
            )
        }

    # -- decisions ---------------------------------------------------------------------------

    def record_decision(
        self,
        *,
        delivery: str,
        product_id: str | None,
        field: str,
        value: str,
        source: str,
        model_version: str = "",
        score: float | None = None,
        alternatives: list[tuple[str, float]] | None = None,
        note: str = "",
    ) -> int:
        """Append one decision with its provenance (UTC time); return its id.

        ``field`` is "category" (``value`` a category code, "" = rejected) or an
        attribute code (``value`` the value or option code, "" = cleared). When a
        taxonomy is active, unknown categories, attributes and options are refused.
        """
        if source not in SOURCES:
            raise ValueError(f"decision source must be one of {sorted(SOURCES)}, not {source!r}")
        if not field:
            raise ValueError("a decision needs a field: 'category' or an attribute code")
        value = "" if value is None else str(value)
        if product_id is None and not is_mapping_field(field):
            raise ValueError(f"a {field!r} decision needs a product id")
        self._check_decision_value(field, value)
        delivery_id = self._delivery_id(delivery)
        with self.transaction() as conn:
            if product_id is not None:
                present = conn.execute(
                    "SELECT 1 FROM products WHERE delivery_id = ? AND product_id = ? AND removed_at IS NULL",
                    (delivery_id, product_id),
                ).fetchone()
                if present is None:
                    raise WorkspaceError(f"no product {product_id!r} in delivery {delivery!r}")
            return self._insert_decision(
                delivery_id,
                delivery=delivery,
                product_id=product_id,
                field=field,
                value=value,
                source=source,
                model_version=model_version,
                score=score,
                alternatives=alternatives or [],
                note=note,
            )

    def record_batch(
        self, *, delivery: str, product_ids: list[str], field: str, value: str, source: str, note: str = ""
    ) -> list[int]:
        """The same decision for many products in one transaction (e.g. one attribute value for every
        product missing it). They share a note starting with ``BATCH_NOTE_PREFIX``, so one undo takes
        them all back."""
        if source not in SOURCES:
            raise ValueError(f"decision source must be one of {sorted(SOURCES)}, not {source!r}")
        if not product_ids:
            return []
        value = "" if value is None else str(value)
        self._check_decision_value(field, value)
        delivery_id = self._delivery_id(delivery)
        with self.transaction() as conn:
            present = {
                pid
                for (pid,) in conn.execute(
                    "SELECT product_id FROM products WHERE delivery_id = ? AND removed_at IS NULL", (delivery_id,)
                )
            }
            unknown = [pid for pid in product_ids if pid not in present]
            if unknown:
                raise WorkspaceError(f"no product {unknown[0]!r} in delivery {delivery!r}")
            first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()[0]
            now = now_utc()
            # The first decision's id names the batch: unique, and kept in every one of its rows.
            batch_note = f"{BATCH_NOTE_PREFIX}{first + 1} ({len(product_ids)} products){': ' + note if note else ''}"
            conn.executemany(  # one statement for the batch: 40,000 products in well under a second
                "INSERT INTO decisions (delivery_id, product_id, field, value, source, model_version, score,"
                " alternatives, note, decided_at) VALUES (?, ?, ?, ?, ?, '', NULL, '[]', ?, ?)",
                [(delivery_id, pid, field, value, source, batch_note, now) for pid in product_ids],
            )
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM decisions WHERE id > ? AND delivery_id = ? AND note = ? ORDER BY id",
                    (first, delivery_id, batch_note),
                )
            ]
            self._audit("decision_batch", delivery=delivery, field=field, value=value, source=source, products=len(ids))
            return ids

    def _insert_decision(self, delivery_id: int, *, delivery: str, **d: Any) -> int:
        cursor = self.conn.execute(
            "INSERT INTO decisions (delivery_id, product_id, field, value, source, model_version, score,"
            " alternatives, note, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                delivery_id,
                d["product_id"],
                d["field"],
                d["value"],
                d["source"],
                d["model_version"],
                d["score"],
                to_json([[code, p] for code, p in d["alternatives"]]),
                d["note"],
                now_utc(),
            ),
        )
        decision_id = int(cursor.lastrowid)
        self._audit(
            "decision",
            delivery=delivery,
            product_id=d["product_id"],
            decision_id=decision_id,
            field=d["field"],
            value=d["value"],
            source=d["source"],
            model_version=d["model_version"],
            score=d["score"],
        )
        return decision_id

    def _check_decision_value(self, field: str, value: str) -> None:
        if is_mapping_field(field):
            return
        taxonomy = self.taxonomy()
        if taxonomy is None:
            return
        if field == FIELD_CATEGORY:
            if value and value not in taxonomy.categories:
                raise ValueError(f"unknown category {value!r} (not in the active taxonomy)")
            return
        spec = taxonomy.attributes.get(field)
        if spec is None:
            raise ValueError(f"unknown attribute {field!r} (not in the active taxonomy)")
        if value and spec.is_select and spec.option(value) is None:
            raise ValueError(f"{value!r} is not an option of {field!r}")

    def decisions(self, delivery: str, *, product_id: str | None = None, history: bool = False) -> list[Decision]:
        """The current decision per (product, field): the newest one not undone, oldest first.

        With ``history=True``: every decision ever recorded, undone ones included.
        Delivery-level mapping decisions have ``product_id`` None.
        """
        delivery_id = self._delivery_id(delivery)
        where = ["d.delivery_id = :d"]
        if not history:
            where.append(
                "d.id IN (SELECT MAX(id) FROM decisions WHERE delivery_id = :d AND undone_at IS NULL"
                " GROUP BY product_id, field)"
            )
        if product_id is not None:
            where.append("d.product_id = :p")
        sql = f"SELECT {_DECISION_COLUMNS} FROM decisions d WHERE {' AND '.join(where)} ORDER BY d.id"
        return [self._decision(delivery, r) for r in self.conn.execute(sql, {"d": delivery_id, "p": product_id})]

    def undo_last(self, delivery: str, *, source: str = SOURCE_ANALYST) -> Decision | None:
        """Mark the newest not-undone product decision from ``source`` undone; return it (None if none).

        Nothing is deleted: the row stays with ``undone_at`` set, the decision before
        it (or the prediction) becomes current again, and the audit log records the undo.
        A decision made in a batch (``record_batch``) is undone with its whole batch.
        Mapping acceptances are not undone here: accept another mapping instead.
        """
        delivery_id = self._delivery_id(delivery)
        with self.transaction() as conn:
            row = conn.execute(
                f"SELECT {_DECISION_COLUMNS} FROM decisions d WHERE d.delivery_id = ? AND d.source = ?"
                " AND d.undone_at IS NULL AND d.product_id IS NOT NULL ORDER BY d.id DESC LIMIT 1",
                (delivery_id, source),
            ).fetchone()
            if row is None:
                return None
            now = now_utc()
            conn.execute("UPDATE decisions SET undone_at = ? WHERE id = ?", (now, row[0]))
            batch = 1
            if (row[8] or "").startswith(BATCH_NOTE_PREFIX):
                batch += conn.execute(
                    "UPDATE decisions SET undone_at = ? WHERE delivery_id = ? AND source = ? AND note = ?"
                    " AND undone_at IS NULL",
                    (now, delivery_id, source, row[8]),
                ).rowcount
            self._audit(
                "decision_undone",
                delivery=delivery,
                product_id=row[1],
                decision_id=row[0],
                field=row[2],
                value=row[3],
                **({"batch": row[8], "decisions": batch} if batch > 1 else {}),
            )
        return self._decision(delivery, (*row[:10], now))

    @staticmethod
    def _decision(delivery: str, r: tuple) -> Decision:
        return Decision(
            id=r[0],
            delivery=delivery,
            product_id=r[1],
            field=r[2],
            value=r[3],
            source=r[4],
            model_version=r[5],
            score=r[6],
            alternatives=[(code, p) for code, p in from_json(r[7], [])],
            note=r[8],
            decided_at=parse_time(r[9]),
            undone_at=parse_time(r[10]),
        )
