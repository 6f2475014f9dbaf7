"""The product panel: large photo(s), the predicted path with a confidence bar per level and the
top-k alternatives, the decision buttons, and the chosen category's attributes (editable)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from icaam_desktop.core.classify.hierarchy import percent_down
from icaam_desktop.gui.models.attributes import AttributeTableModel, OptionDelegate
from icaam_desktop.gui.models.session import STATUS_COLOURS, ReviewSession
from icaam_desktop.gui.models.thumbnails import load_large
from icaam_desktop.gui.text import counted
from icaam_desktop.gui.workers import Job, thumbnail_pool

LARGE_SIDE = 480
TOP_K = 3


class ProductPanel(QWidget):
    """Shows one product; the buttons emit requests the window's actions carry out."""

    accept_requested = Signal()
    change_requested = Signal()
    reject_requested = Signal()
    next_requested = Signal()
    editing_done = Signal()  # a value editor closed without moving to the next one: review keys resume

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("productPanel")
        self.session: ReviewSession | None = None
        self.product_id: str | None = None
        self._images: list[Path] = []
        self._image_index = 0
        self._image_job: Job | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        self.title = QLabel("No product selected", objectName="panelTitle")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.subtitle = QLabel("", objectName="panelSubtitle")
        self.subtitle.setWordWrap(True)  # a long line must wrap, never widen the window
        layout.addWidget(self.subtitle)

        self.image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, objectName="largeImage")
        self.image.setMinimumSize(280, 280)
        self.image.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout.addWidget(self.image, 3)
        nav = QHBoxLayout()
        self.prev_button = QPushButton("◀ Previous image")
        self.next_image_button = QPushButton("Next image ▶")
        self.image_counter = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.prev_button.clicked.connect(lambda: self._step_image(-1))
        self.next_image_button.clicked.connect(lambda: self._step_image(1))
        nav.addWidget(self.prev_button)
        nav.addWidget(self.image_counter, 1)
        nav.addWidget(self.next_image_button)
        layout.addLayout(nav)

        self.status = QLabel("", objectName="statusPill")
        layout.addWidget(self.status)
        self.levels_frame = QFrame(objectName="levelsFrame")
        self.levels = QGridLayout(self.levels_frame)
        self.levels.setContentsMargins(0, 0, 0, 0)
        self.levels.setColumnStretch(1, 1)
        self._level_rows: list[tuple[QLabel, QProgressBar, QLabel]] = []
        layout.addWidget(self.levels_frame)
        self.reasons = QLabel("", objectName="reasons")
        self.reasons.setWordWrap(True)
        layout.addWidget(self.reasons)

        buttons = QHBoxLayout()
        self.accept_button = QPushButton("Accept  (A)", objectName="acceptButton")
        self.change_button = QPushButton("Change…  (C)")
        self.reject_button = QPushButton("Reject  (R)", objectName="rejectButton")
        self.next_button = QPushButton("Next to review  (N)")
        for button, signal in (
            (self.accept_button, self.accept_requested),
            (self.change_button, self.change_requested),
            (self.reject_button, self.reject_requested),
            (self.next_button, self.next_requested),
        ):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the grid
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        layout.addLayout(buttons)

        layout.addWidget(QLabel("Attributes of the chosen category", objectName="sectionTitle"))
        self.attributes = AttributeTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.attributes)
        delegate = OptionDelegate(self.table)
        self.table.setItemDelegateForColumn(1, delegate)
        delegate.closeEditor.connect(self._editor_closed)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setAlternatingRowColors(True)
        layout.addWidget(self.table, 2)
        self.show_product(None, None)

    # -- showing -----------------------------------------------------------------------------
    def show_product(self, session: ReviewSession | None, product_id: str | None) -> None:
        same_product = product_id == self.product_id and session is self.session
        self.session, self.product_id = session, product_id
        enabled = session is not None and product_id is not None
        for button in (self.accept_button, self.change_button, self.reject_button, self.next_button):
            button.setEnabled(enabled)
        self.attributes.show_product(session, product_id)
        self._show_levels()
        if not enabled:
            self.title.setText("No product selected")
            self.subtitle.setText(
                "Start with File > Import taxonomy… (the retailer's PIM export), then File > Open delivery… "
                "(or drop a delivery folder here). To look around first: Help > Open demo."
            )
            self.status.setText("")
            self._images = []
            self._show_image()
            return
        row = session.row(product_id)
        self.title.setText(row.title)
        self.subtitle.setText(f"{product_id}  ·  {counted(row.n_images, 'usable image')}")
        colour = STATUS_COLOURS.get(row.status, "#8a8f98")
        path = " › ".join(session.taxonomy.categories[c].label for c in row.path) if row.path else "no category"
        self.status.setText(f"<span style='color:{colour}; font-weight:700'>{row.status.upper()}</span>  {path}")
        if not same_product:
            product = session.product(product_id)
            self._images = [im.path for im in product.usable_images]
            self._image_index = 0
            self._show_image()

    def refresh(self) -> None:
        self.show_product(self.session, self.product_id)

    def _level_row(self, r: int) -> tuple[QLabel, QProgressBar, QLabel]:
        """Row ``r`` of the levels grid, created once and reused (new widgets cost a style polish each)."""
        while len(self._level_rows) <= r:
            i = len(self._level_rows)
            name, bar, alt = QLabel(), QProgressBar(), QLabel(objectName="alternatives")
            bar.setRange(0, 100)
            bar.setMaximumHeight(16)
            alt.setWordWrap(True)
            self.levels.addWidget(name, i, 0)
            self.levels.addWidget(bar, i, 1)
            self.levels.addWidget(alt, i, 2)
            self._level_rows.append((name, bar, alt))
        return self._level_rows[r]

    def _show_levels(self) -> None:
        prediction = self.session.predictions.get(self.product_id) if self.session and self.product_id else None
        levels = prediction.levels if prediction is not None else []
        taxonomy = self.session.taxonomy if self.session else None
        for r, level in enumerate(levels):
            name, bar, alt = self._level_row(r)
            name.setText(f"<b>{taxonomy.label_of(level.code)}</b>")
            bar.setValue(round(level.confidence * 100))
            bar.setFormat(percent_down(level.confidence))
            confident = "yes" if level.accepted else "no"
            if bar.property("confident") != confident:
                bar.setProperty("confident", confident)
                bar.style().unpolish(bar)  # the stylesheet colours the bar by this property
                bar.style().polish(bar)
            alt.setText(
                ", ".join(
                    # no break inside one alternative ("Dress / 0%"), only between them
                    f"{taxonomy.label_of(c)} {p:.0%}".replace(" ", "\u00a0")
                    for c, p in level.alternatives[1 : TOP_K + 1]
                    if c != level.code
                )
            )
        for r, widgets in enumerate(self._level_rows):
            for widget in widgets:
                widget.setVisible(r < len(levels))
        if prediction is None:
            self.reasons.setText(
                "Not classified yet: Classify > Classify delivery (Ctrl+K)." if self.product_id else ""
            )
        elif self.product_id in self.session.category_decisions:
            # Decided: the bars stay as the model's view; why it was unsure no longer matters.
            suggested = taxonomy.path_label(prediction.leaf_code) if prediction.leaf_code else "no category"
            self.reasons.setText(f"Decided by you. The bars show the model's own suggestion ({suggested}).")
        else:
            self.reasons.setText("; ".join(prediction.reasons))
        self.reasons.setVisible(bool(self.reasons.text()))

    # -- images ------------------------------------------------------------------------------
    def _step_image(self, step: int) -> None:
        if self._images:
            self._image_index = (self._image_index + step) % len(self._images)
            self._show_image()

    def _show_image(self) -> None:
        many = len(self._images) > 1
        self.prev_button.setEnabled(many)
        self.next_image_button.setEnabled(many)
        self.image_counter.setText(f"image {self._image_index + 1} of {len(self._images)}" if self._images else "")
        if not self._images:
            self.image.setPixmap(QPixmap())
            self.image.setText("no usable image" if self.product_id else "")
            return
        path = self._images[self._image_index]
        self.image.setText("loading…")
        job = Job(lambda progress, cancel: (path, load_large(path, side=LARGE_SIDE)), name="image")
        job.signals.result.connect(self._image_loaded)
        self._image_job = job.start(thumbnail_pool())

    def _image_loaded(self, result) -> None:
        path, image = result
        if not self._images or path != self._images[self._image_index]:
            return  # the analyst moved on
        if image.isNull():
            self.image.setText("this image cannot be decoded")
            return
        pixmap = QPixmap.fromImage(image)
        target = self.image.size()
        side = min(target.width(), target.height(), LARGE_SIDE)
        self.image.setPixmap(
            pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        )

    def _editor_closed(self, _editor, hint) -> None:
        moving = (QAbstractItemDelegate.EndEditHint.EditNextItem, QAbstractItemDelegate.EndEditHint.EditPreviousItem)
        if hint not in moving:
            self.editing_done.emit()
