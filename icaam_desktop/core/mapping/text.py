"""Text normalisation shared by header and value matching.

Supplier headers and cells differ from the retailer's labels in case, separators,
camelCase, accents and plurals; everything is compared in one normal form so that the
vocabulary tables, the option index and the fuzzy scorers all see the same strings.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Separators become spaces; letters (any script), digits and spaces survive.
_NON_WORD = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=200_000)
def normalise_text(text: str) -> str:
    """Lower-case words separated by single spaces: ``"RRP (INR)"`` -> ``"rrp inr"``, ``"sleeveLength"`` -> ``"sleeve length"``."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _CAMEL.sub(" ", text)
    # Turkish capital İ lower-cases to "i" plus a combining dot, which the separator rule would turn into a space.
    text = text.replace("_", " ").replace("İ", "i").lower()
    text = _separators_to_spaces(text) if _MARKS.search(text) else _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# Combining marks that survive NFKC (vowel points and signs, kana voicing marks), for the fast path's test.
_MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0dff\u0e31-\u0e4e\u0eb1-\u0ecd\u1000-\u109f\u1780-\u17ff\u1ab0-\u1aff\u1dc0-\u1dff"
    "\u20d0-\u20ff\u3099\u309a\ufe20-\ufe2f]"
)


def _separators_to_spaces(text: str) -> str:
    """``_NON_WORD`` for any script: the marks that belong to a letter (Arabic and Hebrew vowel points, Thai and
    Devanagari vowel signs) stay in the word; a regular expression's ``\\w`` would cut the word at each of them."""
    return "".join(ch if ch.isalnum() or ch.isspace() or unicodedata.category(ch)[0] == "M" else " " for ch in text)


# Letters that Unicode does not decompose into a base letter plus an accent, but that suppliers typing
# ASCII still write as the base letter: Polish "zolty" for "żółty", Danish "rod" for "rød", German "weiss".
_UNDECOMPOSABLE = str.maketrans(
    {
        "ß": "ss",
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        "þ": "th",
        "ς": "σ",  # Greek final sigma: "ΜΑΥΡΟΣ" and a word cut from a longer one end in σ
        "Ł": "L",
        "Ø": "O",
        "Đ": "D",
        "Æ": "AE",
        "Œ": "OE",
    }
)


# The kana voicing marks (ブ = フ + ゛) are combining marks to Unicode, but they change the sound, not an accent;
# so do the marks of the Indic scripts, Thai, Lao, Myanmar and Khmer (vowels, tones, virama), which are letters there.
_KEPT_MARKS = frozenset("\u3099\u309a")
_LETTER_MARKS = re.compile(r"[\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def _is_accent(ch: str) -> bool:
    return bool(unicodedata.combining(ch)) and ch not in _KEPT_MARKS and not _LETTER_MARKS.match(ch)


# Latin letters typed inside a Cyrillic or Greek word because they look the same ("Cірий", "Бiлий", "ΜΑYΡΟ"): read as
# the letter of the word's script. Both sides of every lookup are folded, so an upper-case original (B, H, T, M) and
# its lower-case form fold alike.
_LOOKALIKES = {
    "CYRILLIC": str.maketrans(
        "abcehikmoptxy", "\u0430\u0432\u0441\u0435\u043d\u0456\u043a\u043c\u043e\u0440\u0442\u0445\u0443"
    ),
    "GREEK": str.maketrans("abehikmnoptxyzv", "αβεηικμνορτχυζν"),
}
_WORD = re.compile(r"\w+")


_LATIN_LETTER = re.compile(r"[A-Za-z]")
_CYRILLIC_OR_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f]")


def _unmix_lookalikes(text: str) -> str:
    if not (_LATIN_LETTER.search(text) and _CYRILLIC_OR_GREEK.search(text)):  # the usual case: one script
        return text

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        scripts = scripts_of(word)
        if "LATIN" not in scripts or len(scripts) != 2:
            return word
        (other,) = scripts - {"LATIN"}
        table = _LOOKALIKES.get(other)
        return word.lower().translate(table) if table else word

    return _WORD.sub(fix, text)


@lru_cache(maxsize=200_000)
def fold_accents(text: str) -> str:
    """``"weiß ärmellos"`` -> ``"weiss armellos"``, ``"żółty"`` -> ``"zolty"``: for suppliers that drop accents or type ASCII.

    Kana keep their voicing marks, and Korean syllables are put back together after the decomposition. Latin
    look-alike letters inside a Cyrillic or Greek word ("Cірий" with a Latin C) become that script's letters.
    """
    if text.isascii():
        return text
    text = _unmix_lookalikes(text).translate(_UNDECOMPOSABLE)
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch) or not _is_accent(ch))
    return unicodedata.normalize("NFC", folded) if not folded.isascii() else folded


# Scripts written without spaces between words (Chinese, Japanese, Thai) or with suffixes glued on (Korean 남성용).
# Thai, Lao, Khmer and Myanmar are written without spaces between words too.
_UNSPACED = re.compile(
    r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
)


def has_unspaced_script(text: str) -> bool:
    """Whether ``text`` has Chinese, Japanese, Korean or Thai (Lao, Khmer, Myanmar) letters, whose words need not be
    separated by spaces."""
    return bool(_UNSPACED.search(text))


def segment_unspaced(
    token: str, words: dict[str, list[str]] | frozenset[str], *, longest: int = 16
) -> list[str] | None:
    """``"男士t恤"`` -> ``["男士", "t恤"]``: a Chinese/Japanese/Korean run cut into known words, longest first from the left.

    Letters between known words stay as one piece; None when no known word was found. Single Latin letters never count
    as a word, a single ideograph (黑, 男) does.
    """
    if not has_unspaced_script(token):
        return None
    pieces: list[str] = []
    unknown, hits, i = "", 0, 0
    while i < len(token):
        for n in range(min(longest, len(token) - i), 0, -1):
            piece = token[i : i + n]
            if piece in words and (n > 1 or has_unspaced_script(piece)):
                if unknown:
                    pieces.append(unknown)
                    unknown = ""
                pieces.append(piece)
                hits, i = hits + 1, i + n
                break
        else:
            unknown += token[i]
            i += 1
    if unknown:
        pieces.append(unknown)
    return pieces if hits else None


def stem_token(token: str) -> str:
    """A crude English plural strip (sleeves -> sleeve, stripes -> stripe), applied to both sides of a comparison."""
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


@lru_cache(maxsize=200_000)
def match_key(text: str) -> str:
    """The key used for exact lookups: normalised, accent-folded, plurals stripped."""
    return " ".join(stem_token(t) for t in fold_accents(normalise_text(text)).split())


@lru_cache(maxsize=50_000)
def scripts_of(text: str) -> frozenset[str]:
    """The writing systems of ``text``'s letters (``"Μάρκα"`` -> GREEK, ``"Farbe"`` -> LATIN), from Unicode names."""
    return frozenset(unicodedata.name(ch, "?").split()[0] for ch in set(text) if ch.isalpha())


# "SS24", "12900円": letters glued to a number, cut apart by ``unglue`` ("ss 24", "12900 円").
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def unglue(text: str) -> str:
    """A space between letters and digits that touch: ``"fw2023"`` -> ``"fw 2023"``."""
    return _LETTER_DIGIT.sub(" ", text)


def is_file_name(value: str) -> bool:
    """Values such as ``NW-1.jpg`` or ``https://.../x.png``: image or document references, not attributes."""
    v = value.strip().lower()
    return bool(re.search(r"\.(jpe?g|png|gif|webp|tiff?|bmp|heic|pdf)$", v)) or v.startswith(("http://", "https://"))


def split_joined_words(token: str, words: frozenset[str], *, min_len: int = 3) -> str | None:
    """``"basecolour"`` -> ``"base colour"``: a run-together header cut into known words (fewest pieces), or None."""
    n = len(token)
    if n < 2 * min_len or token in words:
        return None
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(min_len, n + 1):
        for start in range(0, end - min_len + 1):
            piece = token[start:end]
            if best[start] is not None and piece in words:
                candidate = [*best[start], piece]
                if best[end] is None or len(candidate) < len(best[end]):
                    best[end] = candidate
    pieces = best[n]
    return " ".join(pieces) if pieces and len(pieces) > 1 else None
