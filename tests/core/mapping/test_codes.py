"""Single-letter gender codes, read with their column: H and D everywhere, M, U and V by the column's language."""

from __future__ import annotations

import pytest

from icaam_desktop.core.mapping.codes import column_language, read_gender_letters
from icaam_desktop.core.mapping.mapper import map_delivery
from icaam_desktop.core.mapping.vocab import default_vocabulary


def readings(letters, language=None):
    found = read_gender_letters(letters, vocab=default_vocabulary(), language=language)
    return {letter: r.english for letter, r in found.items()}


@pytest.mark.parametrize(
    ("letters", "language", "expected"),
    [
        ("HD", None, {"h": "men", "d": "women"}),  # Herren/Damen, Heren/Dames, Herr/Dam: unambiguous
        ("HFU", None, {"h": "men", "f": "women", "u": "unisex"}),  # Homme/Femme
        ("HM", None, {"h": "men", "m": "women"}),  # only Hombre/Mujer has H and M: M is Mujer here
        ("MF", "es", {"m": "men", "f": "women"}),  # masculino/femenino
        ("UD", "it", {"u": "men", "d": "women"}),  # Uomo/Donna
        ("UD", None, {"u": "unisex", "d": "women"}),  # nothing says Italian: U keeps its usual sense
        ("MV", "nl", {"m": "men", "v": "women"}),  # Man/Vrouw
        ("V", "nl", {"v": "women"}),
        ("V", "es", {"v": "men"}),  # Varón
        ("V", None, {"v": None}),  # Vrouw or Varón: the column must say which
        ("MFW", None, {"m": "men", "f": "women", "w": "women"}),
    ],
)
def test_letters_are_read_together(letters, language, expected):
    assert readings(letters, language) == expected


def test_a_disputed_letter_keeps_its_international_sense_at_a_lower_confidence():
    found = read_gender_letters("UD", vocab=default_vocabulary())
    assert found["u"].confidence < found["d"].confidence
    assert "check" in found["u"].reason and "Uomo".lower() in found["u"].reason.lower()


def test_the_column_language_comes_from_its_header_and_words():
    vocab = default_vocabulary()
    assert column_language(vocab, ["Geslacht", "Heren", "Dames"]) == "nl"
    assert column_language(vocab, ["Genere", "Uomo", "Donna"]) == "it"
    assert column_language(vocab, ["Xyz"]) is None


def gender_values(taxonomy, make_delivery, header, cells):
    rows = [[f"P{i}", cell] for i, cell in enumerate(cells * 4)]
    result = map_delivery(make_delivery(["Id", header], rows), taxonomy, use_embeddings=False)
    assert result.attributes_of(header) == ["gender"]
    return {v.supplier_value: v.option_code for v in result.values if v.attribute == "gender"}


def test_a_dutch_gender_column_reads_v_as_vrouw(taxonomy, make_delivery):
    values = gender_values(taxonomy, make_delivery, "Geslacht", ["Heren", "Dames", "V", "H", "D", "Unisex"])
    assert values == {"Heren": "men", "Dames": "women", "V": "women", "H": "men", "D": "women", "Unisex": "unisex"}


def test_an_italian_gender_column_reads_u_as_uomo(taxonomy, make_delivery):
    values = gender_values(taxonomy, make_delivery, "Genere", ["Uomo", "Donna", "U", "D"])
    assert values == {"Uomo": "men", "Donna": "women", "U": "men", "D": "women"}


def test_a_spanish_h_m_column_reads_m_as_mujer(taxonomy, make_delivery):
    assert gender_values(taxonomy, make_delivery, "Sexo", ["H", "M"]) == {"H": "men", "M": "women"}


def test_an_english_m_f_column_is_unchanged(taxonomy, make_delivery):
    assert gender_values(taxonomy, make_delivery, "Gender", ["M", "F", "U"]) == {
        "M": "men",
        "F": "women",
        "U": "unisex",
    }


def test_v_in_a_neck_column_is_still_a_v_neck(taxonomy, make_delivery):
    rows = [[f"P{i}", cell] for i, cell in enumerate(["V", "Round", "Polo", "V-Neck"] * 4)]
    result = map_delivery(make_delivery(["Id", "Neckline"], rows), taxonomy, use_embeddings=False)
    values = {v.supplier_value: v.option_code for v in result.values if v.attribute == "neck"}
    assert values["V"] == "v_neck"


def test_a_letter_is_not_read_in_a_system_that_shares_no_other_letter_of_the_column():
    """H/D/K/U (Herren/Damen/Kinder/Unisex, header not understood): K is women only in Polish (kobieta) and Turkish
    (kadın), whose codes have no H or D, so K stays unread instead of being a sure "women"."""
    read = read_gender_letters(["H", "D", "K", "U"], vocab=default_vocabulary())
    assert (read["h"].english, read["d"].english) == ("men", "women")
    assert "k" not in read or read["k"].english is None
    assert read_gender_letters(["K", "M"], vocab=default_vocabulary())["k"].english == "women"  # Polish K/M
