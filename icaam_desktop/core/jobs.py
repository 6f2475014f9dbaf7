"""The progress and cancellation protocol shared by every long core job.

Core jobs never touch Qt: they take a plain ``progress`` callback and a
``CancelToken``. The CLI turns the callback into a terminal progress bar, the
GUI's single worker type turns it into Qt signals.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Progress(Protocol):
    """Called by long jobs: ``done`` of ``total`` units (``total`` may be None)."""

    def __call__(self, done: int, total: int | None, message: str = "") -> None: ...


def no_progress(done: int, total: int | None, message: str = "") -> None:
    """The default progress callback: report nothing."""


class Cancelled(Exception):
    """Raised inside a job when its CancelToken was set; the job left a consistent state."""


class CancelToken:
    """A thread-safe flag a job polls between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")
