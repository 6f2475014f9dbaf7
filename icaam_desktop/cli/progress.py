"""A terminal progress bar with ETA on stderr, shaped as a core ``Progress`` callback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from icaam_desktop.core.jobs import Progress


@contextmanager
def progress_bar(description: str, *, enabled: bool | None = None) -> Iterator[Progress]:
    """Yield a callback that drives a tqdm bar; quiet when stderr is not a terminal unless enabled."""
    from tqdm import tqdm

    disable = (not sys.stderr.isatty()) if enabled is None else not enabled
    bar = tqdm(desc=description, total=None, unit="it", file=sys.stderr, disable=disable, dynamic_ncols=True)

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
