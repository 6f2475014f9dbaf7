"""Frozen entry point of ``icaam-desktop`` (the GUI; ``--self-test`` runs headless)."""

import multiprocessing

# The classifier's DataLoader workers are separate processes; on Windows (spawn) a frozen app must
# recognise them here, or each worker would start another copy of the app.
multiprocessing.freeze_support()

from icaam_desktop.gui.app import main  # noqa: E402

raise SystemExit(main())
