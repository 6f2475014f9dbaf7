"""Contract: importing any module of icaam_desktop.core never imports PySide6."""

import pkgutil
import subprocess
import sys

import icaam_desktop.core


def test_core_modules_never_import_qt():
    names = [m.name for m in pkgutil.walk_packages(icaam_desktop.core.__path__, "icaam_desktop.core.")]
    assert len(names) > 5
    # A blocker on sys.meta_path makes any PySide6 import fail loudly in a clean interpreter.
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6'):\n"
        "            raise ImportError('Qt imported from the core: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for n in {names!r}:\n"
        "    importlib.import_module(n)\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules)\n"
        "print('ok', len(sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
