"""Mapping the demo delivery with the real mapper, then accepting and changing mappings from the view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from icaam_desktop.core.store import Workspace
from tests.gui.conftest import open_demo_window

pytestmark = pytest.mark.gui


@pytest.fixture
def mapped(qtbot, tmp_path):
    """The demo mapped by the real mapper (bundled MiniLM), through the window's Map action."""
    db = tmp_path / "ws.sqlite"
    window = open_demo_window(qtbot, db)
    errors = []
    window.controller.failed.connect(lambda *a: errors.append(a))
    with qtbot.waitSignal(window.controller.mapping_changed, timeout=300_000):
        window._map()
    assert not errors, errors
    yield window, db
    window.close()


def row_of(model, column):
    return next(i for i, r in enumerate(model.rows) if r.column == column)


def test_mapping_view_accept_change_none_and_values(mapped, qtbot):
    window, db = mapped
    view = window.mapping
    columns = view.columns
    assert columns.rowCount() == len(window.controller.session.delivery.sheet.columns) == 15
    colour = columns.rows[row_of(columns, "Colour")]
    assert colour.attributes == ["base_colour"] and colour.confidence > 0 and colour.reasons
    mapped = sum(1 for r in columns.rows if r.attributes)
    assert view.summary.text().startswith(f"{mapped} of 15 columns mapped · ") and 10 <= mapped <= 15
    assert view.attribute_combo.count() > 0
    # The value table of the selected attribute lists distinct supplier values, unmapped ones first (red).
    values = view.value_model
    assert values.rowCount() > 0
    flags = [v.option_code is None for v in values.rows]
    assert flags == sorted(flags, reverse=True)

    view.column_table.setCurrentIndex(columns.index(row_of(columns, "Colour"), 0))
    view.accept_column()
    view.column_table.setCurrentIndex(columns.index(row_of(columns, "Dept"), 0))
    view.none_column()
    with Workspace.open(db) as ws:
        matches = {m.supplier_column: m for m in ws.column_matches("demo")}
        memory = ws.supplier_memory(ws.supplier_of("demo"))
    assert matches["Colour"].attribute == "base_colour" and matches["Colour"].source == "analyst"
    assert memory.columns["Colour"] == ["base_colour"]
    assert memory.columns["Dept"] == []
    assert columns.rows[row_of(columns, "Colour")].accepted

    # A value: pick the gender attribute's table and set one value's option explicitly.
    i = view.attribute_combo.findData("gender")
    assert i >= 0
    view.attribute_combo.setCurrentIndex(i)
    row = next(r for r, v in enumerate(view.value_model.rows) if v.supplier_value.lower() in ("mens", "male", "men"))
    supplier_value = view.value_model.rows[row].supplier_value
    window.controller.accept_value("gender", supplier_value, "men")
    view.value_model.set_option(row, "men")
    with Workspace.open(db) as ws:
        stored = {(v.attribute, v.supplier_value): v for v in ws.value_matches("demo")}
    assert stored[("gender", supplier_value)].option_code == "men"
    assert stored[("gender", supplier_value)].source == "analyst"

    # Mapped values reach the product panel's attribute table.
    session = window.controller.session
    pid = session.products[0].product_id
    window.controller.decide("override", pid, "sweaters")
    assert session.attribute_value(pid, "brand")  # filled from the Brand column by the mapper
    window.grid.select_product(pid)
    model = window.panel.attributes
    brand_row = next(r for r in range(model.rowCount()) if model.rows[r][0].code == "brand")
    assert brand_row not in model.missing_rows()


def _answer_chooser(qtbot, view, act):
    """Run ``act(chooser)`` on the modal attribute chooser once it is open, then press OK."""
    from PySide6.QtCore import QTimer

    def step():
        chooser = view._chooser
        if chooser is None or not chooser.isVisible():
            QTimer.singleShot(20, step)
            return
        act(chooser)
        chooser.accept()

    QTimer.singleShot(0, step)
    view.change_column()


def test_change_keeps_a_column_with_two_attributes_and_can_set_several_or_none(mapped, qtbot):
    window, db = mapped
    view, columns = window.mapping, window.mapping.columns
    row = row_of(columns, "Colour")
    view.column_table.setCurrentIndex(columns.index(row, 0))
    seen = []
    _answer_chooser(qtbot, view, lambda chooser: seen.append(chooser.chosen()))
    assert seen == [["base_colour"]]  # the current mapping is preselected: OK alone changes nothing
    assert columns.rows[row].attributes == ["base_colour"]

    _answer_chooser(qtbot, view, lambda chooser: chooser.set_checked("colour_family"))
    assert sorted(columns.rows[row].attributes) == ["base_colour", "colour_family"]
    with Workspace.open(db) as ws:
        memory = ws.supplier_memory(ws.supplier_of("demo"))
    assert sorted(memory.columns["Colour"]) == ["base_colour", "colour_family"]

    def uncheck_all(chooser):
        for code in chooser.chosen():
            chooser.set_checked(code, False)

    _answer_chooser(qtbot, view, uncheck_all)
    assert columns.rows[row].attributes == []


def test_a_value_of_the_columns_other_attribute_is_not_shown_as_an_error(mapped):
    """Material feeds material (shoes) and fabric (clothes): "leather" under fabric is fine, grey, last, not counted."""
    window, _db = mapped
    view = window.mapping
    view.attribute_combo.setCurrentIndex(view.attribute_combo.findData("fabric"))
    rows = view.value_model.rows
    theirs = [i for i, v in enumerate(rows) if v.fits_other_attribute]
    assert theirs and theirs == list(range(len(rows) - len(theirs), len(rows)))  # listed last
    leather = next(i for i in theirs if rows[i].supplier_value.lower() == "leather")
    model = view.value_model
    assert model.data(model.index(leather, 1)) == "— (the other attribute's value) —"
    assert model.data(model.index(leather, 0), Qt.ItemDataRole.BackgroundRole) is None  # not red
    assert view.value_model.unmapped() == sum(v.option_code is None and not v.fits_other_attribute for v in rows)
    assert "0 supplier values without an option" in view.summary.text()


def test_a_changed_value_reaches_the_products_and_the_export_at_once(mapped, qtbot, tmp_path):
    """The analyst fixes one colour's option: every product with that colour, and the export, follow it."""
    from icaam_desktop.core.export import export_delivery

    window, db = mapped
    view, c = window.mapping, window.controller
    session = c.session
    i = view.attribute_combo.findData("base_colour")
    view.attribute_combo.setCurrentIndex(i)
    row, v = next((r, v) for r, v in enumerate(view.value_model.rows) if v.option_code)
    other = next(o.code for o in session.taxonomy.attributes["base_colour"].options if o.code != v.option_code)
    colour_column = next(r.column for r in view.columns.rows if "base_colour" in r.attributes)
    holders = [p.product_id for p in session.products if (p.row.get(colour_column) or "").strip() == v.supplier_value]
    assert holders and all(session.values[pid].get("base_colour") == v.option_code for pid in holders)

    with qtbot.waitSignal(c.values_refilled, timeout=60_000):
        c.accept_value("base_colour", v.supplier_value, other)
    assert [session.values[pid].get("base_colour") for pid in holders] == [other] * len(holders)

    for pid in holders:  # accepted categories, so the export writes them
        c.decide("override", pid, session.final_category(pid) or "tshirts")
    qtbot.waitUntil(lambda: c._refill_job is None, timeout=60_000)
    out = tmp_path / "export.csv"
    with Workspace.open(db) as ws:
        export_delivery(ws, delivery="demo", out=out)
    rows = out.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(";")
    cells = {r.split(";")[0]: dict(zip(header, r.split(";"), strict=False)) for r in rows[1:]}
    assert {cells[pid]["base_colour"] for pid in holders} == {other}


def test_a_refill_redraws_the_changed_cards_only_and_keeps_the_selection(mapped, qtbot):
    """Setting the colour column to none: the cards of the products that had a colour now say it is missing
    (and the panel too), only those rows are redrawn, and the analyst stays on the same product, scrolled
    where they were."""
    from icaam_desktop.gui.models.grid import Role

    window, _ = mapped
    c, session, model = window.controller, window.controller.session, window.grid_model
    for p in session.products:  # a category each, so every card knows its required attributes
        c.decide("override", p.product_id, "tshirts")
    qtbot.waitUntil(lambda: c._refill_job is None and c._refill_wanted is False, timeout=60_000)
    coloured = {p.product_id for p in session.products if session.values.get(p.product_id, {}).get("base_colour")}
    assert 0 < len(coloured) < len(session.products)  # some demo rows have no colour: their cards must not change
    current = sorted(coloured)[len(coloured) // 2]
    assert window.grid.select_product(current)
    scrolled = window.grid.verticalScrollBar().value()
    before = {p.product_id: list(model.product_row(model.row_for(p.product_id)).missing) for p in session.products}
    assert all("base_colour" not in before[pid] for pid in coloured)
    redrawn: list[int] = []
    model.dataChanged.connect(lambda top, bottom, *_: redrawn.extend(range(top.row(), bottom.row() + 1)))

    with qtbot.waitSignal(c.values_refilled, timeout=60_000):
        c.accept_column("Colour", [])

    for p in session.products:  # every card shows what the session now says is missing
        pid = p.product_id
        assert model.product_row(model.row_for(pid)).missing == session.missing_required(pid)
    assert {pid for pid in before if model.product_row(model.row_for(pid)).missing != before[pid]} == coloured
    assert all("base_colour" in session.missing_required(pid) for pid in coloured)
    assert sorted(redrawn) == sorted(model.row_for(pid) for pid in coloured)  # those rows, each once
    index = window.proxy.mapFromSource(model.index(model.row_for(current), 0))
    assert index.data(Role.MISSING) == len(before[current]) + 1
    assert "base_colour" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert window.grid.current_product_id() == current and window.panel.product_id == current
    assert window.grid.verticalScrollBar().value() == scrolled
    attributes = window.panel.attributes
    colour_row = next(r for r, (spec, _) in enumerate(attributes.rows) if spec.code == "base_colour")
    assert attributes.value(colour_row) == ""
    qtbot.waitUntil(lambda: c._refill_job is None, timeout=60_000)


def test_the_counts_follow_each_decision_and_the_filter_finds_values(mapped, qtbot):
    window, _ = mapped
    view = window.mapping
    view.attribute_combo.setCurrentIndex(view.attribute_combo.findData("base_colour"))
    before = view.value_model.unmapped()
    row = next(r for r, v in enumerate(view.value_model.rows) if v.option_code)
    view.value_table.setCurrentIndex(view.value_model.index(row, 0))
    view.none_value()
    assert view.value_model.unmapped() == before + 1
    assert view.unmapped_label.text() == f"{before + 1} unmapped"
    assert f"{before + 1} unmapped" in view.attribute_combo.currentText()
    assert view.value_model.rows[row].reasons == ["accepted by the analyst"]  # not the mapper's old "why"

    needle = view.value_model.rows[-1].supplier_value
    view.value_filter.setText(needle)
    shown = [r for r in range(view.value_model.rowCount()) if not view.value_table.isRowHidden(r)]
    assert shown and all(
        needle.casefold() in view.value_model.rows[r].supplier_value.casefold()
        or needle.casefold()
        in view.value_model.option_label("base_colour", view.value_model.rows[r].option_code).casefold()
        for r in shown
    )


def test_an_attribute_no_column_gives_is_filled_for_every_product_and_undone_at_once(mapped, qtbot):
    from PySide6.QtCore import QTimer

    window, db = mapped
    c, session = window.controller, window.controller.session
    for p in session.products:  # categories, so every product knows its required attributes
        c.decide("override", p.product_id, "tshirts")
    missing = session.missing_counts()
    assert missing.get("age_group") == 50  # the demo sheet has no age column

    def choose():
        dialog = window._fill_dialog
        dialog.attribute.setCurrentIndex(dialog.attribute.findData("age_group"))
        dialog.option.setCurrentText("Adults-Men")
        assert dialog.chosen() == ("age_group", "adults_men")
        dialog.accept()

    QTimer.singleShot(100, choose)
    window.mapping.fill_button.click()
    assert "age_group" not in session.missing_counts()
    assert {session.attribute_value(p.product_id, "age_group") for p in session.products} == {"adults_men"}
    with Workspace.open(db) as ws:
        assert sum(1 for d in ws.decisions("demo") if d.field == "age_group") == 50
    notes = []
    c.message.connect(notes.append)
    assert c.undo() is None  # one undo takes the whole fill back, and the grid stays where it is
    assert session.missing_counts().get("age_group") == 50
    assert notes[-1] == "Undid Age group on 50 products"
    qtbot.waitUntil(lambda: c._refill_job is None, timeout=60_000)


def test_a_price_column_converted_from_another_currency_asks_for_a_look(qtbot):
    from icaam_desktop.gui.models.mapping import LOW_BRUSH, ColumnMappingModel, ColumnRow

    model = ColumnMappingModel()
    rows = [
        ColumnRow("Preis EUR", ["price"], 0.9, reasons=["converted from EUR to INR at a reference rate: check"]),
        ColumnRow("Price", ["price"], 0.9, reasons=["100% numbers, currency INR"]),
        ColumnRow("Notes", [], 0.8, samples=["call us"]),  # values that feed nothing: worth a look
        ColumnRow("Bild", [], 0.8, samples=["a.jpg"], image=True),  # the image column: expected to feed nothing
    ]
    model.set_rows(rows, None)
    background = [model.data(model.index(r, 0), Qt.ItemDataRole.BackgroundRole) for r in range(4)]
    assert background == [LOW_BRUSH, None, LOW_BRUSH, None]


def test_a_fill_can_be_limited_to_the_products_the_grid_shows(mapped, qtbot):
    from PySide6.QtCore import QTimer

    window, _ = mapped
    c, session = window.controller, window.controller.session
    for i, p in enumerate(session.products):
        c.decide("override", p.product_id, "tshirts" if i < 20 else "sandals")
    window.filter_bar.category.setCurrentIndex(window.filter_bar.category.findData("footwear"))
    assert window.proxy.rowCount() == 30

    def choose():
        dialog = window._fill_dialog
        assert dialog.only_shown.isVisible() and dialog.only_shown.isChecked()
        dialog.attribute.setCurrentIndex(dialog.attribute.findData("age_group"))
        dialog.option.setCurrentText("Adults-Women")
        dialog.accept()

    QTimer.singleShot(100, choose)
    window.mapping.fill_button.click()
    filled = {p.product_id for p in session.products if session.attribute_value(p.product_id, "age_group")}
    assert len(filled) == 30 and all(session.final_category(pid) == "sandals" for pid in filled)
    qtbot.waitUntil(lambda: c._refill_job is None, timeout=60_000)


def test_without_a_workspace_one_undo_also_takes_a_whole_fill_back(window):
    """The session also runs without storage (its store failed to open): a fill is one undo there too."""
    from icaam_desktop.gui.models.session import ReviewSession

    shown = window.controller.session
    session = ReviewSession(delivery=shown.delivery, taxonomy=shown.taxonomy)
    for p in shown.products[:5]:
        session.override(p.product_id, "tshirts")
    assert len(session.fill_missing("age_group", "adults_men")) == 5
    assert session.undo() is not None and session.last_undone == ("age_group", 5)
    assert session.missing_counts().get("age_group") == 5
    assert session.final_category(shown.products[4].product_id) == "tshirts"  # the overrides stay


def test_a_refill_worked_out_before_a_decision_is_worked_out_again(window):
    """The refill's worker works out the changed cards; a category chosen while it ran changes the product's
    required attributes, so the GUI thread works them out again instead of showing the worker's stale list."""
    session = window.controller.session
    first, second = (p.product_id for p in session.products[:2])
    for pid in (first, second):
        session.override(pid, "tshirts")
    session.values = {p.product_id: {"brand": "acme"} for p in session.products}
    values = {pid: dict(v) for pid, v in session.values.items()}
    values[first]["base_colour"] = values[second]["base_colour"] = "red"

    refill = session.refill_changes(values, only=None)  # on the worker
    assert set(refill.missing) == {first, second}
    assert "sleeve_length" in refill.missing[first]  # required for t-shirts
    session.override(first, "sandals")  # meanwhile, on the GUI thread
    missing = session.take_refill(refill, only=None)

    assert session.values is values
    assert missing[first] == session.missing_required(first) and "sleeve_length" not in missing[first]
    assert missing[second] == session.missing_required(second) and "base_colour" not in missing[second]

    only = session.take_refill(session.refill_changes({second: {"brand": "acme"}}, only={second}), only={second})
    assert only == {second: session.missing_required(second)} and "base_colour" in only[second]
    assert session.values[first]["base_colour"] == "red"  # a refill of some products keeps the others' values


def test_cards_of_a_chinese_delivery_show_the_product_names(window):
    """The name column is read through the vocabulary (商品名称), not only English/German header words."""
    from icaam_desktop.gui.models.session import ReviewSession
    from tests.core.mapping.conftest import build_delivery

    delivery = build_delivery(
        ["货号", "商品名称", "品牌"], [["HZ1", "男士纯棉T恤", "海澜"], ["HZ2", "女士连衣裙", "海澜"]]
    )
    session = ReviewSession(delivery=delivery, taxonomy=window.controller.session.taxonomy)
    assert [session.row(pid).title for pid in ("HZ1", "HZ2")] == ["男士纯棉T恤", "女士连衣裙"]


def test_typing_in_the_attribute_chooser_and_pressing_enter_takes_the_highlighted_attribute(mapped, qtbot):
    """Like the category picker: type, Down to the wanted one, Enter. Nothing ticked by hand, so the highlighted
    attribute becomes the column's only one."""
    from PySide6.QtCore import Qt

    window, _db = mapped
    view, columns = window.mapping, window.mapping.columns
    row = row_of(columns, "Colour")
    view.column_table.setCurrentIndex(columns.index(row, 0))

    def type_and_move(chooser):
        qtbot.keyClicks(chooser.filter, "colour")
        first = chooser.list.currentItem().data(Qt.ItemDataRole.UserRole)
        qtbot.keyClick(chooser.filter, Qt.Key.Key_Down)  # the list moves, the filter keeps the focus
        moved.append((first, chooser.list.currentItem().data(Qt.ItemDataRole.UserRole)))

    moved = []
    _answer_chooser(qtbot, view, type_and_move)
    first, chosen = moved[0]
    assert chosen != first
    assert columns.rows[row].attributes == [chosen]


def test_a_mapped_value_says_which_supplier_cell_it_came_from(mapped):
    """The panel's tooltip on a value: the supplier's cell as written, and for a converted price, that it was
    converted at a reference rate."""
    from PySide6.QtCore import Qt

    window, _db = mapped
    session = window.controller.session
    product = next(p for p in session.products if session.attribute_value(p.product_id, "base_colour"))
    window.controller.decide("override", product.product_id, "tshirts")  # a category, so the panel lists attributes
    window.grid.select_product(product.product_id)
    model = window.panel.attributes
    model.show_product(session, product.product_id)
    row = next(i for i, (spec, _) in enumerate(model.rows) if spec.code == "base_colour")
    tip = model.data(model.index(row, 1), Qt.ItemDataRole.ToolTipRole)
    assert f"column “Colour”: “{product.row['Colour'].strip()}”" in tip
    session.decide(product.product_id, field="base_colour", value="red", note="attribute edited")
    assert "set by the analyst" in model.data(model.index(row, 1), Qt.ItemDataRole.ToolTipRole)
