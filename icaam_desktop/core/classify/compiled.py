"""``torch.compile`` for inference, used where it was measured to pay, with a safe fallback.

On the project's 2-core AVX-512 VM, inductor with weight freezing ran lite0 1.9-2.2x faster than
eager PyTorch (74 vs 40 img/s in 8-row slices, max abs difference 1e-5; docs/benchmarks/classify.md).
On the CPU it also uses inductor's ``max_autotune`` templates (each convolution/GEMM shape is timed
once, then kept in the disk cache): another 6% there (71 vs 67 img/s, three runs each).
The first compile of a model takes about a minute on 2 cores (inductor keeps its kernels in its
on-disk cache, so later runs of the app start in seconds). It needs a C++ compiler at run time,
which a workstation may lack: then, or on any compile error, the backbone runs eagerly and the
reason is logged once. Nothing else changes.

The compiled graph is built for one batch shape; slices are padded to that many rows so a short
last slice does not trigger a second compile.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import weakref
from collections.abc import Callable

import torch

log = logging.getLogger(__name__)

# Below this many photos the first compile (about a minute cold, ~20 s from the disk cache) costs more
# than it saves (~0.012 s a photo on 2 cores).
COMPILE_MIN_IMAGES = 2000

_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> compiled forward
_warm: weakref.WeakSet = weakref.WeakSet()  # models whose compiled forward has run once
_failed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> why compiling failed


def compiler_available() -> bool:
    """Whether inductor can find a C++ compiler ($CXX, g++, c++ or clang++)."""
    names = [os.environ.get("CXX", ""), "g++", "c++", "clang++"]
    return any(name and shutil.which(name) for name in names)


def should_compile(requested: bool | None, device: torch.device, n_images: int) -> bool:
    """``requested`` if given; otherwise on the CPU for large jobs when a compiler is there.

    Never automatically in a frozen (PyInstaller) bundle: it ships no C/C++ headers for inductor, and
    inductor's compile workers would be started as ``sys.executable``, i.e. the app itself.
    """
    if requested is not None:
        return requested
    if getattr(sys, "frozen", False):
        return False
    return device.type == "cpu" and n_images >= COMPILE_MIN_IMAGES and compiler_available()


def is_warm(model: torch.nn.Module) -> bool:
    """True once the model's compiled forward has run (no compile wait left in this process)."""
    return model in _warm


def compiled_forward(model: torch.nn.Module, fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable | None:
    """The compiled ``fn`` of ``model`` (cached per model), or None when compiling failed before."""
    if model in _failed:
        return None
    if model not in _compiled:
        options = {"freezing": True}
        if _on_cpu(model):
            # inductor's CPU GEMM/conv templates, benchmarked once per shape: +6% on the 2-core VM
            options["max_autotune"] = True
            # A CPU compile probes for a CUDA toolkit and warns "No CUDA runtime is found, using
            # CUDA_HOME=..." on machines without a GPU: irrelevant here, and alarming in an analyst's terminal.
            logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
        _compiled[model] = torch.compile(fn, dynamic=False, options=options)
    return _compiled[model]


def run_compiled(model: torch.nn.Module, fn: Callable, x: torch.Tensor, *, rows: int) -> torch.Tensor | None:
    """``fn(x)`` through the compiled graph, ``x`` padded to ``rows`` rows; None if it cannot compile.

    A failure (no compiler, an operator inductor refuses) is remembered for this model, logged once,
    and the caller runs eagerly from then on. Out-of-memory errors are raised for the caller to handle.
    """
    from icaam_desktop.core.classify.pipeline import is_oom

    net = compiled_forward(model, fn)
    if net is None:
        return None
    n = x.shape[0]
    if n < rows:
        x = torch.cat([x, x.new_zeros((rows - n, *x.shape[1:]))]).contiguous(memory_format=_layout(x))
    try:
        out = net(x)
    except Exception as exc:
        if is_oom(exc):
            raise
        _failed[model] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        log.warning("torch.compile is not available here, running the model eagerly (%s)", _failed[model])
        return None
    _warm.add(model)
    return out[:n]


def _on_cpu(model: torch.nn.Module) -> bool:
    param = next(model.parameters(), None)
    return param is None or param.device.type == "cpu"


def _layout(x: torch.Tensor) -> torch.memory_format:
    return (
        torch.channels_last
        if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last)
        else torch.contiguous_format
    )
