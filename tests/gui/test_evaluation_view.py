"""Evaluating the model from the window: metrics, a confusion matrix per level, a cell lists its products."""

from __future__ import annotations

import shutil

import pytest

from tests.gui.conftest import open_demo_window

pytestmark = pytest.mark.gui


@pytest.fixture
def small_catalogue(fashion, tmp_path):
    """30 real catalogue products (sku;categories + their photos)."""
    folder = tmp_path / "catalog"
    (folder / "images224").mkdir(parents=True)
    lines = (fashion / "catalog" / "products.csv").read_text(encoding="utf-8").splitlines()
    rows = [line.split(";")[:2] for line in lines[1:31]]
    (folder / "products.csv").write_text("sku;categories\n" + "".join(f"{s};{c}\n" for s, c in rows), encoding="utf-8")
    for sku, _ in rows:
        shutil.copy(fashion / "catalog" / "images224" / f"{sku}.jpg", folder / "images224" / f"{sku}.jpg")
    return folder, dict(rows)


def test_evaluation_shows_confusion_and_the_products_of_a_cell(qtbot, tmp_path, small_catalogue):
    folder, truth = small_catalogue
    window = open_demo_window(qtbot, tmp_path / "ws.sqlite")
    dialog = window.evaluation_dialog()
    dialog.catalog.setText(str(folder))
    dialog.split.setCurrentText("all")
    job = dialog.start()
    assert job is not None
    with qtbot.waitSignal(job.signals.finished, timeout=300_000):
        pass
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

    dialog.close()
    window.close()
