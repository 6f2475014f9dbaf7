"""Thumbnails are decoded in workers and cached on disk; dropping a folder on the window opens it."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from icaam_desktop import paths
from icaam_desktop.gui.main_window import MainWindow
from icaam_desktop.gui.models.thumbnails import THUMB_SIDE, ThumbnailCache, load_thumbnail, thumbs_dir

pytestmark = pytest.mark.gui

DEMO_IMAGE = paths.demo_dir() / "images" / "NW-101247.jpg"


def test_thumbnail_is_decoded_in_a_worker_and_cached_on_disk(qtbot):
    cache = ThumbnailCache()
    assert cache.get(DEMO_IMAGE) is None  # not yet: a worker decodes it
    with qtbot.waitSignal(cache.ready, timeout=30_000) as ready:
        pass
    assert ready.args == [str(DEMO_IMAGE)]
    pixmap = cache.get(DEMO_IMAGE)
    assert pixmap is not None and max(pixmap.width(), pixmap.height()) <= THUMB_SIDE
    cached = list(thumbs_dir().glob("*.jpg"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    again = load_thumbnail(DEMO_IMAGE)  # served from the disk cache, not re-encoded
    assert not again.isNull() and cached[0].stat().st_mtime_ns == before


def test_an_undecodable_file_gets_no_thumbnail(qtbot, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"<html>404 Not Found</html>")
    assert load_thumbnail(bad).isNull()
    cache = ThumbnailCache()
    cache.get(bad)
    with qtbot.waitSignal(cache.ready, timeout=30_000):
        pass
    assert cache.get(bad) is None and cache.is_failed(bad)


def test_dropping_a_folder_opens_it(qtbot, tmp_path):
    window = MainWindow(db=str(tmp_path / "ws.sqlite"), load_model=False)
    qtbot.addWidget(window)
    job = window.controller.import_taxonomy(paths.demo_dir() / "taxonomy")
    with qtbot.waitSignal(job.signals.finished, timeout=60_000):
        pass
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / "products.csv").write_bytes((paths.demo_dir() / "products.csv").read_bytes())
    shutil.copytree(paths.demo_dir() / "images", folder / "images")  # a symlink out of the delivery is ignored
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(window.controller.session_changed, timeout=60_000):
        window.dropEvent(event)
    assert window.controller.session.delivery.name == "delivery"
    assert window.grid_model.rowCount() == 50
    window.close()
