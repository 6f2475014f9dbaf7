"""The mapping view: supplier columns against suggested attributes, and per-attribute value tables.

Keys: Enter/A accepts the selected suggestion, C changes it (type-ahead drop-down), Delete sets
it to none. Every choice is emitted as a signal; the window writes it to the workspace.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from icaam_desktop.core.mapping.model import ValueMatch
from icaam_desktop.core.taxonomy import Taxonomy
from icaam_desktop.gui.models.mapping import ColumnMappingModel, ColumnRow, ValueMappingModel
from icaam_desktop.gui.text import counted

MAX_COLUMN_WIDTH = 260


def _fit_columns(table: QTableView) -> None:
    """Columns as wide as their contents, capped, so the last (the reasons) stays in view."""
    table.resizeColumnsToContents()
    for column in range(table.model().columnCount() - 1):
        table.setColumnWidth(column, min(table.columnWidth(column), MAX_COLUMN_WIDTH))


def _table(model) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


class AttributeChooser(QDialog):
    """The retailer attributes a supplier column feeds: none, one, or several (e.g. material and fabric).

    Checked attributes are listed first; typing filters the list; Space toggles the selected one.
    """

    def __init__(self, column: str, attributes: list[tuple[str, str]], checked: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("attributeChooser")
        self.setWindowTitle("Change attribute")
        self.resize(440, 520)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Attributes fed by the column “{column}” (none, one or several):"))
        self.filter = QLineEdit(placeholderText="Type to filter…")
        self.filter.textChanged.connect(self._filter)
        layout.addWidget(self.filter)
        self.list = QListWidget()
        ordered = sorted(attributes, key=lambda a: (a[0] not in checked, a[1].lower()))
        for code, label in ordered:
            item = QListWidgetItem(label)  # the column model's label already names the code
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code in checked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        layout.addWidget(self.list, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._initial = self.chosen()
        self.filter.installEventFilter(self)  # Up/Down move in the list while typing
        self.filter.setFocus()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        moves = (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp)
        if watched is self.filter and event.type() == QEvent.Type.KeyPress and event.key() in moves:
            QApplication.sendEvent(self.list, event)
            return True
        return super().eventFilter(watched, event)

    def accept(self) -> None:
        """Enter after typing takes the highlighted attribute, like the category picker, unless boxes were ticked."""
        item = self.list.currentItem()
        if self.chosen() == self._initial and self.filter.text().strip() and item is not None and not item.isHidden():
            for i in range(self.list.count()):
                self.list.item(i).setCheckState(Qt.CheckState.Unchecked)
            item.setCheckState(Qt.CheckState.Checked)
        super().accept()

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            hidden = bool(needle) and needle not in item.text().lower()
            item.setHidden(hidden)
            if not hidden and first is None:
                first = i
        if first is not None:
            self.list.setCurrentRow(first)

    def set_checked(self, code: str, checked: bool = True) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == code:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def chosen(self) -> list[str]:
        return [
            self.list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]


class FillMissingDialog(QDialog):
    """One value for every product that needs an attribute no supplier column gives (e.g. the age group)."""

    def __init__(self, taxonomy: Taxonomy, missing: dict[str, int], *, shown: int | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("fillMissingDialog")
        self.setWindowTitle("Fill a missing attribute")
        self.setMinimumWidth(520)
        self.taxonomy = taxonomy
        layout = QVBoxLayout(self)
        text = QLabel(
            "Sets one value on every product whose category requires the attribute and that has no value "
            "for it yet. Values already there are kept. Ctrl+Z in the review takes the whole fill back."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        layout.addLayout(form)
        self.attribute = QComboBox()
        for code, n in sorted(missing.items(), key=lambda item: (-item[1], item[0])):
            spec = taxonomy.attributes.get(code)
            label = spec.label if spec else code
            self.attribute.addItem(f"{label} ({code}) — missing on {counted(n, 'product')}", code)
        form.addRow("Attribute", self.attribute)
        self.option = QComboBox()
        self.option.setEditable(True)  # type to find an option among many
        self.option.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.text = QLineEdit(placeholderText="the value for every such product")
        form.addRow("Option", self.option)
        form.addRow("Value", self.text)
        self._form = form
        # The grid's filter (a category branch, a search) narrows who gets the value: kids' products keep theirs.
        self.only_shown = QCheckBox(f"Only the {counted(shown or 0, 'product')} the grid shows (its filter and search)")
        self.only_shown.setVisible(shown is not None)
        self.only_shown.setChecked(shown is not None)
        layout.addWidget(self.only_shown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Fill")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.attribute.currentIndexChanged.connect(self._attribute_changed)
        self._attribute_changed()

    def _attribute_changed(self, *_args) -> None:
        spec = self.taxonomy.attributes.get(self.attribute.currentData())
        select = bool(spec is not None and spec.options)
        self.option.clear()
        if select:
            for option in spec.options:
                self.option.addItem(option.label, option.code)
        self._form.setRowVisible(self.option, select)
        self._form.setRowVisible(self.text, not select)

    def chosen(self) -> tuple[str, str] | None:
        """(attribute code, value or option code), or None when nothing usable is chosen."""
        attribute = self.attribute.currentData()
        if not attribute:
            return None
        if self._form.isRowVisible(self.option):
            i = self.option.findText(self.option.currentText(), Qt.MatchFlag.MatchFixedString)
            code = self.option.itemData(i) if i >= 0 else None
            return (attribute, code) if code else None
        value = self.text.text().strip()
        return (attribute, value) if value else None


class MappingView(QWidget):
    fill_requested = Signal()  # the analyst wants one value for every product missing an attribute
    column_decided = Signal(str, list)  # supplier column, attribute codes ([] = none)
    value_decided = Signal(str, str, str)  # attribute, supplier value, option code ("" = unmapped)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mappingView")
        self.taxonomy: Taxonomy | None = None
        self.values: dict[str, list[ValueMatch]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.summary = QLabel("Run Classify > Map attributes (Ctrl+M) to get suggestions.", objectName="sectionTitle")
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        self.fill_button = QPushButton("Fill a missing attribute…")
        self.fill_button.setToolTip("One value for every product that needs an attribute no supplier column gives")
        self.fill_button.clicked.connect(self.fill_requested)
        head.addWidget(self.fill_button)
        layout.addLayout(head)
        splitter = QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(splitter, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(QLabel("Supplier columns → retailer attributes"))
        self.columns = ColumnMappingModel(self)
        self.column_table = _table(self.columns)
        top_layout.addWidget(self.column_table, 1)
        row = QHBoxLayout()
        self.accept_column_button = QPushButton("Accept  (A)")
        self.change_column_button = QPushButton("Change…  (C)")
        self.none_column_button = QPushButton("Set to none  (Del)")
        self.accept_column_button.clicked.connect(self.accept_column)
        self.change_column_button.clicked.connect(self.change_column)
        self.none_column_button.clicked.connect(self.none_column)
        for b in (self.accept_column_button, self.change_column_button, self.none_column_button):
            row.addWidget(b)
        row.addStretch(1)
        top_layout.addLayout(row)
        splitter.addWidget(top)

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Values of attribute"))
        self.attribute_combo = QComboBox()
        self.attribute_combo.currentIndexChanged.connect(self._show_values)
        pick.addWidget(self.attribute_combo, 1)
        self.unmapped_label = QLabel("")
        pick.addWidget(self.unmapped_label)
        self.value_filter = QLineEdit(placeholderText="Find a value…", clearButtonEnabled=True)
        self.value_filter.setToolTip("Show only the supplier values or options containing this text")
        self.value_filter.textChanged.connect(self._filter_values)
        pick.addWidget(self.value_filter)
        bottom_layout.addLayout(pick)
        self.value_model = ValueMappingModel(self)
        self.value_table = _table(self.value_model)
        bottom_layout.addWidget(self.value_table, 1)
        row = QHBoxLayout()
        accept_value = QPushButton("Accept value")
        change_value = QPushButton("Change option…")
        none_value = QPushButton("Set to unmapped")
        accept_value.clicked.connect(self.accept_value)
        change_value.clicked.connect(self.change_value)
        none_value.clicked.connect(self.none_value)
        for b in (accept_value, change_value, none_value):
            row.addWidget(b)
        row.addStretch(1)
        bottom_layout.addLayout(row)
        splitter.addWidget(bottom)
        splitter.setSizes([360, 300])

        for keys, slot, table in (
            ("A", self.accept_column, self.column_table),
            ("Return", self.accept_column, self.column_table),
            ("C", self.change_column, self.column_table),
            ("Delete", self.none_column, self.column_table),
            ("A", self.accept_value, self.value_table),
            ("Return", self.accept_value, self.value_table),
            ("C", self.change_value, self.value_table),
            ("Delete", self.none_value, self.value_table),
        ):
            shortcut = QShortcut(QKeySequence(keys), table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)

    # -- filling -----------------------------------------------------------------------------
    def show_mapping(self, rows: list[ColumnRow], values: list[ValueMatch], taxonomy: Taxonomy | None) -> None:
        self.taxonomy = taxonomy
        self.columns.set_rows(rows, taxonomy)
        _fit_columns(self.column_table)
        self.values = {}
        for v in values:
            self.values.setdefault(v.attribute, []).append(v)
        self.attribute_combo.blockSignals(True)
        self.attribute_combo.clear()
        for attribute in sorted(self.values, key=lambda a: -self._unmapped_of(a)):
            self.attribute_combo.addItem("", attribute)
        self.attribute_combo.blockSignals(False)
        self._show_values()

    def _unmapped_of(self, attribute: str) -> int:
        return sum(v.option_code is None and not v.fits_other_attribute for v in self.values.get(attribute, []))

    def _refresh_counts(self) -> None:
        """The summary, the attribute list's counts and the value table's count, after any decision."""
        for i in range(self.attribute_combo.count()):
            attribute = self.attribute_combo.itemData(i)
            n = self._unmapped_of(attribute)
            self.attribute_combo.setItemText(
                i, self.columns.attribute_label(attribute) + (f"  ({n} unmapped)" if n else "")
            )
        n = self.value_model.unmapped()
        self.unmapped_label.setText(f"{n} unmapped" if n else ("all mapped" if self.value_model.rows else ""))
        rows = self.columns.rows
        mapped = sum(1 for r in rows if r.attributes)
        unmapped = sum(self._unmapped_of(a) for a in self.values)
        self.summary.setText(
            f"{mapped} of {len(rows)} columns mapped · {counted(unmapped, 'supplier value')} "
            "without an option (highlighted red) · amber = worth a look, blue = accepted by you"
        )

    def _show_values(self, *_args) -> None:
        attribute = self.attribute_combo.currentData()
        self.value_model.set_rows(self.values.get(attribute, []), self.taxonomy)
        _fit_columns(self.value_table)
        self._filter_values(self.value_filter.text())
        self._refresh_counts()

    def _filter_values(self, text: str) -> None:
        needle = text.strip().casefold()
        for row, v in enumerate(self.value_model.rows):
            option = self.value_model.option_label(v.attribute, v.option_code)
            hidden = bool(needle) and needle not in v.supplier_value.casefold() and needle not in option.casefold()
            self.value_table.setRowHidden(row, hidden)

    # -- decisions ---------------------------------------------------------------------------
    def _column_row(self) -> int:
        index = self.column_table.currentIndex()
        return index.row() if index.isValid() else -1

    def accept_column(self) -> None:
        row = self._column_row()
        if row >= 0:
            r = self.columns.rows[row]
            self.columns.set_attributes(row, r.attributes)
            self.column_decided.emit(r.column, list(r.attributes))
            self._refresh_counts()
            self._advance(self.column_table)

    def none_column(self) -> None:
        row = self._column_row()
        if row >= 0:
            self.columns.set_attributes(row, [])
            self.column_decided.emit(self.columns.rows[row].column, [])
            self._refresh_counts()
            self._advance(self.column_table)

    def change_column(self) -> None:
        row = self._column_row()
        if row < 0 or self.taxonomy is None:
            return
        r = self.columns.rows[row]
        attributes = [(code, self.columns.attribute_label(code)) for code in self.taxonomy.attributes]
        chooser = AttributeChooser(r.column, attributes, list(r.attributes), self)
        self._chooser = chooser  # reachable for tests and screenshots
        if chooser.exec():
            codes = chooser.chosen()
            self.columns.set_attributes(row, codes)
            self.column_decided.emit(r.column, codes)
            self._refresh_counts()
        self._chooser = None

    def _value_row(self) -> int:
        index = self.value_table.currentIndex()
        return index.row() if index.isValid() else -1

    def accept_value(self) -> None:
        row = self._value_row()
        if row >= 0:
            v = self.value_model.rows[row]
            self.value_model.set_option(row, v.option_code)
            self.value_decided.emit(v.attribute, v.supplier_value, v.option_code or "")
            self._refresh_counts()
            self._advance(self.value_table)

    def none_value(self) -> None:
        row = self._value_row()
        if row >= 0:
            v = self.value_model.rows[row]
            self.value_model.set_option(row, None)
            self.value_decided.emit(v.attribute, v.supplier_value, "")
            self._refresh_counts()

    def change_value(self) -> None:
        row = self._value_row()
        if row < 0 or self.taxonomy is None:
            return
        v = self.value_model.rows[row]
        spec = self.taxonomy.attributes.get(v.attribute)
        if spec is None or not spec.options:
            return
        labels = [o.label for o in spec.options]
        start = next((i for i, o in enumerate(spec.options) if o.code == v.option_code), 0)
        label, ok = QInputDialog.getItem(
            self, "Change option", f"Option for “{v.supplier_value}”:", labels, start, True
        )
        if ok and label in labels:
            code = spec.options[labels.index(label)].code
            self.value_model.set_option(row, code)
            self.value_decided.emit(v.attribute, v.supplier_value, code)
            self._refresh_counts()

    @staticmethod
    def _advance(table: QTableView) -> None:
        """To the next visible row (a value filter hides the others)."""
        index = table.currentIndex()
        row = index.row() + 1
        while row < table.model().rowCount() and table.isRowHidden(row):
            row += 1
        below = index.siblingAtRow(row)
        if below.isValid():
            table.setCurrentIndex(below)
