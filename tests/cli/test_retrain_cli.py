"""`icaam retrain`: the head-only retrain from a workspace's decisions, headless, as the window's Retrain now."""

from __future__ import annotations

import pytest

from icaam_desktop.cli import main
from tests.catalogue import demo_delivery


@pytest.mark.slow
def test_retrain_learns_the_overrides_activates_and_repredicts_from_the_cache(tmp_path, taxonomy_dir, capsys):
    from icaam_desktop.core.store import FIELD_CATEGORY, SOURCE_ANALYST, Workspace
    from icaam_desktop.core.taxonomy import load_taxonomy
    from icaam_desktop.core.training.tracking import active_model_dir

    delivery = demo_delivery(tmp_path / "demo12", 12)
    db = tmp_path / "ws.sqlite"
    base = ["--taxonomy", str(taxonomy_dir), "--device", "cpu"]
    assert main(["classify", str(delivery), *base, "--db", str(db), "--out", str(tmp_path / "p.csv")]) in (0, 1)
    with Workspace.open(db) as ws:
        assert ws.taxonomy().fingerprint == load_taxonomy(taxonomy_dir).fingerprint  # classify --db stored it
        before = ws.predictions("demo12")
        # the analyst moves six products to the model's runner-up leaf
        overridden = {
            pid: next(code for code, _p in p.levels[-1].alternatives if code != p.leaf_code)
            for pid, p in list(before.items())[:6]
        }
        for pid, leaf in overridden.items():
            ws.record_decision(
                delivery="demo12", product_id=pid, field=FIELD_CATEGORY, value=leaf, source=SOURCE_ANALYST
            )
    # One photo the analyst did not touch has gone since the import (moved, deleted): no crash, it is said.
    gone = before[list(before)[-1]]
    for photo in (delivery / "images").glob(f"{gone.product_id}*"):
        photo.unlink()
    capsys.readouterr()

    code = main(["retrain", "--db", str(db), "--delivery", "demo12", "--device", "cpu", "--activate", "--no-tracking"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "retrained on 6 corrected products" in out
    assert "demo12: 11 products re-predicted from the cached embeddings; 1 need `icaam classify`" in out
    assert active_model_dir() is not None and "activated:" in out
    with Workspace.open(db) as ws:
        after = ws.predictions("demo12")
    new_version = before[next(iter(before))].model_version + "-h1"
    assert {p.model_version for pid, p in after.items() if pid != gone.product_id} == {new_version}
    learnt = sum(after[pid].leaf_code == leaf for pid, leaf in overridden.items())
    assert learnt >= 5, f"only {learnt}/6 overridden products now predict the analyst's leaf"

    # Without --activate the workspace keeps the predictions of the model in use.
    assert main(["retrain", "--db", str(db), "--delivery", "demo12", "--device", "cpu", "--no-tracking"]) == 0
    assert "not activated: predictions unchanged" in capsys.readouterr().out
    with Workspace.open(db) as ws:
        assert {p.model_version for pid, p in ws.predictions("demo12").items() if pid != gone.product_id} == {
            new_version
        }


def test_retrain_needs_decisions_and_a_known_delivery(tmp_path, taxonomy_dir, capsys):
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.store import Workspace
    from icaam_desktop.core.taxonomy import load_taxonomy

    db = tmp_path / "ws.sqlite"
    with Workspace.open(db) as ws:
        ws.import_taxonomy(load_taxonomy(taxonomy_dir))
        ws.upsert_delivery(open_delivery(demo_delivery(tmp_path / "d", 2)))
    assert main(["retrain", "--db", str(db), "--delivery", "nope", "--no-tracking"]) == 2
    assert "no delivery named 'nope'" in capsys.readouterr().err
    assert main(["retrain", "--db", str(db), "--device", "cpu", "--no-tracking"]) == 1
    assert "nothing to learn from" in capsys.readouterr().err
    assert main(["retrain", "--db", str(tmp_path / "missing.sqlite"), "--no-tracking"]) == 2
