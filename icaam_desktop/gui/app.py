"""QApplication + main(): shows the window before any heavy import (torch loads later)."""

from __future__ import annotations

import argparse
import sys

from icaam_desktop import __version__


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="icaam-desktop", description="ICaAM desktop review app")
    parser.add_argument("--version", action="version", version=f"icaam-desktop {__version__}")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo delivery")
    parser.add_argument("--db", help="workspace SQLite file (default: the last one used)")
    parser.add_argument(
        "--self-test", action="store_true", help="headless check of model, device and demo; exit 0 if OK"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from icaam_desktop.selftest import run_self_test

        return run_self_test()

    from PySide6.QtWidgets import QApplication

    from icaam_desktop.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ICaAM")
    app.setOrganizationName("ICaAM")
    window = MainWindow(demo=args.demo, db=args.db)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
