"""The model picker lists tracked runs with their metrics and activates one (or the shipped default)."""

from __future__ import annotations

import pytest

from icaam_desktop import paths
from icaam_desktop.core.training import tracking
from icaam_desktop.gui.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_picker_lists_a_tracked_run_and_activates_it(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv(tracking.ENV_TRACKING_URI, raising=False)
    with tracking.start_run(tracking_uri=None, run_name="picker-run", params={"epochs": 1}) as run:
        run.log_metrics({"test_level3_accuracy": 0.875, "test_auto_rate": 0.25})
        run.log_model(paths.models_dir() / "default")

    window = MainWindow(db=str(tmp_path / "ws.sqlite"), load_model=False)
    qtbot.addWidget(window)
    window.controller.use_activated_model = lambda: None  # no model reload in this test
    picker = window.model_picker()
    qtbot.waitUntil(lambda: picker.table.rowCount() == 1, timeout=120_000)
    texts = [picker.table.item(0, c).text() for c in range(picker.table.columnCount())]
    assert texts[0] == "picker-run" and "87.5%" in texts and "25.0%" in texts

    picker.table.setCurrentCell(-1, -1)
    assert not picker.activate_button.isEnabled()  # nothing selected: nothing to activate
    picker.table.selectRow(0)
    assert picker.activate_button.isEnabled()
    picker.activate_selected()
    qtbot.waitUntil(lambda: tracking.active_model_info() is not None, timeout=120_000)
    assert tracking.active_model_info()["run_id"] == run.run_id
    qtbot.waitUntil(lambda: picker.table.rowCount() == 1 and picker.table.item(0, 0).font().bold(), timeout=120_000)

    picker.use_default()  # a fast job: wait for its effect rather than a signal it may emit before we listen
    qtbot.waitUntil(lambda: tracking.active_model_info() is None, timeout=60_000)
    qtbot.waitUntil(lambda: "shipped default" in picker.note.text(), timeout=120_000)
    picker.close()
    window.close()
