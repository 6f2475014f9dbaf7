"""MLflow tracking: a short run is complete when read back, nothing lands in the working directory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from icaam_desktop import __version__, paths
from icaam_desktop.core.jobs import Cancelled
from icaam_desktop.core.training import tracking
from icaam_desktop.core.training.metrics import evaluate
from tests.core.training.test_metrics import LABELS, PROBS, TREE, Y_TRUE


@pytest.fixture
def model_dir(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    from safetensors.numpy import save_file

    save_file({"head.weight": np.zeros((2, 3), dtype=np.float32)}, str(folder / "model.safetensors"))
    (folder / "model_card.json").write_text(json.dumps({"labels": LABELS}))
    return folder


def test_short_run_is_complete_and_nothing_is_written_to_cwd(tmp_path, monkeypatch, model_dir):
    from mlflow.tracking import MlflowClient

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv(tracking.ENV_TRACKING_URI, raising=False)
    result = evaluate(
        y_true_leaf=Y_TRUE, probs=PROBS, labels=LABELS, taxonomy=TREE, thresholds={1: 0.7, 2: 0.5, 3: 0.5}
    )
    with tracking.start_run(
        tracking_uri=None, run_name="short", params={"epochs": 2, "lr": 1e-3}, dataset_fingerprint="abc123"
    ) as run:
        for epoch in (1, 2):
            run.log_epoch(epoch, {"train_loss": 1.0 / epoch, "val_level1_accuracy": 0.5 + 0.1 * epoch})
        run.log_evaluation(result, prefix="test_")
        run.log_training_curves([{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5}])
        version = run.log_model(model_dir)
    assert version == "1"

    uri = tracking.default_tracking_uri()
    assert uri.endswith("mlflow.db") and str(paths.user_data_dir().as_posix()) in uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    got = client.get_run(run.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params["epochs"] == "2"
    assert got.data.params["app_version"] == __version__
    assert got.data.params["dataset_fingerprint"] == "abc123"
    assert got.data.tags["icaam.app_version"] == __version__
    history = client.get_metric_history(run.run_id, "train_loss")
    assert sorted((m.step, m.value) for m in history) == [(1, 1.0), (2, 0.5)]
    assert got.data.metrics["test_level3_accuracy"] == pytest.approx(0.2)
    assert got.data.metrics["test_hier_f1"] == pytest.approx(result["hierarchical"]["f1"])
    evaluation = {f.path for f in client.list_artifacts(run.run_id, "test_evaluation")}
    assert {"test_evaluation/metrics.json", "test_evaluation/coverage_error.png"} <= evaluation
    assert "test_evaluation/confusion_level3.png" in evaluation
    assert "training_curves.png" in {f.path for f in client.list_artifacts(run.run_id)}
    model_files = {f.path for f in client.list_artifacts(run.run_id, "model")}
    assert model_files == {"model/model.safetensors", "model/model_card.json"}
    versions = client.search_model_versions(f"name='{tracking.REGISTERED_MODEL}'")
    assert [(str(v.version), v.run_id) for v in versions] == [("1", run.run_id)]
    assert list(cwd.iterdir()) == []  # no ./mlruns, no stray artifacts

    # the GUI's model picker and activation
    runs = tracking.list_runs()
    assert [r.run_id for r in runs] == [run.run_id]
    assert runs[0].metrics["test_level1_accuracy"] == pytest.approx(0.6)
    assert runs[0].model_dir is not None and (runs[0].model_dir / "model_card.json").is_file()
    assert runs[0].model_version == "1"
    assert tracking.active_model_dir() is None
    active = tracking.activate_model(run.run_id)
    assert tracking.active_model_dir() == active
    assert (active / "model.safetensors").read_bytes() == (model_dir / "model.safetensors").read_bytes()
    assert active.is_relative_to(paths.user_data_dir())
    assert tracking.active_model_info()["run_id"] == run.run_id
    tracking.deactivate_model()
    assert tracking.active_model_dir() is None
    assert list(cwd.iterdir()) == []


def test_failed_and_cancelled_runs_are_marked(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{(tmp_path / 'team' / 'store.db').as_posix()}"
    ids = {}
    for kind, error in (
        ("failed", RuntimeError("boom")),
        ("cancelled", Cancelled("user")),
        ("ctrl-c", KeyboardInterrupt()),
    ):
        with pytest.raises(type(error)), tracking.start_run(tracking_uri=uri, run_name=kind, params={}) as run:
            run.log_epoch(1, {"train_loss": 1.0})
            raise error
        ids[kind] = run.run_id
    client = MlflowClient(tracking_uri=uri)
    assert client.get_run(ids["failed"]).info.status == "FAILED"
    assert client.get_run(ids["cancelled"]).info.status == "KILLED"
    assert client.get_run(ids["ctrl-c"]).info.status == "KILLED"
    assert [r.name for r in tracking.list_runs(tracking_uri=uri)] == ["ctrl-c", "cancelled", "failed"]
    # artifacts of an explicit SQLite store live next to it, not in the cwd
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team"]
    assert tracking.list_runs(tracking_uri=uri, experiment="nope") == []


def test_activate_refuses_a_folder_that_is_not_a_model(tmp_path, model_dir):
    with pytest.raises(ValueError, match="no model.safetensors and no model_card.json"):
        tracking.activate_model(tmp_path)
    (model_dir / "model_card.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot be read as a model card"):
        tracking.activate_model(model_dir)
    (model_dir / "model_card.json").write_text(json.dumps({"labels": LABELS}))
    (model_dir / "model.safetensors").write_bytes(b"\0" * 64)  # truncated or foreign weights
    with pytest.raises(ValueError, match="not readable safetensors weights"):
        tracking.activate_model(model_dir)
    assert tracking.active_model_dir() is None
    models = paths.user_data_dir() / "models"
    assert not models.exists() or list(models.iterdir()) == []  # no staging or download left behind


def test_activate_copies_the_model_files_only(model_dir):
    """A training folder also holds a checkpoint and maybe more; a wrongly chosen parent must not be copied whole."""
    (model_dir / "checkpoint.pt").write_bytes(b"\1" * 128)
    (model_dir / "confusion_level3.png").write_bytes(b"png")
    (model_dir / "runs" / "old").mkdir(parents=True)
    (model_dir / "runs" / "old" / "model.safetensors").write_bytes(b"\2" * 64)
    active = tracking.activate_model(model_dir)
    assert sorted(p.name for p in active.iterdir()) == ["confusion_level3.png", "model.safetensors", "model_card.json"]
    assert tracking.active_model_dir() == active
    assert [p.name for p in active.parent.iterdir() if not p.name.startswith("active-")] == []


def test_dataset_fingerprint_ignores_order():
    a = tracking.dataset_fingerprint([("1", "x"), ("2", "y")])
    assert a == tracking.dataset_fingerprint([("2", "y"), ("1", "x")])
    assert a != tracking.dataset_fingerprint([("1", "x"), ("2", "x")])
    assert np.char.isalnum(a)


def test_a_tracking_store_that_cannot_be_used_is_said_and_the_job_runs_untracked(tmp_path, caplog):
    (tmp_path / "not-a-db").write_text("plain text, not SQLite")
    notes = []
    with (
        caplog.at_level("WARNING", logger="icaam"),
        tracking.tracked_run(
            tracking_uri=f"sqlite:///{(tmp_path / 'not-a-db').as_posix()}",
            run_name="x",
            params={},
            progress=lambda done, total, message="": notes.append(message),
        ) as tracker,
    ):
        assert tracker is None
    assert any("training without MLflow tracking" in r.getMessage() for r in caplog.records)  # kept in a log
    assert notes and notes[0].startswith("training without MLflow tracking (cannot use the MLflow tracking store")
