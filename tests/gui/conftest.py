"""GUI test fixtures: every test must leave no thread running."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")


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
    leaked = []
    for pool in workers.all_pools():
        busy = pool.activeThreadCount()
        pool.waitForDone(10_000)
        if busy:
            leaked.append(f"{pool.objectName() or 'global'} pool had {busy} active thread(s)")
        assert pool.activeThreadCount() == 0, "a worker is still running 10 s after the test"
    running = [t for t in qapp.findChildren(QThread) if t.isRunning()]
    assert not running, f"QThread(s) left running: {running}"
    assert not leaked, "; ".join(leaked) + " when the test returned (wait for the job's finished signal)"
