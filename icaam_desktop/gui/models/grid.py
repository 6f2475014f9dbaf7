"""The product grid's model and filter: a flat QAbstractListModel over ``ProductRow``s.

Kept cheap for 40,000 rows: data() is a dict/attribute lookup, thumbnails are fetched lazily
through ``ThumbnailCache`` only for painted items, and a changed product updates one row.
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from icaam_desktop.gui.models.session import STATUSES, ProductRow
from icaam_desktop.gui.models.thumbnails import ThumbnailCache

Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    ROW = Qt.ItemDataRole.UserRole + 1  # the ProductRow itself (for the delegate)
    PRODUCT_ID = Qt.ItemDataRole.UserRole + 2
    STATUS = Qt.ItemDataRole.UserRole + 3
    CONFIDENCE = Qt.ItemDataRole.UserRole + 4
    CATEGORY = Qt.ItemDataRole.UserRole + 5
    MISSING = Qt.ItemDataRole.UserRole + 6
    THUMBNAIL = Qt.ItemDataRole.UserRole + 7
    STATUS_RANK = Qt.ItemDataRole.UserRole + 8


STATUS_RANK = {status: i for i, status in enumerate(("review", "unclassified", "rejected", "auto", "accepted"))}

# Sorting happens in the source model with Python's sort (40,000 rows in milliseconds); a proxy
# sort would call back into Python for each of ~600,000 comparisons (seconds on the GUI thread).
SORT_KEYS = {
    "supplier order": None,
    "confidence (low first)": lambda r: r.confidence,
    "status (review first)": lambda r: STATUS_RANK.get(r.status, 9),
    "product id": lambda r: r.product_id,
    "category": lambda r: r.category_label or "~",
}


class ProductGridModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailCache | None = None, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ProductRow] = []
        self._supplier_order: dict[str, int] = {}
        self.sort_key: str = "supplier order"
        self._by_id: dict[str, int] = {}
        self._by_image: dict[str, list[int]] = {}
        self.thumbnails = thumbnails
        if thumbnails is not None:
            thumbnails.ready.connect(self._thumbnail_ready)

    # -- filling -----------------------------------------------------------------------------
    def set_rows(self, rows: list[ProductRow]) -> None:
        """New products, given in supplier order (shown in the current sort order)."""
        self.beginResetModel()
        self._supplier_order = {r.product_id: i for i, r in enumerate(rows)}
        self._rows = self._sorted(rows)
        self._reindex()
        self.endResetModel()

    def sort_rows(self, key_name: str) -> None:
        if key_name not in SORT_KEYS:
            raise ValueError(f"unknown sort {key_name!r}")
        self.sort_key = key_name
        self.beginResetModel()
        self._rows = self._sorted(self._rows)
        self._reindex()
        self.endResetModel()

    def _sorted(self, rows: list[ProductRow]) -> list[ProductRow]:
        order = self._supplier_order
        key = SORT_KEYS[self.sort_key]
        by_supplier = sorted(rows, key=lambda r: order.get(r.product_id, 0))
        return by_supplier if key is None else sorted(by_supplier, key=key)  # stable: ties keep supplier order

    def _reindex(self) -> None:
        self._by_id = {r.product_id: i for i, r in enumerate(self._rows)}
        self._by_image = {}
        for i, r in enumerate(self._rows):
            if r.image is not None:
                self._by_image.setdefault(str(r.image), []).append(i)

    def replace_rows(self, rows: list[ProductRow]) -> None:
        """New contents (supplier order) for the same products: when the sorted order is unchanged,
        one dataChanged and no reset/relayout."""
        if set(self._supplier_order) != {r.product_id for r in rows}:
            self.set_rows(rows)
            return
        self._supplier_order = {r.product_id: i for i, r in enumerate(rows)}
        rows = self._sorted(rows)
        if any(a.product_id != b.product_id for a, b in zip(rows, self._rows, strict=True)):
            self.set_rows(rows)
            return
        self._rows = list(rows)
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, 0))

    def update_row(self, row: ProductRow) -> None:
        i = self._by_id.get(row.product_id)
        if i is None:
            return
        self._rows[i] = row
        index = self.index(i, 0)
        self.dataChanged.emit(index, index)

    def update_rows(self, rows: list[ProductRow]) -> int:
        """Replace the rows of these products and redraw only those that really differ, with one
        ``dataChanged`` per contiguous run of rows (a refill touches thousands: one signal each made the
        proxy and the view do thousands of small updates). Returns how many rows changed."""
        changed = []
        for row in rows:
            i = self._by_id.get(row.product_id)
            if i is not None and self._rows[i] != row:
                self._rows[i] = row
                changed.append(i)
        self._changed(changed)
        return len(changed)

    def _changed(self, rows: list[int]) -> None:
        """One ``dataChanged`` per contiguous run of these row numbers."""
        if not rows:
            return
        rows.sort()
        start = previous = rows[0]
        for row in rows:
            if row > previous + 1:
                self.dataChanged.emit(self.index(start, 0), self.index(previous, 0))
                start = row
            previous = row
        self.dataChanged.emit(self.index(start, 0), self.index(previous, 0))

    def set_missing(self, missing: dict[str, list[str]]) -> int:
        """New "missing required" lists for these products (all that a mapping refill changes in a row); only
        the rows where it differs are redrawn, one ``dataChanged`` per contiguous run. Returns how many.

        The rows are changed in place: they belong to this model, and a copy of each (``dataclasses.replace``)
        cost 0.7 s at 40,000 products."""
        changed, by_id, rows = [], self._by_id, self._rows
        for product_id, attributes in missing.items():
            i = by_id.get(product_id)
            if i is not None:
                row = rows[i]
                if row.missing != attributes:
                    row.missing = attributes
                    changed.append(i)
        self._changed(changed)
        return len(changed)

    def row_for(self, product_id: str) -> int:
        return self._by_id.get(product_id, -1)

    def product_row(self, i: int) -> ProductRow:
        return self._rows[i]

    # -- Qt model API ------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{row.product_id}\n{row.title}\nstatus: {row.status}"
            if row.category_code:
                tip += f"\ncategory: {' > '.join(row.path)}"
            if row.confidence >= 0:
                tip += f"\nconfidence: {row.confidence:.0%}"
            if row.missing:
                tip += f"\nmissing: {', '.join(row.missing)}"
            return tip
        if role == Role.ROW:
            return row
        if role == Role.PRODUCT_ID:
            return row.product_id
        if role == Role.STATUS:
            return row.status
        if role == Role.STATUS_RANK:
            return STATUS_RANK.get(row.status, 9)
        if role == Role.CONFIDENCE:
            return row.confidence
        if role == Role.CATEGORY:
            return row.category_code or ""
        if role == Role.MISSING:
            return len(row.missing)
        if role == Role.THUMBNAIL:
            return self.thumbnails.get(row.image) if self.thumbnails is not None else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def _thumbnail_ready(self, key: str) -> None:
        for i in self._by_image.get(key, []):
            index = self.index(i, 0)
            self.dataChanged.emit(index, index, [Role.THUMBNAIL])


class ProductFilterProxy(QSortFilterProxyModel):
    """Filters by status, category subtree, confidence range and missing required attributes."""

    SORT_KEYS = SORT_KEYS

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.statuses: set[str] = set(STATUSES)
        self.subtree: set[str] | None = None
        self.confidence_range: tuple[float, float] = (0.0, 1.0)
        self.missing_only = False
        self.text = ""
        self._accepted: bytearray | None = None
        self.setDynamicSortFilter(False)  # re-sorting under the analyst's cursor after each key is jarring

    def set_filters(
        self,
        *,
        statuses: set[str] | None = None,
        subtree: set[str] | None | bool = False,
        confidence_range: tuple[float, float] | None = None,
        missing_only: bool | None = None,
        text: str | None = None,
    ) -> None:
        """Change any of the filters (arguments left out keep their value) and refilter once."""
        self.beginFilterChange()
        if statuses is not None:
            self.statuses = set(statuses)
        if subtree is not False:
            self.subtree = subtree  # type: ignore[assignment]
        if confidence_range is not None:
            self.confidence_range = confidence_range
        if missing_only is not None:
            self.missing_only = missing_only
        if text is not None:
            self.text = text.strip().lower()
        self._accepted = None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_sort_key(self, name: str) -> None:
        self.sourceModel().sort_rows(name)

    def setSourceModel(self, model) -> None:
        super().setSourceModel(model)
        # Rows are judged in one pass per change (a Python loop over 40,000 plain objects takes
        # milliseconds); Qt's per-row calls then only look the answer up.
        model.modelAboutToBeReset.connect(self._forget)
        model.rowsAboutToBeInserted.connect(self._forget)
        model.rowsAboutToBeRemoved.connect(self._forget)

    def _forget(self, *_args) -> None:
        self._accepted = None

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        accepted = self._accepted
        if accepted is None or len(accepted) != self.sourceModel().rowCount():
            model = self.sourceModel()
            accepted = self._accepted = bytearray(
                self._accepts(model.product_row(i)) for i in range(model.rowCount())
            )
        return bool(accepted[source_row])

    def _accepts(self, row: ProductRow) -> bool:
        if row.status not in self.statuses:
            return False
        if self.subtree is not None and row.category_code not in self.subtree:
            return False
        low, high = self.confidence_range
        if (low > 0.0 or high < 1.0) and not (row.confidence >= 0 and low <= row.confidence <= high):
            return False
        if self.missing_only and not row.missing:
            return False
        return not (self.text and self.text not in row.title.lower() and self.text not in row.product_id.lower())
