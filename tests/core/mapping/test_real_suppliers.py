"""End to end on both dev suppliers: the quality targets of the issue (truth read here, for scoring only)."""

from __future__ import annotations

import pytest

from icaam_desktop.core.delivery import open_delivery
from icaam_desktop.core.mapping.mapper import map_delivery

COLUMN_TARGET = 0.97
VALUE_TARGET = 0.93


def scores(result, column_truth, value_truth) -> tuple[float, float]:
    predicted: dict[str, set[str]] = {}
    for m in result.columns:
        bucket = predicted.setdefault(m.supplier_column, set())
        if m.attribute:
            bucket.add(m.attribute)
    values = {(v.attribute, v.supplier_value): v.option_code for v in result.values}
    columns_right = sum(predicted.get(c) == attrs for c, attrs in column_truth.items()) / len(column_truth)
    values_right = sum(values.get(k) == code for k, code in value_truth.items()) / len(value_truth)
    return columns_right, values_right


@pytest.mark.slow
@pytest.mark.parametrize("supplier", ["northwind", "contoso"])
@pytest.mark.parametrize("with_categories", [False, True], ids=["no-categories", "truth-categories"])
def test_targets_on_dev_suppliers(fashion, taxonomy, embedder, read_truth, supplier, with_categories):
    folder = fashion / "suppliers" / supplier
    column_truth, value_truth, category_truth = read_truth(folder / "truth")
    delivery = open_delivery(folder)
    categories = category_truth if with_categories else None
    result = map_delivery(delivery, taxonomy, categories=categories, embedder=embedder)
    columns_right, values_right = scores(result, column_truth, value_truth)
    assert columns_right >= COLUMN_TARGET
    assert values_right >= VALUE_TARGET
    assert len(result.products) == len(delivery.products)
    if with_categories:
        # every product knows its category's attributes; name, brand and gender come from the sheet
        some = next(iter(result.products.values()))
        assert some.category and {"name", "brand"} <= set(some.values)
        assert all("name" not in p.missing_required for p in result.products.values())
