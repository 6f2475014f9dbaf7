"""Each column signal on its own, against the real taxonomy."""

from __future__ import annotations

import numpy as np

from icaam_desktop.core.mapping.signals import (
    ColumnProfile,
    OptionIndex,
    add_option_hits,
    breadth_scores,
    fit_scores,
    meaning_scores,
    name_scores,
    token_containment,
)
from icaam_desktop.core.mapping.vocab import default_vocabulary


def top(matrix: np.ndarray, row: int, attributes) -> str:
    return attributes[int(np.argmax(matrix[row]))].code


def test_token_containment():
    scores = token_containment(["colour", "sleeves"], ["base colour", "sleeve length", "brand"])
    assert scores[0, 0] == 1.0 and scores[1, 1] == 1.0 and scores[0, 2] == 0.0


def test_name_signal_alone(taxonomy):
    attributes = list(taxonomy.attributes.values())
    vocab = default_vocabulary()
    headers = ["Farbe", "slv len", "Gender/Target", "Marke", "Kleur", "RRP (INR)", "Temporada", "Neckline"]
    expected = ["base_colour", "sleeve_length", "gender", "brand", "base_colour", "price", "season", "neck"]
    scores = name_scores([vocab.header_readings(h) for h in headers], attributes)
    assert [top(scores, i, attributes) for i in range(len(headers))] == expected
    assert scores.max() <= 1.0 and scores.min() >= 0.0


def test_meaning_signal_alone(taxonomy, embedder):
    attributes = list(taxonomy.attributes.values())
    vocab = default_vocabulary()
    headers = ["Textile", "Trademark owner"]  # words the vocabulary does not know
    scores = meaning_scores([vocab.header_readings(h) for h in headers], attributes, embedder)
    assert top(scores, 0, attributes) == "fabric"
    assert top(scores, 1, attributes) == "brand"
    only_first = meaning_scores([vocab.header_readings(h) for h in headers], attributes, embedder, rows=np.array([0]))
    assert only_first[1].max() == 0.0 and np.allclose(only_first[0], scores[0])


def profiles_for(columns: dict[str, list[str]], attributes) -> list[ColumnProfile]:
    profiles = [ColumnProfile.build(name, cells) for name, cells in columns.items()]
    add_option_hits(profiles, OptionIndex(attributes), default_vocabulary())
    return profiles


def test_value_profile_signal_alone(taxonomy):
    attributes = list(taxonomy.attributes.values())
    index = {a.code: i for i, a in enumerate(attributes)}
    columns = {
        "x1": ["Schwarz", "navy", "Weiß", "grey marl", "Rot", ""],
        "x2": ["1.299,00", "1299 INR", "INR 1,299.00", "449,00"],
        "x3": ["2011", "2012", "2015", "2012"],
        "x4": ["a.jpg", "b.jpg", "c.jpg"],
        "x5": ["Sommer", "Winter", "Herbst"],
        "x6": ["A-1", "A-2", "A-3", "A-4"],
    }
    fit = fit_scores(profiles_for(columns, attributes), attributes)
    assert fit[0, index["base_colour"]] > 0.9 and fit[0, index["season"]] == 0.0  # translations weigh a bit less
    assert fit[1, index["price"]] == 1.0 and fit[1, index["base_colour"]] == 0.0
    assert fit[2, index["year"]] == 1.0 and fit[2, index["price"]] == 0.0
    assert fit[3].max() == 0.0  # file names fit nothing, not even text
    assert fit[4, index["season"]] > 0.9
    assert fit[5, index["sku"]] == 1.0  # unique codes look like an identifier


def test_breadth_signal(taxonomy):
    attributes = [taxonomy.attributes[c] for c in ("gender", "usage", "occasion", "dial_shape")]
    breadth = breadth_scores(taxonomy, attributes)
    assert breadth[0] == breadth[1] == 1.0
    assert 0 < breadth[3] < breadth[2] < 1.0
