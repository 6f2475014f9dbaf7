"""Product grid with 40,000 products: fill time and scroll frame times, against a naive QListWidget.

The app's grid is a QListView (icon mode, uniform item sizes) over a flat QAbstractListModel, one
painted delegate and lazily decoded, disk-cached thumbnails. The naive reference is what a quick
implementation does: a QListWidget with one QListWidgetItem per product carrying its decoded icon
(here only the icons of the first screen are decoded, which flatters the reference).

Offscreen, at 1400x900; every "frame" is a forced synchronous repaint of the viewport after
scrolling one page. Prints medians / worst frames and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
CATALOG = REPO.parent / "shared" / "data" / "fashion" / "catalog" / "images224"


def rows(n: int, images: list[Path]):
    from icaam_desktop.gui.models.session import ProductRow

    statuses = ["auto", "review", "rejected", "accepted", "unclassified"]
    return [
        ProductRow(
            f"P{i:06d}",
            f"Product {i}",
            images[i % len(images)],
            1,
            statuses[i % 5],
            (i % 100) / 100,
            "tshirts",
            "Tshirts",
        )
        for i in range(n)
    ]


def scroll_frames(view, app, pages: int) -> list[float]:
    """Paint time of one screenful after each page jump (arrived thumbnails are handled untimed)."""
    bar = view.verticalScrollBar()
    times = []
    for k in range(pages):
        bar.setValue(int(bar.maximum() * k / max(1, pages - 1)))
        app.processEvents()
        t = time.perf_counter()
        view.viewport().repaint()
        times.append((time.perf_counter() - t) * 1000)
        app.processEvents()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=40_000)
    parser.add_argument("--pages", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ICAAM_DATA_DIR"] = tmp
        from PySide6.QtGui import QIcon, QPixmap
        from PySide6.QtWidgets import QApplication, QListView, QListWidget, QListWidgetItem

        from icaam_desktop.gui.models.grid import ProductFilterProxy, ProductGridModel
        from icaam_desktop.gui.models.thumbnails import ThumbnailCache
        from icaam_desktop.gui.views.grid_view import ProductGrid
        from icaam_desktop.gui.workers import all_pools

        app = QApplication(sys.argv[:1])
        images = sorted(CATALOG.glob("*.jpg"))[:2000] if CATALOG.is_dir() else [Path("/nonexistent.jpg")]
        data = rows(args.products, images)

        t = time.perf_counter()
        model = ProductGridModel(ThumbnailCache())
        proxy = ProductFilterProxy()
        proxy.setSourceModel(model)
        model.set_rows(data)
        grid = ProductGrid(proxy)
        grid.resize(1400, 900)
        grid.show()
        app.processEvents()
        fill_app = time.perf_counter() - t
        t = time.perf_counter()
        proxy.set_filters(statuses={"review"})
        filter_ms = (time.perf_counter() - t) * 1000
        proxy.set_filters(statuses={"auto", "review", "rejected", "accepted", "unclassified"})
        t = time.perf_counter()
        proxy.set_sort_key("confidence (low first)")
        sort_ms = (time.perf_counter() - t) * 1000
        # Naive reference for sorting: the same proxy sorting itself (a Python lessThan per comparison).
        from PySide6.QtCore import QSortFilterProxyModel, Qt

        from icaam_desktop.gui.models.grid import Role

        class NaiveSort(QSortFilterProxyModel):
            def lessThan(self, left, right):
                return left.data(Role.CONFIDENCE) < right.data(Role.CONFIDENCE)

        naive_proxy = NaiveSort()
        naive_proxy.setSourceModel(model)
        t = time.perf_counter()
        naive_proxy.sort(0, Qt.SortOrder.AscendingOrder)
        naive_sort_ms = (time.perf_counter() - t) * 1000
        proxy.set_sort_key("supplier order")
        frames_cold = scroll_frames(grid, app, args.pages)
        for pool in all_pools():
            pool.waitForDone()
        app.processEvents()
        frames_app = scroll_frames(grid, app, args.pages)  # same pages, thumbnails now decoded
        model.thumbnails.cancel_all()
        for pool in all_pools():
            pool.waitForDone()
        app.processEvents()

        t = time.perf_counter()
        naive = QListWidget()
        naive.setViewMode(QListView.ViewMode.IconMode)
        naive.resize(1400, 900)
        for i, row in enumerate(data):
            item = QListWidgetItem(row.title)
            if i < 40:  # only the first screen's icons: the rest would take minutes
                item.setIcon(QIcon(QPixmap(str(row.image))))
            naive.addItem(item)
        naive.show()
        app.processEvents()
        fill_naive = time.perf_counter() - t
        frames_naive = scroll_frames(naive, app, args.pages)

    def fmt(frames):
        return f"median {statistics.median(frames):.1f} ms, worst {max(frames):.1f} ms"

    print(f"{args.products} products, {args.pages} page jumps over the whole list")
    print(f"app grid: fill {fill_app:.2f} s; status filter {filter_ms:.0f} ms; sort by confidence {sort_ms:.0f} ms")
    print(f"  naive proxy sort (Python lessThan): {naive_sort_ms:.0f} ms -> {naive_sort_ms / sort_ms:.0f}x slower")
    print(f"  frames, first pass (thumbnails requested): {fmt(frames_cold)}")
    print(f"  frames, second pass (thumbnails in memory): {fmt(frames_app)}")
    print(f"naive QListWidget: fill {fill_naive:.2f} s; frames {fmt(frames_naive)}")
    print(
        f"ratios naive/app: fill {fill_naive / fill_app:.1f}x, "
        f"median frame {statistics.median(frames_naive) / statistics.median(frames_app):.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
