"""Column/value matches, supplier memory, attribute values and the embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from icaam_desktop.core.mapping.model import ColumnMatch, ValueMatch
from icaam_desktop.core.store import Workspace, image_key
from tests.core.store.workspace_data import build_workspace, truth_values


def _model_column_matches() -> list[ColumnMatch]:
    return [
        ColumnMatch("Article No", "sku", 0.99, ["id column"]),
        ColumnMatch(
            "Colour",
            "base_colour",
            0.81,
            ['name ~ "Base Colour" 0.62'],
            [("base_colour", 0.81), ("colour_family", 0.4)],
        ),
        ColumnMatch("Material", "fabric", 0.7, ["values map to options"]),
        ColumnMatch("Material", "material", 0.66, ["values map to options"]),
        ColumnMatch("Occasion", "occasion", 0.55, ["name"]),
        ColumnMatch("Dept", None, 0.9, ["no counterpart"]),
    ]


def test_column_and_value_matches_round_trip(ws):
    matches = _model_column_matches()
    ws.save_column_matches("northwind", matches)
    assert ws.column_matches("northwind") == matches
    values = [
        ValueMatch("base_colour", "NAVY", "navy_blue", 0.93, ["synonym"]),
        ValueMatch("base_colour", "Electric Lime", None, 0.0, ["no option"]),
    ]
    ws.save_value_matches("northwind", values)
    assert ws.value_matches("northwind") == values


def test_accepting_updates_the_match_records_a_decision_and_remembers_for_the_supplier(
    tmp_path, ws, taxonomy, northwind
):
    ws.save_column_matches("northwind", _model_column_matches())
    ws.save_value_matches("northwind", [ValueMatch("usage", "casual", "casual", 0.6)])

    ws.accept_column("northwind", supplier_column="Occasion", attributes=["usage"])
    ws.accept_column("northwind", supplier_column="Dept", attributes=[])
    ws.accept_value("northwind", attribute="base_colour", supplier_value="NAVY", option_code="navy_blue")
    ws.accept_value("northwind", attribute="base_colour", supplier_value="Electric Lime", option_code=None)

    occasion = [m for m in ws.column_matches("northwind") if m.supplier_column == "Occasion"]
    assert [(m.attribute, m.confidence, m.source) for m in occasion] == [("usage", 1.0, "analyst")]
    navy = next(m for m in ws.value_matches("northwind") if m.supplier_value == "NAVY")
    assert (navy.option_code, navy.confidence, navy.source) == ("navy_blue", 1.0, "analyst")

    decisions = {d.field: d for d in ws.decisions("northwind")}
    assert decisions["column:Occasion"].value == "usage" and decisions["column:Occasion"].product_id is None
    assert decisions["value:base_colour:NAVY"].value == "navy_blue"
    assert decisions["column:Dept"].value == ""

    memory = ws.supplier_memory("northwind")
    assert memory.columns == {"Dept": [], "Occasion": ["usage"]}
    assert memory.values == {("base_colour", "Electric Lime"): "", ("base_colour", "NAVY"): "navy_blue"}

    # A mapper re-run does not overwrite the analyst's choices...
    ws.save_column_matches("northwind", _model_column_matches())
    occasion = [m for m in ws.column_matches("northwind") if m.supplier_column == "Occasion"]
    assert [(m.attribute, m.source) for m in occasion] == [("usage", "analyst")]
    ws.save_value_matches("northwind", [ValueMatch("base_colour", "NAVY", "blue", 0.5)])
    assert next(m for m in ws.value_matches("northwind") if m.supplier_value == "NAVY").option_code == "navy_blue"

    # ...and the next delivery of the same supplier finds the memory.
    northwind.name = "northwind-december"
    try:
        other = build_workspace(ws.path, taxonomy, northwind, supplier="northwind")
    finally:
        northwind.name = "northwind"
    assert other.supplier_memory(other.supplier_of("northwind-december")).columns["Occasion"] == ["usage"]
    assert other.supplier_memory("contoso").columns == {}
    other.close()


def test_accepting_refuses_what_the_taxonomy_does_not_have(ws):
    with pytest.raises(ValueError, match="unknown attribute"):
        ws.accept_column("northwind", supplier_column="Colour", attributes=["colour_of_the_sky"])
    with pytest.raises(ValueError, match="not an option"):
        ws.accept_value("northwind", attribute="base_colour", supplier_value="NAVY", option_code="dark_navy_ish")
    assert ws.supplier_memory("northwind").columns == {}


def test_product_values_with_analyst_overrides(ws, fashion):
    values = truth_values(fashion)
    ws.save_product_values("northwind", values)
    stored = ws.product_values("northwind")
    assert stored == values

    pid = next(iter(values))
    ws.record_decision(delivery="northwind", product_id=pid, field="base_colour", value="red", source="analyst")
    ws.record_decision(delivery="northwind", product_id=pid, field="brand", value="", source="analyst")
    mine = ws.product_values("northwind")[pid]
    assert mine["base_colour"] == "red" and "brand" not in mine
    ws.undo_last("northwind")
    assert ws.product_values("northwind")[pid]["brand"] == values[pid]["brand"]

    # Saving a product again replaces its values (a value the mapper no longer finds goes away).
    ws.save_product_values("northwind", {pid: {"name": "Renamed"}})
    assert ws.product_values("northwind")[pid] == {"name": "Renamed", "base_colour": "red"}


def test_embeddings_are_cached_per_backbone_and_invalidated_by_a_new_one(ws, northwind):
    images = [im for p in northwind.products[:20] for im in p.usable_images]
    keys = [image_key(im.path) for im in images]
    assert len(set(keys)) == len(keys) and all(len(k) == 40 for k in keys)
    rng = np.random.default_rng(0)
    vectors = {k: rng.normal(size=1280).astype(np.float32) for k in keys}

    assert ws.put_embeddings("efficientnet_lite0@abc", vectors) == 0
    got = ws.get_embeddings("efficientnet_lite0@abc", [*keys, "not-cached"])
    assert set(got) == set(keys)
    for k in keys:
        assert got[k].dtype == np.float32 and got[k].shape == (1280,)
        np.testing.assert_allclose(got[k], vectors[k], rtol=1e-3, atol=1e-3)  # float16 storage
    assert ws.embedding_backbone() == "efficientnet_lite0@abc"

    # A retrained backbone makes every old vector stale: they are purged, never returned.
    purged = ws.put_embeddings("efficientnet_lite0@def", {keys[0]: np.zeros(1280, dtype=np.float32)})
    assert purged == len(keys)
    assert ws.get_embeddings("efficientnet_lite0@abc", keys) == {}
    assert list(ws.get_embeddings("efficientnet_lite0@def", keys)) == [keys[0]]
    assert ws.embedding_backbone() == "efficientnet_lite0@def"
    # Another connection (e.g. the training worker) sees the same cache.
    with Workspace.open(ws.path) as other:
        assert list(other.get_embeddings("efficientnet_lite0@def", keys)) == [keys[0]]


def test_meta_settings(ws):
    assert ws.get_meta("last_delivery") is None
    ws.set_meta("last_delivery", "northwind")
    assert ws.get_meta("last_delivery") == "northwind"
    assert ws.audit_log()[-1].action == "set_meta"
