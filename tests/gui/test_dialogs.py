"""Settings dialog round trip, taxonomy import, error dialog with details, restoring the last workspace."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from icaam_desktop.core.settings import SettingsError, load_settings
from icaam_desktop.core.store import Workspace
from icaam_desktop.gui.main_window import MainWindow
from icaam_desktop.gui.views.dialogs import ExportDialog, SettingsDialog, show_error
from tests.gui.conftest import open_demo_window

pytestmark = pytest.mark.gui


def test_settings_dialog_validates_and_saves(qtbot, tmp_path):
    window = MainWindow(db=str(tmp_path / "ws.sqlite"), load_model=False)
    qtbot.addWidget(window)
    dialog = SettingsDialog(window.controller.settings, window)
    qtbot.addWidget(dialog)
    dialog.device.setCurrentText("cpu")
    dialog.batch.setValue(12)
    dialog.thresholds.setText("0.9, 0.8, 0.6")
    dialog.tracking.setText("http://mlflow.internal:5000")
    edited = dialog.result_settings()
    window.controller.save_settings(edited)
    saved = load_settings()
    assert (saved.device, saved.batch_size, saved.thresholds, saved.mlflow_tracking_uri) == (
        "cpu",
        12,
        [0.9, 0.8, 0.6],
        "http://mlflow.internal:5000",
    )
    dialog.thresholds.setText("0.9, lots")
    with pytest.raises(SettingsError):
        dialog.result_settings()
    dialog.accept()  # refused: the dialog stays open and says why
    assert "thresholds" in dialog.problem.text()
    window.close()


def test_import_taxonomy_into_the_workspace(qtbot, tmp_path, taxonomy_dir):
    window = MainWindow(db=str(tmp_path / "ws.sqlite"), load_model=False)
    qtbot.addWidget(window)
    job = window.controller.import_taxonomy(taxonomy_dir)
    with qtbot.waitSignal(job.signals.finished, timeout=60_000):
        pass
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        assert len(ws.taxonomy().categories) == 195
    window.close()


def test_opening_a_delivery_without_a_taxonomy_offers_the_import_then_opens_it(
    qtbot, tmp_path, taxonomy_dir, monkeypatch
):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QFileDialog

    from tests.catalogue import demo_delivery

    window = MainWindow(db=str(tmp_path / "ws.sqlite"), load_model=False)
    qtbot.addWidget(window)
    folder = demo_delivery(tmp_path / "nw", 3)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(taxonomy_dir))

    def press_import():
        box = getattr(window, "_taxonomy_box", None)
        if box is None or not box.isVisible():
            QTimer.singleShot(20, press_import)
            return
        assert "no retailer taxonomy yet" in box.text()
        next(b for b in box.buttons() if b.text() == "Import taxonomy…").click()

    QTimer.singleShot(0, press_import)
    with qtbot.waitSignal(window.controller.session_changed, timeout=60_000):
        window.controller.open_delivery(folder)
    assert window.controller.session.delivery.name == "nw"
    assert window.grid_model.rowCount() == 3
    window.close()


def test_error_dialog_has_details(qtbot):
    box = show_error(None, "Opening x", "The sheet has no id column", "Traceback ...")
    qtbot.addWidget(box)
    assert box.icon() == QMessageBox.Icon.Warning
    assert box.text() == "The sheet has no id column" and box.detailedText() == "Traceback ..."
    box.close()


def test_export_dialog_options(qtbot, tmp_path):
    dialog = ExportDialog(delivery="demo", default_dir=tmp_path, counts={"accepted": 3, "review": 47})
    qtbot.addWidget(dialog)
    assert dialog.options() == {"out": tmp_path / "demo-export.csv", "labels": False, "include_unaccepted": False}
    assert dialog.will_export.text().startswith("Will export 3 of 50 products")
    dialog.labels.setChecked(True)
    dialog.all_products.setChecked(True)
    assert dialog.options()["labels"] and dialog.options()["include_unaccepted"]
    assert dialog.will_export.text().startswith("Will export every product with a category")


def test_export_dialog_asks_before_replacing_a_file(qtbot, tmp_path, monkeypatch):
    (tmp_path / "demo-export.csv").write_text("old", encoding="utf-8")
    dialog = ExportDialog(delivery="demo", default_dir=tmp_path, counts={"accepted": 3})
    qtbot.addWidget(dialog)
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", answer)
    dialog.accept()
    assert asked and "demo-export.csv already exists" in asked[0]
    assert dialog.result() != dialog.DialogCode.Accepted  # kept open: nothing overwritten
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted


def test_last_workspace_and_delivery_are_restored_at_start(qtbot, tmp_path):
    db = tmp_path / "ws.sqlite"
    first = open_demo_window(qtbot, db)
    first.close()
    again = MainWindow(load_model=False)  # no --db: the settings remember the workspace
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.controller.session_changed, timeout=60_000):
        pass  # _after_show restores it on the first event-loop turn
    assert again.controller.workspace_path == db
    assert again.controller.session.delivery.name == "demo"
    again.close()


def test_the_stylesheet_points_at_icons_that_exist(qapp):
    import re
    from pathlib import Path

    from icaam_desktop.gui.app import apply_style

    before = qapp.styleSheet()
    try:
        apply_style(qapp)
        sheet = qapp.styleSheet()
        assert "@ICONS@" not in sheet
        urls = set(re.findall(r"url\(([^)]+)\)", sheet))
        assert len(urls) >= 4  # up/down arrows, each also greyed out
        assert all(Path(u).is_file() for u in urls), urls
    finally:
        qapp.setStyleSheet(before)


def test_a_long_status_message_never_widens_the_window(qtbot, tmp_path):
    window = MainWindow(db=str(tmp_path / "ws.sqlite"), load_model=False)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.status.show_message("Opened a delivery with a very long name; " * 20)
    qtbot.wait(50)
    assert window.width() <= 1200
    window.close()
