"""What the window is reviewing: one delivery, its taxonomy, predictions and the analyst's decisions.

Plain Python (no Qt): the Qt models in this package adapt it, workers build it. Every decision goes
straight to the workspace SQLite through ``core/store``; the in-memory state is only a cache of it,
rebuilt from the store on open, so closing and reopening shows the same state.

When the window's own connection to the workspace cannot be opened, the session keeps decisions in
memory and ``storage_problem`` says so (shown in the status bar), instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from icaam_desktop.core.store.records import (
    FIELD_CATEGORY,
    REJECT_VALUE,
    SOURCE_ANALYST,
    STATUS_ACCEPTED,
    STATUS_AUTO,
    STATUS_REJECTED,
    STATUS_REVIEW,
    STATUS_UNCLASSIFIED,
)

if TYPE_CHECKING:  # core.classify's package imports torch; the window must start without it
    from icaam_desktop.core.classify.prediction import Prediction
    from icaam_desktop.core.delivery.model import Delivery, Product
    from icaam_desktop.core.taxonomy import Taxonomy

# One vocabulary with the store and the export (core/store/records.py).
STATUS_NEW = STATUS_UNCLASSIFIED  # neither a prediction nor a decision yet
STATUSES = (STATUS_NEW, STATUS_AUTO, STATUS_REVIEW, STATUS_REJECTED, STATUS_ACCEPTED)


@dataclass
class Decision:
    """The GUI's view of one stored decision (whatever shape the store returns is read into this)."""

    product_id: str | None  # None for a delivery-level mapping decision
    field: str
    value: str | None
    source: str = SOURCE_ANALYST
    note: str = ""


@dataclass
class Refill:
    """A refill's values and what they change in the grid (``ReviewSession.refill_changes``)."""

    values: dict[str, dict[str, str]]
    missing: dict[str, list[str]]  # product whose values change -> its row's new "missing" list
    state: tuple  # the session's state they were worked out against


@dataclass
class ProductRow:
    """One product as the grid shows it."""

    product_id: str
    title: str
    image: Path | None
    n_images: int
    status: str = STATUS_NEW
    confidence: float = -1.0  # -1 = no prediction
    category_code: str | None = None
    category_label: str = ""
    path: tuple[str, ...] = ()
    missing: list[str] = field(default_factory=list)  # required attributes without a value


def read_decision(raw: Any) -> Decision:
    """Accept a dataclass/object or a dict row from the store."""

    def get(name: str, default: Any = None) -> Any:
        if isinstance(raw, dict):
            return raw.get(name, default)
        return getattr(raw, name, default)

    product_id = get("product_id")
    return Decision(
        product_id=None if product_id is None else str(product_id),
        field=str(get("field", FIELD_CATEGORY)),
        value=get("value"),
        source=str(get("source", SOURCE_ANALYST) or SOURCE_ANALYST),
        note=str(get("note", "") or ""),
    )


def product_title(product: Product, column: str | None = None) -> str:
    """A short human title: the value of ``column`` (the sheet's name column, ``core.mapping.titles``), else of the
    first column whose header says name/title/description in English or German, else the id."""
    value = product.row.get(column, "").strip() if column else ""
    if value:
        return value
    for column, value in product.row.items():
        lowered = column.lower()
        if value and any(word in lowered for word in ("name", "title", "bezeichnung", "description")):
            return value
    return product.product_id


class ReviewSession:
    """A delivery under review, with decisions written through to ``workspace`` (None = memory only)."""

    def __init__(
        self,
        *,
        delivery: Delivery,
        taxonomy: Taxonomy,
        workspace: Any | None = None,
        workspace_path: Path | None = None,
        predictions: list[Prediction] | dict[str, Prediction] | None = None,
        decisions: list[Any] | None = None,
        values: dict[str, dict[str, str]] | None = None,
        storage_problem: str = "",
    ) -> None:
        self.delivery = delivery
        self.taxonomy = taxonomy
        from icaam_desktop.core.mapping.titles import title_column  # the vocabulary: not at start-up

        self.title_column = title_column(delivery.sheet.columns)  # the product names, in whatever language
        self.sources: dict[str, list[str]] = {}  # attribute -> the supplier columns feeding it (set_sources)
        self.converted_columns: set[str] = set()
        self.workspace = workspace
        self.workspace_path = workspace_path
        self.storage_problem = storage_problem
        if isinstance(predictions, dict):
            predictions = list(predictions.values())
        self.column_profiles: dict | None = None  # the mapper's column profiles, kept for refills (worker only)
        self.last_undone: tuple[str, int] = ("", 0)  # (field, decisions) of the last undo
        self.predictions: dict[str, Prediction] = {p.product_id: p for p in predictions or []}
        self.values: dict[str, dict[str, str]] = values or {}  # product -> attribute -> option/value
        # (column matches, value matches) saved by an earlier mapping run, read by the opening job.
        self.stored_mapping: tuple[list[Any], list[Any]] = ([], [])
        self.problem_count = 0  # what the delivery report lists, counted by the opening job
        self.category_decisions: dict[str, Decision] = {}
        self.attribute_decisions: dict[tuple[str, str], Decision] = {}
        self._decisions_version = 0  # bumped by every change of a decision or prediction
        self._memory_log: list[Decision | list[Decision]] = []  # undo stack when there is no store (a list: a batch)
        self.products: list[Product] = list(delivery.products)
        self._required: dict[str, list[str]] = {}  # category -> required attribute codes
        # Rows computed on a worker thread for the next grid fill (40,000 rows take a while to build).
        self.prepared_rows: list[ProductRow] | None = None
        self._index = {p.product_id: i for i, p in enumerate(self.products)}
        for raw in decisions or []:
            self._apply(read_decision(raw))

    # -- reading -----------------------------------------------------------------------------
    def report(self):
        """What was detected in the delivery and everything wrong with it (``core.delivery.report``)."""
        from icaam_desktop.core.delivery.report import delivery_report

        return delivery_report(self.delivery)

    def index_of(self, product_id: str) -> int:
        return self._index[product_id]

    def product(self, product_id: str) -> Product:
        return self.products[self._index[product_id]]

    def final_category(self, product_id: str) -> str | None:
        decision = self.category_decisions.get(product_id)
        if decision is not None:
            return decision.value or None
        prediction = self.predictions.get(product_id)
        return prediction.leaf_code if prediction else None

    def status(self, product_id: str) -> str:
        decision = self.category_decisions.get(product_id)
        if decision is not None:
            if not decision.value:
                return STATUS_REJECTED
            return STATUS_ACCEPTED if decision.source == SOURCE_ANALYST else STATUS_AUTO
        prediction = self.predictions.get(product_id)
        return prediction.status if prediction else STATUS_NEW

    def set_sources(self, rows) -> None:
        """Which supplier columns feed each attribute (the mapping view's rows), and which were converted prices."""
        self.sources = {}
        self.converted_columns = {row.column for row in rows if row.converted}
        for row in rows:
            for attribute in row.attributes:
                self.sources.setdefault(attribute, []).append(row.column)

    def value_source(self, product_id: str, attribute: str) -> str:
        """Where a product's mapped value came from, for a tooltip: the supplier's cells as written (nothing for a
        value the analyst set)."""
        decision = self.attribute_decisions.get((product_id, attribute))
        if decision is not None:
            return f"set by the analyst ({decision.note})" if decision.note else "set by the analyst"
        product = self.product(product_id)
        cells = [(c, product.row.get(c, "").strip()) for c in self.sources.get(attribute, [])]
        shown = [f"column “{c}”: “{v}”" for c, v in cells if v]
        if not shown:
            return ""
        text = "from the supplier's " + "; ".join(shown)
        if any(c in self.converted_columns for c, v in cells if v):
            text += " (converted at a reference rate: check; see the mapping view)"
        return text

    def attribute_value(self, product_id: str, attribute: str) -> str:
        return self._value_over(product_id, attribute, self.values.get(product_id, {}))

    def _required_of(self, code: str | None) -> list[str]:
        """The required attribute codes of category ``code`` (none for no or an unknown category), cached."""
        if not code or code not in self.taxonomy.categories:
            return []
        required = self._required.get(code)
        if required is None:
            required = [s.code for s in self.taxonomy.required_attributes(code) if not s.is_identifier]
            self._required[code] = required
        return required

    def missing_required(self, product_id: str) -> list[str]:
        return [a for a in self._required_of(self.final_category(product_id)) if not self.attribute_value(product_id, a)]

    # -- refilling the mapped values ------------------------------------------------------------
    def _state(self) -> tuple:
        """What a refill's changes are worked out against: the values, the decisions and the taxonomy."""
        return (self.values, self._decisions_version, self.taxonomy)

    def refill_changes(self, values: dict[str, dict[str, str]], *, only: set[str] | None) -> Refill:
        """What taking ``values`` (a refill of ``only`` those products, else of all) changes in the grid: the
        products whose values differ, and their rows' new "missing" lists. Called on the refill's worker
        thread, so that the GUI thread only redraws those (a column decision refills all 40,000 products);
        ``take_refill`` works it out again if the analyst decided something meanwhile."""
        state = self._state()  # first: a decision made while this runs makes it stale
        before = self.values
        none: dict[str, str] = {}
        if only is None:
            changed = [p.product_id for p in self.products if before.get(p.product_id) != values.get(p.product_id)]
            filled, kept = bool(values), none
        else:
            changed = [pid for pid, v in values.items() if before.get(pid) != v]
            filled, kept = bool(before or values), before  # the products left out keep their values
        if bool(before) != filled:  # no "N missing" is shown before the first values: every row changes
            changed = [p.product_id for p in self.products]
        missing = {pid: [] for pid in changed}
        if filled:
            decided = {pid for pid, _ in list(self.attribute_decisions)}  # list(): one atomic copy of the keys
            for pid in changed:
                mapped = values[pid] if pid in values else kept.get(pid, none)
                required = self._required_of(self.final_category(pid))
                if pid in decided:
                    missing[pid] = [a for a in required if not self._value_over(pid, a, mapped)]
                else:
                    missing[pid] = [a for a in required if not mapped.get(a)]
        return Refill(values=values, missing=missing, state=state)

    def _value_over(self, product_id: str, attribute: str, mapped: dict[str, str]) -> str:
        """``attribute_value`` with ``mapped`` as the product's mapped values."""
        decision = self.attribute_decisions.get((product_id, attribute))
        return (decision.value or "") if decision is not None else mapped.get(attribute, "")

    def take_refill(self, refill: Refill, *, only: set[str] | None) -> dict[str, list[str]]:
        """Take a refill's values (on the GUI thread); returns product id -> its row's new "missing" list, for
        the products whose values changed."""
        if any(a is not b for a, b in zip(refill.state, self._state(), strict=True)):
            refill = self.refill_changes(refill.values, only=only)  # decided meanwhile: work it out again
        if only is None:
            self.values = refill.values
        else:
            self.values.update(refill.values)
        return refill.missing

    def row(self, product_id: str) -> ProductRow:
        product = self.product(product_id)
        usable = product.usable_images
        prediction = self.predictions.get(product_id)
        code = self.final_category(product_id)
        category = self.taxonomy.categories.get(code) if code else None
        confidence = -1.0
        if prediction and prediction.levels:
            confidence = min(level.confidence for level in prediction.levels)
        return ProductRow(
            product_id=product_id,
            title=product_title(product, self.title_column),
            image=usable[0].path if usable else None,
            n_images=len(usable),
            status=self.status(product_id),
            confidence=confidence,
            category_code=code,
            category_label=category.label if category else "",
            path=category.path if category else (),
            # Before any attribute value exists (not mapped yet) every card would say "N missing": noise.
            missing=self.missing_required(product_id) if self.values else [],
        )

    def rows(self) -> list[ProductRow]:
        return [self.row(p.product_id) for p in self.products]

    def prepare_rows(self) -> None:
        """Build every grid row now (call on a worker thread); ``take_rows`` hands them to the GUI."""
        self.prepared_rows = self.rows()

    def take_rows(self) -> list[ProductRow]:
        rows, self.prepared_rows = self.prepared_rows, None
        return rows if rows is not None else self.rows()

    # -- deciding ----------------------------------------------------------------------------
    def decide(self, product_id: str, *, field: str, value: str | None, note: str = "") -> Decision:
        """Record an analyst decision, in SQLite first (with provenance), then in memory."""
        prediction = self.predictions.get(product_id)
        score, alternatives = None, []
        if prediction and field == FIELD_CATEGORY and prediction.levels:
            deepest = prediction.levels[-1]
            score, alternatives = deepest.confidence, list(deepest.alternatives)
        decision = Decision(product_id=product_id, field=field, value=value, note=note)
        if self.workspace is not None:
            self.workspace.record_decision(
                delivery=self.delivery.name,
                product_id=product_id,
                field=field,
                value=value,
                source=SOURCE_ANALYST,
                model_version=prediction.model_version if prediction else "",
                score=score,
                alternatives=alternatives,
                note=note,
            )
        else:
            self._memory_log.append(decision)
        self._apply(decision)
        return decision

    def accept(self, product_id: str) -> Decision | None:
        code = self.final_category(product_id)
        if not code:
            return None
        return self.decide(product_id, field=FIELD_CATEGORY, value=code, note="accepted")

    def override(self, product_id: str, code: str) -> Decision:
        if code not in self.taxonomy.categories:
            raise ValueError(f"unknown category {code!r}")
        return self.decide(product_id, field=FIELD_CATEGORY, value=code, note="override")

    def missing_counts(self) -> dict[str, int]:
        """Required attribute -> how many products (by their current category) have no value for it."""
        counts: dict[str, int] = {}
        for product in self.products:
            for attribute in self.missing_required(product.product_id):
                counts[attribute] = counts.get(attribute, 0) + 1
        return counts

    def fill_missing(self, attribute: str, value: str, *, only: set[str] | None = None) -> list[str]:
        """``attribute`` = ``value`` for every product (of ``only``, when given) whose category requires it and
        that has none yet, as one batch of analyst decisions (one undo takes them back); returns those products."""
        targets = [
            p.product_id
            for p in self.products
            if (only is None or p.product_id in only) and attribute in self.missing_required(p.product_id)
        ]
        if not targets:
            return []
        note = f"{attribute} set for every product missing it"
        if self.workspace is not None:
            self.workspace.record_batch(
                delivery=self.delivery.name,
                product_ids=targets,
                field=attribute,
                value=value,
                source=SOURCE_ANALYST,
                note=note,
            )
        batch = [Decision(product_id=pid, field=attribute, value=value, note=note) for pid in targets]
        if self.workspace is None:
            self._memory_log.append(batch)  # one entry: one undo takes the whole fill back
        for decision in batch:
            self._apply(decision)
        return targets

    def reject(self, product_id: str) -> Decision:
        return self.decide(product_id, field=FIELD_CATEGORY, value=REJECT_VALUE, note="rejected")

    def undo(self) -> str | None:
        """Undo the last decision of this delivery; returns the product it touched.

        ``last_undone`` says (field, how many decisions): more than one for a batch such as a fill."""
        if self.workspace is not None:
            undone = self.workspace.undo_last(self.delivery.name)
            if undone is None:
                return None
            before = len(self.category_decisions) + len(self.attribute_decisions)
            self.reload_decisions()
            after = len(self.category_decisions) + len(self.attribute_decisions)
            decision = read_decision(undone)
            self.last_undone = (decision.field, max(1, before - after))
            return decision.product_id
        if not self._memory_log:
            return None
        undone = self._memory_log.pop()
        batch = undone if isinstance(undone, list) else [undone]
        self.last_undone = (batch[0].field, len(batch))
        self.category_decisions.clear()
        self.attribute_decisions.clear()
        self._decisions_version += 1
        for entry in self._memory_log:
            for decision in entry if isinstance(entry, list) else [entry]:
                self._apply(decision)
        return batch[0].product_id

    def reload_decisions(self) -> None:
        self.category_decisions.clear()
        self.attribute_decisions.clear()
        self._decisions_version += 1
        if self.workspace is not None:
            for raw in self.workspace.decisions(self.delivery.name):
                self._apply(read_decision(raw))

    def set_predictions(self, predictions: list[Prediction]) -> None:
        self.predictions.update({p.product_id: p for p in predictions})
        self._decisions_version += 1

    def needs_review(self, product_id: str) -> bool:
        return self.status(product_id) in (STATUS_REVIEW, STATUS_NEW)

    def next_needing_review(self, after: str | None) -> str | None:
        """The next product in supplier order (wrapping around) still marked review or new."""
        start = self._index.get(after, -1) + 1 if after else 0
        n = len(self.products)
        for step in range(n):
            product_id = self.products[(start + step) % n].product_id
            if self.needs_review(product_id) and product_id != after:
                return product_id
        return None

    def _apply(self, decision: Decision) -> None:
        if decision.product_id is None or decision.product_id not in self._index:
            return
        self._decisions_version += 1
        if decision.field == FIELD_CATEGORY:
            self.category_decisions[decision.product_id] = decision
        else:
            self.attribute_decisions[(decision.product_id, decision.field)] = decision


STATUS_COLOURS = {
    STATUS_NEW: "#8a8f98",
    STATUS_AUTO: "#2e9d4f",
    STATUS_REVIEW: "#d99100",
    STATUS_REJECTED: "#d23c3c",
    STATUS_ACCEPTED: "#2f6fd6",
}
