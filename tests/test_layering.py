"""The engine stays Qt-free: no engine module (nor any engine test) imports PyQt6, pyqtgraph,
OpenGL or the GUI, and all of them import, and the headless sub-commands run, in a Python
where those packages cannot be imported at all (as on a machine with no Qt installed)."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Top-level packages of Qt and OpenGL, which a headless machine may lack; engine code may
# import neither them nor the GUI.
QT_GL = {"PyQt6", "PyQt5", "PySide6", "PySide2", "shiboken6", "sip", "pyqtgraph", "OpenGL", "superqt"}
FORBIDDEN = QT_GL | {"memscape.gui"}
IMPORTERS = {"import_module", "__import__"}

# Run first in a subprocess: every import of a BLOCKED package fails, as if not installed.
BLOCKER = """
import importlib.abc, sys
BLOCKED = set(sys.argv.pop(1).split(","))
class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED or any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by test_layering)")
        return None
sys.meta_path.insert(0, _NotInstalled())
"""


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported_names(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import statement and every import_module("...")/__import__("...")
    call with a literal name in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) \
                and getattr(node.func, "attr", getattr(node.func, "id", None)) in IMPORTERS:
            found.append((node.lineno, node.args[0].value))
    return found


def run_blocked(blocked: set[str], code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` (with ``args`` in sys.argv[1:]) in a fresh Python, no display, where the
    ``blocked`` packages cannot be imported."""
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    return subprocess.run([sys.executable, "-c", BLOCKER + code, ",".join(sorted(blocked)), *args],
                          cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_scan_sees_every_kind_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os, PyQt6.QtCore\nfrom OpenGL import GL\nfrom . import sibling\n"
                      "import importlib\nimportlib.import_module('pyqtgraph')\n__import__('memscape.gui.app')\n")
    assert imported_names(sample) == [(1, "os"), (1, "PyQt6.QtCore"), (2, "OpenGL"),
                                      (4, "importlib"), (5, "pyqtgraph"), (6, "memscape.gui.app")]


@pytest.mark.parametrize("folder", ["engine", "tests/engine"])
def test_no_engine_file_imports_qt_gl_or_the_gui(folder):
    files = python_files(folder)
    assert files, f"no Python files under {folder}"
    offending = [f"{path.relative_to(ROOT)}:{line}: {name}"
                 for path in files for line, name in imported_names(path)
                 if forbidden(name)]
    assert not offending, "engine code must not import Qt, GL or gui:\n" + "\n".join(offending)


def forbidden(module: str) -> bool:
    """Whether engine code may not import ``module`` (Qt, GL, or memscape.gui and below)."""
    return module.partition(".")[0] in QT_GL or module == "memscape.gui" or module.startswith("memscape.gui.")


def test_the_blocker_really_blocks():
    r = run_blocked(QT_GL, "import PyQt6.QtCore")
    assert r.returncode != 0 and "blocked by test_layering" in r.stderr


def test_every_engine_module_and_engine_test_imports_without_qt():
    modules = ["memscape." + ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
               for p in python_files("engine")]
    tests = [p.stem for p in python_files("tests/engine")]
    code = ("import importlib, sys\n"
            f"sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests' / 'engine')!r}]\n"
            "import main\n"
            f"for name in {modules + tests!r}:\n"
            "    importlib.import_module(name)\n"
            "print('imported', len([m for m in sys.modules if m.startswith('memscape.engine')]))\n")
    r = run_blocked(FORBIDDEN, code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "imported" and int(r.stdout.split()[1]) >= len(modules)


@pytest.mark.parametrize("command", [["presets"],
                                     ["simulate", "--preset", "two-wells", "--steps", "3",
                                      "--particles", "4", "--backend", "numpy"]])
def test_headless_commands_run_without_qt(command, tmp_path):
    """main.py's parser (all sub-commands) and the engine sub-commands need no Qt at all."""
    if command[0] == "simulate":
        command = [*command, "--out", str(tmp_path / "run.npz")]
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import main; sys.exit(main.main(sys.argv[1:]))"
    r = run_blocked(QT_GL, code, *command)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
