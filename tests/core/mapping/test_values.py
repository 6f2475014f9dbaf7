"""Supplier values onto the real taxonomy's option codes: synonyms, abbreviations, five languages, typos."""

from __future__ import annotations

import pytest

from icaam_desktop.core.mapping.model import SOURCE_MEMORY, SupplierMemory
from icaam_desktop.core.mapping.values import normalise_value


def code(taxonomy, attribute: str, raw: str, **kwargs) -> str | None:
    return normalise_value(taxonomy.attributes[attribute], raw, **kwargs).option_code


@pytest.mark.parametrize(
    ("attribute", "raw", "expected"),
    [
        ("base_colour", "navy", "navy_blue"),
        ("base_colour", "BLK", "black"),
        ("base_colour", "gray", "grey"),
        ("base_colour", "Grey Marl", "grey_melange"),
        ("base_colour", "heather grey", "grey_melange"),
        ("base_colour", "mid blue", "blue"),
        ("base_colour", "Multicoloured", "multi"),
        ("sleeve_length", "S/S", "short_sleeves"),
        ("sleeve_length", "short sleeve", "short_sleeves"),
        ("sleeve_length", "SHORT", "short_sleeves"),
        ("sleeve_length", "3/4 sleeve", "three_quarter_sleeves"),
        ("sleeve_length", "full sleeve", "long_sleeves"),
        ("fabric", "100% cotton", "cotton"),
        ("fabric", "poly", "polyester"),
        ("material", "faux leather", "synthetic_leather"),
        ("gender", "Ladies", "women"),
        ("gender", "Mens", "men"),
        ("gender", "Kids - Boys", "boys"),
        ("season", "Autumn", "fall"),
        ("pattern", "plain", "solid"),
        ("pattern", "Stripes", "striped"),
        ("pattern", "plaid", "checked"),
        ("fit", "Slim", "slim_fit"),
        ("fit", "classic fit", "regular_fit"),
        ("neck", "crew neck", "round_neck"),
        ("neck", "vee neck", "v_neck"),
        ("usage", "office", "formal"),
        ("usage", "smart casual", "smart_casual"),
    ],
)
def test_english_synonyms_and_abbreviations(taxonomy, attribute, raw, expected):
    assert code(taxonomy, attribute, raw) == expected


# One row per language and vocabulary: colours, gender, season, sleeve, material, pattern, fit, occasion.
LANGUAGE_CASES = {
    "de": [
        ("base_colour", "Marineblau", "navy_blue"),
        ("base_colour", "Weiß", "white"),
        ("gender", "Damen", "women"),
        ("season", "Frühling", "spring"),
        ("sleeve_length", "Kurzarm", "short_sleeves"),
        ("sleeve_length", "3/4-Arm", "three_quarter_sleeves"),
        ("fabric", "Baumwolle", "cotton"),
        ("pattern", "Gestreift", "striped"),
        ("fit", "Schmal", "slim_fit"),
        ("usage", "Freizeit", "casual"),
    ],
    "fr": [
        ("base_colour", "Bleu marine", "navy_blue"),
        ("base_colour", "Gris", "grey"),
        ("gender", "Femme", "women"),
        ("season", "Automne", "fall"),
        ("sleeve_length", "Manches courtes", "short_sleeves"),
        ("material", "Cuir", "leather"),
        ("pattern", "Rayé", "striped"),
        ("fit", "Coupe droite", "regular_fit"),
        ("usage", "Soirée", "party"),
    ],
    "es": [
        ("base_colour", "Negro", "black"),
        ("base_colour", "Azul marino", "navy_blue"),
        ("gender", "Hombre", "men"),
        ("season", "Verano", "summer"),
        ("sleeve_length", "Manga larga", "long_sleeves"),
        ("fabric", "Algodón", "cotton"),
        ("pattern", "Cuadros", "checked"),
        ("fit", "Holgado", "loose_fit"),
        ("usage", "Deporte", "sports"),
    ],
    "it": [
        ("base_colour", "Rosso", "red"),
        ("base_colour", "Grigio", "grey"),
        ("gender", "Donna", "women"),
        ("season", "Inverno", "winter"),
        ("sleeve_length", "Senza maniche", "sleeveless"),
        ("fabric", "Lana", "wool"),
        ("pattern", "Tinta unita", "solid"),
        ("fit", "Attillato", "slim_fit"),
        ("usage", "Tradizionale", "ethnic"),
    ],
    "nl": [
        ("base_colour", "Zwart", "black"),
        ("base_colour", "Donkerblauw", "navy_blue"),
        ("gender", "Heren", "men"),
        ("season", "Herfst", "fall"),
        ("sleeve_length", "Korte mouwen", "short_sleeves"),
        ("material", "Kunstleer", "synthetic_leather"),
        ("pattern", "Gestreept", "striped"),
        ("fit", "Ruim", "loose_fit"),
        ("usage", "Zakelijk", "formal"),
    ],
}


@pytest.mark.parametrize(
    ("language", "attribute", "raw", "expected"),
    [(lang, *case) for lang, cases in LANGUAGE_CASES.items() for case in cases],
)
def test_values_in_each_language(taxonomy, language, attribute, raw, expected):
    match = normalise_value(taxonomy.attributes[attribute], raw)
    assert match.option_code == expected, (language, match.reasons)
    assert match.reasons and match.confidence > 0.5


def test_accents_may_be_missing(taxonomy):
    assert code(taxonomy, "base_colour", "Weiss") == "white"
    assert code(taxonomy, "season", "Fruhling") == "spring"


def test_typos_are_caught_by_fuzzy_matching(taxonomy):
    match = normalise_value(taxonomy.attributes["base_colour"], "Burgundyy")
    assert match.option_code == "burgundy" and "spelled like" in match.reasons[0]
    assert code(taxonomy, "pattern", "Strped") == "striped"


@pytest.mark.parametrize(("attribute", "raw"), [("base_colour", "qwerty"), ("season", "Polka zebra"), ("gender", "42")])
def test_unmapped_values_are_reported_not_guessed(taxonomy, embedder, attribute, raw):
    match = normalise_value(taxonomy.attributes[attribute], raw, embedder=embedder)
    assert match.option_code is None and match.confidence == 0.0
    assert "no option" in match.reasons[0]


def test_memory_wins_and_says_so(taxonomy):
    memory = SupplierMemory("acme", values={("base_colour", "Petrol"): "turquoise_blue"})
    match = normalise_value(taxonomy.attributes["base_colour"], "Petrol", memory=memory)
    assert (match.option_code, match.source) == ("turquoise_blue", SOURCE_MEMORY)
    assert code(taxonomy, "base_colour", "Petrol") == "teal"  # without memory: the vocabulary's reading


def test_compositions_take_the_main_fibre(taxonomy):
    assert code(taxonomy, "fabric", "60% cotton, 40% polyester") == "cotton_blend"
    assert code(taxonomy, "fabric", "95% Baumwolle 5% Elasthan") == "cotton"
    assert code(taxonomy, "fabric", "Polyester 65% Baumwolle 35%") == "polyester"


def test_several_colours_are_multi(taxonomy):
    match = normalise_value(taxonomy.attributes["base_colour"], "Navy & White")
    assert match.option_code == "multi" and "several options" in match.reasons[0]
    assert code(taxonomy, "base_colour", "Schwarz/Weiß") == "multi"
    assert code(taxonomy, "gender", "Men/Women") == "unisex"
    assert code(taxonomy, "season", "Summer/Winter") is None  # no "several" option there: reported, not guessed


@pytest.mark.parametrize(
    ("attribute", "raw", "expected"),
    [
        ("base_colour", "Cuoio", "tan"),  # Italian "leather": as a colour, tan
        ("material", "Cuoio", "leather"),
        ("usage", "vestir", "formal"),  # Spanish "ropa de vestir": clothes for dressing up
        ("usage", "Ropa de vestir", "formal"),
        ("fabric", "gemengd", "blended"),  # Dutch "mixed": a blend for a fabric, several materials for a shoe
        ("material", "gemengd", "other"),
        ("base_colour", "grijs/wit", "multi"),  # "grijs" ends in s but is no plural
        ("base_colour", "Grijs / Wit", "multi"),
    ],
)
def test_everyday_words_the_vocabulary_had_missed(taxonomy, attribute, raw, expected):
    match = normalise_value(taxonomy.attributes[attribute], raw)
    assert match.option_code == expected, match.reasons


@pytest.mark.parametrize(
    ("attribute", "raw", "expected"),
    [
        ("base_colour", "Mittelblau", "blue"),  # German "mittel" (medium) in a compound, like hell- and dunkel-
        ("base_colour", "mittelgrau", "grey"),
        ("base_colour", "mellanblå", "blue"),  # Swedish, Dutch and Danish medium shades
        ("base_colour", "middelblauw", "blue"),
        ("base_colour", "mellemblå", "blue"),
        ("pattern", "med tryck", "printed"),  # Swedish "with print"
        ("pattern", "Tryck", "printed"),
        ("fabric", "bomull/polyester", "cotton_blend"),  # fibres listed without shares: a blend, as 60/40 is
        ("fabric", "Cotton/Polyester", "cotton_blend"),
        ("fabric", "Polyester/Cotton", "cotton_blend"),
    ],
)
def test_medium_shades_swedish_print_and_listed_blends(taxonomy, attribute, raw, expected):
    match = normalise_value(taxonomy.attributes[attribute], raw)
    assert match.option_code == expected, match.reasons


@pytest.mark.parametrize(
    ("attribute", "raw", "expected"),
    [
        ("base_colour", "fekete", "black"),
        ("base_colour", "sötétkék", "navy_blue"),
        ("gender", "Női", "women"),
        ("season", "ősz", "fall"),
        ("sleeve_length", "rövid ujjú", "short_sleeves"),
        ("fabric", "100% PAMUT", "cotton"),
        ("pattern", "csíkos", "striped"),
        ("usage", "hétköznapi", "casual"),
        ("base_colour", "negru", "black"),
        ("base_colour", "bleumarin", "navy_blue"),
        ("gender", "Bărbați", "men"),
        ("season", "Iarnă", "winter"),
        ("sleeve_length", "Fără mâneci", "sleeveless"),
        ("fabric", "Bumbac", "cotton"),
        ("pattern", "în dungi", "striped"),
        ("fit", "Lejer", "loose_fit"),
    ],
)
def test_hungarian_and_romanian_values(taxonomy, attribute, raw, expected):
    match = normalise_value(taxonomy.attributes[attribute], raw)
    assert match.option_code == expected, match.reasons


def test_a_placeholder_value_is_no_value(taxonomy):
    match = normalise_value(taxonomy.attributes["base_colour"], "n.v.t.")
    assert match.option_code is None and match.reasons == ["a placeholder for no value"]
