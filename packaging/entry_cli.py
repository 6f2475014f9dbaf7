"""Frozen entry point of ``icaam`` (the command line), sharing the desktop app's folder."""

import multiprocessing

# DataLoader workers under spawn (Windows) must not re-run the CLI (see entry_desktop.py).
multiprocessing.freeze_support()

from icaam_desktop.cli import main  # noqa: E402

raise SystemExit(main())
