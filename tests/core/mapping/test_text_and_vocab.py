"""Normal forms and the multilingual vocabulary: what headers and values are read as."""

from __future__ import annotations

import pytest

from icaam_desktop.core.mapping.text import fold_accents, is_file_name, match_key, normalise_text
from icaam_desktop.core.mapping.vocab import default_vocabulary


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("RRP (INR)", "rrp inr"),
        ("sleeveLength", "sleeve length"),
        ("SKU_Code", "sku code"),
        ("  Gender/Target ", "gender target"),
        ("Ärmellänge", "ärmellänge"),
        ("İlkbahar", "ilkbahar"),  # not "i lkbahar": the dot of the Turkish capital İ is not a separator
    ],
)
def test_normalise_text(raw, normal):
    assert normalise_text(raw) == normal


def test_match_key_folds_accents_and_plurals():
    assert fold_accents("weiß ärmellos") == "weiss armellos"
    assert match_key("Short Sleeves") == match_key("short sleeve") == "short sleeve"


def test_file_names():
    assert is_file_name("NW-101247.jpg") and is_file_name("https://cdn.example.com/a.png")
    assert not is_file_name("Navy Blue")


def readings(header: str) -> list[str]:
    return [r.text for r in default_vocabulary().header_readings(header)]


@pytest.mark.parametrize(
    ("header", "english"),
    [
        ("Clr", "colour"),
        ("slv len", "sleeve length"),
        ("Mat.", "material"),
        ("Art. Nr.", "article number"),
        ("Farbe", "colour"),  # de
        ("Ärmellänge", "sleeve length"),
        ("Geschlecht", "gender"),
        ("Couleur", "colour"),  # fr
        ("Longueur des manches", "sleeve length"),
        ("Color", "colour"),  # es
        ("Temporada", "season"),
        ("Colore", "colour"),  # it
        ("Vestibilità", "fit"),
        ("Kleur", "colour"),  # nl
        ("Mouwlengte", "sleeve length"),
        ("Merk", "brand"),
    ],
)
def test_header_readings_translate_and_expand(header, english):
    assert english in readings(header)


def test_currency_words_are_not_part_of_a_header_name():
    assert readings("RRP (INR)")[:2] == ["rrp", "price"]
    assert "price" in readings("Preis EUR")


def value_readings(value: str) -> list[str]:
    return [r.text for r in default_vocabulary().value_readings(value)]


def test_german_compounds_split_into_known_words():
    assert "cotton blend" in value_readings("Baumwollmischung")
    assert "brown" in value_readings("Hellbraun")  # hell + braun = light brown, then without the modifier


def test_value_readings_keep_the_raw_text_first():
    assert value_readings("navy")[0] == "navy"
    assert "navy blue" in value_readings("navy")


def test_run_together_words_are_cut_into_known_words():
    from icaam_desktop.core.mapping.text import split_joined_words

    words = frozenset({"base", "colour", "sleeve", "length", "article", "number"})
    assert split_joined_words("basecolour", words) == "base colour"
    assert split_joined_words("sleevelength", words) == "sleeve length"
    assert split_joined_words("colour", words) is None  # already a word
    assert split_joined_words("qwertyuiop", words) is None


def test_letters_without_a_unicode_decomposition_fold_to_ascii():
    # Polish, Danish/Norwegian and Croatian letters that NFKD leaves alone, as suppliers typing ASCII write them.
    assert fold_accents("żółty łódź rød đak") == "zolty lodz rod dak"
    assert match_key("Biały") == match_key("Bialy")


@pytest.mark.parametrize(
    ("value", "english"),
    [
        ("Preto", "black"),  # pt
        ("Manga comprida", "long sleeve"),
        ("Gola redonda", "round neck"),
        ("Outono", "autumn"),
        ("Marinblå", "navy blue"),  # sv
        ("Kortärmad", "short sleeve"),
        ("Dam", "women"),
        ("Granatowy", "navy blue"),  # pl
        ("Dekolt w serek", "v neck"),
        ("Bialy", "white"),  # pl typed without diacritics
        ("Krotki rekaw", "short sleeve"),
        ("Ermeløs", "sleeveless"),  # no
        ("Jente", "girls"),
        ("Kunstlæder", "synthetic leather"),  # da
        ("Výstřih do V", "v neck"),  # cs
        ("Pitkähihainen", "long sleeve"),  # fi
        ("Naisten", "women"),
        ("İLKBAHAR", "spring"),  # tr, capital dotted I
        ("KIŞ", "winter"),
        ("GRY - Grey Marl", "grey melange"),  # a supplier colour code beside the label
        ("schwarz (001)", "black"),
        ("SS24", "summer"),  # season codes glued to the year
        ("HW23", "autumn winter"),
        ("PE 2024", "spring summer"),
    ],
)
def test_value_readings_in_portuguese_swedish_and_polish(value, english):
    assert english in value_readings(value)


@pytest.mark.parametrize(
    ("header", "english"),
    [
        ("Comprimento da manga", "sleeve length"),
        ("Preço (R$)", "price"),
        ("Varumärke", "brand"),
        ("Halsringning", "neckline"),
        ("Cena brutto (zł)", "retail price"),
        ("Płeć", "gender"),
        ("Bez.", "description"),  # German trade abbreviation of Bezeichnung
        ("Silhouette", "fit"),
        ("Style Name", "name"),
    ],
)
def test_header_readings_in_more_languages(header, english):
    assert english in readings(header)


def test_a_language_file_dropped_into_the_folder_is_read(tmp_path):
    import json
    import shutil

    from icaam_desktop.core.mapping.vocab import Vocabulary, vocab_dir

    shutil.copy(vocab_dir() / "en.json", tmp_path / "en.json")
    table = {"language": "da", "headers": {"farve": "colour"}, "values": {"sort": "black"}}
    (tmp_path / "da.json").write_text(json.dumps(table), encoding="utf-8")
    vocab = Vocabulary.load(tmp_path)
    assert "colour" in [r.text for r in vocab.header_readings("Farve")]
    assert "black" in [r.text for r in vocab.value_readings("Sort")]


def test_a_code_beside_a_label_is_read_after_the_whole_value():
    readings = value_readings("Kids - Boys")
    assert readings[0] == "kids boys"
    assert readings.index("boys") > 0


def test_words_of_unspaced_scripts_are_found_inside_a_run(tmp_path):
    """Chinese and Japanese write words without spaces; Korean glues suffixes on (남성용 = for men)."""
    import json
    import shutil

    from icaam_desktop.core.mapping.vocab import Vocabulary, vocab_dir

    shutil.copy(vocab_dir() / "en.json", tmp_path / "en.json")
    tables = {
        "zh": {
            "headers": {"颜色": "colour", "商品": "product", "名称": "name"},
            "values": {"男士": "men", "t恤": "t-shirt", "黑": "black"},
        },
        "ja": {"headers": {"カラー": "colour"}, "values": {"ブラック": "black", "フラット": "flat"}},
        "ko": {"headers": {"색상": "colour"}, "values": {"남성": "men"}},
    }
    for language, table in tables.items():
        (tmp_path / f"{language}.json").write_text(json.dumps({"language": language, **table}), encoding="utf-8")
    vocab = Vocabulary.load(tmp_path)

    def values(text):
        return [r.text for r in vocab.value_readings(text)]

    assert "men t shirt" in values("男士T恤")
    assert "black" in values("黑")
    assert "product colour" in [r.text for r in vocab.header_readings("商品颜色")]
    assert "product name" in [r.text for r in vocab.header_readings("商品名称")]
    # The voicing mark tells ブ (bu) from フ (fu): black is not flat.
    assert "black" in values("ブラック") and "flat" not in values("ブラック")
    assert "men" in values("남성용")  # the suffix 용 (for) is dropped beside a known word
    assert "colour" in [r.text for r in vocab.header_readings("색상")]


def test_greek_final_sigma_and_capitals_fold_to_one_key():
    assert fold_accents(normalise_text("ΜΑΎΡΟΣ")) == fold_accents(normalise_text("μαύρος")) == "μαυροσ"


def test_latin_look_alikes_inside_cyrillic_and_greek_words_read_as_those_letters():
    """Ukrainian "Білий" typed with a Latin i, "Сірий" with a Latin C, Greek capitals with a Latin Y."""
    assert "white" in value_readings("Бiлий") and "grey" in value_readings("Cірий")
    assert "black" in value_readings("ΜΑYΡΟ")
    assert fold_accents("Tシャツ") == "Tシャツ"  # a Latin letter beside katakana is a word of its own kind


def test_label_reads_as_brand_first_and_drop_hints_at_the_season():
    """A line sheet's "Label" is the brand label as often as a product label; values decide between them."""
    assert readings("Label").index("brand") < readings("Label").index("name")
    assert default_vocabulary().hints(default_vocabulary().header_readings("Drop")) == {"season": "drop"}


def test_vowel_points_and_vowel_signs_stay_inside_their_word():
    """Arabic harakat and Hebrew niqqud are optional accents (folded away); Thai and Devanagari vowel signs are
    letters (kept). Neither may cut a word into pieces."""
    assert "black" in value_readings("أَسْوَد") and "black" in value_readings("שָׁחוֹר")
    assert normalise_text("เสื้อยืด สีดำ").split()[0] == "เสื้อยืด"
    assert fold_accents(normalise_text("सफ़ेद कमीज़")) == normalise_text("सफ़ेद कमीज़")
    assert fold_accents("ข้าว") != fold_accents("ขาว")  # rice and white: the tone mark is a letter


def test_thai_runs_and_hindi_spellings_are_read():
    """Thai writes words without spaces, long ones included; Hindi is written with or without the nukta."""
    assert "t shirt black" in value_readings("เสื้อยืดสีดำ")
    assert "polo" in " ".join(value_readings("เสื้อโปโลแขนสั้นสีกรมท่า"))
    assert "white" in value_readings("सफ़ेद") and "white" in value_readings("सफेद")
    assert "price" in readings("मूल्य (रु.)")
