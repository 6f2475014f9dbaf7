"""The ONE worker type: runs a core job off the GUI thread and turns its callbacks into signals.

A core job is any callable ``fn(progress, cancel) -> result`` (use ``functools.partial`` or a
lambda to bind its other arguments). Every long piece of work in the window goes through
``Job``: classification, mapping, export, training, model loading and thumbnails.

Progress is throttled (a core job may report every item of 40,000) so the GUI thread's event
queue never floods; the first and the last report always get through.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from icaam_desktop.core.errors import IcaamError
from icaam_desktop.core.jobs import Cancelled, CancelToken

JobFn = Callable[[Callable[..., None], CancelToken], Any]

PROGRESS_INTERVAL_S = 0.05

# Thumbnails get their own small pool so a long classification never starves the grid of images.
_thumbnail_pool: QThreadPool | None = None


def thumbnail_pool() -> QThreadPool:
    global _thumbnail_pool
    if _thumbnail_pool is None:
        _thumbnail_pool = QThreadPool()
        _thumbnail_pool.setMaxThreadCount(2)
        _thumbnail_pool.setObjectName("thumbnails")
    return _thumbnail_pool


def all_pools() -> list[QThreadPool]:
    pools = [QThreadPool.globalInstance()]
    if _thumbnail_pool is not None:
        pools.append(_thumbnail_pool)
    return pools


class JobSignals(QObject):
    """Lives in the GUI thread; the worker thread emits, so receivers run on the GUI thread."""

    progress = Signal(int, int, str)  # done, total (-1 when unknown), message
    result = Signal(object)
    error = Signal(str, str)  # a sentence for the user, details (traceback)
    cancelled = Signal()
    finished = Signal()  # always last, after result / error / cancelled


class Job(QRunnable):
    """Runs ``fn(progress, cancel)`` on a thread pool; see the module docstring."""

    _running: set[Job] = set()  # keeps Python wrappers alive until the job is done

    def __init__(self, fn: JobFn, *, name: str = "job") -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.name = name
        self.token = CancelToken()
        self.signals = JobSignals()
        self._last_emit = 0.0
        self.done = False

    # -- GUI thread --------------------------------------------------------------------------
    def start(self, pool: QThreadPool | None = None) -> Job:
        Job._running.add(self)
        self.signals.finished.connect(lambda: Job._running.discard(self))
        (pool or QThreadPool.globalInstance()).start(self)
        return self

    def cancel(self) -> None:
        self.token.cancel()

    # -- worker thread -----------------------------------------------------------------------
    def _progress(self, done: int, total: int | None, message: str = "") -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if final or done == 0 or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            self.signals.progress.emit(int(done), -1 if total is None else int(total), str(message))

    def run(self) -> None:
        try:
            self.token.raise_if_cancelled()
            value = self.fn(self._progress, self.token)
        except Cancelled:
            self.signals.cancelled.emit()
        except IcaamError as exc:  # the user's input: its sentence says it all, no traceback behind it
            self.signals.error.emit(_sentence(exc), "")
        except Exception as exc:  # noqa: BLE001 - every failure becomes a readable dialog
            self.signals.error.emit(_sentence(exc), traceback.format_exc())
        else:
            if self.token.cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.result.emit(value)
        finally:
            self.done = True
            self.signals.finished.emit()


def _sentence(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text[0].upper() + text[1:]


def eta_text(done: int, total: int, elapsed_s: float) -> str:
    """'about 1 min 20 s left' from the rate so far; empty until the rate means something."""
    if total <= 0 or done <= 0 or elapsed_s < 0.5 or done >= total:
        return ""
    left = elapsed_s / done * (total - done)
    if left < 60:
        return f"about {max(1, round(left))} s left"
    minutes, seconds = divmod(round(left), 60)
    if minutes < 60:
        return f"about {minutes} min {seconds:02d} s left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min left"
