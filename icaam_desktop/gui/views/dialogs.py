"""Small dialogs: errors with details, export options, settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from icaam_desktop.core.settings import DEVICES, Settings, SettingsError


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> QMessageBox:
    """A readable error: one sentence up front, the technical details behind 'Show Details…'."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    if details:
        box.setDetailedText(details)
    box.open()
    return box


class ReportDialog(QDialog):
    """A read-only text report (e.g. the delivery report), selectable and copyable, in a fixed-width font."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.setWindowTitle(title)
        self.resize(1120, 620)
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(text, readOnly=True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = self.text.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.text.setFont(font)
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: (self.text.selectAll(), self.text.copy()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def _file_row(edit: QLineEdit, pick) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    button = QPushButton("Browse…")
    button.clicked.connect(pick)
    row.addWidget(button)
    return row


class ExportDialog(QDialog):
    """Which products (accepted only / all with status), codes or labels, which file."""

    def __init__(
        self, *, delivery: str, default_dir: Path, counts: dict[str, int] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export {delivery}")
        self.setMinimumWidth(520)
        self.counts = dict(counts or {})
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Export “{delivery}”", objectName="panelTitle"))
        if counts:
            total = sum(counts.values())
            detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1]))
            layout.addWidget(QLabel(f"{total} products: {detail}", objectName="panelSubtitle"))
        form = QFormLayout()
        layout.addLayout(form)
        self.accepted_only = QRadioButton("Accepted products only: yours and the model's confident (auto) ones")
        self.all_products = QRadioButton("All products, with their review status")
        self.accepted_only.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.accepted_only)
        group.addButton(self.all_products)
        which = QVBoxLayout()
        which.addWidget(self.accepted_only)
        which.addWidget(self.all_products)
        form.addRow("Products", which)
        self.codes = QRadioButton("Codes (PIM import)")
        self.labels = QRadioButton("Labels (for people)")
        self.codes.setChecked(True)
        group2 = QButtonGroup(self)
        group2.addButton(self.codes)
        group2.addButton(self.labels)
        style = QHBoxLayout()
        style.addWidget(self.codes)
        style.addWidget(self.labels)
        style.addStretch(1)
        form.addRow("Values as", style)
        self.path = QLineEdit(str(default_dir / f"{delivery}-export.csv"))
        form.addRow("File", _file_row(self.path, self._pick))
        self.will_export = QLabel("", objectName="exportCount")
        layout.addWidget(self.will_export)
        self.accepted_only.toggled.connect(self._count)
        self._count()
        layout.addWidget(QLabel("Semicolon-separated UTF-8, Akeneo product CSV: sku, categories, then attributes."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _count(self, *_args) -> None:
        if not self.counts:
            return
        total = sum(self.counts.values())
        if self.accepted_only.isChecked():
            n = self.counts.get("accepted", 0) + self.counts.get("auto", 0)
            self.will_export.setText(
                f"Will export {n} of {total} products (accepted and auto); the other {total - n} (to review, "
                "rejected or not classified) are not exported."
            )
        else:
            self.will_export.setText(f"Will export every product with a category, and its status, of {total}.")

    def _pick(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), "CSV files (*.csv)")
        if path:
            self.path.setText(path)  # the file dialog has asked about replacing it already
            self._confirmed = Path(path)

    def accept(self) -> None:
        """Replacing a file that exists is the analyst's choice, never a silent overwrite."""
        out = Path(self.path.text()).expanduser()
        if out.exists() and getattr(self, "_confirmed", None) != out:
            answer = QMessageBox.question(
                self,
                "Replace the file?",
                f"{out.name} already exists in {out.parent}. Replace it?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        super().accept()

    def options(self) -> dict:
        return {
            "out": Path(self.path.text()).expanduser(),
            "labels": self.labels.isChecked(),
            "include_unaccepted": self.all_products.isChecked(),
        }


class SettingsDialog(QDialog):
    """Model, device, batch size, thresholds, embedding model, MLflow tracking URI."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.settings = settings
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.model = QLineEdit(settings.model_path, placeholderText="(the shipped default model)")
        form.addRow("Model", _file_row(self.model, self._pick_model))
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(settings.device)
        form.addRow("Device", self.device)
        self.batch = QSpinBox()
        self.batch.setRange(1, 4096)
        self.batch.setValue(settings.batch_size)
        form.addRow("Batch size", self.batch)
        self.thresholds = QLineEdit(
            ", ".join(f"{t:g}" for t in settings.thresholds), placeholderText="(the model's own, e.g. 0.9, 0.8, 0.6)"
        )
        form.addRow("Thresholds per level", self.thresholds)
        self.embedding = QLineEdit(
            settings.embedding_model,
            placeholderText="(the bundled all-MiniLM-L6-v2; or a sentence-transformers folder)",
        )
        form.addRow("Embedding model", self.embedding)
        self.tracking = QLineEdit(
            settings.mlflow_tracking_uri, placeholderText="(local SQLite store in the user data folder)"
        )
        form.addRow("MLflow tracking URI", self.tracking)
        self.problem = QLabel("", objectName="problemLabel")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _pick_model(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Model folder", self.model.text())
        if path:
            self.model.setText(path)

    def result_settings(self) -> Settings:
        """The edited settings; raises SettingsError naming the bad field."""
        try:
            thresholds = [float(t) for t in self.thresholds.text().replace(";", ",").split(",") if t.strip()]
        except ValueError as exc:
            raise SettingsError("thresholds must be numbers between 0 and 1, separated by commas") from exc
        edited = Settings(**{**self.settings.to_json()})
        edited.model_path = self.model.text().strip()
        edited.device = self.device.currentText()
        edited.batch_size = self.batch.value()
        edited.thresholds = thresholds
        edited.embedding_model = self.embedding.text().strip()
        edited.mlflow_tracking_uri = self.tracking.text().strip()
        edited.validate()
        return edited

    def accept(self) -> None:
        try:
            self.result_settings()
        except SettingsError as exc:
            self.problem.setText(f"⚠ {exc}")
            return
        super().accept()
