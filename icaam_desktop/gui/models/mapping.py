"""Table models for the mapping view: supplier columns -> attributes, and values -> options.

Both show the mapper's suggestion (``ColumnMatch`` / ``ValueMatch`` from core/mapping) unless the
analyst decided otherwise; analyst choices are stored as the workspace's delivery-level mapping
decisions (``column:<column>`` / ``value:<attribute>:<value>`` fields, see core/store/records.py),
so they survive a restart and are what the export uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from icaam_desktop.core.mapping.model import ACCEPTED_REASON, CONVERTED_NOTE, SOURCE_ANALYST, ColumnMatch, ValueMatch
from icaam_desktop.core.taxonomy import Taxonomy
from icaam_desktop.gui.models.table import RowTableModel

Index = QModelIndex | QPersistentModelIndex
FIELD_COLUMN_PREFIX = "column:"
FIELD_VALUE_PREFIX = "value:"
ACCEPTED_BRUSH = QBrush(QColor("#e6effc"))
UNMAPPED_BRUSH = QBrush(QColor("#fde2e1"))
OTHER_ATTRIBUTE_BRUSH = QBrush(QColor("#8a8f98"))  # grey text: fine, it belongs to the column's other attribute
LOW_BRUSH = QBrush(QColor("#fff1d6"))
LOW_CONFIDENCE = 0.6


@dataclass
class ColumnRow:
    column: str
    attributes: list[str]
    confidence: float
    reasons: list[str] = field(default_factory=list)
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    source: str = "model"
    samples: list[str] = field(default_factory=list)
    image: bool = False  # the delivery's image column: feeding no attribute is expected

    @property
    def accepted(self) -> bool:
        return self.source == SOURCE_ANALYST

    @property
    def converted(self) -> bool:
        """Prices in another currency, converted at a reference rate."""
        return any(reason.startswith(CONVERTED_NOTE) for reason in self.reasons)


def column_rows(
    matches: list[ColumnMatch],
    *,
    columns: list[str],
    samples: dict[str, list[str]],
    image_columns: frozenset[str] = frozenset(),
) -> list[ColumnRow]:
    """One row per supplier column (sheet order), merging the matches of a column that feeds two attributes."""
    rows: dict[str, ColumnRow] = {
        c: ColumnRow(c, [], 0.0, samples=samples.get(c, []), image=c in image_columns) for c in columns
    }
    for m in matches:
        row = rows.setdefault(m.supplier_column, ColumnRow(m.supplier_column, [], 0.0))
        if m.attribute:
            row.attributes.append(m.attribute)
        row.confidence = max(row.confidence, m.confidence)
        row.reasons.extend(m.reasons)
        row.alternatives.extend(m.alternatives)
        row.source = m.source
    return list(rows.values())


class ColumnMappingModel(RowTableModel):
    HEADERS = ("Supplier column", "Retailer attribute", "Confidence", "Examples", "Why")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[ColumnRow] = []
        self.taxonomy: Taxonomy | None = None

    def set_rows(self, rows: list[ColumnRow], taxonomy: Taxonomy | None) -> None:
        self.beginResetModel()
        self.rows, self.taxonomy = rows, taxonomy
        self.endResetModel()

    def set_attributes(self, row: int, attributes: list[str]) -> None:
        r = self.rows[row]
        r.attributes, r.source, r.reasons = list(attributes), SOURCE_ANALYST, [ACCEPTED_REASON]
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def attribute_label(self, code: str) -> str:
        spec = self.taxonomy.attributes.get(code) if self.taxonomy else None
        return f"{spec.label} ({code})" if spec and spec.label != code else code

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return r.column
            if col == 1:
                text = ", ".join(self.attribute_label(a) for a in r.attributes) or "— none —"
                return f"✔ {text}" if r.accepted else text
            if col == 2:
                return "analyst" if r.accepted else (f"{r.confidence:.0%}" if r.attributes else "")
            if col == 3:
                return ", ".join(r.samples[:4])
            return "; ".join(dict.fromkeys(r.reasons))
        if role == Qt.ItemDataRole.BackgroundRole:
            if r.accepted:
                return ACCEPTED_BRUSH
            feeds_nothing = not r.attributes and r.samples and not r.image
            if (r.attributes and r.confidence < LOW_CONFIDENCE) or feeds_nothing or r.converted:
                return LOW_BRUSH  # unsure, a column with values that feeds nothing, or converted prices: worth a look
        if role == Qt.ItemDataRole.ToolTipRole:
            alts = ", ".join(f"{a} {p:.0%}" for a, p in r.alternatives[:5])
            why = "\n".join(dict.fromkeys(r.reasons))
            return why + (f"\nalternatives: {alts}" if alts else "")
        return None


class ValueMappingModel(RowTableModel):
    """The distinct supplier values of one attribute; unmapped ones highlighted red."""

    HEADERS = ("Supplier value", "Retailer option", "Confidence", "Why")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[ValueMatch] = []
        self.taxonomy: Taxonomy | None = None

    def set_rows(self, rows: list[ValueMatch], taxonomy: Taxonomy | None) -> None:
        self.beginResetModel()
        # unmapped first, then the least confident; values that belong to the column's other attribute last
        self.rows = sorted(
            rows,
            key=lambda v: (v.fits_other_attribute, v.option_code is not None, v.confidence, v.supplier_value.lower()),
        )
        self.taxonomy = taxonomy
        self.endResetModel()

    def set_option(self, row: int, option: str | None) -> None:
        v = self.rows[row]
        v.option_code, v.source, v.confidence, v.reasons = option or None, SOURCE_ANALYST, 1.0, [ACCEPTED_REASON]
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def option_label(self, attribute: str, code: str | None) -> str:
        if not code:
            return "— unmapped —"

        spec = self.taxonomy.attributes.get(attribute) if self.taxonomy else None
        option = spec.option(code) if spec else None
        return option.label if option else code

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        v = self.rows[index.row()]
        col = index.column()
        accepted = v.source == SOURCE_ANALYST
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return v.supplier_value
            if col == 1:
                if v.fits_other_attribute:
                    return "— (the other attribute's value) —"
                label = self.option_label(v.attribute, v.option_code)
                return f"✔ {label}" if accepted else label
            if col == 2:
                return "analyst" if accepted else (f"{v.confidence:.0%}" if v.option_code else "")
            return "; ".join(v.reasons)
        if role == Qt.ItemDataRole.ForegroundRole and v.fits_other_attribute:
            return OTHER_ATTRIBUTE_BRUSH
        if role == Qt.ItemDataRole.BackgroundRole:
            if v.fits_other_attribute:
                return None
            if v.option_code is None:
                return UNMAPPED_BRUSH
            if accepted:
                return ACCEPTED_BRUSH
            if v.confidence < LOW_CONFIDENCE:
                return LOW_BRUSH
        return None

    def unmapped(self) -> int:
        return sum(1 for v in self.rows if v.option_code is None and not v.fits_other_attribute)
