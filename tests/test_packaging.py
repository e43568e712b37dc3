"""Memscape as an installed package: the wheel, an editable install, the requirement files,
and the packaging scripts (desktop entry, bundle licences, CI smoke test).

The wheel is built from a copy of the checkout (nothing is left in it) with the test
environment's setuptools and no network (--no-build-isolation), then installed with
--target into a folder that is the only place a subprocess, run from another folder, can
import memscape from.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import memscape

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = memscape.__version__
NOT_THE_APP = {"tests", "packaging", "docs", ".ci", ".git", ".venv", "build", "dist", "shaders"}


def pip(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def checkout_copy(dest: Path) -> Path:
    """The checkout's files without the virtualenv, git data and build outputs."""
    ignore = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = checkout_copy(tmp / "src")
    pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(tmp / "dist"), str(source))
    (built,) = (tmp / "dist").glob("*.whl")
    assert built.name == f"memscape-{VERSION}-py3-none-any.whl"
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed (without its dependencies, which the test environment has) into a
    folder of its own."""
    target = tmp_path_factory.mktemp("site")
    pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel))
    return target


def run_installed(target: Path, code: str, tmp_path: Path, **env: str) -> str:
    """Run ``code`` with only ``target`` (not the checkout) to import memscape from, in
    another folder."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environ.update(PYTHONPATH=str(target), **env)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environ, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def app_files() -> set[str]:
    """What the wheel must hold, as paths inside the memscape package: every module of the
    app and the package data (shaders, presets, icons)."""
    files = {"__init__.py", "__main__.py", "main.py"}
    for folder in ("engine", "gui"):
        files |= {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*.py")
                  if "__pycache__" not in p.parts}
    files |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "shaders").glob("*.vert")}
    files |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "shaders").glob("*.frag")}
    files |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "engine" / "presets").glob("*.toml")}
    return files | {"packaging/memscape.png", "packaging/memscape.svg"}


# --- the wheel -----------------------------------------------------------------------------

def test_the_wheel_adds_one_top_level_name_and_holds_the_whole_app(wheel):
    with zipfile.ZipFile(wheel) as archive:
        record = archive.read(f"memscape-{VERSION}.dist-info/RECORD").decode()
        entry_points = archive.read(f"memscape-{VERSION}.dist-info/entry_points.txt").decode()
        names = set(archive.namelist())
    paths = [row[0] for row in csv.reader(io.StringIO(record)) if row]
    assert set(paths) == names  # RECORD lists every file the wheel holds
    assert {path.split("/")[0] for path in paths} == {"memscape", f"memscape-{VERSION}.dist-info"}
    inside = {path.removeprefix("memscape/") for path in paths if path.startswith("memscape/")}
    assert inside == app_files()  # every module and data file, and nothing else (no tests)
    assert "[console_scripts]\nmemscape = memscape.main:main" in entry_points
    assert "[gui_scripts]\nmemscape-gui = memscape.main:main" in entry_points


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    folders = {"memscape"} | {"memscape." + ".".join(p.parent.relative_to(ROOT).parts)
                              for p in ROOT.rglob("__init__.py")
                              if p.parent != ROOT and not NOT_THE_APP & set(p.relative_to(ROOT).parts)}
    assert listed == folders, f"add to [tool.setuptools] packages: {sorted(folders - listed)}; " \
                              f"not packages: {sorted(listed - folders)}"


def test_the_installed_package_finds_its_data_from_any_folder(installed, tmp_path):
    out = run_installed(installed, """
import memscape
from memscape.engine.presets import PRESET_DIR, list_presets
from memscape.gui.shader_loader import SHADER_DIR
print(memscape.__file__)
print(PRESET_DIR)
print(SHADER_DIR)
print(",".join(sorted(name for name, _ in list_presets())))
print(",".join(sorted(p.name for p in SHADER_DIR.iterdir())))
""", tmp_path)
    package, presets, shaders, names, shader_files = out.splitlines()
    assert Path(package) == installed / "memscape" / "__init__.py"
    assert Path(presets) == installed / "memscape" / "engine" / "presets"
    assert Path(shaders) == installed / "memscape" / "shaders"
    assert names.split(",") == sorted(p.stem for p in (ROOT / "engine" / "presets").glob("*.toml"))
    assert shader_files.split(",") == sorted(p.name for p in (ROOT / "shaders").glob("*.*[gt]"))


def test_python_m_memscape_runs_the_command_line(installed, tmp_path):
    out = run_installed(installed, "import runpy, sys; sys.argv = ['memscape', '--version']; "
                                   "runpy.run_module('memscape', run_name='__main__')", tmp_path)
    assert out.strip() == f"memscape {VERSION}"


def test_the_app_sets_its_icon_and_desktop_file_name(installed, tmp_path):
    out = run_installed(installed, """
from memscape.gui.app import ICON, make_application
app = make_application(["memscape"])
print(ICON, app.windowIcon().isNull(), app.desktopFileName(), max(s.width() for s in app.windowIcon().availableSizes()))
""", tmp_path, QT_QPA_PLATFORM="offscreen")
    icon, null, desktop_name, width = out.split()
    assert Path(icon) == installed / "memscape" / "packaging" / "memscape.png"
    assert (null, desktop_name, width) == ("False", "memscape", "256")
    assert (ROOT / "packaging" / f"{desktop_name}.desktop").is_file()


def test_an_editable_install_imports_the_checkout(tmp_path):
    source = checkout_copy(tmp_path / "src")
    prefix = tmp_path / "prefix"
    pip("install", "--no-deps", "--no-build-isolation", "--prefix", str(prefix), "-e", str(source))
    (site,) = prefix.glob("lib/python*/site-packages")
    out = run_installed(site, f"""
import site; site.addsitedir({str(site)!r})  # the editable install's .pth and finder
import memscape
import memscape.engine.presets as presets
print(memscape.__file__, presets.PRESET_DIR)
""", tmp_path)
    assert out.split() == [str(source / "__init__.py"), str(source / "engine" / "presets")]


# --- dependencies --------------------------------------------------------------------------

def requirement_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_requirements_files_list_exactly_pyprojects_dependencies():
    project = PYPROJECT["project"]
    assert requirement_lines(ROOT / "requirements.txt") == project["dependencies"]
    assert requirement_lines(ROOT / "requirements-dev.txt") == ["-r requirements.txt",
                                                                *project["optional-dependencies"]["test"]]


def test_the_test_environment_satisfies_every_range():
    """What `make test` installed from the requirement files lies inside pyproject's ranges."""
    from packaging.requirements import Requirement

    project = PYPROJECT["project"]
    for line in project["dependencies"] + project["optional-dependencies"]["test"]:
        requirement = Requirement(line)
        version = metadata.version(requirement.name)
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement.name} {version} not in {line}"


def test_the_gpu_extra_takes_cuda_from_wheels():
    from packaging.requirements import Requirement

    (gpu,) = (Requirement(line) for line in PYPROJECT["project"]["optional-dependencies"]["gpu"])
    assert gpu.name == "cupy-cuda12x" and gpu.extras == {"ctk"}  # the cuda-toolkit wheels


# --- packaging scripts ---------------------------------------------------------------------

def desktop_exec_argument(value: str) -> str:
    """The one argument of an Exec value, unescaped as the desktop entry specification says:
    the string escapes first (\\\\ -> \\), then the quoting rule inside double quotes."""
    value = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m[1], m[1]), value)
    assert value.startswith('"') and value.endswith('"'), value
    return re.sub(r'\\([\\"`$])', r"\1", value[1:-1]).replace("%%", "%")


@pytest.mark.skipif(sys.platform == "win32", reason="a Linux desktop entry")
def test_the_desktop_entry_starts_the_program_by_its_absolute_path(tmp_path):
    folder = tmp_path / "My Apps $HOME" / 'a "quoted" 100% \\ dir'
    folder.mkdir(parents=True)
    program = folder / "memscape-gui"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    data = tmp_path / "data"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(data)}
    done = subprocess.run(["sh", str(ROOT / "packaging" / "install-desktop-entry.sh"), str(program)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    entry = dict(line.split("=", 1) for line in (data / "applications" / "memscape.desktop").read_text().splitlines()
                 if "=" in line and not line.startswith("#"))
    assert desktop_exec_argument(entry["Exec"]) == str(program)
    assert entry["TryExec"].replace("\\\\", "\\") == str(program)
    assert entry["Icon"] == "memscape" and entry["Type"] == "Application"
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "memscape.svg").is_file()
    assert (data / "icons" / "hicolor" / "256x256" / "apps" / "memscape.png").is_file()


def test_the_desktop_entry_refuses_a_missing_program(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = subprocess.run(["sh", str(ROOT / "packaging" / "install-desktop-entry.sh"), str(tmp_path / "nothing")],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "not an executable program" in done.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.skipif(shutil.which("dash") is None, reason="dash (a strict POSIX shell) is not installed")
@pytest.mark.parametrize("script", ["setup.sh", "build-bundle.sh", "install-desktop-entry.sh"])
def test_the_shell_scripts_parse_in_a_plain_posix_shell(script):
    done = subprocess.run(["dash", "-n", str(ROOT / "packaging" / script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "sha256sum" not in (ROOT / "packaging" / script).read_text()  # hashed by Python instead


def test_every_library_a_wheel_carries_has_its_licence_listed():
    """packaging/licences.py must know each library av.libs, numpy.libs and Qt's lib folder
    hold (their wheels ship no licence for them), or the bundle build stops."""
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import licences
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    checked = 0
    for name, folders in licences.VENDORED.items():
        dist = metadata.distribution(name)
        for file in dist.files:
            path = Path(dist.locate_file(file)).resolve()
            if any(f"/{folder}/" in path.as_posix() for folder in folders) and ".so" in path.name:
                licences._vendored(name, path)  # raises LicenceError for one not listed
                checked += 1
    assert checked > 40
    with pytest.raises(licences.LicenceError, match="does not list"):
        licences._vendored("av", Path(metadata.distribution("av").locate_file("av.libs/libnew-0123abcd.so.1")))


def test_the_smoke_tests_png_reader_decodes_what_qt_writes(tmp_path):
    """packaging/smoke.py decodes PNG frames without NumPy or Qt (the bundle's test has
    neither): it must agree with Qt on every pixel, and count a blank frame's colours as one."""
    from PyQt6 import QtGui

    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import smoke
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    rng = np.random.default_rng(0)
    pixels = np.repeat(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), 2, axis=1)[:, :64]  # runs and noise
    pixels[::7] = np.linspace(0, 255, 64, dtype=np.uint8)[:, None]  # smooth rows: other filters
    image = QtGui.QImage(pixels.tobytes(), 64, 48, 64 * 3, QtGui.QImage.Format.Format_RGB888)
    assert image.save(str(tmp_path / "noise.png"))
    width, height, decoded = smoke.read_png(tmp_path / "noise.png")
    assert (width, height) == (64, 48)
    assert np.array_equal(np.frombuffer(b"".join(decoded), np.uint8).reshape(48, 64, 3), pixels)
    blank = QtGui.QImage(64, 48, QtGui.QImage.Format.Format_RGB888)
    blank.fill(QtGui.QColor(20, 30, 40))
    assert blank.save(str(tmp_path / "blank.png"))
    assert set(smoke.read_png(tmp_path / "blank.png")[2]) == {bytes([20, 30, 40])}


def test_the_smoke_test_reads_an_npz_shape_without_numpy(tmp_path):
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import smoke
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    np.savez(tmp_path / "run.npz", positions=np.zeros((13, 40, 2), np.float32), energy=np.zeros(3))
    assert smoke._npy_shape(tmp_path / "run.npz", "positions.npy") == (13, 40, 2)
    assert smoke._npy_shape(tmp_path / "run.npz", "energy.npy") == (3,)


# --- where Xvfb is missing -------------------------------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Xvfb is the Linux test display")
@pytest.mark.parametrize("ci", [False, True])
def test_without_xvfb_the_display_tests_skip_except_on_ci(tmp_path, ci):
    """tests/conftest.py: with no Xvfb and no display, a test needing one is skipped with the
    reason and the engine tests run; on Linux CI the run stops with pytest-xvfb's error."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "CI")}
    environ["PATH"] = str(tmp_path)  # no Xvfb on it (the interpreter is run by its full path)
    if ci:
        environ["CI"] = "true"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-ra",
                           "tests/test_main_smoke.py::test_the_app_opens_on_its_default_preset_and_quits_by_itself",
                           "tests/engine/test_backend_auto.py"], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300)
    if ci:
        assert done.returncode == 4 and "xvfb backend xvfb requested but not installed" in done.stderr
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert "needs a display: install Xvfb" in done.stdout
        assert re.search(r"\b\d+ passed, 1 skipped\b", done.stdout), done.stdout
