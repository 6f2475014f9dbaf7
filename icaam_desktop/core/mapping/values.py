"""Supplier values onto option codes: exact readings first, then fuzzy, partial words, and embeddings last.

Every stage is stricter than the one after it is lenient; a value no stage can place is reported
unmapped with its closest option, never guessed silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from icaam_desktop.core.mapping.embeddings import TextEmbedder
from icaam_desktop.core.mapping.model import SOURCE_MEMORY, SupplierMemory, ValueMatch
from icaam_desktop.core.mapping.placeholders import is_placeholder
from icaam_desktop.core.mapping.text import fold_accents, match_key, normalise_text
from icaam_desktop.core.mapping.vocab import Reading, Vocabulary, default_vocabulary
from icaam_desktop.core.taxonomy import AttributeSpec

FUZZY_CUTOFF = 88.0  # rapidfuzz ratio on normalised keys: catches typos, not different words
PARTIAL_WEIGHT = 0.6  # one word of the value names exactly one option ("Kids - Boys" -> Boys)
CORE_WEIGHT = 0.97  # the option label without the attribute's own words ("Slim" -> Slim Fit)
# The option a value naming several options at once stands for ("Black/White" -> Multi, "Men/Women" -> Unisex).
SEVERAL_KEYS = ("multi", "multicolour", "multicolor", "multicoloured", "unisex", "assorted", "mixed")
EMBEDDING_MIN_COSINE = 0.85
EMBEDDING_MIN_MARGIN = 0.05
EMBEDDING_CONFIDENCE = 0.5


@dataclass
class OptionKeys:
    """The lookup keys of one select attribute: key -> (option code, weight, the label it came from)."""

    attribute: AttributeSpec
    keys: dict[str, tuple[str, float, str]] = field(default_factory=dict)

    @classmethod
    def build(cls, attribute: AttributeSpec) -> OptionKeys:
        own_words = {t for text in (attribute.code, *attribute.labels.values()) for t in match_key(text).split()}
        keys: dict[str, tuple[str, float, str]] = {}
        cores: dict[str, list[tuple[str, str]]] = {}
        for option in attribute.options:
            for text in (*option.labels.values(), option.code):
                key = match_key(text)
                if key:
                    keys.setdefault(key, (option.code, 1.0, option.label))
                core = " ".join(t for t in key.split() if t not in own_words)
                if core and core != key:
                    cores.setdefault(core, []).append((option.code, option.label))
        for core, hits in cores.items():
            if len({code for code, _ in hits}) == 1 and core not in keys:
                keys[core] = (hits[0][0], CORE_WEIGHT, hits[0][1])
        return cls(attribute, keys)

    def lookup(self, readings: Iterable[Reading]) -> tuple[str, float, str, Reading] | None:
        """The first reading that is an option key: (code, confidence, label, reading)."""
        for reading in readings:
            hit = self.keys.get(match_key(reading.text))
            if hit:
                return hit[0], reading.weight * hit[1], hit[2], reading
        return None

    def partial(self, readings: Iterable[Reading], vocab: Vocabulary) -> tuple[str, float, str, str] | None:
        """A single word (or pair) of a reading that names exactly one option ("Kids - Boys" -> Boys).

        Each piece is read through the vocabulary too ("navy" -> Navy Blue). Pieces naming several options of an
        attribute with a "Multi" option ("Black/White") give that option.
        """
        for reading in readings:
            # Unstemmed words: each piece is looked up through the vocabulary, which knows "grijs", not "grij".
            words = fold_accents(normalise_text(reading.text)).split()
            if len(words) < 2:
                continue
            pieces = [" ".join(words[i : i + 2]) for i in range(len(words) - 1)] + words
            found: dict[str, tuple[tuple[str, float, str], str]] = {}
            covered: set[str] = set()
            for piece in pieces:
                if set(piece.split()) <= covered:
                    continue  # "navy blue" already named an option: "blue" alone adds nothing
                hit = self.lookup(vocab.value_readings(piece))
                if hit:
                    found.setdefault(hit[0], ((hit[0], hit[1], hit[2]), piece))
                    covered |= set(piece.split())
            if len(found) == 1:
                (code, weight, label), piece = next(iter(found.values()))
                return code, reading.weight * weight * PARTIAL_WEIGHT, label, piece
            several = next((self.keys[k] for k in SEVERAL_KEYS if k in self.keys), None)
            if len(found) > 1 and several:
                return several[0], reading.weight * PARTIAL_WEIGHT, several[2], " + ".join(p for _, p in found.values())
        return None


_KEYS_CACHE: dict[int, OptionKeys] = {}


def option_keys(attribute: AttributeSpec) -> OptionKeys:
    """The (cached) option keys of ``attribute``."""
    cached = _KEYS_CACHE.get(id(attribute))
    if cached is None or cached.attribute is not attribute:
        cached = OptionKeys.build(attribute)
        _KEYS_CACHE[id(attribute)] = cached
    return cached


def normalise_value(
    attribute: AttributeSpec,
    raw: str,
    *,
    vocab: Vocabulary | None = None,
    memory: SupplierMemory | None = None,
    embedder: TextEmbedder | None = None,
) -> ValueMatch:
    """Map one supplier value of a select attribute onto an option code (None = unmapped, with the reason)."""
    if memory is not None and (attribute.code, raw) in memory.values:
        code = memory.values[(attribute.code, raw)]
        return ValueMatch(attribute.code, raw, code, 0.99, ["accepted before for this supplier"], source=SOURCE_MEMORY)
    if not normalise_text(raw) or is_placeholder(raw):
        return ValueMatch(
            attribute.code, raw, None, 0.0, ["empty value" if not normalise_text(raw) else "a placeholder for no value"]
        )
    vocab = vocab or default_vocabulary()
    keys = option_keys(attribute)
    readings = vocab.value_readings(raw)
    hit = keys.lookup(readings)
    if hit:
        code, confidence, label, reading = hit
        how = f"{reading.how} -> " if reading.how else ""
        return ValueMatch(attribute.code, raw, code, round(confidence, 3), [f"{how}option '{label}'"])
    choices = list(keys.keys)
    best: tuple[float, str, Reading] | None = None
    for reading in readings:
        found = process.extractOne(match_key(reading.text), choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if found and (best is None or found[1] * reading.weight > best[0]):
            best = (found[1] * reading.weight, found[0], reading)
    if best:
        code, weight, label = keys.keys[best[1]]
        confidence = round(0.85 * weight * best[0] / 100, 3)
        return ValueMatch(attribute.code, raw, code, confidence, [f"spelled like '{label}' ({best[0] / 100:.2f})"])
    part = keys.partial(readings, vocab)
    if part:
        code, confidence, label, piece = part
        several = " + " in piece
        why = f"'{piece}' name several options: '{label}'" if several else f"the word '{piece}' names option '{label}'"
        return ValueMatch(attribute.code, raw, code, round(confidence, 3), [why])
    if embedder is not None and attribute.options:
        embedded = _embedding_match(attribute, raw, readings, embedder)
        if embedded:
            return embedded
    return ValueMatch(attribute.code, raw, None, 0.0, [_closest_note(attribute, readings, choices)])


def _embedding_match(
    attribute: AttributeSpec, raw: str, readings: list[Reading], embedder: TextEmbedder
) -> ValueMatch | None:
    labels = [o.label for o in attribute.options]
    texts = [r.text for r in readings[:3]]
    vectors = embedder.encode(texts + labels)
    sims = vectors[: len(texts)] @ vectors[len(texts) :].T
    row = sims.max(axis=0)
    order = row.argsort()[::-1]
    top = float(row[order[0]])
    second = float(row[order[1]]) if len(order) > 1 else 0.0
    if top >= EMBEDDING_MIN_COSINE and top - second >= EMBEDDING_MIN_MARGIN:
        option = attribute.options[int(order[0])]
        reason = f"meaning ~ '{option.label}' {top:.2f} (embedding, check)"
        return ValueMatch(attribute.code, raw, option.code, EMBEDDING_CONFIDENCE, [reason])
    return None


def _closest_note(attribute: AttributeSpec, readings: list[Reading], choices: list[str]) -> str:
    if not choices:
        return f"'{attribute.code}' has no options"
    found = process.extractOne(match_key(readings[0].text), choices, scorer=fuzz.ratio) if readings else None
    if found:
        label = option_keys(attribute).keys[found[0]][2]
        return f"no option of '{attribute.code}' matches (closest '{label}' {found[1] / 100:.2f})"
    return f"no option of '{attribute.code}' matches"
