"""Frozen entry point of ``icaam-desktop`` (the GUI; ``--self-test`` runs headless)."""

from icaam_desktop.gui.app import main

raise SystemExit(main())
