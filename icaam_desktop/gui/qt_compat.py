"""A start-up check for a known-bad Qt binding, detected at run time rather than by version number.

PySide6 6.12.0 on Python 3.11 drops a reference to ``None`` on every call of a method that
returns nothing (``painter.setPen``, ``save``/``restore``, ...) and to ``True`` on every
``Signal.emit()``. After enough calls CPython frees ``None`` itself and the app aborts
("none_dealloc: deallocating None"): painting a scrolling grid gets there within seconds. No
code in the app can work around that, so the app refuses to start on such a binding and says
how to fix it (PySide6-Essentials 6.11.x works).
"""

from __future__ import annotations

import ctypes
import sys

CALLS = 64


def binding_problem() -> str | None:
    """A sentence saying what is wrong with the installed PySide6, or None when it counts correctly."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QObject, QRect, Signal

    class Probe(QObject):
        ping = Signal()

    probe, rect = Probe(), QRect(0, 0, 4, 4)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(CALLS):
        rect.moveLeft(1)  # returns nothing
        probe.ping.emit()
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    for obj, lost in ((None, lost_none), (True, lost_true)):
        for _ in range(max(0, lost)):  # give back what the probe itself lost, so it harms nothing
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
    if lost_none < CALLS // 2 and lost_true < CALLS // 2:
        return None
    return (
        f"PySide6 {pyside_version} on Python {sys.version.split()[0]} mis-counts references "
        f"(None lost {lost_none} and True lost {lost_true} references in {CALLS} calls); the app would crash "
        "within minutes. Install a working binding: pip install 'PySide6-Essentials==6.11.3' 'shiboken6==6.11.3'."
    )
