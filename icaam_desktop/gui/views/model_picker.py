"""The model picker: tracked training runs with their held-out metrics; activate one, or go back to
the shipped default. The list comes from MLflow in a worker (importing mlflow takes seconds)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from icaam_desktop.gui.text import counted
from icaam_desktop.gui.training import job_activate, job_deactivate, job_list_models

# (column title, MLflow metric the training run logs)
METRICS = (
    ("Leaf accuracy", "test_level3_accuracy"),
    ("Level-2 macro-F1", "test_level2_macro_f1"),
    ("Auto-accepted", "test_auto_rate"),
    ("Error when auto", "test_auto_error"),
)
HEADERS = ("Run", "Started", "Status", *(title for title, _ in METRICS), "Model")


class ModelPickerDialog(QDialog):
    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.setWindowTitle("Models")
        self.resize(980, 420)
        self.controller = controller
        self.runs: list = []
        layout = QVBoxLayout(self)
        self.note = QLabel("Reading the tracked training runs…", wordWrap=True)
        layout.addWidget(self.note)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.currentCellChanged.connect(self._selection_changed)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.activate_button = QPushButton("Activate the selected model", objectName="acceptButton")
        self.default_button = QPushButton("Use the shipped default")
        self.refresh_button = QPushButton("Refresh")
        self.activate_button.clicked.connect(self.activate_selected)
        self.activate_button.setEnabled(False)
        self.default_button.clicked.connect(self.use_default)
        self.refresh_button.clicked.connect(self.refresh)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.default_button)
        buttons.addWidget(self.activate_button)
        layout.addLayout(buttons)

    def refresh(self):
        self.note.setText("Reading the tracked training runs…")
        uri = self.controller.settings.mlflow_tracking_uri
        return self.controller.run(job_list_models, "Listing models", self._listed, tracking_uri=uri)

    def _listed(self, result) -> None:
        self.runs, active = result
        active_dir = (active or {}).get("model_dir", "")
        self.table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            started = run.start_time.strftime("%Y-%m-%d %H:%M") if run.start_time else ""
            values = [f"{run.metrics[m]:.1%}" if m in run.metrics else "—" for _, m in METRICS]
            model = str(run.model_dir) if run.model_dir else "(no local model)"
            for col, text in enumerate([run.name, started, run.status, *values, model]):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, run.run_id)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self._selection_changed()
        where = f"active: {active_dir}" if active_dir else "active: the shipped default (models/default)"
        self.note.setText(f"{counted(len(self.runs), 'tracked run')}; {where}.")
        if active:  # bold the run the active model came from, when the record names it
            for row, run in enumerate(self.runs):
                if run.run_id == active.get("run_id"):
                    for col in range(self.table.columnCount()):
                        font = QFont(self.table.item(row, col).font())
                        font.setBold(True)
                        self.table.item(row, col).setFont(font)

    def _selection_changed(self, *_args) -> None:
        """Activate is offered only for a selected run that has a local model."""
        row = self.table.currentRow()
        usable = 0 <= row < len(self.runs) and self.runs[row].model_dir is not None
        self.activate_button.setEnabled(usable)
        if not self.runs:
            self.activate_button.setToolTip("No tracked training run yet: train one (Classify > Train a model…)")
        elif not usable:
            self.activate_button.setToolTip("Select a run that has a local model")
        else:
            self.activate_button.setToolTip("")

    def activate_selected(self):
        row = self.table.currentRow()
        if row < 0 or row >= len(self.runs):
            self.note.setText("Select a run first.")
            return None
        run = self.runs[row]
        if run.model_dir is None:
            self.note.setText(f"Run {run.name} has no local model to activate.")
            return None
        uri = self.controller.settings.mlflow_tracking_uri
        return self.controller.run(
            job_activate, "Activating the model", self._activated, model_dir=run.run_id, tracking_uri=uri
        )

    def use_default(self):
        return self.controller.run(job_deactivate, "Using the shipped model", lambda _none: self._activated(None))

    def _activated(self, folder) -> None:
        self.controller.use_activated_model()
        self.note.setText(f"Activated: {folder or 'the shipped default model'}.")
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()
