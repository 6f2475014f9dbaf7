"""The main window: a thin shell of menus, docks and wiring."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from icaam_desktop import __version__


class MainWindow(QMainWindow):
    def __init__(self, *, demo: bool = False, db: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle(f"ICaAM {__version__}")
        self.resize(1280, 800)
        self.setCentralWidget(QLabel("ICaAM: open a supplier delivery to begin."))
