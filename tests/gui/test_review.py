"""Opening the demo delivery in the real window, then accept / override / reject / undo written to SQLite."""

from __future__ import annotations

import sqlite3

import pytest

from icaam_desktop.core.classify.prediction import LevelPrediction, Prediction
from icaam_desktop.core.store import Workspace
from icaam_desktop.gui.main_window import MainWindow
from icaam_desktop.gui.models import session as session_mod
from icaam_desktop.gui.views.grid_view import badge_text

pytestmark = pytest.mark.gui


def fake_predictions(session, *, status="review"):
    """Predictions shaped like the classifier's (the real classifier is exercised in test_heartbeat)."""
    out = []
    leaf = next(c for c in session.taxonomy.leaves() if c.code == "tshirts")
    for product in session.products:
        levels = [
            LevelPrediction(
                depth=d + 1, code=code, confidence=0.55 + 0.1 * d, alternatives=[(code, 0.55)], accepted=False
            )
            for d, code in enumerate(leaf.path)
        ]
        out.append(Prediction(product.product_id, status, leaf.path[0], leaf.code, levels, 1, [], "test-model"))
    return out


def predicted_and_active(window, qtbot):
    """The demo with predictions, in the active window: the review shortcuts reach it, as for a user."""
    session = window.controller.session
    session.set_predictions(fake_predictions(session))
    window._session_changed(session)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return session


def decisions_in_db(path):
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT product_id, field, value, source, model_version, undone_at FROM decisions ORDER BY id"
        ).fetchall()


def model_loaded(window, qtbot):
    """The window's controller with the shipped model loaded on the CPU, and lists catching errors and messages."""
    c = window.controller
    c.settings.device = "cpu"
    errors, messages = [], []
    c.failed.connect(lambda *a: errors.append(a))
    c.message.connect(messages.append)
    with qtbot.waitSignal(c.classifier_changed, timeout=300_000):
        c.load_classifier()
    return c, errors, messages


def hold_the_model(controller):
    """Make the real model wait, in its worker, until the returned event is set."""
    import threading

    release = threading.Event()
    predict = controller.classifier.predict_products

    def held(*args, **kwargs):
        release.wait(60)
        return predict(*args, **kwargs)

    controller.classifier.predict_products = held
    return release


def test_status_words_match_the_core():
    from icaam_desktop.core.classify import prediction

    assert (session_mod.STATUS_AUTO, session_mod.STATUS_REVIEW, session_mod.STATUS_REJECTED) == (
        prediction.STATUS_AUTO,
        prediction.STATUS_REVIEW,
        prediction.STATUS_REJECTED,
    )


def test_opening_the_demo_fills_the_grid_and_the_workspace(window, tmp_path):
    session = window.controller.session
    assert session.delivery.name == "demo"
    assert window.grid_model.rowCount() == 50 == len(session.products)
    assert window.grid.current_product_id() == session.products[0].product_id
    assert window.panel.title.text() == "Fila Men AbeII Black Sweater"
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        assert [d.name for d in ws.deliveries()] == ["demo"]
        assert len(ws.products("demo")) == 50
        assert ws.taxonomy() is not None


def test_accept_override_reject_undo_write_sqlite(window, qtbot, tmp_path):
    db = tmp_path / "ws.sqlite"
    session = window.controller.session
    predictions = fake_predictions(session)
    with Workspace.open(db) as ws:
        ws.save_predictions("demo", predictions)
    session.set_predictions(predictions)
    window._session_changed(session)

    first, second, third = (p.product_id for p in session.products[:3])
    window.grid.select_product(first)
    window.accept_current()  # A
    assert session.status(first) == "accepted"
    assert window.grid.current_product_id() == second  # moved on to the next one needing review

    window.controller.decide("override", second, "sandals")
    # The badge shows the model's confidence only while the model's word stands.
    assert badge_text(session.row(second)) == "accepted"
    window.grid.select_product(second)
    assert window.panel.reasons.text().startswith("Decided by you. The bars show the model's own suggestion")
    assert badge_text(session.row(third)) == "review 55%"
    window.grid.select_product(third)
    window.reject_current()  # R
    assert badge_text(session.row(third)) == "rejected"
    rows = decisions_in_db(db)
    assert rows == [
        (first, "category", "tshirts", "analyst", "test-model", None),
        (second, "category", "sandals", "analyst", "test-model", None),
        (third, "category", "", "analyst", "test-model", None),
    ]
    assert session.row(second).category_code == "sandals"
    assert session.status(third) == "rejected"

    window.undo()  # Ctrl+Z
    assert session.status(third) == "review"
    assert decisions_in_db(db)[-1][-1] is not None  # undone_at set; nothing deleted
    assert window.grid.current_product_id() == third

    # Close and reopen: the same state comes back from SQLite.
    window.close()
    again = MainWindow(db=str(db), load_model=False)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.controller.session_changed, timeout=30_000):
        again.controller.restore_last()
    s2 = again.controller.session
    assert (s2.status(first), s2.final_category(first)) == ("accepted", "tshirts")
    assert s2.final_category(second) == "sandals"
    assert s2.status(third) == "review"
    again.close()


def test_override_through_the_picker(window, qtbot):
    from PySide6.QtCore import Qt, QTimer

    session = window.controller.session
    pid = session.products[5].product_id
    window.grid.select_product(pid)

    def type_and_enter():
        picker = window._picker
        qtbot.keyClicks(picker.search, "flip flop")
        assert picker.selected_code() == "flip_flops_flip_flops"  # the leaf under Footwear > Flip Flops
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)

    QTimer.singleShot(200, type_and_enter)
    window.change_current()  # C: the picker runs modally until Enter
    assert session.final_category(pid) == "flip_flops_flip_flops"
    assert session.status(pid) == "accepted"


def test_attribute_edit_is_a_decision(window, tmp_path):
    session = window.controller.session
    pid = session.products[0].product_id
    window.controller.decide("override", pid, "sweaters")
    window.grid.select_product(pid)
    model = window.panel.attributes
    assert model.rowCount() > 0
    colour_row = next(r for r in range(model.rowCount()) if model.rows[r][0].code == "base_colour")
    assert colour_row in model.missing_rows()
    assert model.setData(model.index(colour_row, 1), "black")
    assert session.attribute_value(pid, "base_colour") == "black"
    assert colour_row not in model.missing_rows()
    assert ("base_colour", "black") in [(r[1], r[2]) for r in decisions_in_db(tmp_path / "ws.sqlite")]


def test_opening_a_folder_with_two_sheets_asks_which(window, qtbot, tmp_path, monkeypatch):
    import shutil

    from icaam_desktop.gui import main_window

    demo = window.controller.session.delivery.root
    folder = tmp_path / "two-sheets"
    shutil.copytree(demo / "images", folder / "images")
    shutil.copy(demo / "products.csv", folder / "products.csv")
    shutil.copy(demo / "products.csv", folder / "products-copy.csv")  # equally plausible: the analyst must pick
    asked = []

    def pick(parent, title, label, items, current, editable):
        asked.append(list(items))
        return "products-copy.csv", True

    monkeypatch.setattr(main_window.QInputDialog, "getItem", staticmethod(pick))
    with qtbot.waitSignal(window.controller.session_changed, timeout=60_000):
        window.controller.open_delivery(folder)
    assert asked and set(asked[0]) == {"products.csv", "products-copy.csv"}
    assert window.controller.session.delivery.sheet.path.name == "products-copy.csv"


def test_review_with_the_keyboard(window, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    session = predicted_and_active(window, qtbot)
    window.grid.setFocus()
    first, second, third = (p.product_id for p in session.products[:3])
    assert window.grid.current_product_id() == first
    qtbot.keyClick(window.grid, Qt.Key.Key_A)  # accept, then on to the next needing review
    assert session.status(first) == "accepted"
    assert window.grid.current_product_id() == second
    qtbot.keyClick(window.grid, Qt.Key.Key_R)  # reject
    assert session.status(second) == "rejected"
    assert window.grid.current_product_id() == third
    qtbot.keyClick(window.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the reject
    assert session.status(second) == "review"
    assert window.grid.current_product_id() == second
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)  # next needing review
    assert window.grid.current_product_id() == third
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)  # Enter accepts too
    assert session.status(third) == "accepted"
    # Typing in the search box filters; it does not accept or reject anything.
    qtbot.keyClicks(window.filter_bar.search, "ar")
    assert [r[1] for r in decisions_in_db(tmp_path / "ws.sqlite")].count("category") == 3


def test_export_from_the_window(window, qtbot, tmp_path):
    import csv

    session = window.controller.session
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        ws.save_predictions("demo", fake_predictions(session))
    session.set_predictions(fake_predictions(session))
    window.controller.decide("accept", session.products[0].product_id)
    window.controller.decide("override", session.products[1].product_id, "sandals")
    out = tmp_path / "out.csv"
    with qtbot.waitSignal(window.controller.exported, timeout=60_000) as done:
        window.controller.export(out=out, labels=False, include_unaccepted=False)
    assert done.args[0].rows == 2
    summary = window._export_summary  # the analyst sees what was written and what was left out
    assert summary.text().startswith(f"Exported 2 products to {out}.") and "48 products were left out" in summary.text()
    assert len(summary.detailedText().splitlines()) == 48
    summary.close()
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    assert [r["categories"] for r in rows] == ["tshirts", "sandals"]
    with qtbot.waitSignal(window.controller.exported, timeout=60_000) as done:
        window.controller.export(out=out, labels=True, include_unaccepted=True)
    assert done.args[0].rows == 50


def test_a_refused_attribute_value_is_a_message(window):
    session = window.controller.session
    pid = session.products[0].product_id
    window.controller.decide("override", pid, "sweaters")
    window.grid.select_product(pid)
    model = window.panel.attributes
    colour_row = next(r for r in range(model.rowCount()) if model.rows[r][0].code == "base_colour")
    refused = []
    model.refused.connect(refused.append)
    assert not model.setData(model.index(colour_row, 1), "not-a-colour")
    assert refused and ("base_colour" in refused[0] or "Base colour" in refused[0])
    assert session.attribute_value(pid, "base_colour") == ""


@pytest.mark.slow
def test_a_job_finishing_after_another_delivery_was_opened_leaves_that_delivery_alone(window, qtbot, tmp_path):
    """Classify the demo, open another delivery while it runs: the demo's results go to the workspace only."""
    from tests.catalogue import demo_delivery

    c, errors, messages = model_loaded(window, qtbot)
    opened = hold_the_model(c)  # at its first chunk until the other delivery is open: the order is certain
    job = c.classify()
    done = []
    job.signals.finished.connect(lambda: done.append(True))
    other = demo_delivery(tmp_path / "other", 3)
    with qtbot.waitSignal(c.session_changed, timeout=60_000):
        c.open_delivery(other)
    assert not done
    with qtbot.waitSignal(job.signals.finished, timeout=600_000):
        opened.set()
    assert not errors, errors
    assert c.session.delivery.name == "other"
    assert c.session.predictions == {}
    assert window.grid_model.rowCount() == 3
    window.grid.select_product(c.session.products[1].product_id)  # no stale row pointing at the demo
    assert any("demo finished" in m for m in messages), messages
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        assert len(ws.predictions("demo")) == 50
        assert ws.predictions("other") == {}


def test_a_folder_without_products_is_refused_and_the_open_delivery_stays(window, qtbot, tmp_path):
    folder = tmp_path / "holiday-photos"
    folder.mkdir()
    (folder / "notes.txt").write_text("call the supplier on monday\n", encoding="utf-8")
    errors = []
    window.controller.failed.connect(lambda *a: errors.append(a))
    job = window.controller.open_delivery(folder)
    with qtbot.waitSignal(job.signals.finished, timeout=60_000):
        pass
    assert len(errors) == 1 and "The folder holiday-photos holds no products to review" in errors[0][1]
    assert window.controller.session.delivery.name == "demo"
    assert window.grid_model.rowCount() == 50
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        assert [d.name for d in ws.deliveries()] == ["demo"]


def test_the_delivery_report_lists_broken_rows_and_files(window, qtbot, tmp_path):
    from tests.catalogue import demo_delivery

    folder = demo_delivery(tmp_path / "broken", 4)
    with (folder / "products.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write("NW-999999,Mens Tops,Too many cells,FILA,INR 1,Black,,,,,,Mens,autumn,casual,,x,y\n")
    first = sorted((folder / "images").iterdir())[0]
    first.write_bytes(b"")
    messages = []
    window.controller.message.connect(messages.append)
    with qtbot.waitSignal(window.controller.session_changed, timeout=60_000):
        window.controller.open_delivery(folder)
    assert any("; 3 problems in the delivery (File > Delivery report…)" in m for m in messages), messages
    dialog = window.delivery_report()
    text = dialog.text.toPlainText()
    assert "more cells than the header" in text and "(line 6)" in text
    assert f"images/{first.name}" in text and "zero_byte: empty file (0 bytes)" in text
    assert "products without images" in text and "NW-999999 (line 6)" in text
    dialog.close()


@pytest.mark.slow
def test_cancelling_classification_shows_the_products_already_saved(window, qtbot):
    c, errors, messages = model_loaded(window, qtbot)
    c.settings.batch_size = 8  # several batches per chunk, so the cancel lands inside the second chunk
    job = c.classify()
    # The 50 demo products are saved in chunks of 32 on a CPU: cancel once the first chunk is in.
    job.signals.progress.connect(lambda done, total, _m: job.cancel() if done >= 32 else None)
    with qtbot.waitSignal(c.session_changed, timeout=600_000):
        pass
    assert not errors, errors
    assert len(c.session.predictions) == 32
    assert sum(1 for r in window.grid_model._rows if r.status != "unclassified") == 32
    assert any(m.startswith("Classification cancelled: 32 of 50 products are classified and saved") for m in messages)


def test_missing_attributes_are_counted_once_there_are_values(window):
    """Before mapping every card would say "N missing"; the count appears once attribute values exist."""
    session = window.controller.session
    session.set_predictions(fake_predictions(session))  # every product a t-shirt (which requires attributes)
    pid = session.products[0].product_id
    assert session.row(pid).missing == []
    session.values = {pid: {"brand": "FILA"}}
    missing = session.row(pid).missing
    assert missing and "brand" not in missing


@pytest.mark.slow
def test_closing_the_window_during_a_classification_starts_no_job_after_it(window, qtbot):
    import threading

    c, errors, _messages = model_loaded(window, qtbot)
    started = []
    c.job_started.connect(lambda _job, title: started.append(title))
    release = hold_the_model(c)
    job = c.classify()
    threading.Timer(0.3, release.set).start()  # lets the job see the cancel while the window closes
    window.close()
    qtbot.waitUntil(lambda: job.done, timeout=60_000)
    qtbot.wait(300)  # the cancelled signal and anything it would start
    assert started == ["Classifying"], started
    assert not errors, errors


def test_n_follows_the_grids_sort_and_c_moves_on_like_a_and_r(window, qtbot):
    from PySide6.QtCore import Qt, QTimer

    from icaam_desktop.gui.models.grid import Role

    session = window.controller.session
    predictions = fake_predictions(session)
    for i, prediction in enumerate(predictions):  # confidences in a shuffled order
        for level in prediction.levels:
            level.confidence = 0.5 + ((i * 37) % 50) / 100
    session.set_predictions(predictions)
    window._session_changed(session)
    window.filter_bar.sort.setCurrentText("confidence (low first)")
    visible = [window.proxy.index(r, 0).data(Role.PRODUCT_ID) for r in range(window.proxy.rowCount())]
    assert visible[:3] != [p.product_id for p in session.products][:3]  # the sort differs from the sheet
    window.grid.select_product(visible[0])
    window.next_review()
    assert window.grid.current_product_id() == visible[1]  # the next one on screen, not in the sheet

    def choose():
        qtbot.keyClicks(window._picker.search, "flip flop")
        qtbot.keyClick(window._picker.search, Qt.Key.Key_Return)

    QTimer.singleShot(200, choose)
    window.change_current()
    assert session.status(visible[1]) == "accepted"
    assert window.grid.current_product_id() == visible[2]  # C, like A and R, moves on


def test_reopening_shows_the_product_the_analyst_left_and_the_grid_has_the_keys(qtbot, tmp_path):
    from tests.gui.conftest import open_demo_window

    db = tmp_path / "ws.sqlite"
    first = open_demo_window(qtbot, db)
    pid = first.controller.session.products[17].product_id
    first.grid.select_product(pid)
    first.close()
    again = open_demo_window(qtbot, db)
    try:
        assert again.grid.current_product_id() == pid
        with qtbot.waitActive(again):
            again.show()
            again.activateWindow()
        again._after_show(demo=False, load_model=False)
        qtbot.waitUntil(lambda: again.controller._refill_job is None and not again.controller.jobs, timeout=30_000)
        assert again.focusWidget() is again.grid
    finally:
        again.close()


def test_the_status_bar_names_the_running_job_beside_its_message(window, qtbot):
    from icaam_desktop.gui.workers import Job

    status = window.status
    release = []
    job = Job(lambda progress, cancel: (progress(1, 4, "reading photos"), qtbot.waitUntil(lambda: release)), name="t")
    status.track(job, "Classifying")
    status.progress.message.emit("reading photos")
    assert status.label.text() == "Classifying: reading photos"
    window.resize(900, 600)
    assert status.label.width() >= 150  # never squeezed to nothing by a long note
    status.show_message("x" * 400)
    assert status.label.width() >= 150


def test_the_picker_prefers_the_category_named_exactly():
    from icaam_desktop.gui.views.taxonomy_picker import match_rank

    assert match_rank("shirts", "Shirts", "shirts") < match_rank("shirts", "Lounge Tshirts", "lounge_tshirts")
    assert match_rank("flip flop", "Flip Flops", "flip_flops") < match_rank("flip flop", "Sandals", "sandals")
    assert match_rank("casual shoes", "Casual Shoes", "casual_shoes") == 0


def test_typing_shirts_in_the_picker_selects_shirts(window, qtbot):
    from icaam_desktop.gui.views.taxonomy_picker import TaxonomyPicker

    session = window.controller.session
    picker = TaxonomyPicker(session.taxonomy, model=window.tree_model, parent=window)
    qtbot.keyClicks(picker.search, "shirts")
    assert picker.selected_code() == "shirts"
    picker.close()


def test_enter_in_a_value_editor_saves_the_value_and_does_not_accept_the_product(window, qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    session = predicted_and_active(window, qtbot)
    pid = session.products[2].product_id
    window.grid.select_product(pid)
    model, table = window.panel.attributes, window.panel.table
    row = next(r for r in range(model.rowCount()) if model.rows[r][0].code == "base_colour")
    table.setCurrentIndex(model.index(row, 1))
    table.edit(model.index(row, 1))
    editor = QApplication.focusWidget()
    assert editor is not None and editor.currentText() == ""  # an empty field, not "(none)" to type after
    qtbot.keyClicks(editor, "Black")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: session.attribute_value(pid, "base_colour") == "black")  # Qt commits it queued
    assert session.status(pid) == "review"  # Enter committed the value; it accepted nothing
    assert window.grid.current_product_id() == pid
    assert QApplication.focusWidget() is window.grid  # the review keys work again

    table.edit(model.index(row, 1))
    qtbot.keyClicks(QApplication.focusWidget(), "Blackish")  # not an option: said, value kept
    refused = []
    model.refused.connect(refused.append)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(refused))
    assert "'Blackish' is not one of its options" in refused[0]
    assert session.attribute_value(pid, "base_colour") == "black"


def test_a_search_that_matched_nothing_leaves_a_current_product_once_cleared(window, qtbot):
    pid = window.controller.session.products[30].product_id
    window.grid.select_product(pid)
    window.filter_bar.search.setText("zzzz-no-such-product")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0)
    window.filter_bar.search.clear()
    qtbot.waitUntil(lambda: window.grid.current_product_id() == pid)  # the one the panel still shows
    assert window.panel.product_id == pid


@pytest.mark.slow
def test_mapping_asked_for_during_classification_waits_for_the_categories(window, qtbot):
    """The mapper reads the predicted categories (which attributes each product needs): Ctrl+M while the
    classifier runs maps once it ends, instead of at once without them."""
    import threading

    c, errors, messages = model_loaded(window, qtbot)
    release = hold_the_model(c)
    c.classify()
    assert c.map_attributes() is None
    assert any("Mapping starts when the classification ends" in m for m in messages), messages
    assert c.map_attributes() is None  # asked twice: still one mapping afterwards
    seen = []
    c.mapping_changed.connect(lambda *_a: seen.append(len(c.session.predictions)))
    threading.Timer(0.2, release.set).start()
    qtbot.waitUntil(lambda: bool(seen), timeout=300_000)
    qtbot.wait(300)
    assert seen == [len(c.session.products)], seen  # one mapping, with every product classified
    assert not errors, errors
