"""`icaam-desktop --self-test` on the installed (non-frozen) app, and the pieces it decides with."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from icaam_desktop import __version__, paths, selftest
from icaam_desktop.core.taxonomy import load_taxonomy


def _cuda_usable() -> bool:
    import torch

    return torch.cuda.is_available()


def test_pass_threshold_is_three_binomial_standard_errors():
    assert selftest.pass_threshold(0.80, 50) == pytest.approx(0.80 - 3 * (0.8 * 0.2 / 50) ** 0.5)
    assert selftest.pass_threshold(0.80, 50) == pytest.approx(0.630, abs=1e-3)
    assert selftest.pass_threshold(1.0, 50) == 1.0  # a perfect card allows no miss
    assert selftest.pass_threshold(0.80, 5000) > selftest.pass_threshold(0.80, 50)  # more products, tighter line
    with pytest.raises(ValueError):
        selftest.pass_threshold(0.8, 0)


def test_card_leaf_accuracy_comes_from_the_held_out_section():
    card = {"metrics": {"validation": {"leaf_top1": 0.95}, "test": {"leaf_top1": 0.89, "n": 680}}}
    assert selftest.card_leaf_accuracy(card) == (0.89, "metrics.test.leaf_top1")
    assert selftest.card_leaf_accuracy({"metrics": {"leaf_accuracy": 0.81}}) == (0.81, "metrics.leaf_accuracy")
    with pytest.raises(selftest.SelfTestFailure, match="no held-out leaf accuracy"):
        selftest.card_leaf_accuracy({"metrics": {"validation": {"leaf_top1": 0.95}}})  # validation is not held out


def test_the_shipped_model_card_states_a_held_out_accuracy():
    card_file = paths.models_dir() / "default" / "model_card.json"
    if not card_file.is_file():
        pytest.skip("no shipped model yet")
    card = json.loads(card_file.read_text(encoding="utf-8"))
    accuracy, where = selftest.card_leaf_accuracy(card)
    assert where == "metrics.test.leaf_top1"  # the held-out split, not validation
    assert accuracy == card["metrics"]["test"]["leaf_top1"] and 0.5 < accuracy <= 1.0


def test_check_set_is_labelled_catalogue_photos_of_the_models_test_split(fashion):
    """Every check-set product is a catalogue product with the catalogue's own leaf, from the held-out split."""
    from icaam_desktop.core.training.data import load_catalog, split_items

    labels = selftest.read_check_labels(paths.selftest_dir() / "products.csv")
    taxonomy = load_taxonomy(paths.demo_dir() / "taxonomy")
    assert len(labels) == 50
    assert [code for code in labels.values() if not taxonomy.is_leaf(code)] == []
    card = json.loads((paths.models_dir() / "default" / "model_card.json").read_text(encoding="utf-8"))
    catalog = load_catalog(fashion / "catalog", taxonomy=taxonomy)
    test = {it.sku: it.leaf for it in split_items(catalog.items, seed=card["training_data"]["split_seed"])["test"]}
    assert {sku: test.get(sku) for sku in labels} == labels
    assert sorted(p.stem for p in (paths.selftest_dir() / "images").iterdir()) == sorted(labels)


def test_labels_file_with_wrong_columns_is_a_clear_failure(tmp_path):
    bad = tmp_path / "products.csv"
    bad.write_text("product_id;leaf_code\nA;b\n", encoding="utf-8")
    with pytest.raises(selftest.SelfTestFailure, match="expected columns sku;categories"):
        selftest.read_check_labels(bad)


def test_missing_model_fails_with_the_path(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "models_dir", lambda: tmp_path / "models")
    out = io.StringIO()
    assert selftest.run_self_test(out=out) == 1
    report = out.getvalue()
    assert f"icaam-desktop {__version__}" in report
    assert "FAIL: model missing:" in report and str(tmp_path / "models" / "default") in report


def test_without_stdout_the_report_goes_to_the_log(tmp_path, monkeypatch):
    """A windowed Windows build has sys.stdout = None: the report must land in a file, not vanish."""
    monkeypatch.setattr(paths, "models_dir", lambda: tmp_path / "models")
    monkeypatch.setattr(sys, "stdout", None)
    assert selftest.run_self_test() == 1
    log = paths.user_data_dir() / selftest.LOG_NAME
    assert "FAIL: model missing:" in log.read_text(encoding="utf-8")


def test_missing_check_set_fails_with_the_path(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "selftest_dir", lambda: tmp_path / "selftest")
    if not (paths.models_dir() / "default" / "model.safetensors").is_file():
        pytest.skip("no shipped model yet: the model check fails first")
    out = io.StringIO()
    assert selftest.run_self_test(out=out) == 1
    assert "FAIL: check set missing:" in out.getvalue() and str(tmp_path / "selftest") in out.getvalue()


def test_cpu_diagnosis_names_the_reason():
    import torch

    if _cuda_usable():
        pytest.skip("a CUDA device is usable here")
    reason = selftest.why_cpu(torch)
    if torch.version.cuda is None:
        assert "no CUDA support" in reason
    elif not selftest._driver_found():
        assert reason.startswith("no NVIDIA driver")
    else:
        assert "CUDA" in reason


def test_bundled_cuda_runtime_lists_each_real_file_once(tmp_path, monkeypatch):
    lib = tmp_path / "nvidia" / "cu13" / "lib"
    lib.mkdir(parents=True)
    (lib / "libcudart.so.13").write_bytes(b"\x7fELF")
    (tmp_path / "libcudart.so.13").symlink_to(lib / "libcudart.so.13")  # PyInstaller's top-level link
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert selftest.bundled_cuda_runtime() == [Path("nvidia/cu13/lib/libcudart.so.13")]


def test_a_frozen_bundle_without_cuda_libraries_is_named_as_the_reason(tmp_path, monkeypatch):
    """The silent failure of frozen torch apps: a CUDA build of torch, but its libraries were not collected."""
    import torch

    if torch.version.cuda is None:
        pytest.skip("needs a CUDA build of torch")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert selftest.why_cpu(torch).startswith("CUDA libraries not found in the frozen bundle")


@pytest.mark.slow
def test_installed_app_self_test_passes_offline():
    app = Path(sys.executable).with_name("icaam-desktop.exe" if os.name == "nt" else "icaam-desktop")
    if not app.exists():
        pytest.skip(f"{app} is not installed (pip install -e .)")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must not need Qt at all, not even offscreen
    done = subprocess.run([str(app), "--self-test"], capture_output=True, text=True, env=env, timeout=600)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    device = next(line for line in report.splitlines() if line.strip().startswith("device"))
    assert ("CUDA" if _cuda_usable() else "CPU") in device, device
    assert "frozen          no" in report
    assert "PASS: check-set leaf accuracy" in report


@pytest.mark.gpu
def test_self_test_reports_cuda_on_a_gpu_machine():
    if not _cuda_usable():
        pytest.skip("no CUDA device")
    out = io.StringIO()
    code = selftest.run_self_test(out=out, components=False)  # MiniLM/MLflow are checked by the CPU test
    device = next(line for line in out.getvalue().splitlines() if line.strip().startswith("device"))
    assert "CUDA" in device and "CPU" not in device, out.getvalue()
    assert code == 0, out.getvalue()
