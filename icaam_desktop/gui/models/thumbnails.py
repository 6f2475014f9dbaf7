"""Thumbnails: decoded in workers, cached on disk and in memory, requested lazily by the grid.

The grid asks for a thumbnail only when an item is painted. Requests go to a bounded LIFO queue
(the newest request is the one on screen) drained in small batches by at most two ``Job``s, so
scrolling through 40,000 products never piles up stale work. The disk cache lives under
``user_data_dir()/thumbs`` keyed by path + mtime + size, so an edited file gets a new thumbnail.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

from icaam_desktop import paths
from icaam_desktop.gui.workers import Job, thumbnail_pool

THUMB_SIDE = 160
MEMORY_ITEMS = 2000
QUEUE_LIMIT = 256
BATCH = 8
MAX_JOBS = 2


def thumbs_dir() -> Path:
    path = paths.user_data_dir() / "thumbs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(path: Path) -> str:
    stat = path.stat()
    text = f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def load_thumbnail(path: Path, *, side: int = THUMB_SIDE, cache: Path | None = None) -> QImage:
    """Worker-side: the cached thumbnail, or decode (safely, via core/images) and cache it.

    Returns a null QImage for a file that cannot be decoded (the grid then shows a placeholder).
    """
    cache = cache or thumbs_dir()
    try:
        target = cache / f"{cache_key(path)}.jpg"
    except OSError:
        return QImage()
    if target.exists():
        image = QImage(str(target))
        if not image.isNull():
            return image
    from icaam_desktop.core.images import ImageRejected, open_rgb

    try:
        picture = open_rgb(path, min_side=side)  # a JPEG decodes at 1/2, 1/4 or 1/8 scale when that suffices
    except (ImageRejected, OSError):
        return QImage()
    picture.thumbnail((side, side))
    try:
        tmp = target.with_suffix(".tmp")
        picture.save(tmp, format="JPEG", quality=85)
        tmp.replace(target)
    except OSError:
        pass  # a read-only cache only costs speed
    data = picture.tobytes("raw", "RGB")
    return QImage(data, picture.width, picture.height, picture.width * 3, QImage.Format.Format_RGB888).copy()


def load_large(path: Path, *, side: int) -> QImage:
    """Worker-side: a large view of one image (never cached on disk)."""
    from icaam_desktop.core.images import ImageRejected, open_rgb

    try:
        picture = open_rgb(path, min_side=side)
    except (ImageRejected, OSError):
        return QImage()
    if max(picture.size) > side:
        picture.thumbnail((side, side))
    data = picture.tobytes("raw", "RGB")
    return QImage(data, picture.width, picture.height, picture.width * 3, QImage.Format.Format_RGB888).copy()


class ThumbnailCache(QObject):
    """GUI-thread front: ``get(path)`` returns a pixmap or None and schedules the decode."""

    ready = Signal(str)  # str(path) whose thumbnail just arrived

    def __init__(self, parent: QObject | None = None, *, side: int = THUMB_SIDE) -> None:
        super().__init__(parent)
        self.side = side
        self._pixmaps: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._queue: OrderedDict[str, None] = OrderedDict()
        self._in_flight: set[str] = set()
        self._jobs: list[Job] = []

    def get(self, path: Path | None) -> QPixmap | None:
        if path is None:
            return None
        key = str(path)
        if key in self._pixmaps:
            self._pixmaps.move_to_end(key)
            return self._pixmaps[key]
        if key not in self._in_flight:
            self._queue.pop(key, None)
            self._queue[key] = None  # newest last
            while len(self._queue) > QUEUE_LIMIT:
                self._queue.popitem(last=False)
            self._pump()
        return None

    def is_failed(self, path: Path | None) -> bool:
        return path is not None and str(path) in self._pixmaps and self._pixmaps[str(path)] is None

    def cancel_all(self) -> None:
        self._queue.clear()
        for job in self._jobs:
            job.cancel()

    def _pump(self) -> None:
        while self._queue and len(self._jobs) < MAX_JOBS:
            batch = []
            while self._queue and len(batch) < BATCH:
                key, _ = self._queue.popitem(last=True)
                batch.append(key)
            self._in_flight.update(batch)
            cache, side = thumbs_dir(), self.side

            def work(progress, cancel, batch=batch, side=side, cache=cache):
                out = []
                for key in batch:
                    if cancel.cancelled:
                        break
                    out.append((key, load_thumbnail(Path(key), side=side, cache=cache)))
                return out

            job = Job(work, name="thumbnails")
            job.signals.result.connect(self._arrived)
            job.signals.finished.connect(lambda job=job, batch=batch: self._job_done(job, batch))
            self._jobs.append(job)
            job.start(thumbnail_pool())

    def _arrived(self, items: list[tuple[str, QImage]]) -> None:
        for key, image in items:
            pixmap = None if image.isNull() else QPixmap.fromImage(image)
            if pixmap is not None and max(pixmap.width(), pixmap.height()) > self.side:
                pixmap = pixmap.scaled(self.side, self.side, Qt.AspectRatioMode.KeepAspectRatio)
            self._pixmaps[key] = pixmap
            while len(self._pixmaps) > MEMORY_ITEMS:
                self._pixmaps.popitem(last=False)
            self.ready.emit(key)

    def _job_done(self, job: Job, batch: list[str]) -> None:
        self._in_flight.difference_update(batch)
        if job in self._jobs:
            self._jobs.remove(job)
        self._pump()
