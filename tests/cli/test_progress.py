"""Progress when stderr is not a terminal (a log file, CI): plain lines, throttled, always the last one."""

from __future__ import annotations

from icaam_desktop.cli import progress as progress_mod
from icaam_desktop.cli.progress import progress_bar


def test_log_lines_are_throttled_and_end_with_the_total(capsys, monkeypatch):
    clock = iter([0.0, 0.1, 0.2, 30.0, 31.0, 31.5])
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: next(clock))
    with progress_bar("classify") as progress:  # capsys: stderr is not a terminal
        progress(0, 400, "classifying")  # t=0.1: too soon (a short job prints only its last line)
        progress(10, 400)  # t=0.2: too soon
        progress(200, 400, "classifying")  # t=30: 10 s passed
        progress(400, 400)  # t=31: the last, always
        progress(400, 400)  # t=31.5: the same again, skipped
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "classify: 200/400 (50%), about 30 s left, classifying",
        "classify: 400/400 (100%)",
    ]


def test_disabled_progress_is_silent(capsys):
    with progress_bar("x", enabled=False) as progress:
        progress(1, 2, "m")
    assert capsys.readouterr().err == ""
