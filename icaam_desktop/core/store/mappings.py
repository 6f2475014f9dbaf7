"""Column and value mappings, supplier memory, and the attribute values export writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from icaam_desktop.core.mapping.model import ACCEPTED_REASON
from icaam_desktop.core.store.base import from_json, now_utc, to_json
from icaam_desktop.core.store.decisions import DecisionSection, is_mapping_field
from icaam_desktop.core.store.deliveries import DeliverySection
from icaam_desktop.core.store.records import (
    FIELD_CATEGORY,
    FIELD_COLUMN_PREFIX,
    FIELD_VALUE_PREFIX,
    SOURCE_ANALYST,
    SOURCE_MODEL,
    SOURCES,
)

if TYPE_CHECKING:
    from icaam_desktop.core.mapping.model import ColumnMatch, SupplierMemory, ValueMatch


class MappingSection(DecisionSection, DeliverySection):
    # -- column and value matches ----------------------------------------------------------

    def save_column_matches(self, delivery: str, matches: list[ColumnMatch]) -> None:
        """Replace the stored matches of the columns in ``matches`` (one transaction).

        A column the analyst already decided keeps the analyst's match: a mapper
        re-run never overwrites a human choice.
        """
        delivery_id = self._delivery_id(delivery)
        now = now_utc()
        with self.transaction() as conn:
            decided = {
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT supplier_column FROM column_matches WHERE delivery_id = ? AND source = ?",
                    (delivery_id, SOURCE_ANALYST),
                )
            }
            fresh = [m for m in matches if m.supplier_column not in decided]
            conn.executemany(
                "DELETE FROM column_matches WHERE delivery_id = ? AND supplier_column = ?",
                [(delivery_id, column) for column in dict.fromkeys(m.supplier_column for m in fresh)],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO column_matches (delivery_id, supplier_column, attribute, ord, confidence,"
                " reasons, alternatives, source, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        delivery_id,
                        m.supplier_column,
                        m.attribute or "",
                        i,
                        m.confidence,
                        to_json(m.reasons),
                        to_json([[a, s] for a, s in m.alternatives]),
                        m.source,
                        now,
                    )
                    for i, m in enumerate(matches)
                    if m.supplier_column not in decided
                ],
            )
            self._audit(
                "column_matches_saved",
                delivery=delivery,
                count=len(fresh),
                kept_analyst_columns=sorted(decided & {m.supplier_column for m in matches}),
            )

    def column_matches(self, delivery: str) -> list[ColumnMatch]:
        from icaam_desktop.core.mapping.model import ColumnMatch

        delivery_id = self._delivery_id(delivery)
        return [
            ColumnMatch(
                supplier_column=r[0],
                attribute=r[1] or None,
                confidence=r[2],
                reasons=from_json(r[3], []),
                alternatives=[(a, s) for a, s in from_json(r[4], [])],
                source=r[5],
            )
            for r in self.conn.execute(
                "SELECT supplier_column, attribute, confidence, reasons, alternatives, source FROM column_matches"
                " WHERE delivery_id = ? ORDER BY ord, supplier_column, attribute",
                (delivery_id,),
            )
        ]

    def save_value_matches(self, delivery: str, matches: list[ValueMatch]) -> None:
        """Upsert value matches per (attribute, supplier value); analyst-decided ones are kept."""
        delivery_id = self._delivery_id(delivery)
        now = now_utc()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO value_matches (delivery_id, attribute, supplier_value, ord, option_code, confidence,"
                " reasons, source, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (delivery_id, attribute, supplier_value) DO UPDATE SET"
                " ord = excluded.ord, option_code = excluded.option_code, confidence = excluded.confidence,"
                " reasons = excluded.reasons, source = excluded.source, saved_at = excluded.saved_at"
                f" WHERE value_matches.source != '{SOURCE_ANALYST}'",
                [
                    (
                        delivery_id,
                        m.attribute,
                        m.supplier_value,
                        i,
                        m.option_code,
                        m.confidence,
                        to_json(m.reasons),
                        m.source,
                        now,
                    )
                    for i, m in enumerate(matches)
                ],
            )
            self._audit("value_matches_saved", delivery=delivery, count=len(matches))

    def value_matches(self, delivery: str) -> list[ValueMatch]:
        from icaam_desktop.core.mapping.model import ValueMatch

        delivery_id = self._delivery_id(delivery)
        return [
            ValueMatch(
                attribute=r[0],
                supplier_value=r[1],
                option_code=r[2],
                confidence=r[3],
                reasons=from_json(r[4], []),
                source=r[5],
            )
            for r in self.conn.execute(
                "SELECT attribute, supplier_value, option_code, confidence, reasons, source FROM value_matches"
                " WHERE delivery_id = ? ORDER BY attribute, ord, supplier_value",
                (delivery_id,),
            )
        ]

    # -- accepting (decision + memory) -----------------------------------------------------

    def accept_column(
        self, delivery: str, *, supplier_column: str, attributes: list[str], source: str = SOURCE_ANALYST
    ) -> None:
        """The analyst's mapping of one column (``[]`` = no counterpart): match, decision and supplier memory."""
        self._check_source(source)
        taxonomy = self.taxonomy()
        if taxonomy is not None:
            unknown = [a for a in attributes if a not in taxonomy.attributes]
            if unknown:
                raise ValueError(f"unknown attribute(s) {unknown} (not in the active taxonomy)")
        delivery_id = self._delivery_id(delivery)
        supplier = self.supplier_of(delivery)
        now = now_utc()
        with self.transaction() as conn:
            previous = conn.execute(
                "SELECT MIN(ord), MAX(alternatives) FROM column_matches WHERE delivery_id = ? AND supplier_column = ?",
                (delivery_id, supplier_column),
            ).fetchone()
            ord_ = previous[0]
            if ord_ is None:
                ord_ = conn.execute(
                    "SELECT COALESCE(MAX(ord), -1) + 1 FROM column_matches WHERE delivery_id = ?", (delivery_id,)
                ).fetchone()[0]
            conn.execute(
                "DELETE FROM column_matches WHERE delivery_id = ? AND supplier_column = ?",
                (delivery_id, supplier_column),
            )
            conn.executemany(
                "INSERT INTO column_matches (delivery_id, supplier_column, attribute, ord, confidence, reasons,"
                " alternatives, source, saved_at) VALUES (?, ?, ?, ?, 1.0, ?, ?, ?, ?)",
                [
                    (
                        delivery_id,
                        supplier_column,
                        a,
                        ord_,
                        to_json([ACCEPTED_REASON]),
                        previous[1] or "[]",
                        source,
                        now,
                    )
                    for a in (attributes or [""])
                ],
            )
            self._insert_decision(
                delivery_id,
                delivery=delivery,
                product_id=None,
                field=FIELD_COLUMN_PREFIX + supplier_column,
                value=",".join(attributes),
                source=source,
                model_version="",
                score=1.0,
                alternatives=[],
                note="",
            )
            conn.execute(
                "INSERT INTO memory_columns (supplier, supplier_column, attributes, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (supplier, supplier_column) DO UPDATE SET"
                " attributes = excluded.attributes, updated_at = excluded.updated_at",
                (supplier, supplier_column, to_json(list(attributes)), now),
            )
            self._audit("memory_updated", delivery=delivery, supplier=supplier, column=supplier_column, to=attributes)

    def accept_value(
        self,
        delivery: str,
        *,
        attribute: str,
        supplier_value: str,
        option_code: str | None,
        source: str = SOURCE_ANALYST,
    ) -> None:
        """The analyst's mapping of one supplier value (None = no option): match, decision and supplier memory.

        Products' attribute values are not rewritten here: the mapper's apply step
        (``save_product_values``) does that with the memory it now finds.
        """
        self._check_source(source)
        taxonomy = self.taxonomy()
        if taxonomy is not None:
            spec = taxonomy.attributes.get(attribute)
            if spec is None:
                raise ValueError(f"unknown attribute {attribute!r} (not in the active taxonomy)")
            if option_code and spec.is_select and spec.option(option_code) is None:
                raise ValueError(f"{option_code!r} is not an option of {attribute!r}")
        delivery_id = self._delivery_id(delivery)
        supplier = self.supplier_of(delivery)
        now = now_utc()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO value_matches (delivery_id, attribute, supplier_value, ord, option_code, confidence,"
                " reasons, source, saved_at) VALUES (?, ?, ?,"
                " (SELECT COALESCE(MAX(ord), -1) + 1 FROM value_matches WHERE delivery_id = ?), ?, 1.0, ?, ?, ?)"
                " ON CONFLICT (delivery_id, attribute, supplier_value) DO UPDATE SET"
                " option_code = excluded.option_code, confidence = 1.0, reasons = excluded.reasons,"
                " source = excluded.source, saved_at = excluded.saved_at",
                (
                    delivery_id,
                    attribute,
                    supplier_value,
                    delivery_id,
                    option_code,
                    to_json([ACCEPTED_REASON]),
                    source,
                    now,
                ),
            )
            self._insert_decision(
                delivery_id,
                delivery=delivery,
                product_id=None,
                field=f"{FIELD_VALUE_PREFIX}{attribute}:{supplier_value}",
                value=option_code or "",
                source=source,
                model_version="",
                score=1.0,
                alternatives=[],
                note="",
            )
            conn.execute(
                "INSERT INTO memory_values (supplier, attribute, supplier_value, option_code, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (supplier, attribute, supplier_value) DO UPDATE SET"
                " option_code = excluded.option_code, updated_at = excluded.updated_at",
                (supplier, attribute, supplier_value, option_code or "", now),
            )
            self._audit(
                "memory_updated",
                delivery=delivery,
                supplier=supplier,
                attribute=attribute,
                value=supplier_value,
                to=option_code,
            )

    def supplier_memory(self, supplier: str) -> SupplierMemory:
        """Everything the analyst accepted for ``supplier``; an option code "" means "no option"."""
        from icaam_desktop.core.mapping.model import SupplierMemory

        columns = {
            column: from_json(attributes, [])
            for column, attributes in self.conn.execute(
                "SELECT supplier_column, attributes FROM memory_columns WHERE supplier = ? ORDER BY supplier_column",
                (supplier,),
            )
        }
        values = {
            (attribute, value): option
            for attribute, value, option in self.conn.execute(
                "SELECT attribute, supplier_value, option_code FROM memory_values WHERE supplier = ?"
                " ORDER BY attribute, supplier_value",
                (supplier,),
            )
        }
        return SupplierMemory(supplier=supplier, columns=columns, values=values)

    @staticmethod
    def _check_source(source: str) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {sorted(SOURCES)}, not {source!r}")

    # -- product attribute values ------------------------------------------------------------

    def save_product_values(
        self, delivery: str, values: dict[str, dict[str, str]], *, source: str = SOURCE_MODEL
    ) -> None:
        """Replace the attribute values of the given products (product id -> attribute -> value or option code).

        Empty values are not stored. Analyst decisions on an attribute still win
        over these in ``product_values``.
        """
        self._check_source(source)
        delivery_id = self._delivery_id(delivery)
        now = now_utc()
        with self.transaction() as conn:
            self._known_products(delivery_id, values)
            conn.executemany(
                "DELETE FROM product_values WHERE delivery_id = ? AND product_id = ?",
                [(delivery_id, pid) for pid in values],
            )
            rows = [
                (delivery_id, pid, attribute, str(value), source, now)
                for pid, attrs in values.items()
                for attribute, value in attrs.items()
                if value is not None and str(value) != ""
            ]
            conn.executemany(
                "INSERT INTO product_values (delivery_id, product_id, attribute, value, source, saved_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._audit(
                "product_values_saved", delivery=delivery, products=len(values), values=len(rows), source=source
            )

    def product_values(self, delivery: str) -> dict[str, dict[str, str]]:
        """Product id -> attribute -> value: the saved values with current analyst/attribute decisions on top."""
        delivery_id = self._delivery_id(delivery)
        present = {
            r[0]
            for r in self.conn.execute(
                "SELECT product_id FROM products WHERE delivery_id = ? AND removed_at IS NULL", (delivery_id,)
            )
        }
        out: dict[str, dict[str, str]] = {}
        for pid, attribute, value in self.conn.execute(
            "SELECT v.product_id, v.attribute, v.value FROM product_values v JOIN products p USING (delivery_id,"
            " product_id) WHERE v.delivery_id = ? AND p.removed_at IS NULL",
            (delivery_id,),
        ):
            out.setdefault(pid, {})[attribute] = value
        for decision in self.decisions(delivery):
            if (
                decision.product_id not in present
                or decision.field == FIELD_CATEGORY
                or is_mapping_field(decision.field)
            ):
                continue
            attrs = out.setdefault(decision.product_id, {})
            if decision.value:
                attrs[decision.field] = decision.value
            else:
                attrs.pop(decision.field, None)
        return out
