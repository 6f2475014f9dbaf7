"""PyInstaller runtime hook: make the CUDA libraries collected into the bundle findable.

Why: a frozen torch app that cannot find its CUDA libraries does not fail, it silently runs on the
CPU. The libraries sit inside the bundle where the pip wheels put them (``torch/lib``,
``nvidia/<component>/lib`` on Linux, ``nvidia/<component>/bin`` on Windows).

- Windows: the loader does not search those folders, so each one goes through
  ``os.add_dll_directory`` (and onto ``PATH`` for DLLs that load their siblings by plain name).
- Linux: torch's libraries carry ``RUNPATH=$ORIGIN/../../nvidia/*/lib``, which keeps working because
  the spec keeps the wheel layout. ``LD_LIBRARY_PATH`` cannot change this process's search path any
  more (the dynamic loader reads it at start), so it is set for child processes only.

Nothing is loaded here: preloading ~2 GB of CUDA libraries would delay the window. The folders found
are published in ``ICAAM_BUNDLED_CUDA_DIRS`` (``os.pathsep``-separated) for ``--self-test`` to report.
"""

import os
import sys
from pathlib import Path


def _library_dirs(root: Path) -> list[Path]:
    torch_lib = root / "torch" / "lib"
    nvidia = root / "nvidia"
    if sys.platform == "win32":
        # CUDA 12 wheels use nvidia/<x>/bin, CUDA 13 wheels may add a per-arch folder below it.
        candidates = [torch_lib, *sorted(nvidia.glob("*/bin")), *sorted(nvidia.glob("*/bin/*"))]
        pattern = "*.dll"
    else:
        candidates = [torch_lib, *sorted(nvidia.glob("*/lib"))]
        pattern = "*.so*"
    return [d for d in candidates if d.is_dir() and any(d.glob(pattern))]


def _install() -> None:
    root = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    dirs = _library_dirs(root)
    os.environ["ICAAM_BUNDLED_CUDA_DIRS"] = os.pathsep.join(str(d) for d in dirs)
    if not dirs:
        return
    if sys.platform == "win32":
        for folder in dirs:
            os.add_dll_directory(str(folder))
        os.environ["PATH"] = os.pathsep.join([*(str(d) for d in dirs), os.environ.get("PATH", "")])
    else:
        previous = os.environ.get("LD_LIBRARY_PATH", "")
        os.environ["LD_LIBRARY_PATH"] = os.pathsep.join([*(str(d) for d in dirs), *([previous] if previous else [])])


_install()
