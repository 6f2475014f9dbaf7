"""The one worker type: progress, result, error with details, and cancel, via waitSignal."""

from __future__ import annotations

import time

import pytest

from icaam_desktop.core.jobs import Cancelled
from icaam_desktop.gui.workers import Job, eta_text

pytestmark = pytest.mark.gui


def counting_job(n: int, delay: float = 0.0):
    def fn(progress, cancel):
        for i in range(n + 1):
            cancel.raise_if_cancelled()
            progress(i, n, f"item {i}")
            time.sleep(delay)
        return n * 2

    return fn


def test_progress_then_result(qtbot):
    job = Job(counting_job(1000))
    seen = []
    job.signals.progress.connect(lambda d, t, m: seen.append((d, t, m)))
    with qtbot.waitSignal(job.signals.finished, timeout=10_000), qtbot.waitSignal(job.signals.result) as result:
        job.start()
    assert result.args == [2000]
    assert seen[0][0] == 0 and seen[-1] == (1000, 1000, "item 1000")
    assert len(seen) < 100  # throttled: 1001 reports do not flood the GUI thread


def test_error_carries_a_sentence_and_the_traceback(qtbot):
    def broken(progress, cancel):
        raise ValueError("the sheet has no id column")

    job = Job(broken)
    with qtbot.waitSignal(job.signals.finished, timeout=10_000), qtbot.waitSignal(job.signals.error) as error:
        job.start()
    message, details = error.args
    assert message == "The sheet has no id column"
    assert "Traceback" in details and "ValueError" in details


def test_an_input_error_is_its_sentence_without_a_traceback(qtbot):
    """Bad input the core recognised (an IcaamError) needs no "Show Details…" full of Python for the analyst."""
    from icaam_desktop.core.delivery import DeliveryError

    def refused(progress, cancel):
        raise DeliveryError("the folder notes holds no products to review")

    job = Job(refused)
    with qtbot.waitSignal(job.signals.finished, timeout=10_000), qtbot.waitSignal(job.signals.error) as error:
        job.start()
    assert error.args == ["The folder notes holds no products to review", ""]


def test_cancel_stops_the_job(qtbot):
    job = Job(counting_job(10_000, delay=0.001))
    results = []
    job.signals.result.connect(results.append)
    with qtbot.waitSignal(job.signals.progress, timeout=10_000):
        job.start()
    with qtbot.waitSignal(job.signals.finished, timeout=10_000), qtbot.waitSignal(job.signals.cancelled):
        job.cancel()
    assert results == []


def test_cancelled_raised_by_core_counts_as_cancel(qtbot):
    def fn(progress, cancel):
        raise Cancelled("stopped")

    job = Job(fn)
    with qtbot.waitSignal(job.signals.finished, timeout=10_000), qtbot.waitSignal(job.signals.cancelled):
        job.start()


def test_eta_text():
    assert eta_text(0, 100, 5.0) == ""
    assert eta_text(50, 100, 10.0) == "about 10 s left"
    assert eta_text(10, 100, 60.0) == "about 9 min 00 s left"
