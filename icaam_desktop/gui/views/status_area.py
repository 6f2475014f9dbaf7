"""The status area: one progress bar with ETA and Cancel for the running job, device and model labels."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from icaam_desktop.gui.workers import Job, eta_text


class StatusArea(QWidget):
    """Lives in the status bar; ``track(job, title)`` shows that job until it finishes."""

    def __init__(self, status_bar: QStatusBar) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(True)
        self.eta = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.cancel)
        for w in (self.label, self.bar, self.eta, self.cancel_button):
            layout.addWidget(w)
        self.note = QLabel("", objectName="noteLabel")
        layout.addWidget(self.note, 1)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(lambda: self.note.setText(""))
        self.device = QLabel("device: not loaded", objectName="deviceLabel")
        self.model = QLabel("model: not loaded", objectName="modelLabel")
        status_bar.addWidget(self, 1)
        status_bar.addPermanentWidget(self.device)
        status_bar.addPermanentWidget(self.model)
        self.job: Job | None = None
        self._started = 0.0
        self._set_busy(False)

    def track(self, job: Job, title: str) -> None:
        self.job = job
        self._started = time.monotonic()
        self.label.setText(title)
        self.bar.setRange(0, 0)
        self.eta.setText("")
        self._set_busy(True)
        job.signals.progress.connect(self._progress)
        job.signals.finished.connect(lambda job=job: self._finished(job))

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.label.setText(self.label.text() + " — cancelling…")

    def show_message(self, text: str, timeout_ms: int = 10_000) -> None:
        """A passing note beside the progress area (QStatusBar's own messages would hide it)."""
        self.note.setText(text)
        self.note.setToolTip(text)
        if timeout_ms:
            self._note_timer.start(timeout_ms)

    def set_device(self, text: str) -> None:
        self.device.setText(text)

    def set_model(self, text: str) -> None:
        self.model.setText(f"model: {text}")

    def _progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat(f"{done} / {total}")
            self.eta.setText(eta_text(done, total, time.monotonic() - self._started))
        if message:
            self.label.setText(message)

    def _finished(self, job: Job) -> None:
        if job is self.job:
            self.job = None
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        for w in (self.bar, self.eta, self.cancel_button):
            w.setVisible(busy)
        if not busy:
            self.label.setText("Ready")
