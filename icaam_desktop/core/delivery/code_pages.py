"""Which code page a sheet without a BOM was written in, where the detector's first guess reads it badly.

Two checks follow charset-normalizer's guess (``sheet.decode_sheet``): ``fewer_implausible_words`` tries the common
code pages when the reading has words no language writes (symbols inside words, two scripts in one word, Shift_JIS
lead bytes read as cp1252), and ``western_or_central`` settles the case below.

Western (cp1252) or Central European (cp1250)? Two Windows code pages a detector cannot tell apart on a short sheet.

They share ASCII and most accented vowels (á é í ó ú ä ö ü š ž), so both decode a Croatian, Czech or Danish sheet
without an error and a detector scores them about the same. They differ in the bytes that one reads as a letter of
a Central European alphabet (č ć đ ň ř ů ě ľ ĺ ő ű) and the other as a Western one (è æ ð ò ø ù ì ¾ å õ û). Two
signals decide between them, neither tied to any word:

1. The alphabet. A sheet's accented letters belong to the alphabet of the language it is written in (Croatian
   č ć đ š ž, Danish æ ø å); a wrong reading mixes alphabets: "Smeða, Ljubièasta, Muški" has ð (Icelandic), è
   (French, Italian) and š, which no one language writes together.
2. Syllables, where the alphabets do not decide. Some bytes are a vowel in one reading and a consonant in the
   other (è/č, æ/ć, ò/ň, ø/ř). Before a vowel the consonant is the likely letter ("Proljeće", not "Proljeæe":
   languages seldom write two vowels in a row that way); between two consonants the vowel is ("Grøn", not "Grřn").
"""

from __future__ import annotations

import itertools
import re
import unicodedata

WESTERN, CENTRAL = "cp1252", "cp1250"

# The accented letters of the languages written in these two code pages (lower case; ASCII letters go with any).
# A language's full alphabet, not its common words: loanwords aside, a sheet in that language uses no others.
_ALPHABETS = (
    "äöüß",  # German (both code pages)
    "àâæçéèêëîïôœùûüÿ",  # French
    "áéíóúüñ",  # Spanish, Galician
    "áâãàçéêíóôõú",  # Portuguese
    "àèéìòù",  # Italian
    "àçéèíïòóúü",  # Catalan
    "áäéèëïíóöúüêô",  # Dutch
    "æøåéèóòô",  # Danish, Norwegian
    "åäöé",  # Swedish
    "áðéíóúýþæö",  # Icelandic
    "áðíóúýæø",  # Faroese
    "äöåšž",  # Finnish
    "äöõüšž",  # Estonian
    "çë",  # Albanian
    "áčďéěíňóřšťúůýž",  # Czech
    "áäčďéíĺľňóôŕšťúýž",  # Slovak
    "ąćęłńóśźż",  # Polish
    "čćđšž",  # Croatian, Bosnian, Serbian (Latin), Slovene
    "áéíóöőúüű",  # Hungarian
    "ăâîşţ",  # Romanian
)
# Bytes read as a vowel in cp1252 and as a (non-syllabic) consonant in cp1250. Left out: ï/ď and œ/ś, as ï and œ
# stand before vowels by design (faïence, cœur); å/ĺ and à/ŕ, as ĺ and ŕ are Slovak syllables (vĺna).
_VOWEL_OR_CONSONANT = frozenset("èæòøÈÆÒØ")
_SAMPLE_CHARS = 64_000


def western_or_central(data: bytes, text: str, encoding: str) -> tuple[str, str]:
    """(text, encoding): ``text`` as decoded with ``encoding``, or the other of cp1252/cp1250 where that reads the
    bytes as one alphabet and ``text`` does not, or, alphabets alike, as likelier syllables. Other encodings are
    kept as they are."""
    if encoding not in (WESTERN, CENTRAL):
        return text, encoding
    readings = {}
    for name in (WESTERN, CENTRAL):
        try:
            readings[name] = text if name == encoding else data.decode(name)
        except UnicodeDecodeError:
            return text, encoding
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in readings[name][:_SAMPLE_CHARS]):
            return text, encoding
    western, central = readings[WESTERN][:_SAMPLE_CHARS], readings[CENTRAL][:_SAMPLE_CHARS]
    if western == central:
        return text, encoding
    outside = {WESTERN: letters_outside_one_alphabet(western), CENTRAL: letters_outside_one_alphabet(central)}
    if outside[WESTERN] != outside[CENTRAL]:
        other = min(outside, key=outside.get)
    else:
        votes = syllable_votes(western, central)
        if votes == 0:
            return text, encoding
        other = CENTRAL if votes > 0 else WESTERN
    return readings[other], other


def letters_outside_one_alphabet(text: str) -> int:
    """How many of the text's accented letters the best-fitting alphabet lacks: 0 for a text in one language."""
    letters = {ch for ch in text.lower() if ch.isalpha() and not ch.isascii()}
    if not letters:
        return 0
    return min(len(letters - set(alphabet)) for alphabet in _ALPHABETS)


def _is_vowel(ch: str) -> bool:
    # "y" is left out: a vowel in Czech, a consonant in Norwegian "øy" (Tøy).
    return unicodedata.normalize("NFD", ch.lower())[:1] in ("a", "e", "i", "o", "u", "æ", "ø", "œ")


def syllable_votes(western: str, central: str) -> int:
    """Above 0: the cp1250 reading has the likelier syllables; below 0, the cp1252 one. Each byte read as a vowel
    in cp1252 and a consonant in cp1250 votes for the consonant when a vowel follows it, and for the vowel when it
    stands between two consonants."""
    votes = 0
    for i, ch in enumerate(western):
        if ch not in _VOWEL_OR_CONSONANT or central[i] == ch:
            continue
        before, after = western[i - 1 : i] or " ", western[i + 1 : i + 2] or " "
        if after.isalpha() and _is_vowel(after):
            votes += 1
        elif before.isalpha() and after.isalpha() and not _is_vowel(before):
            votes -= 1
    return votes


# -- any code page: words no language writes ---------------------------------------------------

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Code pages tried when the first reading breaks words, most common first (ties keep the earlier).
_FALLBACK_CODE_PAGES = ("cp1252", "cp1250", "cp1251", "cp1257", "iso-8859-15", "iso-8859-2", "cp932", "gb18030")
_NON_ASCII_WORD = re.compile(r"[^\W\d_]*[^\x00-\x7f\W\d_][^\W\d_]*")
_MAX_WORDS_JUDGED = 5_000
_EAST_ASIAN = ("CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HANGUL", "FULLWIDTH", "HALFWIDTH")


def _broken_words(text: str) -> int:
    """Non-ASCII symbols between two letters: ``Bia³y`` (Polish ``Biały`` read as cp1252), never real words."""
    count = 0
    for match in _NON_ASCII.finditer(text, 1, max(1, len(text) - 1)):
        i = match.start()
        count += not text[i].isalpha() and text[i - 1].isalpha() and text[i + 1].isalpha()
    return count


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "").split(" ")[0]
    return "EAST_ASIAN" if name in _EAST_ASIAN else name


def _odd_words(text: str) -> int:
    """Words no language writes, the marks of a wrong code page: letters of two scripts in one word
    (``Biaіy``: Polish read as Cyrillic), or a Latin word made only of accented letters (``Øàïêà``: Russian
    ``Шапка`` read as cp1252). ASCII letters go with any Latin or East Asian word (``Tシャツ``)."""
    count = 0
    for n, match in enumerate(_NON_ASCII_WORD.finditer(text)):
        if n >= _MAX_WORDS_JUDGED:
            break
        count += _is_odd_word(match.group())
    return count


def _is_odd_word(word: str) -> bool:
    scripts = {_script(ch) for ch in word if not ch.isascii()}
    if any(ch.isascii() for ch in word):
        return not scripts <= {"LATIN", "EAST_ASIAN"}
    if len(scripts) > 1:
        return True
    if scripts == {"LATIN"}:
        return len(word) >= 3
    # Cyrillic or Greek with a capital after a small letter (ГыіЖ): double-byte Chinese read one byte at a time.
    return scripts <= {"CYRILLIC", "GREEK"} and any(a.islower() and b.isupper() for a, b in itertools.pairwise(word))


# cp1252's readings of bytes that lead Shift_JIS characters (0x83 0x88 0x98: katakana, kanji): "ƒ" "ˆ" "˜" are
# a florin sign and two modifier letters that no product text uses.
_SHIFT_JIS_LEADS = re.compile("[\u0192\u02c6\u02dc]")


def _implausible_words(text: str) -> int:
    return _broken_words(text) + _odd_words(text) + len(_SHIFT_JIS_LEADS.findall(text, 0, _SAMPLE_CHARS))


def fewer_implausible_words(data: bytes, text: str, encoding: str) -> tuple[str, str]:
    """A short sheet gives a detector little to go on: Central-European (cp1250) scores as cp1252 or Baltic,
    Russian as cp1252 or cp1250. Where the chosen reading has words no language writes (symbols inside words,
    mixed scripts, all-accented Latin words) and another common code page reads fewer, take that one."""
    broken = _implausible_words(text)
    if broken == 0:
        return text, encoding
    for candidate in _FALLBACK_CODE_PAGES:
        try:
            other = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in other):
            continue
        other_broken = _implausible_words(other)
        if other_broken < broken:
            text, encoding, broken = other, candidate, other_broken
    return text, encoding
