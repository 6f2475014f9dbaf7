"""Frozen entry point of ``icaam`` (the command line), sharing the desktop app's folder."""

from icaam_desktop.cli import main

raise SystemExit(main())
