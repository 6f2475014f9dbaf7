"""Evaluate the active model on a labelled catalogue: metrics, a confusion matrix per level, and the
products behind any clicked cell with their photos. The same dialog audits the catalogue's labels:
the products whose photo contradicts their label, with the leaf it suggests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from icaam_desktop.core.model_choice import model_folder
from icaam_desktop.gui.models.thumbnails import ThumbnailCache
from icaam_desktop.gui.text import counted
from icaam_desktop.gui.training import (
    catalogue_problem,
    job_audit,
    job_evaluate,
    job_write_audit,
    remember_catalogue,
)
from icaam_desktop.gui.views.job_progress import JobProgress

SPLITS = ("test", "val", "all")
NAMED_COLUMNS = 12  # up to this many categories, the matrix's columns carry names; beyond, numbers


class EvaluationDialog(QDialog):
    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluationDialog")
        self.setWindowTitle("Evaluate the model")
        self.resize(1000, 720)
        self.controller = controller
        self.evaluation = None
        self._names: list[str] = []  # the categories of the matrix shown, in order
        self.thumbs = ThumbnailCache(self)
        self.thumbs.ready.connect(self._thumbnail_ready)
        layout = QVBoxLayout(self)

        row = QHBoxLayout()
        self.catalog = QLineEdit(
            controller.settings.last_catalog,
            placeholderText="a labelled catalogue folder: products.csv (sku;categories;…) + images",
        )
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._pick_catalog)
        self.split = QComboBox()
        self.split.addItems(SPLITS)
        self.split.setToolTip(
            "'test': the held-out part of the fixed training split (use it on the training catalogue)"
        )
        self.start_button = QPushButton("Evaluate", objectName="acceptButton")
        self.start_button.clicked.connect(self.start)
        for widget, stretch in ((self.catalog, 1), (browse, 0), (QLabel("Split"), 0), (self.split, 0)):
            row.addWidget(widget, stretch)
        row.addWidget(self.start_button)
        self.audit_button = QPushButton("Audit labels")
        self.audit_button.setToolTip(
            "List the catalogue products whose photo contradicts their label (cross-validated on ImageNet "
            "features), with the leaf the photo suggests: labels worth fixing before training"
        )
        self.audit_button.clicked.connect(self.start_audit)
        row.addWidget(self.audit_button)
        self.save_audit_button = QPushButton("Save audit…", enabled=False)
        self.save_audit_button.clicked.connect(self._save_audit)
        row.addWidget(self.save_audit_button)
        layout.addLayout(row)
        self.audit = None

        self.progress = JobProgress()
        layout.addWidget(self.progress)
        self.summary = QLabel("", wordWrap=True)
        layout.addWidget(self.summary)
        self.progress.message.connect(lambda text: self.summary.setText(f"{self._title}: {text}"))
        self._title = ""
        level_row = QHBoxLayout()
        level_row.addWidget(QLabel("Confusion matrix of level"))
        self.level = QComboBox()
        self.level.currentIndexChanged.connect(self._show_matrix)
        level_row.addWidget(self.level)
        self.axes = QLabel("", objectName="panelSubtitle")
        level_row.addWidget(self.axes, 1)
        layout.addLayout(level_row)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.matrix = QTableWidget(0, 0)
        self.matrix.setToolTip("rows: true category, columns: predicted; click a cell to see its products")
        self.matrix.cellClicked.connect(self.show_cell)
        self.products = QListWidget()
        self.products.setViewMode(QListView.ViewMode.IconMode)
        self.products.setIconSize(QSize(120, 120))
        self.products.setGridSize(QSize(136, 150))
        self.products.setMovement(QListView.Movement.Static)
        self.products.setResizeMode(QListView.ResizeMode.Adjust)
        splitter.addWidget(self.matrix)
        splitter.addWidget(self.products)
        layout.addWidget(splitter, 1)
        self.cell_label = QLabel("")
        layout.addWidget(self.cell_label)

    def _pick_catalog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Labelled catalogue folder", self.catalog.text())
        if folder:
            self.catalog.setText(folder)

    def start(self):
        settings = self.controller.settings
        return self._launch(
            job_evaluate,
            "Evaluating the model",
            self._done,
            what="the evaluation",
            classifier=self.controller.classifier,
            model_folder=model_folder(settings.model_path),
            device=settings.device,
            split=self.split.currentText(),
        )

    def start_audit(self):
        return self._launch(
            job_audit,
            "Auditing the catalogue labels",
            self._audit_done,
            what="the label audit",
            device=self.controller.settings.device,
        )

    def _launch(self, job, title: str, on_result, *, what: str, **kwargs):
        """Run ``job`` on the chosen catalogue, or say what is wrong with the choice (None then)."""
        session = self.controller.session
        catalog, problem = catalogue_problem(self.catalog.text(), session, what=what)
        if problem:
            self.summary.setText(problem)
            return None
        remember_catalogue(self.controller, catalog)
        self.summary.setText(f"{title}…")
        self._set_busy(True)
        return self.controller.run(
            job, title, on_result, connect=self._wire, catalog=catalog, taxonomy=session.taxonomy, **kwargs
        )

    def _audit_done(self, audit) -> None:
        self.audit = audit
        self.save_audit_button.setEnabled(True)
        share = len(audit.suspects) / max(audit.n_products, 1)
        name = self.controller.session.taxonomy.label_of
        pairs = ", ".join(f"{name(g)} → {name(s)} ({n})" for g, s, n in audit.pairs()[:4])
        skipped = (
            f" {len(audit.skipped)} not audited (too few products of their leaf, or no photo)." if audit.skipped else ""
        )
        self.summary.setText(
            f"{len(audit.suspects)} of {audit.n_products} products ({share:.1%}) have a label their photo "
            f"contradicts, most often: {pairs or 'none'}.{skipped} Check them, fix the catalogue, then train."
        )
        self.cell_label.setText(
            f"Label audit, most contradicted first: catalogue label → what the photo suggests ({len(audit.suspects)})"
        )
        self._list_mode(audit=True)
        for s in audit.suspects:
            self._add_product(
                f"{name(s.given)} → {name(s.suggested)}\n{s.product_id}",
                s.images,
                tooltip=f"{s.product_id}: labelled {name(s.given)} ({s.p_given:.0%}), the photo suggests "
                f"{name(s.suggested)} ({s.p_suggested:.0%})",
            )

    def _add_product(self, text: str, images, *, tooltip: str = "") -> None:
        """One item of the product list, with the first photo's thumbnail (now if cached, else when ready)."""
        image = images[0] if images else None
        item = QListWidgetItem(text)
        if tooltip:
            item.setToolTip(tooltip)
        item.setData(Qt.ItemDataRole.UserRole, str(image) if image else "")
        pixmap = self.thumbs.get(image)
        if pixmap is not None:
            item.setIcon(QIcon(pixmap))
        self.products.addItem(item)

    def _list_mode(self, *, audit: bool) -> None:
        """Empty the product list and size its cells: audit items carry two wrapped lines of text."""
        self.products.clear()
        self.products.setWordWrap(audit)
        self.products.setGridSize(QSize(160, 196) if audit else QSize(136, 150))

    def _save_audit(self, folder: str | None = None):
        """Write the audit's files into ``folder`` (asked for when not given) in a worker; the job, or None."""
        if self.audit is None:
            return None
        folder = folder or QFileDialog.getExistingDirectory(self, "Folder for the label audit files")
        if not folder:
            return None
        self.summary.setText("Saving the label audit…")
        return self.controller.run(
            job_write_audit,
            "Saving the label audit",
            self._audit_saved,
            connect=self._wire,
            audit=self.audit,
            out=Path(folder),
            taxonomy=self.controller.session.taxonomy,
        )

    def _audit_saved(self, files: dict) -> None:
        self.summary.setText(
            f"Saved {files['suspects'].name}, {files['pairs'].name} and {files['sheet'].name} in "
            f"{files['suspects'].parent}"
        )

    def _set_busy(self, busy: bool) -> None:
        self.start_button.setEnabled(not busy)
        self.audit_button.setEnabled(not busy)

    def _wire(self, job) -> None:
        self._title = job.name
        self.progress.track(job)
        job.signals.cancelled.connect(lambda: self.summary.setText(f"{job.name}: cancelled"))
        job.signals.error.connect(lambda message, details: self.summary.setText(f"⚠ {job.name} failed: {message}"))
        job.signals.finished.connect(lambda: self._set_busy(False))

    def _done(self, evaluation) -> None:
        self.evaluation = evaluation
        metrics = evaluation.metrics
        parts = [
            f"level {d}: accuracy {lv['accuracy']:.1%}, macro-F1 {lv['macro_f1']:.3f}"
            for d, lv in metrics["levels"].items()
        ]
        at = metrics.get("at_thresholds") or {}
        if at.get("levels"):
            parts.append(f"auto-accepted to the leaf {at['auto_leaf_share']:.1%} at error {at['auto_leaf_error']:.1%}")
        skipped = f"; {len(evaluation.rejected)} without a usable photo" if evaluation.rejected else ""
        self.summary.setText(f"{metrics['n']} products{skipped}. " + "; ".join(parts))
        self.level.blockSignals(True)
        self.level.clear()
        self.level.addItems(list(metrics["levels"]))
        self.level.setCurrentIndex(self.level.count() - 1)
        self.level.blockSignals(False)
        self._show_matrix()

    def _confusion(self) -> dict:
        return self.evaluation.metrics["levels"][self.level.currentText()]["confusion"]

    def _show_matrix(self) -> None:
        if self.evaluation is None or not self.level.currentText():
            return
        confusion = self._confusion()
        labels, counts = confusion["labels"], confusion["counts"]
        taxonomy = self.controller.session.taxonomy
        names = [taxonomy.label_of(c) for c in labels]
        self._names = names
        # Wide levels get numbered columns (the row's number): 70 leaves then fit a screen, not 8 of them.
        numbered = len(labels) > NAMED_COLUMNS
        self.matrix.clear()
        self.matrix.setRowCount(len(labels))
        self.matrix.setColumnCount(len(labels))
        self.matrix.setHorizontalHeaderLabels([str(i + 1) for i in range(len(labels))] if numbered else names)
        self.matrix.setVerticalHeaderLabels([f"{i + 1}  {n}" for i, n in enumerate(names)] if numbered else names)
        for j, name in enumerate(names):
            self.matrix.horizontalHeaderItem(j).setToolTip(f"predicted: {name}")
        for i, row in enumerate(counts):
            for j, count in enumerate(row):
                item = QTableWidgetItem(str(count) if count else "")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if count:
                    item.setToolTip(f"{counted(count, 'product')}: true {names[i]}, predicted {names[j]}")
                if count and i != j:
                    item.setBackground(QColor("#f8d7d7"))
                elif count:
                    item.setBackground(QColor("#d9f0df"))
                self.matrix.setItem(i, j, item)
        self.matrix.resizeColumnsToContents()
        errors = sum(c for i, row in enumerate(counts) for j, c in enumerate(row) if i != j)
        self.axes.setText(
            "Rows: the true category · columns: the predicted one"
            + (" (numbered as the rows; hover for the name)" if numbered else "")
            + f" · {counted(errors, 'error')} in red"
        )
        self._list_mode(audit=False)
        self.cell_label.setText("Click a cell to list its products.")

    def cell_products(self, row: int, column: int) -> list[str]:
        """The ids of the products whose true category is ``row``'s and predicted is ``column``'s."""
        confusion = self._confusion()
        true, predicted = confusion["labels"][row], confusion["labels"][column]
        return next((ids for t, p, ids in confusion.get("cells", []) if t == true and p == predicted), [])

    def show_cell(self, row: int, column: int) -> None:
        ids = self.cell_products(row, column)
        self.cell_label.setText(
            f"{counted(len(ids), 'product')}: true {self._names[row]}, predicted {self._names[column]}"
        )
        self._list_mode(audit=False)
        for pid in ids:
            self._add_product(pid, self.evaluation.products[pid].images)

    def _thumbnail_ready(self, key: str) -> None:
        for i in range(self.products.count()):
            item = self.products.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                pixmap = self.thumbs.get(Path(key))
                if pixmap is not None:
                    item.setIcon(QIcon(pixmap))

    def done(self, result: int) -> None:  # closing the dialog stops its thumbnail jobs
        self.thumbs.cancel_all()
        super().done(result)
