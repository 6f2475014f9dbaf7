"""GUI test fixtures: every test must leave no thread running."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

GRACE_MS = 2000


def open_demo_window(qtbot, db):
    """A real main window on the workspace ``db`` (no model loaded), with the bundled demo opened."""
    from icaam_desktop.gui.main_window import MainWindow

    win = MainWindow(db=str(db), load_model=False)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.controller.session_changed, timeout=60_000):
        win.controller.open_demo()
    return win


@pytest.fixture
def window(qtbot, tmp_path):
    """The demo open in a real main window, closed after the test."""
    win = open_demo_window(qtbot, tmp_path / "ws.sqlite")
    yield win
    win.close()


@pytest.fixture(autouse=True)
def _window_settings_in_tmp(tmp_path):
    """QSettings (window geometry) goes to a temporary folder, never the real user profile."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture(autouse=True)
def _no_thread_left_running(qapp):
    """Fail any test that leaves a pool job or a QThread running after it returns."""
    from PySide6.QtCore import QThread

    from icaam_desktop.gui import workers

    yield
    # A job's thread is still counted for a moment after its "finished" signal (it is emitted at the
    # end of run()), so a short grace separates a job that is ending from one left running.
    leaked = []
    for pool in workers.all_pools():
        if not pool.waitForDone(GRACE_MS):
            leaked.append(f"{pool.objectName() or 'global'} pool: {pool.activeThreadCount()} job(s) still running")
            pool.waitForDone(30_000)  # let it end before the next test, which would inherit it
    running = [t for t in qapp.findChildren(QThread) if t.isRunning()]
    assert not running, f"QThread(s) left running: {running}"
    assert not leaked, "; ".join(leaked) + f" {GRACE_MS} ms after the test returned (cancel it or wait for it)"
