"""PNG plots of an evaluation and of a training run: confusion matrices, coverage-vs-error, loss curves.

matplotlib is imported inside each function (it costs about a second) and used through its
object API with the Agg canvas, never pyplot: no global backend state, safe in worker threads
and with the GUI's Qt event loop running.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

ANNOTATE_MAX_CLASSES = 30  # write the counts into the cells up to this many classes


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight")
    return path


def confusion_png(
    matrix: Sequence[Sequence[int]] | np.ndarray, labels: Sequence[str], path: str | Path, *, title: str
) -> Path:
    """Rows = true, columns = predicted; colour = share of the true row, so rare classes stay visible."""
    counts = np.asarray(matrix, dtype=np.float64)
    n = len(labels)
    if counts.shape != (n, n):
        raise ValueError(f"confusion matrix has shape {counts.shape}, expected ({n}, {n})")
    row_share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = min(max(4.0, 0.22 * n + 2.5), 30.0)
    fig = _figure(side + 1.0, side)
    ax = fig.add_subplot()
    image = ax.imshow(row_share, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true class")
    font = max(4, min(9, int(300 / max(n, 1))))
    ax.set_xticks(range(n), labels, rotation=90, fontsize=font)
    ax.set_yticks(range(n), labels, fontsize=font)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if n <= ANNOTATE_MAX_CLASSES:
        for i in range(n):
            for j in range(n):
                if counts[i, j]:
                    colour = "white" if row_share[i, j] > 0.5 else "black"
                    ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=font, color=colour)
    return _save(fig, path)


def _curve_points(curve) -> np.ndarray:
    points = curve["points"] if isinstance(curve, Mapping) else curve
    return np.asarray(points, dtype=np.float64).reshape(-1, 2)


def coverage_error_png(
    curves: Mapping[int | str, object],
    path: str | Path,
    *,
    at_thresholds: Mapping | None = None,
    title: str = "Coverage vs error",
) -> Path:
    """One line per level: the error of the accepted set as coverage grows (most confident first).

    ``curves`` maps a level to ``{"points": [[coverage, error], ...]}`` (``evaluate``'s
    ``coverage_error``) or to the point list itself; ``at_thresholds`` (``evaluate``'s) marks the
    operating point of each level.
    """
    fig = _figure(6.5, 4.5)
    ax = fig.add_subplot()
    for level in sorted(curves, key=int):
        pts = _curve_points(curves[level])
        if len(pts):
            ax.plot(pts[:, 0], pts[:, 1] * 100, label=f"level {level}", linewidth=1.5)
    if at_thresholds:
        for level, point in at_thresholds["levels"].items():
            ax.plot(point["coverage"], point["error"] * 100, marker="o", color="black", markersize=4)
            ax.annotate(
                f"L{level}",
                (point["coverage"], point["error"] * 100),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    ax.set_xlabel("coverage (share accepted)")
    ax.set_ylabel("error of accepted (%)")
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return _save(fig, path)


def _series(
    history: Sequence[Mapping[str, float]] | Mapping[str, Sequence[float]],
) -> tuple[list[float], dict[str, list[float]]]:
    if isinstance(history, Mapping):
        series = {k: [float(v) for v in vs] for k, vs in history.items() if k != "epoch"}
        length = max((len(v) for v in series.values()), default=0)
        epochs = [float(e) for e in history.get("epoch", range(1, length + 1))]
        return epochs, series
    epochs = [float(row.get("epoch", i + 1)) for i, row in enumerate(history)]
    keys = list(dict.fromkeys(k for row in history for k in row if k != "epoch"))
    series = {k: [float(row.get(k, np.nan)) for row in history] for k in keys}
    return epochs, series


def training_curves_png(
    history: Sequence[Mapping[str, float]] | Mapping[str, Sequence[float]], path: str | Path, *, title: str = "Training"
) -> Path:
    """Losses on the left, accuracies/F1 on the right, per epoch.

    ``history`` is a list of per-epoch dicts (``{"epoch": 1, "train_loss": ..., "val_level3_accuracy": ...}``)
    or a dict of metric name -> per-epoch values.
    """
    epochs, series = _series(history)
    fig = _figure(11, 4)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for name, values in series.items():
        target = loss_ax if "loss" in name else acc_ax if ("acc" in name or "f1" in name) else None
        if target is not None:
            target.plot(epochs[: len(values)], values, marker=".", label=name)
    for ax, label in ((loss_ax, "loss"), (acc_ax, "accuracy / F1")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


def write_report(result: Mapping, out_dir: str | Path, *, title: str = "") -> list[Path]:
    """``metrics.json``, one confusion PNG per level and ``coverage_error.png`` from an ``evaluate`` result."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "metrics.json"]
    tmp = out / "metrics.json.tmp"
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    tmp.replace(written[0])
    prefix = f"{title}: " if title else ""
    for level, data in result["levels"].items():
        conf = data["confusion"]
        written.append(
            confusion_png(
                conf["counts"],
                conf["labels"],
                out / f"confusion_level{level}.png",
                title=f"{prefix}level {level} (accuracy {data['accuracy']:.3f}, n={result['n']})",
            )
        )
    curves = {level: data["coverage_error"] for level, data in result["levels"].items()}
    written.append(
        coverage_error_png(
            curves,
            out / "coverage_error.png",
            at_thresholds=result.get("at_thresholds"),
            title=f"{prefix}coverage vs error",
        )
    )
    return written
