"""Evaluating the model from the window: metrics, a confusion matrix per level, a cell lists its products."""

from __future__ import annotations

import pytest

from tests.catalogue import catalogue_rows, write_catalogue
from tests.gui.conftest import open_demo_window

pytestmark = pytest.mark.gui


@pytest.fixture
def small_catalogue(fashion, tmp_path):
    """30 real catalogue products (sku;categories + their photos)."""
    rows = catalogue_rows(fashion)[:30]
    folder = write_catalogue(tmp_path / "catalog", rows, fashion=fashion)
    return folder, {row["sku"]: row["categories"] for row in rows}


def test_evaluation_shows_confusion_and_the_products_of_a_cell(qtbot, tmp_path, small_catalogue):
    folder, truth = small_catalogue
    window = open_demo_window(qtbot, tmp_path / "ws.sqlite")
    dialog = window.evaluation_dialog()
    dialog.catalog.setText(str(folder))
    dialog.split.setCurrentText("all")
    job = dialog.start()
    assert job is not None
    assert dialog.progress.isVisibleTo(dialog) and dialog.progress.cancel_button.isEnabled()
    counts_seen = []
    job.signals.progress.connect(lambda done, total, _m: counts_seen.append((done, total)))
    with qtbot.waitSignal(job.signals.finished, timeout=300_000):
        pass
    assert counts_seen and counts_seen[-1][0] == counts_seen[-1][1] > 0
    assert dialog.progress.bar.maximum() == counts_seen[-1][1]
    assert not dialog.progress.isVisibleTo(dialog)  # hidden again once the job is done
    assert dialog.evaluation is not None, dialog.summary.text()
    assert dialog.evaluation.metrics["n"] == 30
    assert "level 3: accuracy" in dialog.summary.text()

    labels = dialog._confusion()["labels"]
    assert dialog.matrix.rowCount() == len(labels)
    counts = dialog._confusion()["counts"]
    assert sum(map(sum, counts)) == 30
    row, column = next((i, j) for i, r in enumerate(counts) for j, n in enumerate(r) if n)
    dialog.show_cell(row, column)
    assert dialog.products.count() == counts[row][column]
    listed = [dialog.products.item(i).text() for i in range(dialog.products.count())]
    assert all(truth[pid] == labels[row] for pid in listed)  # true leaf of every listed product is the row's

    # A wide level numbers its columns (the row's number) and names them in tooltips.
    from icaam_desktop.gui.views import evaluation_view

    evaluation_view.NAMED_COLUMNS, named = 2, evaluation_view.NAMED_COLUMNS
    try:
        dialog._show_matrix()
    finally:
        evaluation_view.NAMED_COLUMNS = named
    assert dialog.matrix.horizontalHeaderItem(0).text() == "1"
    assert dialog.matrix.verticalHeaderItem(0).text().startswith("1  ")
    assert dialog.matrix.horizontalHeaderItem(0).toolTip().startswith("predicted: ")
    assert "numbered as the rows" in dialog.axes.text()
    dialog.show_cell(row, column)
    n = counts[row][column]
    assert dialog.cell_label.text().startswith(f"{n} product{'' if n == 1 else 's'}: true ")
    assert " 1 " not in dialog.cell_label.text()  # names, not the column numbers

    # A second run can be cancelled from the dialog's own Cancel button.
    job = dialog.start()
    dialog.progress.cancel_button.click()
    # (A job cancelled this early may finish before a waitSignal could connect: wait on the dialog.)
    qtbot.waitUntil(lambda: job.done and dialog.start_button.isEnabled(), timeout=300_000)
    assert dialog.summary.text() == "Evaluating the model: cancelled"
    assert not dialog.progress.isVisibleTo(dialog)

    dialog.close()
    window.close()


def test_label_audit_lists_the_planted_errors_and_saves_them(qtbot, tmp_path, fashion):
    from tests.core.training.test_audit import planted_catalog

    folder, planted = planted_catalog(fashion, tmp_path / "cat")
    window = open_demo_window(qtbot, tmp_path / "ws.sqlite")
    dialog = window.evaluation_dialog()
    assert not dialog.save_audit_button.isEnabled()
    dialog.catalog.setText(str(folder))
    job = dialog.start_audit()
    assert job is not None and not dialog.audit_button.isEnabled()
    with qtbot.waitSignal(job.signals.finished, timeout=300_000):
        pass
    assert dialog.audit is not None, dialog.summary.text()
    assert dialog.audit_button.isEnabled() and dialog.save_audit_button.isEnabled()
    assert "of 40 products" in dialog.summary.text() and "Tshirts" in dialog.summary.text()
    listed = {
        dialog.products.item(i).text().split("\n")[1]: dialog.products.item(i) for i in range(dialog.products.count())
    }
    assert set(planted) <= set(listed)
    taxonomy = window.controller.session.taxonomy
    for sku, (wrong, true) in planted.items():
        text = listed[sku].text()
        assert f"{taxonomy.categories[wrong].label} → {taxonomy.categories[true].label}" in text
    job = dialog._save_audit(str(tmp_path / "audit"))
    assert job is not None
    with qtbot.waitSignal(job.signals.finished, timeout=60_000):
        pass
    saved = tmp_path / "audit" / "label_audit.csv"
    assert saved.read_text(encoding="utf-8").count("\n") == len(listed) + 1
    assert "Saved label_audit.csv" in dialog.summary.text()

    dialog.catalog.setText(str(tmp_path / "nowhere"))
    assert dialog.start_audit() is None and dialog.summary.text()
    dialog.close()
    window.close()
