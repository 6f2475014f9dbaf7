"""The product grid: a QListView in icon mode, one painted delegate, and a filter bar above it.

No per-item widgets: the delegate paints thumbnail, title, status badge and confidence, and
every item has the same size (``setUniformItemSizes``), so 40,000 products scroll smoothly.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from icaam_desktop.core.classify.hierarchy import percent_down
from icaam_desktop.core.taxonomy import Taxonomy
from icaam_desktop.gui.models.grid import ProductFilterProxy, ProductGridModel, Role
from icaam_desktop.gui.models.session import STATUS_AUTO, STATUS_COLOURS, STATUS_REVIEW, STATUSES, ProductRow

CELL = QSize(176, 232)
THUMB = 160


def badge_text(row: ProductRow) -> str:
    """The status, with the model's confidence while the model's word is what stands (not once decided)."""
    if row.confidence < 0 or row.status not in (STATUS_AUTO, STATUS_REVIEW):  # decided, or no photo
        return row.status
    return f"{row.status} {percent_down(row.confidence)}"  # as the panel's bars and the review reason


class ProductDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row: ProductRow = index.data(Role.ROW)
        if row is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(QPen(QColor("#2f6fd6") if selected else QColor("#d5d9e0"), 2 if selected else 1))
        painter.setBrush(QColor("#eaf1fd") if selected else QColor("#ffffff"))
        painter.drawRoundedRect(rect, 6, 6)

        thumb_rect = QRect(rect.left() + (rect.width() - THUMB) // 2, rect.top() + 6, THUMB, THUMB)
        pixmap = index.data(Role.THUMBNAIL)
        if pixmap is not None:
            scaled = pixmap.size().scaled(thumb_rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(thumb_rect.center())
            painter.drawPixmap(target, pixmap)
        else:
            painter.fillRect(thumb_rect, QColor("#f1f3f6"))
            painter.setPen(QColor("#9aa1ab"))
            painter.drawText(thumb_rect, Qt.AlignmentFlag.AlignCenter, "no image" if row.image is None else "…")

        self._badge(painter, row, thumb_rect)
        text_rect = QRect(rect.left() + 8, thumb_rect.bottom() + 6, rect.width() - 16, 18)
        painter.setPen(QColor("#1d2330"))
        font = QFont(option.font)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(row.title, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        sub_rect = text_rect.translated(0, 20)
        painter.setPen(QColor("#5b6472"))
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        painter.setFont(small)
        sub = row.category_label or row.product_id
        if row.missing:
            sub = f"⚠ {len(row.missing)} missing · {sub}"
        painter.drawText(
            sub_rect,
            Qt.AlignmentFlag.AlignLeft,
            painter.fontMetrics().elidedText(sub, Qt.TextElideMode.ElideRight, sub_rect.width()),
        )
        painter.restore()

    @staticmethod
    def _badge(painter: QPainter, row: ProductRow, thumb_rect: QRect) -> None:
        text = badge_text(row)
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(text) + 12
        badge = QRect(thumb_rect.left() + 2, thumb_rect.top() + 2, width, metrics.height() + 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(STATUS_COLOURS.get(row.status, "#8a8f98"))))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


class ProductGrid(QListView):
    """Icon-mode list; emits ``current_product`` when the selection moves."""

    current_product = Signal(str)

    def __init__(self, proxy: ProductFilterProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("productGrid")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setSpacing(4)
        self.setGridSize(CELL + QSize(8, 8))
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(ProductDelegate(self))
        self.setModel(proxy)
        self.selectionModel().currentChanged.connect(self._current_changed)
        # A re-sort or refill resets the model: keep the analyst on the same product.
        self._kept: str | None = None
        proxy.modelAboutToBeReset.connect(lambda: setattr(self, "_kept", self.current_product_id()))
        proxy.modelReset.connect(lambda: self._kept and self.select_product(self._kept))
        # A filter or search change: once it settles, the product shown stays current (and in view), or the
        # first one shown becomes current, so the panel never shows a product the keys cannot act on.
        self._last: str | None = None
        self._settle_pending = False
        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.layoutChanged):
            signal.connect(self._filter_changed)

    def keyboardSearch(self, search: str) -> None:
        """No jump to a product by its first letter: letters are the review keys (A, C, R, N)."""

    def _filter_changed(self, *_args) -> None:
        if not self._settle_pending:
            self._settle_pending = True
            QTimer.singleShot(0, self._settle)

    def _settle(self) -> None:
        self._settle_pending = False
        current = self.currentIndex()
        if current.isValid():
            self.scrollTo(current)
        elif not (self._last and self.select_product(self._last)) and self.model().rowCount():
            self.setCurrentIndex(self.model().index(0, 0))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._last = current.data(Role.PRODUCT_ID)
            self.current_product.emit(self._last)

    def select_product(self, product_id: str) -> bool:
        proxy: ProductFilterProxy = self.model()
        source: ProductGridModel = proxy.sourceModel()
        row = source.row_for(product_id)
        if row < 0:
            return False
        index = proxy.mapFromSource(source.index(row, 0))
        if not index.isValid():
            return False
        self.setCurrentIndex(index)
        self.scrollTo(index)
        return True

    def current_product_id(self) -> str | None:
        index = self.currentIndex()
        return index.data(Role.PRODUCT_ID) if index.isValid() else None


class FilterBar(QWidget):
    """Status checkboxes, category subtree, confidence range, missing-only, search text, sort."""

    def __init__(self, proxy: ProductFilterProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self.taxonomy: Taxonomy | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 2)
        layout.setSpacing(4)
        # Three short rows, so the bar never forces the window wider than a laptop screen.
        top, middle, bottom = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        for row in (top, middle, bottom):
            layout.addLayout(row)
        self.status_boxes: dict[str, QCheckBox] = {}
        for status in STATUSES:
            box = QCheckBox(status)
            box.setChecked(True)
            box.setStyleSheet(f"QCheckBox {{ color: {STATUS_COLOURS[status]}; font-weight: 600; }}")
            box.toggled.connect(self._apply)
            self.status_boxes[status] = box
            top.addWidget(box)
        top.addStretch(1)
        self.missing = QCheckBox("missing required")
        self.missing.toggled.connect(self._apply)
        top.addWidget(self.missing)

        self.category = QComboBox()
        self.category.setMinimumContentsLength(12)
        self.category.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.category.currentIndexChanged.connect(self._apply)
        middle.addWidget(QLabel("Category"))
        middle.addWidget(self.category, 2)
        self.low, self.high = QDoubleSpinBox(), QDoubleSpinBox()
        for spin, value in ((self.low, 0.0), (self.high, 1.0)):
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.05)
            spin.setDecimals(2)
            spin.setValue(value)
            spin.valueChanged.connect(self._apply)
        middle.addWidget(QLabel("Confidence"))
        middle.addWidget(self.low)
        middle.addWidget(QLabel("–"))
        middle.addWidget(self.high)

        self.search = QLineEdit(placeholderText="Search name or id…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply)
        bottom.addWidget(self.search, 3)
        self.sort = QComboBox()
        self.sort.addItems(list(ProductFilterProxy.SORT_KEYS))
        self.sort.currentTextChanged.connect(proxy.set_sort_key)
        bottom.addWidget(QLabel("Sort"))
        bottom.addWidget(self.sort, 1)
        reset = QToolButton(text="Reset")
        reset.clicked.connect(self.reset)
        bottom.addWidget(reset)

    def set_taxonomy(self, taxonomy: Taxonomy | None) -> None:
        self.taxonomy = taxonomy
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem("All categories", None)
        if taxonomy is not None:
            for depth in range(1, min(taxonomy.max_depth, 2) + 1):
                for cat in sorted(taxonomy.level(depth), key=lambda c: [taxonomy.categories[p].label for p in c.path]):
                    self.category.addItem("    " * (depth - 1) + cat.label, cat.code)
        self.category.blockSignals(False)

    def reset(self) -> None:
        for box in self.status_boxes.values():
            box.setChecked(True)
        self.search.clear()
        self.category.setCurrentIndex(0)
        self.low.setValue(0.0)
        self.high.setValue(1.0)
        self.missing.setChecked(False)

    def is_default(self) -> bool:
        """True when nothing is filtered out (then new data needs no refiltering)."""
        return (
            all(box.isChecked() for box in self.status_boxes.values())
            and not self.search.text()
            and self.category.currentIndex() <= 0
            and (self.low.value(), self.high.value()) == (0.0, 1.0)
            and not self.missing.isChecked()
        )

    def refilter(self) -> None:
        if not self.is_default():
            self._apply()

    def show_only(self, statuses: set[str]) -> None:
        for status, box in self.status_boxes.items():
            box.setChecked(status in statuses)

    def _apply(self, *_args) -> None:
        code = self.category.currentData()
        subtree = set(self.taxonomy.subtree(code)) if code and self.taxonomy is not None else None
        self.proxy.set_filters(
            statuses={s for s, box in self.status_boxes.items() if box.isChecked()},
            subtree=subtree,
            confidence_range=(self.low.value(), self.high.value()),
            missing_only=self.missing.isChecked(),
            text=self.search.text(),
        )
