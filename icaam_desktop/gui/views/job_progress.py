"""One progress row for a running job: a bar with done / total, the time left, and Cancel.

The status bar, the training panel and the evaluation dialog all show their job with it.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from icaam_desktop.gui.workers import Job, eta_text


class JobProgress(QWidget):
    """``track(job)`` shows that job until it finishes; hidden while no job runs (``keep_visible`` aside)."""

    message = Signal(str)  # the job's own words about what it is doing now
    cancelling = Signal()

    def __init__(self, parent: QWidget | None = None, *, bar_width: int = 0, keep_visible: bool = False) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        if bar_width:
            self.bar.setFixedWidth(bar_width)
        self.eta = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.bar, 0 if bar_width else 1)
        layout.addWidget(self.eta)
        layout.addWidget(self.cancel_button)
        self.job: Job | None = None
        self._started = 0.0
        self._keep_visible = keep_visible
        self._set_busy(False)

    def track(self, job: Job) -> None:
        self.job = job
        self._started = time.monotonic()
        self.bar.setRange(0, 0)  # busy until the first count arrives
        self.bar.setFormat("")
        self.eta.setText("")
        self._set_busy(True)
        job.signals.progress.connect(self._progress)
        job.signals.finished.connect(lambda job=job: self._finished(job))

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.cancelling.emit()

    def _progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat(f"{done} / {total}")
            self.eta.setText(eta_text(done, total, time.monotonic() - self._started))
        if message:
            self.message.emit(message)

    def _finished(self, job: Job) -> None:
        if job is self.job:
            self.job = None
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        if self._keep_visible:
            self.cancel_button.setVisible(busy)
            if not busy:
                self.eta.setText("")
            return
        self.setVisible(busy)
