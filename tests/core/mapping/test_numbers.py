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
