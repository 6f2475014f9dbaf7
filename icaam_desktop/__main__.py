"""`python -m icaam_desktop` starts the desktop app."""

from icaam_desktop.gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
