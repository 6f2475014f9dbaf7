"""Qt-free core: everything here works with PySide6 uninstalled."""
