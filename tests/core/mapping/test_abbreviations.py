"""Words cut short with a full stop ("Geschl.", "Baumw.") completed from the vocabulary, and German written without
umlauts ("gruen", "Groesse") read like the words with them."""

from __future__ import annotations

import pytest

from icaam_desktop.core.mapping.mapper import map_delivery
from icaam_desktop.core.mapping.vocab import W_ABBREVIATION, default_vocabulary


@pytest.fixture(scope="module")
def vocab():
    return default_vocabulary()


def _texts(readings) -> list[str]:
    return [r.text for r in readings]


@pytest.mark.parametrize(
    ("header", "full", "english"),
    [
        ("Geschl.", "geschlecht", "gender"),
        ("Must.", "muster", "pattern"),
        ("Ausschn.", "ausschnitt", "neckline"),
        ("Compo.", None, "composition"),  # composition / composizione / composición: every one reads "composition"
    ],
)
def test_a_header_cut_short_is_completed_from_the_header_words(vocab, header, full, english):
    readings = vocab.header_readings(header)
    completed = [r for r in readings if "completed as" in r.how]
    assert len(completed) == 1
    assert f"'{header.lower()}' completed as" in completed[0].how
    assert full is None or completed[0].text == full
    # Less sure than an abbreviation the tables list, and the translation no surer than the completion.
    assert completed[0].weight < W_ABBREVIATION
    assert english in _texts(readings)
    assert max(r.weight for r in readings if r.text == english) <= completed[0].weight


@pytest.mark.parametrize(
    ("value", "english"),
    [
        ("Baumw.", "cotton"),
        ("Freiz.", "leisure"),
        ("multicol.", "multi"),
        ("bleu mar.", "navy blue"),  # "mar" alone could be marron too; after "bleu" it is "bleu marine"
        ("Baumw.mischung", "cotton blend"),  # the letters before a full stop inside a token
        ("dkl.blau", "dark blue"),
    ],
)
def test_a_value_cut_short_reads_as_the_full_word(vocab, value, english):
    assert english in _texts(vocab.value_readings(value))


def test_a_prefix_of_words_with_different_readings_is_left_alone(vocab):
    # "mar" starts marine (navy), marron (brown), marfil (ivory): no guess. With "bleu" before it, only "bleu marine".
    assert not [r for r in vocab.value_readings("mar.") if "completed" in r.how]
    assert "bleu marine" in _texts(vocab.value_readings("bleu mar."))
    # "must" starts "muster" among the header words, and "mustard" among the colour words: each table on its own.
    assert "muster" in _texts(vocab.header_readings("Must."))
    assert not [r for r in vocab.value_readings("must.") if "completed" in r.how]


def test_only_a_word_cut_short_by_a_full_stop_is_completed(vocab):
    assert "geschlecht" in _texts(vocab.header_readings("Geschl."))
    # No full stop, one letter saved, prose and file names: nothing is completed.
    assert not [r for r in vocab.header_readings("Geschl") if "completed" in r.how]
    assert "heren" not in _texts(vocab.value_readings("here."))
    assert not [
        r for r in vocab.value_readings("Für die Freizeit und den Sport gemacht. Baumw.") if "completed" in r.how
    ]
    assert not [r for r in vocab.value_readings("freiz.jpg") if "completed" in r.how]
    assert _texts(vocab.value_readings("Freiz.")) != ["freiz"]


def test_german_written_without_umlauts_reads_like_with_them(vocab):
    assert "green" in _texts(vocab.value_readings("gruen"))
    assert "size" in _texts(vocab.header_readings("Groesse"))
    assert "sleeve" in _texts(vocab.header_readings("Aermel"))
    assert "sleeve length" in _texts(vocab.header_readings("Aermellaenge"))
    assert "de" in {lang for lang, words in vocab.language_words.items() if "gruen" in words}
    # Only the words the tables spell with an umlaut: "ue" in general is not rewritten, and a spelling that is
    # already another word keeps its readings (Dutch "groen", Swedish "grön").
    assert _texts(vocab.value_readings("blue"))[0] == "blue"
    assert vocab.value_terms["groen"] == ["green"]


def test_a_sheet_of_cut_short_headers_maps_like_the_full_words(taxonomy, make_delivery):
    short = ["Art.-Nr.", "Bez.", "Fb.", "Mat.", "Geschl.", "Must.", "Ausschn."]
    full = ["Artikelnummer", "Bezeichnung", "Farbe", "Material", "Geschlecht", "Muster", "Ausschnitt"]
    colours, materials, genders = ["gruen", "weiss", "schwarz"], ["Baumw.", "Polyest.", "Baumw."], ["Damen", "Herren"]
    patterns, necks = ["uni", "gestreift", "kariert"], ["Rundhals", "V-Ausschn.", "Polokragen"]
    rows = [
        [f"A{i}", f"Shirt {i}", colours[i % 3], materials[i % 3], genders[i % 2], patterns[i % 3], necks[i % 3]]
        for i in range(12)
    ]
    by_short = map_delivery(make_delivery(short, rows), taxonomy, use_embeddings=False)
    by_full = map_delivery(make_delivery(full, rows), taxonomy, use_embeddings=False)
    found = {c: by_short.attributes_of(c) for c in short}
    assert found == {s: by_full.attributes_of(f) for s, f in zip(short, full, strict=True)}
    assert found["Geschl."] == ["gender"] and found["Must."] == ["pattern"] and found["Ausschn."] == ["neck"]
    values = {(v.attribute, v.supplier_value): v.option_code for v in by_short.values}
    assert values[("base_colour", "gruen")] == "green"
    assert values[("neck", "V-Ausschn.")] == "v_neck"
    assert values[[k for k in values if k[1] == "Baumw."][0]] == "cotton"
