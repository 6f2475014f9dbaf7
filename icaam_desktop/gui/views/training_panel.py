"""The training panel: data, mode (full / head-only), epochs; a live loss and accuracy chart, an ETA
and Cancel; at the end the new model's held-out metrics against the active model's, and Activate."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from icaam_desktop.core.model_choice import model_folder
from icaam_desktop.core.training import CHECKPOINT
from icaam_desktop.core.training import DEFAULT_EPOCHS as TRAIN_EPOCHS
from icaam_desktop.gui.training import (
    catalogue_problem,
    compare_metrics,
    job_activate,
    job_train,
    new_model_folder,
    read_card,
    remember_catalogue,
)
from icaam_desktop.gui.views.job_progress import JobProgress
from icaam_desktop.gui.workers import Job  # noqa: F401 - Job: the type of self.job

MIN_COMPARABLE_TEST = 200  # test products below which a comparison with the active model is noise

# a head-only run counts epochs of 25 full-batch steps: 5 fit the head; a fine-tune needs the CLI's default
DEFAULT_EPOCHS = {"head": 5, "full": TRAIN_EPOCHS}
LOSS_COLOUR = QColor("#d23c3c")
ACCURACY_COLOUR = QColor("#2f6fd6")


class LineChart(QWidget):
    """Loss (left scale) and validation leaf accuracy (right scale, 0..1) per epoch, painted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(420, 220)
        self.loss: list[float] = []
        self.accuracy: list[float] = []

    def add(self, record: dict) -> None:
        self.loss.append(float(record.get("train_loss", 0.0)))
        if "val_leaf_accuracy" in record:  # head-only records carry the loss alone
            self.accuracy.append(float(record["val_leaf_accuracy"]))
        self.update()

    def clear(self) -> None:
        self.loss, self.accuracy = [], []
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        area = QRectF(self.rect()).adjusted(44, 12, -44, -28)
        p.setPen(QPen(QColor("#d5d9e0"), 1))
        p.drawRect(area)
        p.setPen(QColor("#5b6472"))
        p.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 20), Qt.AlignmentFlag.AlignCenter, "epoch")
        if not self.loss:
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "the loss and accuracy appear here after each epoch")
            return
        top_loss = max(self.loss) * 1.1 or 1.0
        n = max(2, len(self.loss))

        def point(i: int, value: float, top: float) -> QPointF:
            return QPointF(area.left() + area.width() * i / (n - 1), area.bottom() - area.height() * value / top)

        for values, top, colour in ((self.loss, top_loss, LOSS_COLOUR), (self.accuracy, 1.0, ACCURACY_COLOUR)):
            p.setPen(QPen(colour, 2))
            pts = [point(i, v, top) for i, v in enumerate(values)]
            for a, b in zip(pts, pts[1:], strict=False):
                p.drawLine(a, b)
            for pt in pts:
                p.drawEllipse(pt, 3, 3)
        p.setPen(LOSS_COLOUR)
        p.drawText(QRectF(0, area.top() - 4, 42, 16), Qt.AlignmentFlag.AlignRight, f"{top_loss:.2f}")
        p.drawText(QRectF(0, area.bottom() - 12, 42, 16), Qt.AlignmentFlag.AlignRight, "0")
        p.setPen(ACCURACY_COLOUR)
        p.drawText(QRectF(area.right() + 4, area.top() - 4, 40, 16), Qt.AlignmentFlag.AlignLeft, "100%")
        p.drawText(QRectF(area.right() + 4, area.bottom() - 12, 40, 16), Qt.AlignmentFlag.AlignLeft, "0%")
        legend = f"loss {self.loss[-1]:.3f}"
        if self.accuracy:
            legend += f"   ·   validation leaf accuracy {self.accuracy[-1]:.1%}"
        p.setPen(QColor("#1d2330"))
        p.drawText(QRectF(area.left() + 8, area.top() + 4, area.width() - 16, 18), Qt.AlignmentFlag.AlignLeft, legend)


class TrainingPanel(QDialog):
    epoch = Signal(dict)  # emitted from the worker thread; delivered on the GUI thread (queued)
    activated = Signal(Path)

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.setWindowTitle("Train a model")
        self.resize(720, 640)
        self.controller = controller
        self.job: Job | None = None
        self.result = None
        self._kwargs: dict = {}  # the running (or last) run's arguments
        self._cancelled: dict | None = None  # a cancelled run's arguments, to resume it
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.catalog = QLineEdit(
            controller.settings.last_catalog,
            placeholderText="a catalogue folder: products.csv (sku;categories;…) + images",
        )
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._pick_catalog)
        row = QHBoxLayout()
        row.addWidget(self.catalog, 1)
        row.addWidget(browse)
        form.addRow("Training data", row)
        self.full = QRadioButton("Fine-tune (GPU: every layer; CPU: the last layers, ~20 min)")
        self.head = QRadioButton("Head only (minutes on a CPU)")
        self.head.setChecked(True)
        modes = QVBoxLayout()
        modes.addWidget(self.full)
        modes.addWidget(self.head)
        form.addRow("Mode", modes)
        self.continue_active = QCheckBox("Continue from the active model (instead of ImageNet weights)")
        self.continue_active.setToolTip(
            "Full fine-tune only: start from the model in use and train it further on this data, "
            "e.g. a few epochs at a low learning rate after new products were added."
        )
        self.continue_active.setEnabled(False)
        self.full.toggled.connect(self.continue_active.setEnabled)
        form.addRow("", self.continue_active)
        self.epochs = QSpinBox(minimum=1, maximum=200, value=DEFAULT_EPOCHS["head"])
        self.epochs.setToolTip(
            "Fine-tune: the most epochs; training stops sooner once the validation accuracy stops improving. "
            "Head only: 25 full-batch steps each."
        )
        self.full.toggled.connect(self._mode_changed)
        form.addRow("Epochs", self.epochs)
        self.limit = QSpinBox(minimum=0, maximum=1_000_000, value=0, specialValueText="all products")
        self.limit.setSingleStep(100)
        form.addRow("Use at most", self.limit)

        self.chart = LineChart()
        layout.addWidget(self.chart, 1)
        self.progress = JobProgress(keep_visible=True)
        self.bar = self.progress.bar
        layout.addWidget(self.progress)
        self.note = QLabel("", wordWrap=True)
        layout.addWidget(self.note)
        self.progress.message.connect(self.note.setText)
        self.progress.cancelling.connect(lambda: self.note.setText("Cancelling after the current step…"))
        self.compare = QTableWidget(0, 3)
        self.compare.setHorizontalHeaderLabels(["Held-out test metric", "Active model", "New model"])
        self.compare.horizontalHeader().setStretchLastSection(True)
        self.compare.verticalHeader().hide()
        self.compare.setVisible(False)
        layout.addWidget(self.compare)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start training", objectName="acceptButton")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Go on with the cancelled run from its last finished epoch")
        self.resume_button.setVisible(False)
        self.activate_button = QPushButton("Activate the new model")
        self.start_button.clicked.connect(self.start)
        self.resume_button.clicked.connect(self.resume)
        self.activate_button.clicked.connect(self.activate)
        self.activate_button.setEnabled(False)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        buttons.addWidget(self.activate_button)
        layout.addLayout(buttons)
        self.epoch.connect(self.chart.add)

    def _mode_changed(self, full: bool) -> None:
        """Each mode's default epochs (a fine-tune needs the CLI's 20), unless the user chose a number."""
        mine, other = ("full", "head") if full else ("head", "full")
        if self.epochs.value() == DEFAULT_EPOCHS[other]:
            self.epochs.setValue(DEFAULT_EPOCHS[mine])

    def _pick_catalog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Training catalogue folder", self.catalog.text())
        if folder:
            self.catalog.setText(folder)

    def start(self) -> Job | None:
        """A new training run with the panel's choices (a cancelled run's leftovers are dropped)."""
        session = self.controller.session
        catalog, problem = catalogue_problem(self.catalog.text(), session, what="training")
        if problem:
            self.note.setText(problem)
            return None
        remember_catalogue(self.controller, catalog)
        self._drop_cancelled()
        settings = self.controller.settings
        self.chart.clear()
        return self._run(
            catalog=catalog,
            taxonomy=session.taxonomy,
            epochs=self.epochs.value(),
            head_only=self.head.isChecked(),
            device=settings.device,
            limit=self.limit.value() or None,
            tracking_uri=settings.mlflow_tracking_uri,
            out=new_model_folder(),
            init=model_folder(settings.model_path)
            if self.full.isChecked() and self.continue_active.isChecked()
            else None,
        )

    def resume(self) -> Job | None:
        """Go on with the cancelled run from its last finished epoch (its checkpoint)."""
        if self._cancelled is None:
            return None
        kwargs, self._cancelled = self._cancelled, None
        self.resume_button.setVisible(False)
        return self._run(**kwargs, resume=True)

    def _run(self, **kwargs) -> Job:
        self.compare.setVisible(False)
        self.activate_button.setEnabled(False)
        self.note.setText("Preparing the data…")
        self._kwargs = kwargs
        # Through the controller: the status area tracks it and closing the window cancels it.
        self.job = self.controller.run(
            job_train, "Training", self._finished, connect=self._wire, on_epoch=self.epoch.emit, **kwargs
        )
        self.start_button.setEnabled(False)
        return self.job

    def _wire(self, job) -> None:
        self.progress.track(job)
        job.signals.error.connect(lambda message, details: self.note.setText(f"⚠ Training failed: {message}"))
        job.signals.cancelled.connect(self._was_cancelled)
        job.signals.finished.connect(self._idle)

    def _was_cancelled(self) -> None:
        self.bar.setRange(0, 1)  # not a frozen "32 / 48" that looks like a job still running
        self.bar.setValue(0)
        self.bar.setFormat("cancelled")
        kwargs = {k: v for k, v in self._kwargs.items() if k != "resume"}
        if (kwargs["out"] / "model.safetensors").is_file():  # the cancel came after the model was saved
            self.note.setText(
                f"Cancelled while the finished model was being evaluated and logged; it is saved in "
                f"{kwargs['out']} and can be activated from Classify > Models…"
            )
        elif (kwargs["out"] / CHECKPOINT).is_file():
            self._cancelled = kwargs
            self.resume_button.setVisible(True)
            self.note.setText("Cancelled. Resume goes on from the last finished epoch; Start training starts afresh.")
        else:
            self.note.setText("Cancelled before the first epoch finished: nothing to resume.")

    def _drop_cancelled(self) -> None:
        """A fresh start forgets the cancelled run, and removes its folder when it holds no finished model."""
        if self._cancelled is not None:
            out = self._cancelled["out"]
            if not (out / "model.safetensors").exists():
                shutil.rmtree(out, ignore_errors=True)
        self._cancelled = None
        self.resume_button.setVisible(False)

    def cancel(self) -> None:
        self.progress.cancel()

    def _idle(self) -> None:
        self.job = None
        self.start_button.setEnabled(True)

    def _finished(self, result) -> None:
        self.result = result
        if not self.chart.loss:  # this mode reported no epochs while running: plot its history now
            for record in result.history:
                self.chart.add(record)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        active = model_folder(self.controller.settings.model_path)
        active_card = read_card(active)
        rows = compare_metrics(active_card, result.metrics)
        # Each side's test set: a model tried on a small subset is not measured like the shipped one.
        n_active = active_card.get("metrics", {}).get("test", {}).get("n")
        n_new = result.metrics.get("test", {}).get("n")
        self.compare.setHorizontalHeaderLabels(
            [
                "Held-out test metric",
                f"Active model ({n_active} test products)" if n_active else "Active model",
                f"New model ({n_new} test products)" if n_new else "New model",
            ]
        )
        self.compare.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = [row.name, _fmt(row.active), _fmt(row.new)]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 2 and row.better is not None:
                    item.setForeground(QColor("#2e9d4f" if row.better else "#d23c3c"))
                self.compare.setItem(i, j, item)
        self.compare.resizeColumnsToContents()
        self.compare.setVisible(True)
        small = n_new is not None and n_new < MIN_COMPARABLE_TEST
        self.note.setText(
            f"Trained {result.epochs_run} epochs in {result.seconds:.0f} s; saved to {result.model_dir}. "
            + (
                f"⚠ Its test set has only {n_new} products: the comparison says little; "
                "train on the whole catalogue before activating it."
                if small
                else f"Compare with the active model ({active.name}) and activate it if it is better."
            )
        )
        self.activate_button.setEnabled(True)

    def activate(self) -> Job | None:
        if self.result is None:
            return None
        self.activate_button.setEnabled(False)
        return self.controller.run(
            job_activate,
            "Activating the model",
            self._activated,
            model_dir=self.result.model_dir,
            tracking_uri=self.controller.settings.mlflow_tracking_uri,
        )

    def _activated(self, folder: Path) -> None:
        self.note.setText(f"Activated: the app now uses {folder}.")
        self.controller.use_activated_model()
        self.activated.emit(folder)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"
