"""Numbers, prices and years as suppliers write them."""

from __future__ import annotations

import pytest

from icaam_desktop.core.mapping.numbers import (
    column_decimal_separator,
    convert_price,
    currency_table,
    parse_number,
    parse_year,
)


@pytest.mark.parametrize(
    ("raw", "value", "currency"),
    [
        ("1.299,00", 1299.0, None),
        ("1299 INR", 1299.0, "INR"),
        ("INR 1,299.00", 1299.0, "INR"),
        ("€ 12,50", 12.5, "EUR"),
        ("12.50 EUR", 12.5, "EUR"),
        ("1 299,00", 1299.0, None),
        ("1,58", 1.58, None),
        ("Rs. 499", 499.0, "INR"),
        ("$5", 5.0, "USD"),
        ("£1,234.5", 1234.5, "GBP"),
        ("1.234.567", 1234567.0, None),
        ("1'299.90 CHF", 1299.9, "CHF"),
        ("1’299.90 CHF", 1299.9, "CHF"),  # the typographic apostrophe Swiss spreadsheets often carry
        ("R$ 1.299,00", 1299.0, "BRL"),  # the real, not the dollar inside its symbol
        ("US$ 12.50", 12.5, "USD"),
        ("A$ 5", 5.0, "AUD"),
        ("1 299,00 zł", 1299.0, "PLN"),
        ("499,00 zl", 499.0, "PLN"),  # the zloty typed in ASCII
        ("256,67 kr", 256.67, "SEK"),
        ("1 299 Kč", 1299.0, "CZK"),
        ("1.299,00 TL", 1299.0, "TRY"),
    ],
)
def test_parse_number_formats(raw, value, currency):
    parsed = parse_number(raw)
    assert parsed.value == pytest.approx(value)
    assert parsed.currency == currency
    assert parsed.problem == ""


def test_ambiguous_separator_follows_the_column():
    assert parse_number("1,049").value == 1049.0  # no evidence: thousands
    assert parse_number("1,049", decimal=",").value == pytest.approx(1.049)
    assert column_decimal_separator(["12,50", "3,99", "1,049"]) == ","
    assert column_decimal_separator(["1,299.00", "12.5"]) == "."


@pytest.mark.parametrize("junk", ["abc", "12 pieces of cake", "", "n/a"])
def test_junk_is_a_problem_not_a_crash(junk):
    parsed = parse_number(junk)
    assert parsed.value is None and parsed.problem


def test_conversion_to_the_attribute_unit_is_flagged():
    table = currency_table()
    converted = convert_price(parse_number("12,50 EUR"), unit="INR")
    assert converted.currency == "INR"
    assert converted.value == pytest.approx(12.5 * table.rate("EUR", "INR"), rel=1e-3)
    assert any("converted EUR->INR" in r and "check" in r for r in converted.reasons)
    # the header's currency applies when the cell has none
    assert convert_price(parse_number("10,00"), unit="INR", default_currency="EUR").currency == "INR"
    # same currency: untouched, no note
    same = convert_price(parse_number("1299 INR"), unit="INR")
    assert same.value == 1299.0 and not same.reasons


def test_unknown_currency_is_a_problem():
    from icaam_desktop.core.mapping.numbers import CurrencyTable, ParsedNumber

    table = CurrencyTable({"USD": 1.0}, {})
    result = convert_price(ParsedNumber("5 XYZ", 5.0, "XYZ"), unit="USD", currencies=table)
    assert result.value is None and "no reference rate" in result.problem


@pytest.mark.parametrize(
    ("raw", "year"), [("2012", 2012), ("2012.0", 2012), ("FW 2013", 2013), ("1850", None), ("12", None)]
)
def test_parse_year(raw, year):
    assert parse_year(raw) == year


def test_a_letter_symbol_only_counts_at_the_start_of_a_word():
    # "r$" inside "EUR$" is not the real; the table must not read the cell as BRL.
    assert currency_table().find("12 EUR$") == "EUR"  # the ISO code is more specific than the bare "$"
    assert currency_table().find("$12 CAD") == "CAD"
    assert currency_table().find("R$ 1.299,00") == "BRL" and currency_table().find("$ 12") == "USD"
    assert currency_table().find("r$ 12") == "BRL"


@pytest.mark.parametrize(
    ("raw", "value", "currency"),
    [
        ("1 488 Ft", 1488.0, "HUF"),
        ("12 990 Ft", 12990.0, "HUF"),
        ("120,50 lei", 120.5, "RON"),
        ("RON 120,50", 120.5, "RON"),
        ("45,90 лв.", 45.9, "BGN"),
        ("1.299,00 din.", 1299.0, "RSD"),
        ("1 299 ISK", 1299.0, "ISK"),
    ],
)
def test_european_currencies(raw, value, currency):
    parsed = parse_number(raw)
    assert (parsed.value, parsed.currency) == (pytest.approx(value), currency)
    assert currency_table().rate(currency, "INR") is not None


def test_letters_that_name_no_known_currency_are_kept_as_a_unit():
    parsed = parse_number("1 488 Qq")
    assert parsed.value == 1488.0 and parsed.currency is None and parsed.unit == "Qq"
    assert parse_number("1 488").unit == ""


def test_a_shared_symbol_follows_the_header():
    table = currency_table()
    assert table.find("12,50 kr.") == "SEK"  # "kr" alone: the most common of its currencies
    assert table.could_be("12,50 kr.", "DKK") and not table.could_be("12,50 €", "DKK")


def prices(taxonomy, make_delivery, header, cells):
    from icaam_desktop.core.mapping.mapper import map_delivery

    rows = [[f"P{i}", f"Shirt {i}", cell] for i, cell in enumerate(cells)]
    result = map_delivery(make_delivery(["Id", "Name", header], rows), taxonomy, use_embeddings=False)
    assert result.attributes_of(header) == ["price"]
    return [(p.values.get("price"), p.problems) for p in result.products.values()]


def test_a_forint_price_is_converted_from_huf(taxonomy, make_delivery):
    rate = currency_table().rate("HUF", "INR")
    for value, problems in prices(taxonomy, make_delivery, "Price", ["1 488 Ft", "12 990 Ft", "4 590 Ft"]):
        assert any("converted HUF->INR" in p for p in problems)
        assert float(value) in {round(x * rate, 2) for x in (1488, 12990, 4590)}


def test_a_leu_price_column_is_a_price(taxonomy, make_delivery):
    found = prices(taxonomy, make_delivery, "Price", ["120,50 lei", "89,90 lei", "45,00 lei"])
    assert all(value and any("converted RON->INR" in p for p in problems) for value, problems in found)


def test_a_price_in_an_unknown_currency_is_flagged_not_taken_as_the_columns(taxonomy, make_delivery):
    found = prices(taxonomy, make_delivery, "Price", ["12,50 €", "8,00 €", "1 488 Qq", "9,90 €"])
    value, problems = found[2]
    assert value is None and any("not a price in a currency I know" in p for p in problems)
    assert all(v is not None for v, _ in found[:2] + found[3:])


def test_a_bare_price_in_a_column_of_several_currencies_is_flagged(taxonomy, make_delivery):
    found = prices(taxonomy, make_delivery, "Price", ["12,50 €", "1 488 Ft", "990", "£4.50"])
    value, problems = found[2]
    assert value is None and any("mixes" in p for p in problems)


def test_kr_under_a_danish_header_is_danish(taxonomy, make_delivery):
    found = prices(taxonomy, make_delivery, "Pris (DKK)", ["12,50 kr.", "99,00 kr.", "45 kr."])
    assert all(any("converted DKK->INR" in p for p in problems) for _, problems in found)


def test_a_currency_code_in_lower_case_is_a_word_unless_it_stands_alone():
    table = currency_table()
    assert table.find("Retail price (all stores) EUR") == "EUR"
    assert table.find("Price for all sizes €") == "EUR"
    assert table.find("Preis € (try on)") == "EUR"
    assert table.find("price for all sizes") is None
    assert table.find("12,50 usd") == "USD" and table.find("Prix CHF") == "CHF"


@pytest.mark.parametrize(
    ("raw", "value", "currency"),
    [
        ("12,900원", 12900.0, "KRW"),  # the currency word glued to the number
        ("12900円", 12900.0, "JPY"),
        ("１２９００円", 12900.0, "JPY"),  # full-width digits from a Japanese keyboard
        ("￥1,299.00", 1299.0, "JPY"),  # full-width yen sign
        ("129.00元", 129.0, "CNY"),
        ("1 299,00 руб.", 1299.0, "RUB"),
        ("261 р.", 261.0, "RUB"),  # the short form beside руб. in one column
    ],
)
def test_east_asian_and_russian_prices(raw, value, currency):
    parsed = parse_number(raw)
    assert (parsed.value, parsed.currency, parsed.problem) == (pytest.approx(value), currency, "")


def test_a_yuan_header_says_which_yen_sign_is_meant(taxonomy, make_delivery):
    found = prices(taxonomy, make_delivery, "建议零售价（元）", ["¥129.00", "¥89.50", "¥1,299.00"])
    assert all(value and any("converted CNY->INR" in p for p in problems) for value, problems in found)


def test_a_yen_sign_in_a_chinese_sheet_is_the_yuan(taxonomy, make_delivery):
    from icaam_desktop.core.mapping.mapper import map_delivery

    columns = ["货号", "商品名称", "品牌", "零售价", "颜色"]
    rows = [[f"C{i}", f"品牌{i % 3} 男士T恤 {i}", f"品牌{i % 3}", f"¥{99 + i}.00", "黑色"] for i in range(12)]
    result = map_delivery(make_delivery(columns, rows), taxonomy, use_embeddings=False)
    assert result.attributes_of("零售价") == ["price"]
    rate = currency_table().rate("CNY", "INR")
    product = result.products["C0"]
    assert float(product.values["price"]) == round(99 * rate, 2)
    assert any("converted CNY->INR" in p for p in product.problems)
    [price] = [m for m in result.columns if m.supplier_column == "零售价"]
    assert "currency CNY" in " ".join(price.reasons) and "JPY" not in " ".join(price.reasons)


def test_a_price_without_currency_in_a_japanese_sheet_is_flagged(taxonomy, make_delivery):
    from icaam_desktop.core.mapping.mapper import map_delivery

    columns = ["品番", "商品名", "ブランド", "価格", "カラー"]
    rows = [
        [f"J{i}", f"ブランド{i % 3} Tシャツ {i}", f"ブランド{i % 3}", str(2290 + i * 130), "ブラック"]
        for i in range(12)
    ]
    result = map_delivery(make_delivery(columns, rows), taxonomy, use_embeddings=False)
    assert result.attributes_of("価格") == ["price"]
    product = result.products["J0"]
    assert product.values["price"] == "2290.00"  # the retailer's currency is assumed, as the sheet names none
    assert any("no currency given" in p and "JPY" in p for p in product.problems)


def test_a_cell_currency_that_disagrees_with_the_header_is_flagged(taxonomy, make_delivery):
    found = prices(taxonomy, make_delivery, "RRP £", ["$6.35", "$12.00", "$45.90"])
    assert all(any("the cell says USD but its header says GBP" in p for p in problems) for _, problems in found)
