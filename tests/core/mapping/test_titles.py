"""The column that names the products, read through the vocabulary: titles for the window in any language."""

from __future__ import annotations

import pytest

from icaam_desktop.core.mapping.titles import title_column


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["货号", "部门", "商品名称", "品牌", "颜色"], "商品名称"),
        (["Артикул", "Отдел", "Наименование", "Бренд"], "Наименование"),
        (["Κωδικός είδους", "Τμήμα", "Ονομασία προϊόντος", "Μάρκα"], "Ονομασία προϊόντος"),
        (["品番", "部門", "商品名", "ブランド"], "商品名"),
        (["ArtNr", "Marke", "Artikelbezeichnung"], "Artikelbezeichnung"),
        (["Style", "Label", "Item Description", "Colour"], "Item Description"),  # a label is a brand as often
        (["Code", "Brand", "Colour"], None),
    ],
)
def test_the_name_column_is_found_in_any_language(columns, expected):
    assert title_column(columns) == expected
