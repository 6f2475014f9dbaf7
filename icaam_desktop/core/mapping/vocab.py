"""The multilingual product vocabulary: translations, English synonyms and abbreviations.

Headers and values are read into *readings*: candidate English phrases with a weight, tried in
order against attribute names and option labels. The tables live in ``resources/vocab/*.json``
(general dictionary vocabulary for DE, FR, ES, IT, NL, PT, SV, PL, DA, NO, CS, SK, HR, SL, TR, FI, HU, RO, EL, RU,
UK, BG, LT, LV, ET, ZH, JA, KO, VI, TH, ID, HI, AR, HE plus English synonyms;
a new ``<language>.json`` dropped into the folder is read too); nothing in them is specific to one supplier.
A word cut short with a full stop ("Geschl.", "Baumw.") is completed when every known word it starts reads the
same (``WordCompleter``); a word the tables spell with ä/ö/ü is also known spelt with ae/oe/ue ("gruen", "Groesse").
Each language also lists its single-letter gender codes (``gender_codes``), read per column in ``codes.py``.
``header_hints`` (English) are header words that often, not always, hold an attribute's values ("department":
Men/Women as often as Tops/Shoes): they count only when the values agree (``values_alone.py``).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from icaam_desktop.core.mapping.text import (
    fold_accents,
    has_unspaced_script,
    is_file_name,
    match_key,
    normalise_text,
    scripts_of,
    segment_unspaced,
    stem_token,
    unglue,
)

# The English synonyms, the currency and placeholder tables; every other ``<code>.json`` in the folder is a language.
NOT_LANGUAGES = ("en", "currency", "placeholders")
# Weights of the readings: the raw text is surest; each rewrite step is a little less sure.
W_ABBREVIATION = 0.95
W_TRANSLATION = 0.95
W_TOKEN_TRANSLATION = 0.9
W_SYNONYM = 0.92
W_STRIPPED = 0.85
# A word completed from its prefix ("Geschl." -> "geschlecht") is a little less sure than one the tables list.
W_COMPLETION = 0.93


def vocab_dir() -> Path:
    from icaam_desktop.paths import resources_dir

    return resources_dir() / "vocab"


def _key(text: str) -> str:
    return fold_accents(normalise_text(text))


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class Reading:
    """One candidate English reading of a header or value; ``how`` says which rewrite produced it."""

    text: str
    weight: float
    how: str = ""


INTERNATIONAL = "*"  # the languages of a code system that every language uses (M/F)


@dataclass(frozen=True)
class CodeSystem:
    """Single-letter codes used together (H/D/U = Herren/Damen/Unisex) and the languages that use them."""

    languages: frozenset[str]  # INTERNATIONAL for the ones in en.json
    codes: dict[str, str]  # letter (normal form) -> English reading
    note: str = ""  # the words the letters stand for, e.g. "Herren/Damen"


@dataclass(frozen=True)
class PrefixIndex:
    """Sorted words and their English readings, to complete a word cut short ("geschl" -> "geschlecht").

    ``agree_until[i]`` is the last position j such that the words i..j all have the reading of word i: the words
    sharing a prefix are a contiguous range, and they agree when the range ends by then. A lookup is two bisections.
    """

    words: tuple[str, ...] = ()
    readings: tuple[str, ...] = ()
    agree_until: tuple[int, ...] = ()

    @classmethod
    def build(cls, readings: dict[str, str]) -> PrefixIndex:
        words = sorted(readings)
        texts = [readings[w] for w in words]
        agree = list(range(len(words)))
        for i in range(len(words) - 2, -1, -1):
            if texts[i] == texts[i + 1]:
                agree[i] = agree[i + 1]
        return cls(tuple(words), tuple(texts), tuple(agree))

    def __contains__(self, word: str) -> bool:
        i = bisect_left(self.words, word)
        return i < len(self.words) and self.words[i] == word

    def complete(self, prefix: str) -> str | None:
        """The first word longer than ``prefix`` that starts with it, when all such words read the same; else None."""
        lo = bisect_left(self.words, prefix)
        hi = bisect_left(self.words, prefix + "\U0010ffff", lo)
        if lo == hi or self.words[lo] == prefix or self.agree_until[lo] < hi - 1:
            return None
        return self.words[lo]


@dataclass(frozen=True)
class WordCompleter:
    """Completes the words of headers (or of values) cut short: single words alone, then within known phrases."""

    words: PrefixIndex = PrefixIndex()
    # Multi-word entries: "bleu mar." -> "bleu marine", where "mar" alone could be "marron" as well.
    phrases: PrefixIndex = PrefixIndex()
    known: frozenset[str] = frozenset()  # whole words the tables list as they are (abbreviations too): never completed

    @classmethod
    def build(
        cls, table: dict[str, list[str]], synonyms: dict[str, list[str]], *, english: set[str], known: set[str]
    ) -> WordCompleter:
        """Table words read as their first English reading, English words as themselves; both then through ``synonyms``
        so that "multicolore", "multicolour" and "multicolored" agree."""

        def canonical(text: str) -> str:
            return (synonyms.get(text) or [text])[0]

        readings = {word: canonical(word) for word in english}
        readings.update({key: canonical(targets[0]) for key, targets in table.items() if targets})
        words = {k: v for k, v in readings.items() if " " not in k}
        phrases = {k: v for k, v in readings.items() if " " in k}
        return cls(PrefixIndex.build(words), PrefixIndex.build(phrases), frozenset(known | words.keys()))

    def complete(self, tokens: list[str], cut: frozenset[str]) -> tuple[list[str], list[str]]:
        """``tokens`` with each word of ``cut`` the tables do not list completed where that is unambiguous, and notes."""
        out, notes = list(tokens), []
        for i, token in enumerate(tokens):
            if token not in cut or token in self.known:
                continue
            word = None
            if i:  # the word before narrows the choice: "bleu mar" -> "bleu marine"
                before = f"{tokens[i - 1]} "
                phrase = self.phrases.complete(before + token)
                rest = phrase[len(before) :] if phrase else ""
                word = rest if rest and " " not in rest else None
            word = word or self.words.complete(token)
            # A full stop for one letter saves nothing: "here." is a sentence's end, not "heren" cut short.
            if word and len(word) >= len(token) + 2:
                out[i] = word
                notes.append(f"'{token}.' completed as '{word}'")
        return out, notes


@dataclass(eq=False)  # identity hash: readings are cached per vocabulary object
class Vocabulary:
    """Lookup tables keyed by normalised, accent-folded text."""

    abbreviations: dict[str, str] = field(default_factory=dict)
    header_terms: dict[str, list[str]] = field(default_factory=dict)
    value_terms: dict[str, list[str]] = field(default_factory=dict)
    header_synonyms: dict[str, list[str]] = field(default_factory=dict)
    # Header words that often, not always, hold an attribute's values ("department": Men/Women, or Tops/Shoes):
    # a hint that counts only when the column's values are that attribute's options.
    header_hints: dict[str, list[str]] = field(default_factory=dict)
    value_synonyms: dict[str, list[str]] = field(default_factory=dict)
    colour_modifiers: frozenset[str] = frozenset()
    noise_words: frozenset[str] = frozenset()
    stopwords: frozenset[str] = frozenset()
    # language -> its header and value words (normal form), to tell which language a column is written in
    language_words: dict[str, frozenset[str]] = field(default_factory=dict)
    # The English words the tables know (synonym and abbreviation keys): English as one more language to tell apart
    english_words: frozenset[str] = frozenset()
    gender_codes: list[CodeSystem] = field(default_factory=list)
    scripts: frozenset[str] = frozenset()  # the writing systems its words are written in (LATIN)
    # Complete the words of headers / of values written cut short with a full stop ("Geschl.", "Baumw.").
    header_completer: WordCompleter = field(default_factory=WordCompleter)
    value_completer: WordCompleter = field(default_factory=WordCompleter)

    @classmethod
    def load(cls, folder: Path | None = None) -> Vocabulary:
        """Read ``en.json`` and every language file in ``folder`` (default: the bundled resources/vocab)."""
        folder = folder or vocab_dir()
        vocab = cls()
        english = json.loads((folder / "en.json").read_text(encoding="utf-8"))
        vocab.abbreviations = {_key(k): normalise_text(v) for k, v in english["abbreviations"].items()}
        vocab.header_synonyms = {_key(k): [normalise_text(x) for x in v] for k, v in english["header_synonyms"].items()}
        vocab.value_synonyms = {_key(k): [normalise_text(x) for x in v] for k, v in english["value_synonyms"].items()}
        vocab.header_hints = {
            _key(k): [normalise_text(x) for x in v] for k, v in english.get("header_hints", {}).items()
        }
        vocab.colour_modifiers = frozenset(english.get("colour_modifiers", []))
        vocab.noise_words = frozenset(english.get("noise_words", []))
        vocab.stopwords = frozenset(english.get("stopwords", []))
        synonyms = [*vocab.header_synonyms.items(), *vocab.value_synonyms.items()]
        vocab.english_words = frozenset(
            [word for key, targets in synonyms for word in (key, *targets)]
            + [normalise_text(v) for v in vocab.abbreviations.values()]
        )
        systems: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        _add_code_systems(systems, english.get("gender_codes", []), INTERNATIONAL)
        umlauts: list[tuple[str, str, str, str]] = []  # language, "headers"/"values", word, its key
        for path in sorted(folder.glob("*.json")):
            if path.stem in NOT_LANGUAGES:
                continue
            table = json.loads(path.read_text(encoding="utf-8"))
            language = table.get("language", path.stem)
            words: set[str] = set()
            for source, target in (("headers", vocab.header_terms), ("values", vocab.value_terms)):
                for k, v in table.get(source, {}).items():
                    key = _key(k)
                    words.add(key)
                    if _UMLAUTS.search(normalise_text(k)):
                        umlauts.append((language, source, k, key))
                    bucket = target.setdefault(key, [])
                    for english_text in _as_list(v):
                        english_text = normalise_text(english_text)
                        if english_text not in bucket:
                            bucket.append(english_text)
            vocab.language_words[language] = frozenset(words)
            vocab.scripts |= scripts_of("".join(words))
            _add_code_systems(systems, table.get("gender_codes", []), language)
        vocab.scripts |= scripts_of("".join(vocab.header_synonyms))
        _add_umlaut_spellings(vocab, umlauts)
        _build_completers(vocab)
        vocab.gender_codes = [
            CodeSystem(frozenset(notes), dict(codes), "; ".join(dict.fromkeys(n for n in notes.values() if n)))
            for codes, notes in systems.items()
        ]
        return vocab

    def knows_script_of(self, text: str) -> bool:
        """Whether some table is written in the script of ``text``'s letters (no letters: nothing to say, True)."""
        return scripts_of(text) <= self.scripts

    def reads_header(self, readings: list[Reading]) -> bool:
        """Whether a table rewrote the header or has it or one of its words (one read as itself, "UPC", counts)."""
        if any(r.how.startswith(("abbreviation", "translated", "synonym")) for r in readings):
            return True
        base = readings[0].text if readings else ""
        tables = (self.abbreviations, self.header_terms, self.header_synonyms, self.header_hints)
        return any(word in table for word in [base, *base.split()] for table in tables)

    def hints(self, readings: list[Reading]) -> dict[str, str]:
        """Attribute name -> the header word hinting at it ("gender" <- "department"), over all readings."""
        out: dict[str, str] = {}
        for reading in readings:
            for name in self.header_hints.get(reading.text, ()):
                out.setdefault(name, reading.text)
        return out

    # -- translation -------------------------------------------------------------------------

    def _split_compound(self, token: str, table: dict[str, list[str]]) -> str | None:
        """German/Dutch compounds: ``baumwollmischung`` -> ``cotton blend`` when both parts are known words."""
        if len(token) < 6:
            return None
        best: tuple[int, str] | None = None
        for i in range(3, len(token) - 2):
            left, right = token[:i], token[i:]
            right_en = table.get(right)
            if not right_en:
                continue
            for variant in (left, left + "e", left[:-1] if left.endswith(("s", "n")) else None):
                left_en = table.get(variant) if variant else None
                if left_en and (best is None or i > best[0]):
                    best = (i, f"{left_en[0]} {right_en[0]}")
        return best[1] if best else None

    def translate_tokens(self, text: str, table: dict[str, list[str]]) -> str | None:
        """Greedy longest-phrase translation word by word; None when nothing was translated."""
        tokens = text.split()
        out: list[str] = []
        hits, i = 0, 0
        while i < len(tokens):
            for n in (4, 3, 2, 1):
                phrase = " ".join(tokens[i : i + n])
                if len(tokens) - i >= n and phrase in table:
                    out.append(table[phrase][0])
                    hits, i = hits + 1, i + n
                    break
            else:
                compound = self._split_compound(tokens[i], table)
                pieces = None if compound else segment_unspaced(tokens[i], table)
                if pieces:
                    # A lone unknown letter beside known words is a suffix or particle (남성용 "for men", 黑色 "black colour").
                    kept = [table[p][0] if p in table else p for p in pieces if p in table or len(p) > 1]
                    compound = " ".join(kept)
                out.append(compound or tokens[i])
                hits += compound is not None
                i += 1
        return " ".join(out) if hits else None

    # -- readings ----------------------------------------------------------------------------

    def header_readings(self, header: str) -> list[Reading]:
        """English readings of a column header, best first (raw, abbreviations expanded, translated, synonyms)."""
        return list(_header_readings(self, header))

    def value_readings(self, value: str) -> list[Reading]:
        """English readings of a cell value, best first; the option lookup takes the first that is an option."""
        return list(_value_readings(self, value))


_UMLAUTS = re.compile("[äöü]")
_UMLAUT_SPELLING = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def _add_umlaut_spellings(vocab: Vocabulary, entries: list[tuple[str, str, str, str]]) -> None:
    """German typed without umlauts writes ä/ö/ü as ae/oe/ue ("gruen", "Groesse", "Aermel"; ß -> ss is folded anyway).

    Only words the tables spell with an umlaut get the second spelling, after every table is read, so "ue" is never
    rewritten in general (English "blue") and a spelling that is already some other word keeps that word's readings.
    """
    tables = {"headers": vocab.header_terms, "values": vocab.value_terms}
    taken = set(vocab.header_terms) | set(vocab.value_terms) | vocab.english_words | set(vocab.abbreviations)
    added: set[tuple[str, str]] = set()
    for language, source, raw, key in entries:
        spelling = _key(normalise_text(raw).translate(_UMLAUT_SPELLING))
        if spelling in taken and (source, spelling) not in added:
            continue
        added.add((source, spelling))
        table = tables[source]
        bucket = table.setdefault(spelling, [])
        bucket.extend(t for t in table[key] if t not in bucket)
        vocab.language_words[language] = vocab.language_words[language] | {spelling}


def _build_completers(vocab: Vocabulary) -> None:
    """Header words complete headers and value words values, each with the English words of its kind: "must." is
    "muster" (pattern) as a header, while among the values "mustard" would make it ambiguous."""
    abbreviations = {normalise_text(v) for v in vocab.abbreviations.values()}
    header_english = {w for k, v in [*vocab.header_synonyms.items(), *vocab.header_hints.items()] for w in (k, *v)}
    value_english = {w for k, v in vocab.value_synonyms.items() for w in (k, *v)}
    known = set(vocab.abbreviations)
    vocab.header_completer = WordCompleter.build(
        vocab.header_terms, vocab.header_synonyms, english=header_english | abbreviations, known=known
    )
    vocab.value_completer = WordCompleter.build(
        vocab.value_terms, vocab.value_synonyms, english=value_english | abbreviations, known=known
    )


def _add_code_systems(systems: dict[tuple[tuple[str, str], ...], dict[str, str]], entries: list, language: str) -> None:
    """Merge one table's code systems: the same letters with the same readings in two languages are one system."""
    for entry in entries:
        codes = tuple(sorted((_key(k), normalise_text(v)) for k, v in entry["codes"].items()))
        systems.setdefault(codes, {})[language] = entry.get("note", "")


def _add(readings: dict[str, Reading], text: str, weight: float, how: str) -> None:
    text = text.strip()
    if text and (text not in readings or readings[text].weight < weight):
        readings.setdefault(text, Reading(text, weight, how))


def _synonyms(table: dict[str, list[str]], text: str) -> list[str]:
    found = table.get(text)
    if found is None:
        found = table.get(" ".join(stem_token(t) for t in text.split()))
    return found or []


@lru_cache(maxsize=50_000)
def _header_readings(vocab: Vocabulary, header: str) -> tuple[Reading, ...]:
    from icaam_desktop.core.mapping.numbers import currency_table

    # "RRP (INR)", "Preis EUR", "Preço (R$)": the currency is a hint for the values, not part of the attribute's name.
    table = currency_table()
    base = _key(table.strip_symbols(header))
    tokens = [t for t in base.split() if t not in vocab.stopwords and not table.is_currency_word(t)] or base.split()
    base = " ".join(tokens)
    readings: dict[str, Reading] = {}
    _add(readings, base, 1.0, "")
    expanded_tokens = [vocab.abbreviations.get(t, t) for t in tokens]
    expanded = " ".join(expanded_tokens)
    if expanded != base:
        _add(readings, expanded, W_ABBREVIATION, "abbreviation")
    completed_tokens, notes = vocab.header_completer.complete(expanded_tokens, _cut_words(header))
    completed = " ".join(completed_tokens)
    if notes:
        _add(readings, completed, W_COMPLETION, "abbreviation " + "; ".join(notes))
    # The translations of a completed word are as much less sure as the completion is than a listed abbreviation.
    for source, scale in ((base, 1.0), (expanded, 1.0), (completed, W_COMPLETION / W_ABBREVIATION)):
        whole = vocab.header_terms.get(source)
        if whole:
            for alt in whole:
                _add(readings, alt, W_TRANSLATION * scale, "translated")
        else:
            translated = vocab.translate_tokens(source, vocab.header_terms)
            if translated:
                _add(readings, translated, W_TOKEN_TRANSLATION * scale, "translated")
    for reading in list(readings.values()):
        for alt in _synonyms(vocab.header_synonyms, reading.text):
            _add(readings, alt, reading.weight * W_SYNONYM, f"synonym of '{reading.text}'")
    return tuple(readings.values())


@lru_cache(maxsize=200_000)
def _value_readings(vocab: Vocabulary, value: str) -> tuple[Reading, ...]:
    base = _key(value)
    readings: dict[str, Reading] = {}
    if not base:
        return ()
    _add(readings, base, 1.0, "")
    # "SS24", "FW2023", "100m": a code glued to a number; the number is dropped with the modifiers below.
    unglued = unglue(base)
    if unglued != base:
        _add(readings, unglued, W_STRIPPED, "letters and digits apart")
    dominant = _dominant_fibre(value)
    if dominant:
        for reading in dominant:
            _add(readings, reading, W_STRIPPED, "main fibre of the composition")
    whole_abbr = vocab.abbreviations.get(base)
    if whole_abbr:
        _add(readings, whole_abbr, W_ABBREVIATION, f"abbreviation '{base}'")
    tokens = base.split()
    expanded_tokens = tokens
    if len(tokens) > 1:
        expanded_tokens = [vocab.abbreviations.get(t, t) if len(t) > 1 else t for t in tokens]
        expanded = " ".join(expanded_tokens)
        if expanded != base:
            _add(readings, expanded, W_ABBREVIATION * 0.95, "abbreviation")
    completed_tokens, notes = vocab.value_completer.complete(expanded_tokens, _cut_words(value))
    if notes:
        _add(readings, " ".join(completed_tokens), W_COMPLETION, "abbreviation " + "; ".join(notes))
    for reading in list(readings.values()):
        whole = vocab.value_terms.get(reading.text)
        if whole:
            for alt in whole:
                _add(readings, alt, reading.weight * W_TRANSLATION, f"translated '{reading.text}'")
        else:
            translated = vocab.translate_tokens(reading.text, vocab.value_terms)
            if translated:
                _add(readings, translated, reading.weight * W_TOKEN_TRANSLATION, f"translated '{reading.text}'")
    for reading in list(readings.values()):
        for alt in _synonyms(vocab.value_synonyms, reading.text):
            _add(readings, alt, reading.weight * W_SYNONYM, f"synonym of '{reading.text}'")
    drop = vocab.colour_modifiers | vocab.noise_words
    for reading in list(readings.values()):
        kept = [t for t in reading.text.split() if t not in drop and not t.isdigit()]
        if kept and len(kept) < len(reading.text.split()):
            stripped = " ".join(kept)
            _add(readings, stripped, reading.weight * W_STRIPPED, f"without '{reading.text}' modifiers")
            for alt in _synonyms(vocab.value_synonyms, stripped):
                _add(readings, alt, reading.weight * W_STRIPPED * W_SYNONYM, f"synonym of '{stripped}'")
    # "GRY - Grey Marl", "schwarz (001)": a supplier code next to the label; each side is read on its own,
    # the longer (the label, usually) first, after every reading of the whole value.
    parts = [p for p in _CODE_AND_LABEL.split(value) if _key(p)]
    if len(parts) > 1:
        for part in sorted(parts, key=lambda p: -sum(ch.isalpha() for ch in p)):
            for reading in _value_readings(vocab, part.strip()):
                _add(readings, reading.text, reading.weight * W_STRIPPED, f"'{part.strip()}' of the value")
    return tuple(readings.values())


# A word of three letters or more cut short with a full stop: "Geschl.", "bleu mar.", the "dkl" of "dkl.blau".
_CUT_WORD = re.compile(r"(?<!\w)([^\W\d_]{3,})\.")


_SENTENCE_WORDS = 6  # a text this long is prose, whose full stops end sentences


@lru_cache(maxsize=200_000)
def _cut_words(text: str) -> frozenset[str]:
    """The normal forms of the words of ``text`` written cut short; none in prose, file names, addresses and the
    scripts written without spaces, where a full stop does not shorten a word."""
    if "." not in text or "@" in text or is_file_name(text) or has_unspaced_script(text):
        return frozenset()
    if len(text.split()) >= _SENTENCE_WORDS:
        return frozenset()
    words = (_key(m.group(1)).split() for m in _CUT_WORD.finditer(text))
    return frozenset(w[-1] for w in words if w and len(w[-1]) >= 3)


_CODE_AND_LABEL = re.compile(r"\s+[-\u2013\u2014|]\s+|[()\[\]]")


# "60% cotton" or "cotton 60%": a share and a word that starts with a letter.
_SHARE = re.compile(
    r"(\d{1,3}(?:[.,]\d+)?)\s*%\s*([^\W\d_][^\d%,;/+]*)|([^\W\d_][^\d%,;/+]*?)\s*(\d{1,3}(?:[.,]\d+)?)\s*%"
)


def _dominant_fibre(value: str) -> list[str]:
    """``"60% cotton, 40% polyester"`` -> ``["cotton blend", "cotton"]``; ``"95% Baumwolle 5% Elasthan"`` -> ``["baumwolle"]``.

    Compositions name the main fibre first by share; under 90% it is a blend of it.
    """
    shares: list[tuple[float, str]] = []
    for m in _SHARE.finditer(value):
        number, word = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        word = normalise_text(word)
        if word:
            shares.append((float(number.replace(",", ".")), word))
    if len(shares) < 2:
        return []
    share, fibre = max(shares)
    return [fibre] if share >= 90 else [f"{fibre} blend", fibre]


@lru_cache(maxsize=4)
def default_vocabulary(folder: str | None = None) -> Vocabulary:
    """The bundled vocabulary, loaded once per process."""
    return Vocabulary.load(Path(folder) if folder else None)


def key_of(text: str) -> str:
    """Re-exported normal form used by the option index (see text.match_key)."""
    return match_key(text)
