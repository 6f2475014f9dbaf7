"""QApplication + main(): shows the window before any heavy import (torch loads later, in a worker)."""

from __future__ import annotations

import argparse
import os
import sys
import time

from icaam_desktop import __version__

_T0 = time.perf_counter()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="icaam-desktop", description="ICaAM desktop review app")
    parser.add_argument("--version", action="version", version=f"icaam-desktop {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo delivery")
    parser.add_argument("--db", help="workspace SQLite file (default: the last one used)")
    parser.add_argument(
        "--self-test", action="store_true", help="headless check of model, device and demo; exit 0 if OK"
    )
    parser.add_argument("--no-model", action="store_true", help="do not load the classifier at start-up")
    return parser.parse_args(argv)


def apply_style(app) -> None:
    """The light stylesheet from resources/style.qss (missing file = Qt's default look)."""
    from icaam_desktop import paths

    qss = paths.resources_dir() / "style.qss"
    if qss.exists():
        icons = (paths.resources_dir() / "icons").as_posix()  # Qt wants forward slashes, also on Windows
        app.setStyleSheet(qss.read_text(encoding="utf-8").replace("@ICONS@", icons))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from icaam_desktop.selftest import run_self_test

        return run_self_test()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from icaam_desktop.gui.qt_compat import binding_problem

    app = QApplication.instance() or QApplication(sys.argv[:1])
    problem = binding_problem()
    if problem:
        print(f"icaam-desktop: {problem}", file=sys.stderr)
        QMessageBox.critical(None, "ICaAM cannot start", problem)
        return 1

    from icaam_desktop.gui.main_window import MainWindow

    app.setApplicationName("ICaAM")
    app.setOrganizationName("ICaAM")
    apply_style(app)
    window = MainWindow(demo=args.demo, db=args.db, load_model=not args.no_model)
    window.show()
    if os.environ.get("ICAAM_STARTUP_PROBE"):
        # benchmarks/gui_startup.py: print when the window is on screen, then quit.
        def report() -> None:
            print(f"WINDOW_SHOWN {time.perf_counter() - _T0:.3f} visible={window.isVisible()}", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
