"""Importing torch (and sentence-transformers) on a worker thread without freezing the GUI thread.

A worker's import still holds the GIL, and two parts of it hold it for long stretches the switch
interval cannot break (measured with benchmarks/gui_warmup.py, 2 loaded CPUs):

- the dlopen of torch's C++ libraries (libtorch_cpu/_cuda and the CUDA libraries, ~1 GB) inside
  ``import torch._C``: 0.5-1.1 s in one C call. Python's import and ``ctypes.CDLL`` keep the GIL during
  dlopen, but a ctypes *call* of libc's ``dlopen`` releases it; once loaded, torch's own dlopen of them
  is a reference count.
- full cyclic-GC passes, triggered by the import's hundreds of thousands of new objects: tens to
  hundreds of ms each, on whichever thread allocates. The collector is paused during the import and
  what it created is frozen out of later collections (``gc.freeze``), as the controller did already.

Both are only an optimisation: anything unexpected (no torch, another platform, a frozen app that
lays torch out differently) leaves the plain import.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.util
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

_lock = threading.Lock()
_paused = 0  # imports in progress with the collector paused (two jobs may import at once)
_preloaded = False


def preload_torch_libraries() -> bool:
    """dlopen torch's C++ libraries with the GIL released (Linux; elsewhere a no-op). True if loaded."""
    global _preloaded
    if _preloaded or "torch" in sys.modules or not sys.platform.startswith("linux"):
        return _preloaded
    try:
        spec = importlib.util.find_spec("torch")  # finds the package without running it
        library = Path(next(iter(spec.submodule_search_locations or [])), "lib", "libtorch.so")
        if not library.is_file():
            return False
        dlopen = ctypes.CDLL(None).dlopen  # a foreign call: ctypes releases the GIL while it runs
        dlopen.restype, dlopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_int]
        # The flags of Python's own import (RTLD_NOW, local), so torch's later dlopen finds them as it expects.
        _preloaded = bool(dlopen(os.fsencode(library), os.RTLD_NOW | os.RTLD_LOCAL))
    except Exception:  # noqa: BLE001 - only an optimisation: the plain import follows
        return False
    return _preloaded


@contextmanager
def collector_paused():
    """No cyclic GC while the block imports; what it created is then frozen out of later collections."""
    global _paused
    with _lock:
        _paused += 1
        if _paused == 1:
            gc.disable()
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0:
                gc.freeze()
                gc.enable()


def warm_import(*modules: str) -> None:
    """Import ``modules`` (those installed) with torch's libraries preloaded and the collector paused."""
    with collector_paused():
        preload_torch_libraries()
        for name in modules:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the real import later says what is wrong, where it is handled
                continue
