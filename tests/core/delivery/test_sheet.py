"""Reading product sheets the way suppliers write them: encodings, delimiters, quoting, bad headers."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from icaam_desktop.core.delivery import DeliveryError, read_sheet
from icaam_desktop.core.delivery.sheet import clean_headers, decode_sheet, detect_delimiter, find_sheets

GERMAN = "Artikelnummer;Bezeichnung;Preis EUR;Größe\r\n1001;Bär-Shirt für Männer;12,50 €;Maß\r\n1002;Straßenschuh;1.299,00 €;Weiß\r\n"


def _sheet(tmp_path: Path, content: bytes | str, name: str = "sheet.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def _cells(rows):
    return [row.cells for row in rows]


def test_utf8_bom_is_stripped_from_the_first_header(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, codecs.BOM_UTF8 + b"sku,name\nA1,Shirt\n"))
    assert info.encoding == "utf-8-sig"
    assert info.columns == ["sku", "name"]
    assert _cells(rows) == [{"sku": "A1", "name": "Shirt"}]


def test_plain_utf8(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, "sku;name\nA1;Café crème\n"))
    assert (info.encoding, info.delimiter) == ("utf-8", ";")
    assert rows[0].cells["name"] == "Café crème"


def test_cp1252_with_umlauts_sharp_s_and_euro(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, GERMAN, encoding="cp1252"))
    assert info.encoding == "cp1252"
    assert info.delimiter == ";"
    assert info.columns[-1] == "Größe"
    assert rows[0].cells["Bezeichnung"] == "Bär-Shirt für Männer"
    assert rows[0].cells["Preis EUR"] == "12,50 €"  # decimal comma stays a raw string
    assert rows[1].cells["Bezeichnung"] == "Straßenschuh"


def test_short_cp1252_sheet_is_not_taken_for_a_mac_code_page(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, "name,price\nStraße,2€\n", encoding="cp1252"))
    assert info.encoding == "cp1252"
    assert rows[0].cells == {"name": "Straße", "price": "2€"}


POLISH = "Indeks;Kolor;Płeć;Cena brutto (zł)\r\nPL1;Biały;Mężczyzna;129,00 zł\r\nPL2;Żółty;Kobieta;1 299,00 zł\r\n"


@pytest.mark.parametrize("text", [POLISH, "Indeks;Kolor\r\nPL1;Żółty\r\n"])
def test_short_polish_cp1250_sheet_is_not_read_as_a_western_or_baltic_code_page(tmp_path, text):
    # Read as cp1252 these become "Bia³y", "Mê¿czyzna": symbols inside words, which no language writes.
    info, rows = read_sheet(_sheet(tmp_path, text, encoding="cp1250"))
    assert info.encoding == "cp1250"
    assert rows[-1].cells["Kolor"] == "Żółty"


@pytest.mark.parametrize("text", [GERMAN, "name;x\r\nCafé crème;3½ x\r\nÉté à côté;Straße\r\n"])
def test_western_sheets_stay_cp1252_next_to_the_central_european_fallback(tmp_path, text):
    info, rows = read_sheet(_sheet(tmp_path, text, encoding="cp1252"))
    assert info.encoding == "cp1252"
    assert [list(r.cells.values()) for r in rows] == [line.split(";") for line in text.splitlines()[1:]]


def test_other_code_pages_are_left_to_the_detector(tmp_path):
    text = "имя;цена\nПлатье летнее красное;3,50\nРубашка мужская белая;4\n"
    info, rows = read_sheet(_sheet(tmp_path, text, encoding="cp1251"))
    assert info.encoding == "cp1251"
    assert rows[1].cells["имя"] == "Рубашка мужская белая"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(tmp_path, encoding):
    bom = codecs.BOM_UTF16_BE if encoding == "utf-16-be" else b""
    content = bom + GERMAN.encode(encoding)  # "utf-16" writes its own BOM (little-endian here)
    info, rows = read_sheet(_sheet(tmp_path, content))
    assert info.encoding.startswith("utf-16")
    assert info.columns == ["Artikelnummer", "Bezeichnung", "Preis EUR", "Größe"]
    assert rows[1].cells["Größe"] == "Weiß"


@pytest.mark.parametrize("name", ["Ärmel", "Sleeve"])  # pure ASCII in UTF-16 is also valid UTF-8
def test_utf16_without_bom(tmp_path, name):
    info, rows = read_sheet(_sheet(tmp_path, f"sku\tname\nA1\t{name}\n".encode("utf-16-le")))
    assert info.encoding == "utf-16-le"
    assert info.delimiter == "\t"
    assert rows[0].cells == {"sku": "A1", "name": name}
    assert info.warnings == []


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_each_delimiter(tmp_path, delimiter, name):
    header = delimiter.join(["id", "name", "colour", "price"])
    lines = [header] + [delimiter.join([f"P{i}", f"Item {i}", "Navy Blue", f"{i},50"]) for i in range(5)]
    if delimiter == ",":  # a comma in a value must be quoted when the delimiter is a comma
        lines = [header] + [f'P{i},Item {i},Navy Blue,"{i},50"' for i in range(5)]
    info, rows = read_sheet(_sheet(tmp_path, "\n".join(lines) + "\n", name="s.txt"))
    assert info.delimiter == delimiter
    assert name in info.delimiter_name
    assert info.columns == ["id", "name", "colour", "price"]
    assert rows[3].cells["price"] == "3,50"


def test_commas_inside_names_do_not_fool_the_semicolon_detection():
    text = "sku;name;price\n" + "".join(f"{i};Shirt, blue, slim;1,{i}9\n" for i in range(20))
    assert detect_delimiter(text) == ";"


def test_newlines_inside_quotes_keep_row_and_line_numbers(tmp_path):
    text = 'sku,description,colour\nA1,"two\nline text",Red\nA2,"a ""quoted"" word",Blue\nA3,plain,Green\n'
    info, rows = read_sheet(_sheet(tmp_path, text))
    assert [r.cells["sku"] for r in rows] == ["A1", "A2", "A3"]
    assert rows[0].cells["description"] == "two\nline text"
    assert rows[1].cells["description"] == 'a "quoted" word'
    assert [r.line for r in rows] == [2, 4, 5]  # A1 spans lines 2-3


def test_duplicate_and_blank_headers_are_renamed_with_warnings(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, "sku;Colour;colour;;Colour\nA1;Red;Rot;x;rouge\n"))
    assert info.columns == ["sku", "Colour", "colour (2)", "column_4", "Colour (3)"]
    assert rows[0].cells["Colour (3)"] == "rouge"
    assert rows[0].cells["column_4"] == "x"
    assert len(info.warnings) == 3
    assert any("blank" in w and "column_4" in w for w in info.warnings)


def test_clean_headers_never_collides():
    headers, _ = clean_headers(["Colour", "Colour (2)", "Colour"])
    assert len(set(headers)) == 3


def test_ragged_rows(tmp_path):
    text = "sku;name;colour\nA1;Shirt\nA2;Dress;Red;EXTRA;more\nA3;Hat;Blue;;\nA4;Sock;Black\n"
    info, rows = read_sheet(_sheet(tmp_path, text))
    assert rows[0].cells == {"sku": "A1", "name": "Shirt", "colour": "", "extra_1": "", "extra_2": ""}
    assert rows[1].cells["extra_1"] == "EXTRA" and rows[1].cells["extra_2"] == "more"
    assert info.columns == ["sku", "name", "colour", "extra_1", "extra_2"]
    warnings = " | ".join(info.warnings)
    assert "padded (line 2)" in warnings
    assert "extra_1..extra_2 (line 3)" in warnings
    assert "dropped (line 4)" in warnings


def test_blank_lines_are_skipped(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, "\nsku,name\n\nA1,Shirt\n\n\nA2,Dress\n"))
    assert info.columns == ["sku", "name"]
    assert [(r.line, r.cells["sku"]) for r in rows] == [(4, "A1"), (7, "A2")]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\r\n  \n"])
def test_empty_file_is_an_error(tmp_path, content):
    with pytest.raises(DeliveryError, match="sheet.csv is empty"):
        read_sheet(_sheet(tmp_path, content))


def test_header_only_file_gives_no_rows_and_a_warning(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, "sku;name;price\n"))
    assert info.columns == ["sku", "name", "price"]
    assert rows == []
    assert any("no product rows" in w for w in info.warnings)


def test_decode_prefers_bom_over_guessing():
    text, encoding = decode_sheet(codecs.BOM_UTF8 + "Größe".encode())
    assert (text, encoding) == ("Größe", "utf-8-sig")


def test_find_sheets_any_depth_case_insensitive_not_hidden(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    for rel in ["top.CSV", "a/b/deep.tsv", "a/notes.TXT", ".git/x.csv", ".hidden.csv", "a/image.jpg"]:
        (tmp_path / rel).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in find_sheets(tmp_path)]
    assert found == ["top.CSV", "a/notes.TXT", "a/b/deep.tsv"]


def test_links_out_of_the_delivery_are_not_part_of_it(tmp_path):
    """A symlink to a file elsewhere (/etc/passwd, a home folder) is never read or shown; one inside is."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("root:x:0:0\n")
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    (delivery / "products.csv").write_text("sku;name\nA1;Shirt\n")
    (delivery / "elsewhere.csv").symlink_to(outside / "secret.csv")
    (delivery / "alias.csv").symlink_to(delivery / "products.csv")
    found = sorted(p.name for p in find_sheets(delivery))
    assert found == ["alias.csv", "products.csv"]


def test_excel_sep_line_declares_the_delimiter(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, "sep=|\r\nsku|name, long\r\nA1|Shirt, blue\r\n"))
    assert info.delimiter == "|"
    assert info.columns == ["sku", "name, long"]
    assert rows[0].line == 3 and rows[0].cells["name, long"] == "Shirt, blue"


def test_nul_characters_are_removed_with_a_warning(tmp_path):
    info, rows = read_sheet(_sheet(tmp_path, b"sku;name\nA1;Sh\x00irt\n"))
    assert rows[0].cells["name"] == "Shirt"
    assert any("NUL" in w for w in info.warnings)


@pytest.mark.parametrize(
    "title",
    [
        "Listino prodotti Primavera/Estate 2026;;;\nFornitore: Moda Italia S.r.l.;;;\n;;;\n",  # padded by Excel
        "Productoverzicht leverancier Van Dijk - prijzen in EUR\n\n",  # no delimiter at all
    ],
)
def test_title_lines_above_the_header_are_skipped_with_a_warning(tmp_path, title):
    body = "Codice;Nome;Colore;Prezzo\n" + "".join(f"A{i};Maglia, blu;nero;12,50\n" for i in range(1, 21))
    info, rows = read_sheet(_sheet(tmp_path, title + body))
    assert info.delimiter == ";" and info.columns == ["Codice", "Nome", "Colore", "Prezzo"]
    assert len(rows) == 20 and rows[0].cells == {
        "Codice": "A1",
        "Nome": "Maglia, blu",
        "Colore": "nero",
        "Prezzo": "12,50",
    }
    header_line = title.count("\n") + 1
    assert rows[0].line == header_line + 1  # line numbers still those of the file
    assert [w for w in info.warnings if w.startswith(f"note: the header is on line {header_line};")]


def test_a_sparse_first_row_of_data_is_not_mistaken_for_a_title(tmp_path):
    text = "sku;name;colour;size\nA1;;;\nA2;Shirt;red;M\nA3;Dress;blue;S\n"
    info, rows = read_sheet(_sheet(tmp_path, text))
    assert info.columns == ["sku", "name", "colour", "size"]
    assert [r.cells["sku"] for r in rows] == ["A1", "A2", "A3"] and not info.warnings


@pytest.mark.parametrize(
    "text",
    [
        # a name with an unquoted delimiter further down: warned about, the header stays
        "sku;name;colour;size\n" + "".join(f"A{i};Shirt;red;M\n" for i in range(1, 9)) + "A9;Shirt; blue;red;M;x;y\n",
        # a header with some blank names above full rows
        "sku;name;;;;;;;;price\nA1;Shirt;x;x;x;x;x;x;x;12\nA2;Dress;x;x;x;x;x;x;x;13\n",
    ],
)
def test_a_wide_row_or_a_partly_named_header_never_moves_the_header(tmp_path, text):
    info, rows = read_sheet(_sheet(tmp_path, text))
    assert info.columns[:2] == ["sku", "name"]
    assert [r.cells["sku"] for r in rows][:2] == ["A1", "A2"]
    assert not [w for w in info.warnings if "the header is on line" in w]


@pytest.mark.parametrize(
    "text",
    [
        "sku;name\nA1;Шапка\n",  # read as cp1252 this is "Øàïêà": a Latin word of accented letters only
        "sku;name;size\nA1;Куртка зимняя;XL\nA2;Шарф;M\n",  # read as cp1250: "Ęóđňęŕ çčěí˙˙"
        "Код;Назва;Ціна\n1;Сукня жіноча;100\n",  # Ukrainian
    ],
)
def test_a_short_cyrillic_cp1251_sheet_is_not_read_as_latin_mojibake(tmp_path, text):
    info, rows = read_sheet(_sheet(tmp_path, text, encoding="cp1251"))
    assert info.encoding == "cp1251"
    assert [list(r.cells.values()) for r in rows] == [line.split(";") for line in text.splitlines()[1:]]


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("sku,name\nA1,Tシャツ\n", "shift_jis", "cp932"),  # read as cp1252: "TƒVƒƒƒc"
        ("品番,商品名,カラー\nJP1,ワンピース,黒\nJP2,ブラウス,白\n", "shift_jis", "cp932"),
        ("货号,名称\nC1,衬衫\n", "gb18030", "gb18030"),  # read as cp1251: "»хєЕ,ГыіЖ", capitals inside words
    ],
)
def test_short_east_asian_sheets(tmp_path, text, encoding, expected):
    info, rows = read_sheet(_sheet(tmp_path, text, encoding=encoding))
    assert info.encoding == expected
    assert [list(r.cells.values()) for r in rows] == [line.split(",") for line in text.splitlines()[1:]]


@pytest.mark.parametrize(
    "text",
    [
        "sku;name\nA1;Café\n",
        "sku;name\nA1;Öl\n",
        "sku;name\nA1;don’t – “ok” …\n",  # the typographic marks cp1252 has where Latin-1 has controls
        "sku;name\nA1;Œuvre Šarm Ÿ\n",
    ],
)
def test_short_western_sheets_stay_cp1252_next_to_the_other_scripts(tmp_path, text):
    info, rows = read_sheet(_sheet(tmp_path, text, encoding="cp1252"))
    assert info.encoding == "cp1252"
    assert rows[0].cells["name"] == text.splitlines()[1].split(";")[1]


@pytest.mark.parametrize(
    ("content", "delimiter"),
    [
        (codecs.BOM_UTF8 + b"sep=;\r\nsku;name, long\r\nA1;Shirt, blue\r\n", ";"),  # UTF-8 with BOM, as Excel saves
        ("sep=;\r\nsku;name, long\r\nA1;Shirt, blue\r\n".encode("utf-16"), ";"),  # Excel's "Unicode text"
        (b"sep=\t\r\nsku\tname, long\r\nA1\tShirt, blue\r\n", "\t"),  # a tab: the line is not stripped of it
        (b'"sep=;";;\r\nsku;name, long\r\nA1;Shirt, blue\r\n', ";"),  # re-saved by a program that took it for a cell
        (b'SEP=,,\r\nsku,"name, long"\r\nA1,"Shirt, blue"\r\n', ","),
    ],
)
def test_the_sep_line_declares_the_delimiter_and_never_becomes_the_header(tmp_path, content, delimiter):
    info, rows = read_sheet(_sheet(tmp_path, content))
    assert info.delimiter == delimiter
    assert info.columns == ["sku", "name, long"]
    assert [(r.line, r.cells) for r in rows] == [(3, {"sku": "A1", "name, long": "Shirt, blue"})]


def test_quoted_newlines_after_a_sep_line_in_cp1252(tmp_path):
    text = 'sep=;\r\nsku;Beschreibung;Größe\r\nA1;"Hemd\r\nmit Kragen; weiß";XL\r\nA2;Hose;M\r\n'
    info, rows = read_sheet(_sheet(tmp_path, text, encoding="cp1252"))
    assert (info.encoding, info.delimiter) == ("cp1252", ";")
    assert rows[0].cells == {"sku": "A1", "Beschreibung": "Hemd\r\nmit Kragen; weiß", "Größe": "XL"}
    assert [r.line for r in rows] == [3, 5]


CENTRAL_EUROPEAN = [
    # Croatian; read as cp1252: "Smeða", "Proljeæe", "Ljubièasta" (letters of three alphabets side by side)
    "Šifra;Naziv;Boja;Spol;Sezona;MPC\r\nA-1;Majica kratki rukav;Smeđa;Muški;Proljeće;12,99 €\r\n"
    "A-2;Tenisice;Ljubičasta;Ženski;Ljeto;59,00 €\r\nA-3;Traperice;Narančasta;Muški;Jesen;39,50 €\r\n",
    "sku;sezona\nA1;Proljeće\n",  # one word: a vowel (æ) between vowels in cp1252
    "kód;název\nA1;kůň\n",  # Czech; read as cp1252: "kùò"
    "Kód;Názov;Farba\nA1;Tričko;Čierna\nA2;Nohavice;Hnedá\n",  # Slovak
    "sku;farba\nA1;Ružová\nA2;Červená\nA3;Modrá\n",  # Slovak
    "Šifra;Naziv;Barva\nA1;Majica;Rdeča\nA2;Hlače;Črna\n",  # Slovene
    "sku;barva\nA1;Rjava\nA2;Oranžna\nA3;Vijolična\n",  # Slovene
    "kód;název;barva\nA1;Košile;Růžová\n",  # Czech
    "sku;szín\nA1;Sötétkék\nA2;Zöld\nA3;Fűzöld\n",  # Hungarian
]


@pytest.mark.parametrize("text", CENTRAL_EUROPEAN)
def test_short_central_european_cp1250_sheets_are_not_read_as_cp1252(tmp_path, text):
    info, rows = read_sheet(_sheet(tmp_path, text, encoding="cp1250"))
    assert info.encoding == "cp1250"
    assert [list(r.cells.values()) for r in rows] == [line.split(";") for line in text.splitlines()[1:]]


WESTERN = [
    "Varenr;Navn;Farve\r\nA1;Skjorte;Rød\r\nA2;Bukser;Grøn\r\nA3;Jakke;Blå\r\n",  # Danish; as cp1250: "Grřn", "Blĺ"
    "sku;farve\nA1;Rød, Grøn, Blå\n",
    "Varenummer;Produktnavn;Farve;Størrelse;Køn\nA1;Strikket trøje;Mørkeblå;M;Dame\nA2;Læderjakke;Sort;L;Herre\n",
    "Vörunúmer;Heiti;Litur\nA1;Peysa úr ull;Rauður\nA2;Þunn skyrta;Grænn\nA3;Buxur;Svört\n",  # Icelandic
    "sku;lýsing\nA1;Hlý peysa með hettu\nA2;Þykkur jakki\n",
    "Référence;Désignation;Saison;Couleur\nA1;Robe d'été;Été;Bleu marine\nA2;Pull à col roulé;Hiver;Crème\n",
    "sku;saison\nA1;Été\nA2;Bleu marine\n",
    "sku;nom\nA1;Faïence\nA2;Cœur\nA3;Pièce\n",  # ï and œ before vowels are French, not ď and ś
    "sku;Farbe/Couleur/Colore\nA1;Grün/Vert/Verde\nA2;Crème/Crème/Crema\nA3;Weiß/Blanc/Bianco\n",  # two alphabets
    "Varenr;Navn;Farge\nA1;Genser;Grønn\nA2;Tøy til barn;Blå\nA3;Skjørt;Hvit\n",  # Norwegian
    "Código;Descrição;Cor\nA1;Camisa algodão;Azul\nA2;Calça;Pêssego\nA3;Põe;Limão\n",  # Portuguese
    "Codice;Descrizione;Colore\nA1;Maglia però;Blu\nA2;Più caldo;Verde\nA3;Città;Nero\n",  # Italian
    GERMAN,
]


@pytest.mark.parametrize("text", WESTERN)
def test_western_cp1252_sheets_stay_cp1252_next_to_cp1250(tmp_path, text):
    info, rows = read_sheet(_sheet(tmp_path, text, encoding="cp1252"))
    assert info.encoding == "cp1252"
    assert [list(r.cells.values()) for r in rows] == [line.split(";") for line in text.splitlines()[1:]]
