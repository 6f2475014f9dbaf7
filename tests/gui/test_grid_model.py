"""The grid and taxonomy models pass Qt's model tester, with 40,000 products and the real tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSortFilterProxyModel
from PySide6.QtTest import QAbstractItemModelTester

from icaam_desktop.core.taxonomy import load_taxonomy
from icaam_desktop.gui.models.grid import ProductFilterProxy, ProductGridModel, Role
from icaam_desktop.gui.models.session import ProductRow
from icaam_desktop.gui.models.taxonomy_tree import CODE_ROLE, TaxonomyFilterProxy, TaxonomyTreeModel

pytestmark = pytest.mark.gui

STATUSES = ["auto", "review", "rejected", "accepted", "unclassified"]


def many_rows(n: int, taxonomy) -> list[ProductRow]:
    leaves = taxonomy.leaves()
    rows = []
    for i in range(n):
        leaf = leaves[i % len(leaves)]
        rows.append(
            ProductRow(
                product_id=f"P{i:06d}",
                title=f"{leaf.label} {i}",
                image=Path(f"/nonexistent/{i}.jpg"),
                n_images=1,
                status=STATUSES[i % 5],
                confidence=(i % 100) / 100,
                category_code=leaf.code,
                category_label=leaf.label,
                path=leaf.path,
                missing=["brand"] if i % 7 == 0 else [],
            )
        )
    return rows


@pytest.fixture(scope="module")
def taxonomy(taxonomy_dir):
    return load_taxonomy(taxonomy_dir)


def test_grid_model_with_40k_rows_passes_the_model_tester(qtbot, taxonomy):
    model = ProductGridModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_rows(many_rows(40_000, taxonomy))
    assert model.rowCount() == 40_000
    proxy = ProductFilterProxy()
    proxy.setSourceModel(model)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)

    proxy.set_filters(statuses={"review"})
    assert proxy.rowCount() == 8_000
    assert {proxy.index(i, 0).data(Role.STATUS) for i in range(proxy.rowCount())} == {"review"}

    footwear = next(c for c in taxonomy.level(1) if c.code == "footwear")
    subtree = set(taxonomy.subtree(footwear.code))
    proxy.set_filters(statuses=set(STATUSES), subtree=subtree, confidence_range=(0.2, 0.4), missing_only=True)
    for i in range(proxy.rowCount()):
        row = proxy.index(i, 0).data(Role.ROW)
        assert row.category_code in subtree and 0.2 <= row.confidence <= 0.4 and row.missing
    assert proxy.rowCount() > 0

    proxy.set_filters(subtree=None, confidence_range=(0.0, 1.0), missing_only=False)
    proxy.set_sort_key("confidence (low first)")
    confidences = [proxy.index(i, 0).data(Role.CONFIDENCE) for i in range(0, proxy.rowCount(), 997)]
    assert confidences == sorted(confidences)


def test_update_row_changes_one_row(qtbot, taxonomy):
    model = ProductGridModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    rows = many_rows(100, taxonomy)
    model.set_rows(rows)
    changed = rows[42]
    changed.status = "accepted"
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.update_row(changed)
    assert blocker.args[0].row() == 42
    assert model.index(42, 0).data(Role.STATUS) == "accepted"


def test_taxonomy_tree_model_and_type_ahead(qtbot, taxonomy):
    model = TaxonomyTreeModel(taxonomy)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert model.rowCount() == len(taxonomy.level(1))
    proxy = TaxonomyFilterProxy()
    proxy.setSourceModel(model)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)
    proxy.set_query("footwear sandal")
    matches = []

    def walk(parent):
        for r in range(proxy.rowCount(parent)):
            index = proxy.index(r, 0, parent)
            matches.append(index.data(CODE_ROLE))
            walk(index)

    walk(proxy.index(-1, -1))
    assert "sandals" in matches and "footwear" in matches
    assert "tshirts" not in matches


def test_taxonomy_filter_is_interactive_with_10k_categories(qtbot, taxonomy, tmp_path):
    big = tmp_path / "big"
    big.mkdir()
    lines = ["code;parent;label-en_US", "root;;Root"]
    for a in range(20):
        lines.append(f"a{a};root;Group {a}")
        for b in range(25):
            lines.append(f"a{a}_b{b};a{a};Family {a}.{b}")
            for c in range(20):
                lines.append(f"a{a}_b{b}_c{c};a{a}_b{b};Item {a}.{b}.{c}")
    (big / "categories.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (big / "attributes.csv").write_text("code;type;label-en_US;unit\nsku;pim_catalog_identifier;SKU;\n")
    (big / "attribute_options.csv").write_text("attribute;code;label-en_US\n")
    (big / "category_attributes.csv").write_text("category;attribute;required\n")
    tree = load_taxonomy(big)
    assert len(tree.categories) > 10_000
    model = TaxonomyTreeModel(tree)
    proxy = TaxonomyFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_query("item 7.3.1")
    top = {proxy.index(r, 0).data(CODE_ROLE) for r in range(proxy.rowCount())}
    assert top == {"a7", "a17"}  # "7.3.1" also occurs in "17.3.1"
    family = proxy.index(0, 0)
    assert proxy.rowCount(family) == 1 and isinstance(proxy, QSortFilterProxyModel)
