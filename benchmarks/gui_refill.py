"""GUI-thread time of a mapping refill at 40,000 products: the app against a full redraw, in the same run.

    python benchmarks/gui_refill.py [--products 40000] [--repeat 5] [--profile]

After the analyst decides a column or a value mapping, a worker recomputes every product's mapped values
(``job_refill_mapping``) and hands them to the GUI thread. What the GUI thread then does is timed here,
from the result slot until the grid's viewport has been repainted:

- the app: ``Controller._refilled`` (only the rows whose card really changed get one ``dataChanged``
  per contiguous run; nothing is rebuilt for the others);
- the naive reference, the previous approach: every product's row rebuilt and one ``dataChanged`` per row
  (``products_changed`` with all 40,000 ids).

Two refills are measured: a value decision (one supplier colour gets another option: the products with
that colour change, a few per cent) and a column decision (one attribute filled for every product, so every
card's "N missing" changes). The 40,000 products are the 50 demo products repeated (same photos), on the
demo taxonomy, with predictions, in a real main window (offscreen, 1400x880). Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "resources" / "demo"


def big_session(n: int):
    """A ReviewSession over ``n`` products (the demo's, repeated), each predicted, with mapped values."""
    from icaam_desktop.core.classify.prediction import LevelPrediction, Prediction
    from icaam_desktop.core.delivery import open_delivery
    from icaam_desktop.core.taxonomy import load_taxonomy
    from icaam_desktop.gui.models.session import ReviewSession

    taxonomy = load_taxonomy(DEMO / "taxonomy")
    demo = open_delivery(DEMO, sheet="products.csv")
    products = []
    for i in range(n):
        source = demo.products[i % len(demo.products)]
        product = copy.copy(source)
        product.product_id = f"{source.product_id}-{i:06d}"
        products.append(product)
    delivery = copy.copy(demo)
    delivery.products = products
    leaves = [c for c in taxonomy.leaves() if taxonomy.required_attributes(c.code)]
    predictions, values = [], {}
    for i, product in enumerate(products):
        leaf = leaves[i % len(leaves)]
        levels = [
            LevelPrediction(
                depth=d + 1, code=code, confidence=0.5 + 0.1 * d, alternatives=[(code, 0.5)], accepted=False
            )
            for d, code in enumerate(leaf.path)
        ]
        status = "review" if i % 3 else "auto"
        predictions.append(Prediction(product.product_id, status, leaf.path[0], leaf.code, levels, 1, [], "bench"))
        colour = (product.row.get("Colour") or "").strip().lower()
        values[product.product_id] = {"brand": product.row.get("Brand") or "x", "base_colour": colour or "black"}
    session = ReviewSession(delivery=delivery, taxonomy=taxonomy, predictions=predictions, values=values)
    return session


def value_decision(values: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The refill after one supplier colour (the rarest one present) is mapped to another option."""
    counts: dict[str, int] = {}
    for v in values.values():
        counts[v["base_colour"]] = counts.get(v["base_colour"], 0) + 1
    colour = min(counts, key=counts.get)
    return {
        pid: ({**v, "base_colour": "white"} if v["base_colour"] == colour else dict(v)) for pid, v in values.items()
    }


def column_decision(values: dict[str, dict[str, str]], attribute: str) -> dict[str, dict[str, str]]:
    """The refill after a column that gives ``attribute`` to every product is accepted."""
    return {pid: {**v, attribute: "x"} for pid, v in values.items()}


def naive_refilled(window, session, values) -> None:
    """The previous approach, as it was: every product's row again, one dataChanged each, then the panel."""
    session.values = values
    for product in session.products:
        window.grid_model.update_row(session.row(product.product_id))
    window.panel.refresh()


def app_refilled(window, session, values) -> None:
    refill = values  # worked out by ``prepare`` (the worker's share), untimed
    window.controller._refilled(refill, session=session, only=None)


def timed(app, window, refill, session, values) -> float:
    """ms of GUI-thread time: the slot, then the events it queued and a repaint of the grid."""
    app.processEvents()
    start = time.perf_counter()
    refill(window, session, values)
    app.processEvents()
    window.grid.viewport().repaint()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one refill of each")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="icaam-refill-") as tmp:
        os.environ["ICAAM_DATA_DIR"] = str(Path(tmp, "data"))
        os.environ["ICAAM_CONFIG_DIR"] = str(Path(tmp, "config"))
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(tmp, "qsettings")))
        app = QApplication.instance() or QApplication(sys.argv[:1])
        from icaam_desktop.gui.main_window import MainWindow

        window = MainWindow(db=str(Path(tmp, "ws.sqlite")), load_model=False)
        window.resize(1400, 880)
        window.show()
        app.processEvents()
        session = big_session(args.products)
        window.controller.session = session
        window.controller.session_changed.emit(session)
        middle = session.products[len(session.products) // 2].product_id
        window.grid.select_product(middle)
        app.processEvents()
        scrolled = window.grid.verticalScrollBar().value()
        base = {pid: dict(v) for pid, v in session.values.items()}
        required = next(a for a in session.missing_counts())  # an attribute some products miss
        scenarios = {
            "value decision": value_decision(base),
            f"column decision ({required} for all)": column_decision(base, required),
        }
        results = {}
        worker_ms: list[float] = []

        def prepare(label, values):
            """The refill's result as it reaches the GUI thread: the app's worker also works out the changes."""
            values = {pid: dict(v) for pid, v in values.items()}
            if label == "naive":
                return values
            start = time.perf_counter()
            refill = session.refill_changes(values, only=None)
            worker_ms.append((time.perf_counter() - start) * 1000)
            return refill

        shown = base  # what the grid and the session show now
        for name, after in scenarios.items():
            changed = sum(1 for pid in base if base[pid] != after[pid])
            runs = {"app": [], "naive": []}
            for _ in range(args.repeat):
                for label, refill in (("app", app_refilled), ("naive", naive_refilled)):
                    for target in (after, base):  # there and back: each refill changes the same products
                        runs[label].append(timed(app, window, refill, session, prepare(label, target)))
                        shown = target
                    if window.grid.current_product_id() != middle:
                        print(f"{label}: the current product moved to {window.grid.current_product_id()}")
                        return 1
                    if window.grid.verticalScrollBar().value() != scrolled:
                        print(
                            f"{label}: the grid scrolled from {scrolled} to {window.grid.verticalScrollBar().value()}"
                        )
                        return 1
            results[name] = (changed, runs)
            if args.profile:
                for label, refill in (("app", app_refilled), ("naive", naive_refilled)):
                    for target in (after, base):
                        prepared = prepare(label, target)
                        profile = cProfile.Profile()
                        profile.enable()
                        timed(app, window, refill, session, prepared)
                        profile.disable()
                    print(f"--- {name}, {label} (back to the start)")
                    pstats.Stats(profile).sort_stats("tottime").print_stats(12)
        assert shown is base
        window.close()

    print(
        f"{args.products} products, {args.repeat}x2 refills each, GUI-thread ms from the result slot to a repainted grid"
    )
    for name, (changed, runs) in results.items():
        a, n = statistics.median(runs["app"]), statistics.median(runs["naive"])
        print(
            f"{name}: {changed} products' values change; app median {a:.1f} ms (worst {max(runs['app']):.1f}), "
            f"naive median {n:.1f} ms (worst {max(runs['naive']):.1f}) -> {n / max(a, 0.01):.1f}x"
        )
    print(
        f"(the app's worker also works out the changes: median {statistics.median(worker_ms):.0f} ms, off the GUI thread)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
