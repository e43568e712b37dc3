"""The licence texts of everything a PyInstaller bundle ships, gathered when it is built.

``write(dest, sources)`` (called by memscape.spec with every file the bundle takes from the
build machine) finds who each file came from and copies that one's licence texts to ``dest``:

- a Python distribution (the file is in its RECORD): the licence files in its .dist-info
  (for a wheel with none, WHEELS_WITHOUT_TEXTS names where its text is; else README.txt
  says there is none and where the project is);
- CPython itself (the standard library, libpython): its LICENSE.txt;
- a library that a wheel carries without its licence (PyAV's FFmpeg, x264 and codecs in
  av.libs, Qt's ICU): the copyright file of the same library's Debian package (every library
  in such a folder must be listed in VENDORED, so a new one stops the build);
- a library of the build machine itself (libffi, libssl, ... next to libpython): its Debian
  package's copyright file (``dpkg -S``);
- /usr/share/common-licenses/*, which Debian's copyright files refer to by name.

Debian's copyright files and licences are read on a Debian build machine (``apt-get
download`` fetches those of packages not installed, with no root). Elsewhere (macOS,
Windows) those texts are not collected: README.txt then says so.
``dest/README.txt`` lists every component, its version and licence, and where its text is.
"""
from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from importlib import metadata
from pathlib import Path

#: Libraries that a wheel carries in a folder of its own (auditwheel's NAME.libs, Qt's lib):
#: distribution -> folder inside site-packages -> [(file-name pattern, component, Debian
#: package of the same library whose copyright file is its text)]; component None: the
#: distribution's own licence files cover it.
VENDORED = {
    "av": {"av.libs": [
        (r"libav(codec|device|filter|format|util)-|libsw(resample|scale)-|libpostproc-", "FFmpeg", "libavcodec59"),
        (r"libx264-", "x264", "libx264-164"),
        (r"libx265-", "x265", "libx265-199"),
        (r"libvpx-", "libvpx", "libvpx7"),
        (r"libdav1d-", "dav1d", "libdav1d6"),
        (r"libSvtAv1Enc-", "SVT-AV1", "libsvtav1enc1"),
        (r"libopus-", "Opus", "libopus0"),
        (r"libmp3lame-", "LAME", "libmp3lame0"),
        (r"libopencore-amr(nb|wb)-", "opencore-amr", "libopencore-amrnb0"),
        (r"libwebp-|libwebpmux-|libsharpyuv-", "libwebp", "libwebp7"),
        (r"libvpl-", "oneVPL", "libvpl2"),
        (r"libgnutls-", "GnuTLS", "libgnutls30"),
        (r"libnettle-|libhogweed-", "Nettle", "libnettle8"),
        (r"libgmp-", "GMP", "libgmp10"),
        (r"libunistring-", "libunistring", "libunistring2"),
        (r"libasound-", "alsa-lib", "libasound2"),
        (r"libdrm-", "libdrm", "libdrm2"),
        (r"libxcb-", "libxcb", "libxcb1"),
        (r"libXau-", "libXau", "libxau6"),
        # in older PyAV wheels (14.x)
        (r"libaom-", "libaom", "libaom3"),
        (r"liblzma-", "XZ Utils", "liblzma5"),
        (r"libogg-", "libogg", "libogg0"),
        (r"libvorbis-|libvorbisenc-", "libvorbis", "libvorbis0a"),
        (r"libspeex-", "Speex", "libspeex1"),
        (r"libtwolame-", "TwoLAME", "libtwolame0"),
        (r"libxml2-", "libxml2", "libxml2"),
    ]},
    "numpy": {"numpy.libs": [
        (r"libscipy_openblas|libgfortran|libquadmath", None, None),  # in numpy's own LICENSE.txt
    ]},
    "PyQt6-Qt6": {"PyQt6/Qt6/lib": [
        (r"libQt6", None, None),  # Qt itself: the distribution's own LICENSE (LGPL-3.0)
        (r"libicu(data|i18n|uc)\.", "ICU", "libicu72"),
        (r"libav(codec|format|util)\.|libsw(resample|scale)\.", "FFmpeg (Qt Multimedia's)", "libavcodec59"),
    ]},
}

#: Distributions whose wheels carry no licence file -> the Debian package of the same
#: project, whose copyright file is its text.
WHEELS_WITHOUT_TEXTS = {"PyOpenGL": "python3-opengl"}

LICENCE_NAMES = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS|COPYRIGHT)", re.IGNORECASE)


class LicenceError(RuntimeError):
    """A shipped file whose licence cannot be accounted for."""


def write(dest: Path, sources: list[str]) -> None:
    """Copy the licence texts of whatever ``sources`` (files the bundle ships) came from
    into ``dest`` and describe them in ``dest/README.txt``; see the module docstring."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    owners = _file_owners()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    base = Path(sys.base_prefix).resolve()
    dists, vendored, system, python = {}, {}, set(), False
    for source in sources:
        if not source:
            continue
        path = Path(source).resolve()
        dist = owners.get(path)
        if dist is not None:
            dists[dist.metadata["Name"]] = dist
            component = _vendored(dist.metadata["Name"], path)
            if component is not None and component[0] is not None:
                vendored.setdefault(component, set()).add(path.name)
        elif path.is_relative_to(base) or path.name == "base_library.zip":  # PyInstaller's stdlib zip
            python = True
        elif path.exists():
            system.add(path)
    debian = _Debian(dest / "debian")
    lines = ["Licences of what this Memscape bundle ships, collected when it was built.", ""]
    for name in sorted(dists, key=str.lower):
        dist = dists[name]
        folder = dest / f"{name}-{dist.version}"
        copied = _copy_dist_licences(dist, folder)
        lines.append(f"{name} {dist.version}: {_licence_of(dist)}")
        if copied:
            lines.append(f"    texts: {', '.join(f'{folder.name}/{c}' for c in copied)}")
        elif name in WHEELS_WITHOUT_TEXTS:
            lines.append(f"    text (its wheel has none): {debian.copyright(WHEELS_WITHOUT_TEXTS[name])}")
        else:
            folder.rmdir()
            urls = [u.split(",", 1)[-1].strip() for u in dist.metadata.get_all("Project-URL") or ()]
            lines.append(f"    text: none in its wheel; see {(urls or [dist.metadata.get('Home-page') or 'its project'])[0]}")
            debian.missing.add(name)
    if python:
        version = sys.version.split()[0]
        lines.append(f"Python {version} (the interpreter and its standard library): PSF-2.0")
        for candidate in (stdlib / "LICENSE.txt", base / "LICENSE.txt"):
            if candidate.is_file():
                folder = dest / f"Python-{version}"
                folder.mkdir()
                shutil.copy2(candidate, folder / "LICENSE.txt")
                lines.append(f"    text: {folder.name}/LICENSE.txt")
                break
        else:  # Debian's python3 keeps it in its package's copyright file
            package = debian.package_of(Path(sys.executable).resolve())
            lines.append(f"    text: {debian.copyright(package) if package else 'not collected'}")
    for (component, package), files in sorted(vendored.items()):
        lines.append(f"{component}: {', '.join(sorted(files))}")
        lines.extend(f"    {line}" for line in _extra_facts(component, files, dists))
        lines.append(f"    text: {debian.copyright(package)}")
    for path in sorted(system):
        package = debian.package_of(path)
        lines.append(f"{path.name} (from the build machine, {package or 'no Debian package'})")
        lines.append(f"    text: {debian.copyright(package) if package else 'not collected'}")
    if debian.used:
        common = dest / "common-licenses"
        shutil.copytree("/usr/share/common-licenses", common, symlinks=False)
        lines.append("common-licenses/: the licences Debian's copyright files name (GPL-2, LGPL-2.1, ...)")
    if not sys.platform.startswith("linux"):
        lines.append("")
        lines.append("The libraries that wheels carry without their licences (FFmpeg, x264 and the other "
                     "codecs in PyAV, Qt's ICU) are listed with their texts only in a bundle built on Linux.")
    if debian.missing:
        lines.append("")
        lines.append("Texts not collected here: " + ", ".join(sorted(debian.missing)))
    (dest / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _file_owners() -> dict[Path, metadata.Distribution]:
    """Every installed file -> the distribution whose RECORD lists it."""
    owners = {}
    for dist in metadata.distributions():
        for file in dist.files or ():
            owners[Path(dist.locate_file(file)).resolve()] = dist
    return owners


def _vendored(dist_name: str, path: Path) -> tuple[str | None, str | None] | None:
    """(component, Debian package) of a file in one of VENDORED's folders, None elsewhere;
    LicenceError for a library there that VENDORED does not list. Linux wheels only (the
    folders and names are auditwheel's; macOS and Windows wheels name them otherwise)."""
    if not sys.platform.startswith("linux"):
        return None
    for folder, patterns in VENDORED.get(dist_name, {}).items():
        if f"/{folder}/" not in path.as_posix():
            continue
        for pattern, component, package in patterns:
            if re.match(pattern, path.name):
                return component, package
        raise LicenceError(f"{path}: a library of {dist_name}'s {folder} that packaging/licences.py "
                           "VENDORED does not list; add it with its licence")
    if re.search(r"/[^/]+\.libs/", path.as_posix()):  # auditwheel's and delvewheel's folders
        raise LicenceError(f"{path}: a library {dist_name} carries in a folder of its own; list it in "
                           "packaging/licences.py VENDORED with its licence")
    return None


def _licence_of(dist: metadata.Distribution) -> str:
    """The licence a distribution declares: License-Expression, a one-line License field, or
    its "License ::" classifiers."""
    meta = dist.metadata
    if meta.get("License-Expression"):
        return meta["License-Expression"]
    if meta.get("License") and "\n" not in meta["License"].strip() and len(meta["License"]) < 200:
        return meta["License"].strip()
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or () if c.startswith("License ::")]
    return ", ".join(classifiers) or "see its texts"


def _copy_dist_licences(dist: metadata.Distribution, folder: Path) -> list[str]:
    """Copy the licence files of a distribution's .dist-info (PEP 639 licenses/ or
    LICENSE*, COPYING*, ... beside METADATA); the names copied."""
    copied = []
    for file in dist.files or ():
        parts = Path(file).parts
        if not parts or not parts[0].endswith(".dist-info") or file.suffix in (".pyc",):
            continue
        if "licenses" in parts[1:-1] or (len(parts) == 2 and LICENCE_NAMES.match(parts[1])):
            source = Path(dist.locate_file(file))
            target = folder / Path(*parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(Path(*parts[1:]).as_posix())
    folder.mkdir(parents=True, exist_ok=True)
    return sorted(copied)


def _extra_facts(component: str, files: set[str], dists: dict) -> list[str]:
    """FFmpeg says its own licence (avcodec_license()): GPL when built with x264 and x265."""
    if component != "FFmpeg" or "av" not in dists:
        return []
    libs = Path(str(dists["av"].locate_file("av.libs")))
    for name in sorted(files):
        if name.startswith("libavcodec"):
            avcodec = ctypes.CDLL(str(libs / name))
            avcodec.avcodec_license.restype = ctypes.c_char_p
            return [f"licence (avcodec_license()): {avcodec.avcodec_license().decode()}"]
    return []


class _Debian:
    """Copyright files of Debian packages, copied to one folder: installed ones from
    /usr/share/doc, others from their .deb (apt-get download, no root needed)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.available = shutil.which("dpkg-query") is not None
        self.used = False
        self.missing: set[str] = set()

    def package_of(self, path: Path) -> str | None:
        if not self.available:
            return None
        for candidate in {str(path), str(path).replace("/usr/lib/", "/lib/", 1)}:
            done = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
            if done.returncode == 0:
                return done.stdout.split(":", 1)[0].strip()
        return None

    def copyright(self, package: str) -> str:
        """The copied file's path relative to the licences folder, or why there is none."""
        if not self.available:
            self.missing.add(package)
            return f"not collected (the Debian package {package}'s copyright file)"
        target = self.folder / package / "copyright"
        if not target.exists():
            installed = Path("/usr/share/doc") / package / "copyright"
            target.parent.mkdir(parents=True, exist_ok=True)
            if installed.is_file():
                shutil.copy2(installed, target)
            else:
                target.write_bytes(self._from_deb(package))
        self.used = True
        return target.relative_to(self.folder.parent).as_posix()

    def _from_deb(self, package: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="memscape-licences-") as downloads:
            done = subprocess.run(["apt-get", "download", package], cwd=downloads, capture_output=True, text=True)
            debs = sorted(Path(downloads).glob(f"{package}_*.deb"))
            if done.returncode != 0 or not debs:
                raise LicenceError(f"apt-get download {package} failed ({done.stderr.strip()}); "
                                   "run apt-get update and build again")
            tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(debs[-1])], capture_output=True, check=True)
        text = subprocess.run(["tar", "-xO", f"./usr/share/doc/{package}/copyright"], input=tar.stdout,
                              capture_output=True)
        if text.returncode != 0 or not text.stdout:
            raise LicenceError(f"{debs[-1].name} has no usr/share/doc/{package}/copyright")
        return text.stdout
