"""Predictions, decisions with provenance, undo, and the append-only guarantees, on Northwind."""

from __future__ import annotations

import sqlite3
from datetime import UTC

import pytest

from icaam_desktop.core.store import Workspace, WorkspaceError
from tests.core.store.workspace_data import MODEL_V1, MODEL_V2, prediction, predictions_from_truth


def _ids(ws) -> list[str]:
    return [r.product_id for r in ws.products("northwind")]


def test_predictions_round_trip_exactly(ws, taxonomy, truth):
    ids = _ids(ws)
    saved = predictions_from_truth(taxonomy, truth, ids, model_version=MODEL_V1)
    ws.save_predictions("northwind", saved)
    loaded = ws.predictions("northwind")
    assert list(loaded) == ids
    assert [loaded[p.product_id] for p in saved] == saved  # dataclass equality: levels, alternatives, reasons
    assert {p.status for p in saved} == {"auto", "review", "rejected"}


def test_products_show_the_current_prediction(ws, taxonomy, truth):
    ids = _ids(ws)
    ws.save_predictions("northwind", predictions_from_truth(taxonomy, truth, ids, model_version=MODEL_V1))
    records = {r.product_id: r for r in ws.products("northwind")}
    auto, review, rejected = records[ids[0]], records[ids[3]], records[ids[24]]
    assert (auto.status, auto.category, auto.confidence) == ("auto", truth[ids[0]], pytest.approx(0.93))
    assert auto.source == "model" and auto.model_version == MODEL_V1
    assert review.status == "review" and review.category == taxonomy.ancestors(truth[ids[3]])[0]
    assert review.leaf_code == truth[ids[3]] and review.confidence == pytest.approx(0.41)
    assert (rejected.status, rejected.category, rejected.confidence) == ("rejected", None, None)
    assert ws.deliveries()[0].n_predicted == 400


def test_a_newer_model_version_becomes_current_and_old_ones_stay(ws, taxonomy, truth):
    ids = _ids(ws)
    pid = ids[3]
    ws.save_predictions("northwind", [prediction(taxonomy, pid, truth[pid], status="review", model_version=MODEL_V1)])
    ws.save_predictions("northwind", [prediction(taxonomy, pid, truth[pid], status="auto", model_version=MODEL_V2)])
    assert ws.predictions("northwind")[pid].model_version == MODEL_V2
    assert ws.predictions("northwind", model_version=MODEL_V1)[pid].status == "review"
    # Saving the same version again upserts (no duplicate rows) and makes it current again.
    ws.save_predictions("northwind", [prediction(taxonomy, pid, truth[pid], status="review", model_version=MODEL_V1)])
    assert ws.predictions("northwind")[pid].model_version == MODEL_V1
    assert ws.conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 2


def test_resume_knows_which_products_a_model_already_did(ws, taxonomy, truth):
    ids = _ids(ws)
    done = ids[:150]  # a run interrupted after 150 products
    ws.save_predictions("northwind", predictions_from_truth(taxonomy, truth, done, model_version=MODEL_V1))
    assert ws.predicted_ids("northwind", MODEL_V1) == set(done)
    assert ws.predicted_ids("northwind", MODEL_V2) == set()
    todo = [pid for pid in ids if pid not in ws.predicted_ids("northwind", MODEL_V1)]
    assert todo == ids[150:]


def test_predictions_for_unknown_products_write_nothing(ws, taxonomy, truth):
    ids = _ids(ws)
    batch = predictions_from_truth(taxonomy, truth, ids[:5], model_version=MODEL_V1)
    batch.append(prediction(taxonomy, "NOT-A-PRODUCT", "tshirts", status="auto", model_version=MODEL_V1))
    with pytest.raises(WorkspaceError, match="unknown product id.*NOT-A-PRODUCT"):
        ws.save_predictions("northwind", batch)
    assert ws.predictions("northwind") == {}


def test_decisions_override_predictions_and_undo_steps_back(ws, taxonomy, truth):
    ids = _ids(ws)
    ws.save_predictions("northwind", predictions_from_truth(taxonomy, truth, ids, model_version=MODEL_V1))
    pid = ids[3]  # a review product
    first = ws.record_decision(
        delivery="northwind",
        product_id=pid,
        field="category",
        value=truth[pid],
        source="analyst",
        model_version=MODEL_V1,
        score=0.41,
        alternatives=[(truth[pid], 0.41), ("tshirts", 0.3)],
        note="looked at the photo",
    )
    second = ws.record_decision(delivery="northwind", product_id=pid, field="category", value="", source="analyst")
    assert second > first

    current = ws.decisions("northwind")
    assert [(d.id, d.value) for d in current] == [(second, "")]
    record = next(r for r in ws.products("northwind") if r.product_id == pid)
    assert (record.status, record.category, record.source) == ("rejected", None, "analyst")

    undone = ws.undo_last("northwind")
    assert undone.id == second and undone.undone_at is not None
    (back,) = ws.decisions("northwind")
    assert back.id == first and back.note == "looked at the photo" and back.score == pytest.approx(0.41)
    assert back.alternatives == [(truth[pid], 0.41), ("tshirts", 0.3)]
    assert back.decided_at.tzinfo == UTC
    record = next(r for r in ws.products("northwind") if r.product_id == pid)
    assert (record.status, record.category, record.confidence) == ("accepted", truth[pid], 1.0)
    assert ws.deliveries()[0].n_accepted == 1

    assert ws.undo_last("northwind").id == first
    record = next(r for r in ws.products("northwind") if r.product_id == pid)
    assert record.status == "review"  # back to the prediction
    assert ws.undo_last("northwind") is None

    history = ws.decisions("northwind", history=True)
    assert [d.id for d in history] == [first, second] and all(d.undone_at for d in history)
    actions = [e.action for e in ws.audit_log("northwind")]
    assert actions[-4:] == ["decision", "decision", "decision_undone", "decision_undone"]


def test_model_decisions_are_not_undone_by_the_analyst_undo(ws):
    pid = _ids(ws)[0]
    ws.record_decision(
        delivery="northwind", product_id=pid, field="category", value="tshirts", source="model", score=0.97
    )
    assert ws.undo_last("northwind") is None
    record = next(r for r in ws.products("northwind") if r.product_id == pid)
    assert (record.status, record.category, record.confidence) == ("auto", "tshirts", pytest.approx(0.97))


def test_decisions_are_checked_against_the_taxonomy(ws):
    pid = _ids(ws)[0]
    with pytest.raises(ValueError, match="unknown category"):
        ws.record_decision(delivery="northwind", product_id=pid, field="category", value="spaceships", source="analyst")
    with pytest.raises(ValueError, match="not an option"):
        ws.record_decision(delivery="northwind", product_id=pid, field="base_colour", value="ultra", source="analyst")
    with pytest.raises(ValueError, match="source must be one of"):
        ws.record_decision(delivery="northwind", product_id=pid, field="category", value="tshirts", source="robot")
    with pytest.raises(WorkspaceError, match="no product"):
        ws.record_decision(delivery="northwind", product_id="nope", field="category", value="tshirts", source="analyst")
    assert ws.decisions("northwind", history=True) == []


def test_audit_and_decisions_are_append_only_in_sqlite_itself(ws):
    pid = _ids(ws)[0]
    ws.record_decision(delivery="northwind", product_id=pid, field="category", value="tshirts", source="analyst")
    # Even raw SQL on the file, bypassing the Workspace API, cannot rewrite history.
    raw = sqlite3.connect(ws.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE audit SET action = 'nothing happened'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM audit")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM decisions")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE decisions SET value = 'shirts'")
        raw.execute("UPDATE decisions SET undone_at = '2026-01-01T00:00:00+00:00'")  # the one allowed change
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE decisions SET undone_at = NULL")
        raw.rollback()
    finally:
        raw.close()
    assert len(ws.audit_log()) >= 3


def test_a_failed_write_leaves_nothing_behind(ws, taxonomy, truth):
    """One transaction per write: a batch that fails half-way is rolled back whole."""
    ids = _ids(ws)
    good = predictions_from_truth(taxonomy, truth, ids[:3], model_version=MODEL_V1)
    bad = prediction(taxonomy, ids[3], truth[ids[3]], status="auto", model_version=MODEL_V1)
    bad.status = None  # NOT NULL column: fails after the first rows were inserted
    audit_before = len(ws.audit_log())
    with pytest.raises(sqlite3.IntegrityError):
        ws.save_predictions("northwind", [*good, bad])
    assert ws.predictions("northwind") == {} and len(ws.audit_log()) == audit_before
    reopened = Workspace.open(ws.path)
    assert reopened.predictions("northwind") == {}
    reopened.close()


def test_several_writes_can_share_one_transaction(ws):
    """E.g. "accept all auto products": one commit, or nothing when anything fails."""
    ids = _ids(ws)[:50]
    with pytest.raises(RuntimeError), ws.transaction():
        for pid in ids:
            ws.record_decision(
                delivery="northwind", product_id=pid, field="category", value="tshirts", source="analyst"
            )
        ws.set_meta("last_delivery", "northwind")
        raise RuntimeError("the analyst's machine lost power")
    assert ws.decisions("northwind") == [] and ws.get_meta("last_delivery") is None
    assert not [e for e in ws.audit_log() if e.action in ("decision", "set_meta")]
    with ws.transaction():
        for pid in ids:
            ws.record_decision(
                delivery="northwind", product_id=pid, field="category", value="tshirts", source="analyst"
            )
    assert len(ws.decisions("northwind")) == 50


def test_a_batch_of_decisions_is_undone_as_one(ws):
    ids = _ids(ws)
    single = ws.record_decision(delivery="northwind", product_id=ids[0], field="category", value="", source="analyst")
    batch = ws.record_batch(
        delivery="northwind", product_ids=ids[1:31], field="age_group", value="adults_men", source="analyst", note="x"
    )
    assert len(batch) == 30
    current = {d.product_id: d for d in ws.decisions("northwind")}
    assert {current[pid].value for pid in ids[1:31]} == {"adults_men"}
    assert len({current[pid].note for pid in ids[1:31]}) == 1  # one shared batch note
    undone = ws.undo_last("northwind")
    assert undone.id in batch
    assert [d.id for d in ws.decisions("northwind")] == [single]  # the whole batch, and only it
    with pytest.raises(ValueError, match="option"):
        ws.record_batch(delivery="northwind", product_ids=ids[:2], field="age_group", value="ancient", source="analyst")
    with pytest.raises(WorkspaceError, match="no product 'nope'"):
        ws.record_batch(
            delivery="northwind", product_ids=["nope"], field="age_group", value="adults_men", source="analyst"
        )
    assert [d.id for d in ws.decisions("northwind")] == [single]  # a refused batch writes nothing
