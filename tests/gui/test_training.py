"""Training from the window: the panel trains (head-only, small), plots each epoch, compares and activates;
"Retrain now" retrains the head on the analyst's decisions and re-classifies."""

from __future__ import annotations

import pytest

from icaam_desktop import paths
from icaam_desktop.gui.training import catalogue_problem, compare_metrics, read_card

pytestmark = pytest.mark.gui


def test_panels_say_why_they_cannot_start(tmp_path, fashion):
    folder, problem = catalogue_problem(f" {tmp_path} ", None, what="training")
    assert folder == tmp_path and "has no products.csv" in problem
    _, problem = catalogue_problem(str(fashion / "catalog"), None, what="training")
    assert problem == "⚠ Open a delivery (or the demo) first: training uses its taxonomy."
    assert catalogue_problem(str(fashion / "catalog"), object(), what="training")[1] is None
    assert catalogue_problem("  ", object(), what="training")[1].startswith("⚠ Choose the catalogue folder first")


def test_the_panels_start_with_the_catalogue_used_last(window, fashion):
    """Training, evaluation and the audit remember the catalogue (in the settings) for the next time."""
    from icaam_desktop.core.settings import load_settings

    evaluation = window.evaluation_dialog()
    assert evaluation.catalog.text() == ""
    evaluation.catalog.setText(str(fashion / "catalog"))
    job = evaluation._launch(lambda progress, cancel, **_: None, "Nothing", lambda _r: None, what="a test")
    job.token.cancel()
    assert load_settings().last_catalog == str(fashion / "catalog")
    assert window.training_panel().catalog.text() == str(fashion / "catalog")


def test_compare_metrics_reads_the_shipped_card():
    card = read_card(paths.models_dir() / "default")
    if not card:
        pytest.skip("no shipped model")
    better = {"test": {**card["metrics"]["test"], "leaf_top1": card["metrics"]["test"]["leaf_top1"] + 0.01}}
    rows = {r.name: r for r in compare_metrics(card, better)}
    assert rows["leaf accuracy (top-1)"].better is True
    assert rows["level 1 accuracy"].better is None  # unchanged
    worse_error = {"test": {**card["metrics"]["test"], "auto_error": card["metrics"]["test"]["auto_error"] + 0.1}}
    assert {r.name: r for r in compare_metrics(card, worse_error)}["error among auto-accepted"].better is False


def test_each_mode_offers_its_own_default_epochs_but_keeps_a_chosen_number(window):
    from icaam_desktop.core.training import DEFAULT_EPOCHS

    panel = window.training_panel()
    assert panel.head.isChecked() and panel.epochs.value() == 5
    panel.full.setChecked(True)
    assert panel.epochs.value() == DEFAULT_EPOCHS == 20  # the CLI's fine-tune, which made the shipped model
    panel.head.setChecked(True)
    assert panel.epochs.value() == 5
    panel.epochs.setValue(7)
    panel.full.setChecked(True)
    assert panel.epochs.value() == 7


def train_in_panel(window, qtbot, panel, catalog, *, epochs: int, limit: int) -> None:
    """Fill in the panel, start on the CPU and wait for the job; no error may be reported."""
    panel.catalog.setText(str(catalog))
    panel.epochs.setValue(epochs)
    panel.limit.setValue(limit)
    window.controller.settings.device = "cpu"
    errors = []
    window.controller.failed.connect(lambda *a: errors.append(a))
    job = panel.start()
    assert job is not None
    with qtbot.waitSignal(job.signals.finished, timeout=900_000):
        pass
    assert not errors, errors


@pytest.mark.slow
def test_training_panel_trains_plots_compares_and_activates(window, qtbot, fashion):
    from icaam_desktop.core.training.tracking import active_model_dir

    panel = window.training_panel()
    panel.head.setChecked(True)
    train_in_panel(window, qtbot, panel, fashion / "catalog", epochs=2, limit=150)
    assert len(panel.chart.loss) >= 1 and all(loss > 0 for loss in panel.chart.loss)
    assert panel.compare.isVisible() and panel.compare.rowCount() >= 4
    assert panel.compare.horizontalHeaderItem(1).text() == "Active model (680 test products)"
    n_new = panel.result.metrics["test"]["n"]
    assert panel.compare.horizontalHeaderItem(2).text() == f"New model ({n_new} test products)"
    assert f"only {n_new} products" in panel.note.text()  # 150 products: the comparison is flagged as noise
    assert panel.activate_button.isEnabled()
    with qtbot.waitSignal(window.controller.classifier_changed, timeout=300_000):  # reloaded after activation
        panel.activate()
    assert active_model_dir() is not None
    assert window.controller.settings.model_path == ""


@pytest.mark.slow
def test_full_fine_tune_can_continue_from_the_active_model(window, qtbot, fashion):
    from icaam_desktop.core.model_choice import model_folder

    panel = window.training_panel()
    panel.head.setChecked(True)
    assert not panel.continue_active.isEnabled()  # offered for a full fine-tune only
    panel.full.setChecked(True)
    assert panel.continue_active.isEnabled()
    panel.continue_active.setChecked(True)
    train_in_panel(window, qtbot, panel, fashion / "catalog", epochs=1, limit=40)
    training = panel.result.card["training"]
    assert training["initialised_from"] == str(model_folder(window.controller.settings.model_path))


@pytest.mark.slow
def test_a_cancelled_training_resumes_from_its_last_epoch(window, qtbot, fashion):
    from icaam_desktop.core.training import CHECKPOINT

    panel = window.training_panel()
    panel.full.setChecked(True)
    panel.continue_active.setChecked(False)
    panel.epoch.connect(lambda record: panel.cancel() if record["epoch"] == 1 and panel.job else None)
    train_in_panel(window, qtbot, panel, fashion / "catalog", epochs=3, limit=40)
    out = panel._kwargs["out"]
    assert panel.result is None and (out / CHECKPOINT).is_file()
    assert panel.resume_button.isVisible() and "Resume goes on" in panel.note.text()
    assert panel.bar.format() == "cancelled"
    epochs = []
    panel.epoch.connect(lambda record: epochs.append(record["epoch"]))
    job = panel.resume()
    with qtbot.waitSignal(job.signals.finished, timeout=900_000):
        pass
    assert panel.result is not None and panel.result.model_dir == out
    assert epochs and epochs[0] == 2  # the finished epoch was not trained again
    assert not (out / CHECKPOINT).exists() and not panel.resume_button.isVisible()


@pytest.mark.slow
def test_retrain_now_uses_the_decisions(window, qtbot):
    c = window.controller
    c.settings.device = "cpu"
    errors = []
    c.failed.connect(lambda *a: errors.append(a))
    with qtbot.waitSignal(c.classifier_changed, timeout=300_000):
        c.load_classifier()
    assert not errors, errors
    with qtbot.waitSignal(c.session_changed, timeout=300_000):
        c.classify()
    session = c.session
    # Override 20 products to a leaf the model did not pick, as an analyst correcting it would.
    overridden = [p.product_id for p in session.products[:20]]
    for pid in overridden:
        c.decide("override", pid, "sandals" if session.predictions[pid].leaf_code != "sandals" else "tshirts")
    before = c.classifier.version
    notes = []
    c.message.connect(notes.append)
    job = c.retrain_now()
    with qtbot.waitSignal(job.signals.finished, timeout=600_000):
        pass
    assert not errors, errors
    assert c.classifier.version != before
    # The delivery is re-predicted at once with the new model: from the embeddings the retrain cached,
    # not by classifying the photos again.
    assert not any(j.name == "Classifying" for j in c.jobs)
    qtbot.waitUntil(
        lambda: {session.predictions[p.product_id].model_version for p in session.products} == {c.classifier.version},
        timeout=60_000,
    )
    assert session.status(overridden[0]) == "accepted"  # decisions stay
    # The last note says what the retrain did, with the grid's own counts (your decisions as "accepted").
    qtbot.waitUntil(lambda: notes and " changed; now " in notes[-1], timeout=60_000)
    assert notes[-1].startswith("Retrained on 20 decisions in ") and "20 accepted" in notes[-1], notes[-1]


@pytest.mark.slow
def test_threshold_settings_override_the_model(window, qtbot):
    c = window.controller
    c.settings.device = "cpu"
    c.settings.thresholds = [0.5, 0.6, 0.7]
    errors = []
    c.failed.connect(lambda *a: errors.append(a))
    job = c.load_classifier()
    with qtbot.waitSignal(job.signals.finished, timeout=300_000):
        pass
    assert not errors, errors
    assert c.classifier.thresholds == [0.5, 0.6, 0.7]
    c.classifier = None
    c.settings.thresholds = [0.5]  # the model has three levels
    job = c.load_classifier()
    with qtbot.waitSignal(job.signals.finished, timeout=300_000):
        pass
    assert errors and "3 levels" in errors[0][1]


@pytest.mark.slow
def test_settings_saved_while_the_model_loads_are_not_lost(window, qtbot):
    """The model in flight was loaded with the old settings: the new ones must win, not the first to finish."""
    import copy

    c = window.controller
    c.settings.device = "cpu"
    c.load_classifier()
    changed = copy.deepcopy(c.settings)
    changed.thresholds = [0.4, 0.5, 0.6]
    c.save_settings(changed)  # while the first load runs
    qtbot.waitUntil(lambda: c.classifier is not None and c._classifier_job is None, timeout=300_000)
    assert c.classifier.thresholds == [0.4, 0.5, 0.6]
