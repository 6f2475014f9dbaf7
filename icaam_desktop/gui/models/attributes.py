"""The attributes of one product's chosen category: a small editable table model.

Column 0 the attribute, 1 its value (editable; option drop-downs come from ``OptionDelegate``),
2 required or optional. Required attributes without a value are highlighted. An edit is an
analyst decision, written through the session straight to SQLite.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QWidget

from icaam_desktop.core.taxonomy import AttributeSpec
from icaam_desktop.gui.models.session import ReviewSession
from icaam_desktop.gui.models.table import RowTableModel

Index = QModelIndex | QPersistentModelIndex
SPEC_ROLE = Qt.ItemDataRole.UserRole + 1
MISSING_BRUSH = QBrush(QColor("#fff1d6"))
NONE_TEXT = "(none)"


class AttributeTableModel(RowTableModel):
    HEADERS = ("Attribute", "Value", "")
    edited = Signal(str, str)  # product id, attribute code
    refused = Signal(str)  # why the workspace refused an edit (e.g. not an option of the attribute)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.session: ReviewSession | None = None
        self.product_id: str | None = None
        self.rows: list[tuple[AttributeSpec, bool]] = []

    def show_product(self, session: ReviewSession | None, product_id: str | None) -> None:
        self.beginResetModel()
        self.session, self.product_id, self.rows = session, product_id, []
        if session is not None and product_id is not None:
            code = session.final_category(product_id)
            if code and code in session.taxonomy.categories:
                specs = session.taxonomy.attributes_for(code)
                rows = [(ca.attribute, ca.required) for ca in specs if not ca.attribute.is_identifier]
                self.rows = sorted(rows, key=lambda r: (not r[1], r[0].label.lower()))
        self.endResetModel()

    def value(self, row: int) -> str:
        spec, _ = self.rows[row]
        return self.session.attribute_value(self.product_id, spec.code) if self.session else ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        spec, required = self.rows[index.row()]
        value = self.value(index.row())
        missing = required and not value
        if role == SPEC_ROLE:
            return spec
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if index.column() == 0:
                return spec.label + (f" ({spec.unit})" if spec.unit else "")
            if index.column() == 1:
                if role == Qt.ItemDataRole.EditRole:
                    return value
                option = spec.option(value) if value and spec.is_select else None
                return option.label if option else (value or ("missing" if missing else ""))
            return "required" if required else "optional"
        if role == Qt.ItemDataRole.BackgroundRole and missing:
            return MISSING_BRUSH
        if role == Qt.ItemDataRole.FontRole and missing and index.column() == 1:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            return QBrush(QColor("#5b6472"))
        if role == Qt.ItemDataRole.ToolTipRole:
            source = self.session.value_source(self.product_id, spec.code) if self.session and value else ""
            return f"{spec.code} · {spec.type}" + (f"\n{source}" if source else "")
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == 1:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: Index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != 1 or self.session is None:
            return False
        spec, _ = self.rows[index.row()]
        value = (value or "").strip()
        if value == self.value(index.row()):
            return False
        try:
            self.session.decide(self.product_id, field=spec.code, value=value, note="attribute edited")
        except Exception as exc:  # noqa: BLE001 - a refused value is a message, not a crash
            self.refused.emit(f"{spec.label}: {exc}")
            return False
        left, right = self.index(index.row(), 0), self.index(index.row(), 2)
        self.dataChanged.emit(left, right)
        self.edited.emit(self.product_id, spec.code)
        return True

    def missing_rows(self) -> list[int]:
        return [i for i, (spec, req) in enumerate(self.rows) if req and not self.value(i)]


class _EditorKeys(QObject):
    """Keys typed in an open editor belong to it: Enter commits the value, it does not accept the product
    (the window's review shortcuts A, R, C, N, Enter would otherwise take them first)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape) or event.text().isprintable():
                event.accept()
        return False


class OptionDelegate(QStyledItemDelegate):
    """A drop-down of the attribute's options for select attributes; a line edit otherwise."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._keys = _EditorKeys(self)

    def createEditor(self, parent: QWidget, option, index: QModelIndex) -> QWidget:
        spec: AttributeSpec = index.data(SPEC_ROLE)
        if spec is None or not spec.is_select:
            editor = super().createEditor(parent, option, index)
            editor.installEventFilter(self._keys)
            return editor
        combo = QComboBox(parent)
        combo.addItem(NONE_TEXT, "")
        for opt in spec.options:
            combo.addItem(opt.label, opt.code)
        combo.setEditable(True)  # type-ahead over long option lists
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.lineEdit().setPlaceholderText(NONE_TEXT)
        for widget in (combo, combo.lineEdit()):
            widget.installEventFilter(self._keys)
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        if isinstance(editor, QComboBox):
            i = editor.findData(index.data(Qt.ItemDataRole.EditRole) or "")
            if i > 0:
                editor.setCurrentIndex(i)
                editor.lineEdit().selectAll()  # typing replaces the value
            else:  # no value yet: an empty field to type in, not the text "(none)" to type after
                editor.setCurrentIndex(-1)
                editor.setEditText("")
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model, index: QModelIndex) -> None:
        if isinstance(editor, QComboBox):
            text = editor.currentText().strip()
            if not text or text == NONE_TEXT:
                model.setData(index, "", Qt.ItemDataRole.EditRole)
                return
            i = editor.findText(text, Qt.MatchFlag.MatchFixedString)  # any case
            if i < 0:  # a typed text that is no option: say so, keep the value
                spec: AttributeSpec = index.data(SPEC_ROLE)
                if hasattr(model, "refused"):
                    model.refused.emit(f"{spec.label}: '{text}' is not one of its options; the value is unchanged")
                return
            model.setData(index, editor.itemData(i) or "", Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)
