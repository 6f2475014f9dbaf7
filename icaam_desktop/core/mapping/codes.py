"""Single-letter gender codes, read per column: what ``H``, ``D``, ``M`` or ``U`` mean depends on the language.

``H`` is men (Herren, Homme, Hombre, Heren) and ``D`` women (Damen, Dames, Donna, Dam) wherever they are used, but
``M`` is men next to ``F`` or ``W`` and women (Mujer) next to ``H``; ``U`` is unisex in most languages and men
(Uomo) next to ``D`` in Italian; ``V`` is women in Dutch (Vrouw) and men in Spanish (Varón). A letter alone
cannot say which, so a column's letters are read together: the code systems of the vocabulary
(``gender_codes`` in ``resources/vocab/*.json``) that use every letter of the column, narrowed to the language
its header and other values are written in when they tell. A letter the remaining systems read one way is
mapped; one they read several ways keeps its international reading (M = men, U = unisex) with a lower
confidence, or stays unmapped, with the reason, when it has none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from icaam_desktop.core.mapping.text import fold_accents, normalise_text
from icaam_desktop.core.mapping.vocab import INTERNATIONAL, CodeSystem, Vocabulary

SURE = 0.9  # the column's letters (and language) leave one reading
DISPUTED = 0.6  # other systems that fit the column read the letter otherwise: the international reading, to check
LANGUAGE_MARGIN = 1.5  # a language "tells" when it has this many times the evidence of the next one


@dataclass(frozen=True)
class LetterReading:
    """What one letter of a column stands for (``english`` None = the column does not say), and why."""

    letter: str
    english: str | None
    confidence: float
    reason: str


def is_letter_code(value: str) -> bool:
    """``"H"``, ``"d"``, ``"V."``: one letter, the way a code is written."""
    key = fold_accents(normalise_text(value))
    return len(key) == 1 and key.isalpha()


def column_language(vocab: Vocabulary, texts: Iterable[str], *, with_english: bool = False) -> str | None:
    """The language whose vocabulary clearly has the most of ``texts`` (header and values), else None.

    A word several languages share counts for each of them in part ("sport" says little, "geslacht" is Dutch).
    ``with_english``: English ("en") competes too, so that "Name" in an English sheet does not make it German.
    """
    languages = {**vocab.language_words, "en": vocab.english_words} if with_english else vocab.language_words
    scores: Counter = Counter()
    for text in texts:
        key = fold_accents(normalise_text(text))
        if not key:
            continue
        pieces = [key] if any(key in words for words in languages.values()) else key.split()
        for piece in pieces:
            langs = [lang for lang, words in languages.items() if piece in words]
            for lang in langs:
                scores[lang] += 1.0 / len(langs)
    ranked = scores.most_common(2)
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[0][1] < LANGUAGE_MARGIN * ranked[1][1]:
        return None
    return ranked[0][0]


def read_gender_letters(
    letters: Iterable[str], *, vocab: Vocabulary, language: str | None = None
) -> dict[str, LetterReading]:
    """letter (normal form) -> its reading among the code systems that fit the column's letters and language."""
    wanted = sorted({fold_accents(normalise_text(x)) for x in letters})
    systems = vocab.gender_codes
    pool = [s for s in systems if set(wanted) <= s.codes.keys()]
    mixed = not pool
    if mixed:  # a column mixing systems: each letter among the systems that know it
        pool = [s for s in systems if set(wanted) & s.codes.keys()]
    if language is not None:
        spoken = [s for s in pool if language in s.languages or INTERNATIONAL in s.languages]
        if any(language in s.languages for s in spoken):
            pool = spoken
    default = {k: v for s in systems if INTERNATIONAL in s.languages for k, v in s.codes.items()}
    out: dict[str, LetterReading] = {}
    for letter in wanted:
        readings: dict[str, list[CodeSystem]] = {}
        for system in pool:
            # In a mixed column, a system that knows this letter alone says little: H/D/K/U is not Polish for K
            # (kobieta) when Polish has no H or D. The letter must share its system with another of the column.
            # The column's own language vouches for its systems (Dutch H/D beside M/V).
            alone = mixed and len(wanted) > 1 and len(set(wanted) & system.codes.keys()) < 2
            vouched = INTERNATIONAL in system.languages or language in system.languages
            if letter in system.codes and not (alone and not vouched):
                readings.setdefault(system.codes[letter], []).append(system)
        shown = letter.upper()
        if len(readings) == 1:
            english, used = next(iter(readings.items()))
            out[letter] = LetterReading(letter, english, SURE, f"code '{shown}' = {english} ({_notes(used)})")
        elif letter in default and default[letter] in readings:
            english = default[letter]
            others = "; ".join(f"{e} in {_notes(used)}" for e, used in readings.items() if e != english)
            why = f"code '{shown}' read as {english}, its usual sense, though it is {others} (check)"
            out[letter] = LetterReading(letter, english, DISPUTED, why)
        elif readings:
            views = " but ".join(f"{e} in {_notes(used)}" for e, used in readings.items())
            why = f"code '{shown}' is {views}; the column does not say which language it is in"
            out[letter] = LetterReading(letter, None, 0.0, why)
    return out


def _notes(systems: list[CodeSystem], most: int = 3) -> str:
    """The words behind the letters ("Herren/Damen, heren/dames, ..."), for the reasons text."""
    notes = list(dict.fromkeys(n.strip() for s in systems for n in s.note.split(";") if n.strip()))
    return ", ".join(notes[:most]) + (", ..." if len(notes) > most else "")
