"""How late the GUI thread gets while the window classifies a delivery, against classifying on the GUI thread.

    python benchmarks/gui_heartbeat.py [--n 520] [--naive-n 64] [--data ../shared/data/fashion]

A QTimer ticks every 10 ms on the GUI thread and records how late each tick is. The app: the window's
controller classifies a delivery of N real catalogue photos in its worker (shipped model, CPU, batch
size 8), while the grid, status area and panel update as usual. The naive reference: the same
classifier called directly on the GUI thread for the first ``--naive-n`` photos (what a window without
workers does); its worst tick is the whole call. Goal: worst lateness <= 50 ms. Offscreen Qt.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "fashion"

from tests.catalogue import catalogue_delivery  # noqa: E402

TICK_MS = 10


class Heartbeat:
    """A 10 ms QTimer on the GUI thread that records how late each tick is."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.lateness: list[float] = []
        self.at: list[float] = []  # seconds since the start, per tick
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.started = 0.0

    def _tick(self) -> None:
        self.lateness.append(self.clock.restart() - TICK_MS)
        self.at.append(time.perf_counter() - self.started)

    def worst(self, k: int = 5) -> str:
        pairs = sorted(zip(self.lateness, self.at, strict=True), reverse=True)[:k]
        return ", ".join(f"{ms:.0f} ms at {t:.1f} s" for ms, t in pairs)

    def __enter__(self) -> Heartbeat:
        self.started = time.perf_counter()
        self.clock.start()
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.stop()
        self._tick()  # the stretch since the last tick counts too


def wait_for(app, predicate, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not finish in time")
        app.processEvents()
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=520)
    parser.add_argument("--naive-n", type=int, default=64)
    parser.add_argument("--data", type=Path, default=DATA, help="the dev dataset (catalog/, taxonomy/)")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from icaam_desktop.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="icaam-heartbeat-") as tmp:
        os.environ["ICAAM_DATA_DIR"] = str(Path(tmp, "data"))
        os.environ["ICAAM_CONFIG_DIR"] = str(Path(tmp, "config"))
        delivery = catalogue_delivery(Path(tmp, "delivery"), args.n, fashion=args.data)
        window = MainWindow(db=str(Path(tmp, "ws.sqlite")), load_model=False)
        window.show()
        c = window.controller
        c.settings.device, c.settings.batch_size = "cpu", 8
        opened = []
        c.session_changed.connect(lambda *a: opened.append(1))
        c.open_delivery(delivery, taxonomy_dir=args.data / "taxonomy")
        wait_for(app, lambda: opened, 300)
        loaded = []
        c.classifier_changed.connect(lambda *a: loaded.append(1))
        c.load_classifier()
        wait_for(app, lambda: loaded, 300)

        started = time.perf_counter()
        with Heartbeat() as beat:
            job = c.classify()
            wait_for(app, lambda: job.done, 1800)
            # the results reach the window through the GUI thread's event queue, after the worker is done
            wait_for(app, lambda: len(c.session.predictions) == args.n, 60)
        app_s = time.perf_counter() - started
        app_ticks, app_worst = beat.lateness, beat.worst()
        rejected = sum(1 for p in c.session.predictions.values() if p.status == "rejected")
        if len(c.session.predictions) != args.n or rejected:
            print(f"the window classified {len(c.session.predictions)} of {args.n} products, {rejected} rejected")
            return 1

        from icaam_desktop.core.classify import classify_delivery
        from icaam_desktop.core.delivery import open_delivery

        naive_delivery = open_delivery(catalogue_delivery(Path(tmp, "naive"), args.naive_n, fashion=args.data))
        started = time.perf_counter()
        with Heartbeat() as beat:
            classify_delivery(naive_delivery, classifier=c.classifier, taxonomy=c.session.taxonomy, batch_size=8)
        naive_s = time.perf_counter() - started
        window.close()

    worst_app, worst_naive = max(app_ticks), max(beat.lateness)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(
        f"app   : {args.n} photos in {app_s:.1f} s, {len(app_ticks)} ticks, "
        f"median lateness {statistics.median(app_ticks):.1f} ms, "
        f"99th percentile {statistics.quantiles(app_ticks, n=100)[98]:.0f} ms, worst {worst_app:.0f} ms (goal <= 50 ms)"
    )
    print(f"        worst ticks: {app_worst}")
    print(f"naive : {args.naive_n} photos on the GUI thread in {naive_s:.1f} s, worst lateness {worst_naive:.0f} ms")
    print(f"ratio : the naive window's worst stall is {worst_naive / max(worst_app, 1.0):.0f}x the app's")
    return 0 if worst_app <= 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
