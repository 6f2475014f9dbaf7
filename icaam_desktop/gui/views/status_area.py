"""The status area: the running job's progress (bar, ETA, Cancel), passing notes, device and model labels."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QStatusBar, QWidget

from icaam_desktop.gui.views.job_progress import JobProgress
from icaam_desktop.gui.workers import Job


class StatusArea(QWidget):
    """Lives in the status bar; ``track(job, title)`` shows that job until it finishes."""

    def __init__(self, status_bar: QStatusBar) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Ready")
        self._title = ""
        self.progress = JobProgress(bar_width=220)
        self.progress.message.connect(self._job_message)
        self.progress.cancelling.connect(lambda: self.label.setText(self.label.text() + " — cancelling…"))
        self.note = QLabel("", objectName="noteLabel")
        # A long message is cut at the window's edge (its tooltip has it all); it never widens the window.
        # The job's name always keeps room for itself beside the note.
        for label in (self.label, self.note):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(180)
        layout.addWidget(self.label, 2)
        layout.addWidget(self.progress)
        layout.addWidget(self.note, 3)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(lambda: self.note.setText(""))
        self.device = QLabel("device: not loaded", objectName="deviceLabel")
        self.model = QLabel("model: not loaded", objectName="modelLabel")
        status_bar.addWidget(self, 1)
        status_bar.addPermanentWidget(self.device)
        status_bar.addPermanentWidget(self.model)

    def track(self, job: Job, title: str) -> None:
        self._title = title
        self.label.setText(title)
        self.label.setToolTip(title)
        self.progress.track(job)
        job.signals.finished.connect(lambda job=job: self._finished(job))

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

    def _job_message(self, message: str) -> None:
        """ "Classifying: optimising the model…": the job's name, then what it is doing now."""
        says_it = message.strip().lower().startswith(self._title.strip().lower())  # names the job itself
        text = message if says_it or not self._title else f"{self._title}: {message}"
        self.label.setText(text)
        self.label.setToolTip(text)

    def _finished(self, job: Job) -> None:
        if self.progress.job is None:
            self.label.setText("Ready")
            self.label.setToolTip("")
