"""Drive the real app on the demo and save screenshots of its main views (run by tools/screenshots.sh).

Uses the app's own objects (the window, its controller and views) and real key presses; every
picture is a grab of the X screen, so what is saved is what a user sees.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")


def pump(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def wait_for(predicate, what: str, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.02)


def shot(name: str) -> None:
    pump(0.6)
    screen = QGuiApplication.primaryScreen()
    path = OUT / f"{name}.png"
    screen.grabWindow(0).save(str(path))
    print("saved", path, flush=True)


def main() -> int:
    from icaam_desktop.gui.app import apply_style
    from icaam_desktop.gui.main_window import MainWindow

    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("ICaAM")
    app.setOrganizationName("ICaAM")
    apply_style(app)
    window = MainWindow(demo=True)
    geometry = QGuiApplication.primaryScreen().availableGeometry()
    window.setGeometry(geometry)
    window.show()
    window.raise_()
    window.activateWindow()  # keys go to the focused widget of the active window, as for a user
    window.fit_grid_columns()
    c = window.controller
    errors = []
    c.failed.connect(lambda *a: errors.append(a))
    wait_for(lambda: c.session is not None or errors, "the demo to open")
    wait_for(lambda: c.classifier is not None or errors, "the model to load")
    if errors:
        raise SystemExit(f"error: {errors}")
    c.settings.batch_size = 16
    c.classify()
    wait_for(lambda: len(c.session.predictions) == len(c.session.products) and not c.jobs, "classification")
    # Map the attributes first, so the product panel shows filled-in values.
    window._map()
    wait_for(lambda: (window.mapping.columns.rowCount() > 0 and not c.jobs) or errors, "mapping")
    window.tabs.setCurrentIndex(0)
    window.grid.setFocus()
    # Accept a few confident ones with the keyboard, so the grid shows every status colour.
    window.grid.select_product(c.session.products[0].product_id)
    QTest.keyClick(window.grid, "a")
    QTest.keyClick(window.grid, "r")
    pump(1.0)
    wait_for(lambda: not window.thumbnails._jobs, "thumbnails", 120)
    review = c.session.next_needing_review(None)
    if review:
        window.grid.select_product(review)
    shot("01-review-window")
    window.panel.grab().save(str(OUT / "02-product-panel.png"))
    print("saved", OUT / "02-product-panel.png")

    def in_picker() -> None:
        picker = window._picker
        QTest.keyClicks(picker.search, "sandal")
        shot("03-taxonomy-picker")
        picker.reject()

    QTimer.singleShot(500, in_picker)
    QTest.keyClick(window.grid, "c")

    window.tabs.setCurrentWidget(window.mapping)
    table = window.mapping.column_table
    table.setCurrentIndex(window.mapping.columns.index(0, 0))
    window.mapping.attribute_combo.setCurrentIndex(0)  # the attribute with the most unmapped values
    shot("04-mapping-view")

    def in_export() -> None:
        shot("05-export-dialog")
        window._export_dialog.reject()

    QTimer.singleShot(500, in_export)
    window.tabs.setCurrentIndex(0)
    window.export_dialog()

    catalogue = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fashion" / "catalog"
    if catalogue.is_dir():  # the held-out part of the dev catalogue, with one confusion cell opened
        dialog = window.evaluation_dialog()
        dialog.catalog.setText(str(catalogue))
        dialog.split.setCurrentText("test")
        dialog.start()
        wait_for(lambda: dialog.evaluation is not None, "the evaluation")
        dialog.level.setCurrentText("2")
        counts = dialog._confusion()["counts"]
        cells = [(n, i, j) for i, r in enumerate(counts) for j, n in enumerate(r) if n and i != j]
        if cells:
            _, i, j = max(cells)
            dialog.matrix.setCurrentCell(i, j)
            dialog.show_cell(i, j)
        pump(3)
        dialog.grab().save(str(OUT / "06-evaluation.png"))
        print("saved", OUT / "06-evaluation.png")
        dialog.start_audit()  # the whole catalogue's labels (about 2-3 min on a 2-core CPU)
        wait_for(lambda: dialog.audit is not None and dialog.audit_button.isEnabled(), "the label audit")
        pump(5)
        dialog.grab().save(str(OUT / "08-label-audit.png"))
        print("saved", OUT / "08-label-audit.png")
        dialog.close()
    panel = window.training_panel()  # filled in for a fine-tune on the catalogue, not started
    if catalogue.is_dir():
        panel.catalog.setText(str(catalogue))
    panel.full.setChecked(True)
    pump(1)
    panel.grab().save(str(OUT / "07-training-panel.png"))
    print("saved", OUT / "07-training-panel.png")
    panel.close()
    window.close()
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
