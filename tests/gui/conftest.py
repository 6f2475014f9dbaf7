"""GUI test fixtures: every test must leave no thread running."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

GRACE_MS = 2000


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
