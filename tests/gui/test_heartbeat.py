"""The window classifies >= 500 real photos off the GUI thread, and the GUI thread keeps serving events.

The window's controller classifies a delivery of real catalogue photos (copied, so the delivery's own
files) in the one worker type, while a QTimer ticks every 10 ms on the GUI thread. How *late* those
ticks get is a speed figure and is measured by ``benchmarks/gui_heartbeat.py`` (docs/benchmarks/gui.md);
this test asserts the behaviour behind it: every photo is really classified, none of that work runs
on the GUI thread, and the GUI thread's event loop kept running throughout. The model is the shipped
one when it exists; otherwise the real ImageNet EfficientNet-Lite0 backbone with an untrained head over
the taxonomy's leaves (the same network cost, only the answers differ).
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer

from tests.catalogue import catalogue_delivery

pytestmark = [pytest.mark.gui, pytest.mark.slow]

N_IMAGES = 520
TICK_MS = 10
MIN_TICKS = 20  # a GUI thread blocked for the whole run gets one or two; a free one gets hundreds


@pytest.fixture(scope="module")
def big_delivery(fashion, tmp_path_factory):
    return catalogue_delivery(tmp_path_factory.mktemp("heartbeat") / "catalog-sample", N_IMAGES, fashion=fashion)


@pytest.fixture(scope="module")
def model_dir(taxonomy_dir, tmp_path_factory):
    from icaam_desktop.core.classify import default_model_dir

    if (default_model_dir() / "model.safetensors").is_file():
        return None  # the shipped model
    from icaam_desktop.core.classify import HierarchicalClassifier, create_backbone, save_classifier
    from icaam_desktop.core.classify.backbone import backbone_config
    from icaam_desktop.core.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(taxonomy_dir)
    labels = sorted(c.code for c in taxonomy.leaves())
    backbone = create_backbone("tf_efficientnet_lite0", pretrained=True)
    model = HierarchicalClassifier(backbone, len(labels)).eval()
    card = {
        "name": "heartbeat-probe",
        "version": "probe-1",
        "labels": labels,
        "backbone": "tf_efficientnet_lite0",
        "taxonomy_fingerprint": taxonomy.fingerprint,
        "temperature": 1.0,
        "thresholds": [0.5, 0.5, 0.5],
        **backbone_config(backbone),
    }
    return save_classifier(model, folder=tmp_path_factory.mktemp("model") / "probe", card=card)


def test_classification_runs_off_the_gui_thread_which_keeps_serving_events(
    qtbot, big_delivery, model_dir, taxonomy_dir, tmp_path, monkeypatch
):
    from icaam_desktop.core.classify.model_io import Classifier
    from icaam_desktop.gui.main_window import MainWindow

    window = MainWindow(db=str(tmp_path / "ws.sqlite"), load_model=False)
    qtbot.addWidget(window)
    window.show()
    c = window.controller
    c.settings.model_path = str(model_dir) if model_dir else ""
    c.settings.device = "cpu"
    c.settings.batch_size = 8  # two shared cores: small batches keep each step short
    errors = []
    c.failed.connect(lambda *args: errors.append(args))
    with qtbot.waitSignal(c.session_changed, timeout=120_000):
        c.open_delivery(big_delivery, taxonomy_dir=taxonomy_dir)
    assert not errors, errors
    with qtbot.waitSignal(c.classifier_changed, timeout=300_000):
        c.load_classifier()
    assert not errors, errors

    embedded_on: list[threading.Thread] = []  # a spy: the real embedding runs, its thread is recorded
    real_embed = Classifier.embed_paths

    def spy(self, paths, **kw):
        embedded_on.append(threading.current_thread())
        return real_embed(self, paths, **kw)

    monkeypatch.setattr(Classifier, "embed_paths", spy)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(1))
    progress_seen: list[int] = []
    with qtbot.waitSignal(c.session_changed, timeout=900_000):  # the results reach the window
        timer.start()
        job = c.classify()
        job.signals.progress.connect(lambda d, t, m: progress_seen.append(d))
    timer.stop()
    assert not errors, errors
    predictions = c.session.predictions
    assert len(predictions) == N_IMAGES
    assert [pid for pid, p in predictions.items() if p.status == "rejected" or not p.leaf_code] == []
    assert progress_seen and progress_seen[-1] == N_IMAGES
    assert embedded_on and threading.main_thread() not in embedded_on
    assert len(ticks) >= MIN_TICKS, f"the GUI thread served only {len(ticks)} timer ticks during the run"
    window.close()
