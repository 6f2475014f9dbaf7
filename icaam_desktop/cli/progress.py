"""Progress on stderr, shaped as a core ``Progress`` callback: a tqdm bar with ETA on a terminal, and
plain log lines (at most one every ``LOG_EVERY_S`` seconds, plus the last) when stderr is a file or a pipe."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from icaam_desktop.core.jobs import Progress

LOG_EVERY_S = 10.0


@contextmanager
def progress_bar(description: str, *, enabled: bool | None = None) -> Iterator[Progress]:
    """Yield a progress callback: a bar on a terminal, log lines otherwise; ``enabled=False`` is silent."""
    if enabled is False:
        yield lambda done, total, message="": None
        return
    if not sys.stderr.isatty() and enabled is None:
        yield _log_lines(description)
        return
    from tqdm import tqdm

    bar = tqdm(desc=description, total=None, unit="it", file=sys.stderr, dynamic_ncols=True)

    def update(done: int, total: int | None, message: str = "") -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = done
        if message:
            bar.set_postfix_str(message, refresh=False)
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def _log_lines(description: str) -> Progress:
    started = time.monotonic()
    last = {"at": started, "done": None}  # a job shorter than LOG_EVERY_S prints only its last line

    def update(done: int, total: int | None, message: str = "") -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if done == last["done"] or not (final or now - last["at"] >= LOG_EVERY_S):
            return
        last.update(at=now, done=done)
        parts = [f"{description}: {done}" + (f"/{total} ({done / total:.0%})" if total else "")]
        elapsed = now - started
        if total and 0 < done < total and elapsed > 1:
            parts.append(f"about {elapsed / done * (total - done):.0f} s left")
        if message:
            parts.append(message)
        print(", ".join(parts), file=sys.stderr, flush=True)

    return update
