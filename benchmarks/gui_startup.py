"""Desktop start-up: launch -> main window visible, measured from outside the process.

Compares, in the same run:
- the app as shipped (``python -m icaam_desktop``): the window is shown first, torch and the
  model load afterwards in a worker;
- a naive reference that loads torch and the shipped model before showing the same window
  (what the app would cost without the deferred load).

Each launch runs offscreen with fresh user dirs; the app prints ``WINDOW_SHOWN`` from its first
event-loop turn after ``show()`` (``ICAAM_STARTUP_PROBE``), and this script timestamps that line
as it arrives. Prints the median of ``--runs`` launches and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

NAIVE = (
    "import time, sys; "
    "from icaam_desktop.core.classify import load_classifier; load_classifier(device='cpu'); "
    "from icaam_desktop.gui.app import main; sys.exit(main(['--no-model']))"
)


def launch(args: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            "ICAAM_STARTUP_PROBE": "1",
            "ICAAM_DATA_DIR": f"{tmp}/data",
            "ICAAM_CONFIG_DIR": f"{tmp}/config",
            "XDG_CONFIG_HOME": f"{tmp}/xdg",  # QSettings (window geometry) too
            "HF_HUB_OFFLINE": "1",
        }
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        shown = None
        for line in proc.stdout:
            if line.startswith("WINDOW_SHOWN"):
                shown = time.perf_counter() - start
                break
        proc.wait(timeout=300)
        if shown is None:
            raise RuntimeError(f"{args} never showed its window")
        return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    launch(["-m", "icaam_desktop", "--no-model"])  # warm the file cache once
    app = [launch(["-m", "icaam_desktop"]) for _ in range(args.runs)]
    naive = [launch(["-c", NAIVE]) for _ in range(args.runs)]
    a, n = statistics.median(app), statistics.median(naive)
    print(f"app (window first, model in a worker): median {a:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in app)})")
    print(f"naive (model loaded before the window): median {n:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in naive)})")
    print(f"ratio naive/app: {n / a:.1f}x; goal: app <= 1.5 s -> {'met' if a <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
