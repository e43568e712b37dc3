"""Atomic writes of files and folders: the one helper every writer of the app uses.

A target is written under a temporary name in its own folder, flushed to disk (fsync of
the data, then of the folder) and only then renamed over the target (``os.replace``), so
a failed, cancelled or interrupted write never leaves a partial target and never
touches an existing good one.

Temporary names are ``.NAME.PID.RANDOM.memscape-tmp``: a writer first removes the
temporaries of its target that a killed process (SIGKILL leaves no chance to clean up)
left behind, recognised by a PID that no longer runs. Files and folders are created with
the usual permissions for the user's umask (``os.open`` with 0o666, ``os.mkdir`` with
0o777), not the 0600 / 0700 of :mod:`tempfile`.

Targets are refused when they are not what a writer may replace: a symbolic link, a
device, a FIFO or a socket (writing would follow the link or the device), and a folder
where a file is to be written or the reverse.
"""
from __future__ import annotations

import contextlib
import errno
import glob
import os
import secrets
import shutil
import stat
from pathlib import Path
from typing import Callable, Iterator

from memscape.engine.interrupts import check_pending

TEMP_SUFFIX = ".memscape-tmp"


class TargetError(OSError):
    """A target path that must not be written (its message names the path and why)."""

    def __str__(self) -> str:
        return str(self.strerror)


def os_error_message(path: str | os.PathLike, exc: BaseException) -> str:
    """One line for an OSError (or PyAV's errno-carrying errors): 'cannot write PATH: reason'."""
    if isinstance(exc, TargetError):
        return str(exc)
    code = getattr(exc, "errno", None)
    reason = os.strerror(code) if isinstance(code, int) and code > 0 else (getattr(exc, "strerror", None) or str(exc))
    if code == errno.ENOSPC:
        reason = "the disk is full (no space left on device)"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"the folder is not writable ({reason.lower()})"
    return f"cannot write {path}: {reason}"


def check_target(path: str | os.PathLike, folder: bool = False) -> Path:
    """``path`` as a Path when it may be written: it does not exist, or it is a regular file
    (``folder`` False) or a real folder (``folder`` True); its parent folder exists.
    Raises :class:`TargetError` otherwise."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise TargetError(errno.ENOENT, f"cannot write {path}: the folder {parent} does not exist")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return path
    if stat.S_ISLNK(st.st_mode):
        raise TargetError(errno.EEXIST, f"cannot write {path}: it is a symbolic link (give the real path)")
    if folder and not stat.S_ISDIR(st.st_mode):
        raise TargetError(errno.EEXIST, f"cannot write {path}: it exists and is not a folder")
    if not folder and stat.S_ISDIR(st.st_mode):
        raise TargetError(errno.EISDIR, f"cannot write {path}: it is a folder; give a file name")
    if not folder and not stat.S_ISREG(st.st_mode):
        raise TargetError(errno.EEXIST, f"cannot write {path}: it is not a regular file")
    return path


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (this one does; another user's, or one we cannot ask
    about, counts as running). On Windows os.kill(pid, 0) would terminate the process, so
    there the process is opened and polled instead."""
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process, or no way to tell: keep its file
    return True


def _windows_pid_alive(pid: int) -> bool:
    import ctypes

    synchronize, wait_timeout = 0x00100000, 0x00000102
    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return ctypes.GetLastError() == 5  # access denied: it runs, as another user
    try:
        return kernel32.WaitForSingleObject(handle, 0) == wait_timeout
    finally:
        kernel32.CloseHandle(handle)


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporaries of ``path`` whose writing process no longer runs; returns them."""
    path = Path(path)
    removed = []
    pattern = str(path.parent / f".{glob.escape(path.name)}.*{TEMP_SUFFIX}")
    for name in glob.glob(pattern):
        middle = Path(name).name[len(path.name) + 2:-len(TEMP_SUFFIX)]
        pid_text = middle.split(".", 1)[0]
        if not pid_text.isdigit() or pid_alive(int(pid_text)):
            continue
        _remove(Path(name))
        removed.append(Path(name))
    return removed


def temporary_name(path: Path) -> Path:
    """A fresh temporary name beside ``path`` (see the module docstring)."""
    return path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _remove(p: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink()


def create_temporary(tmp: Path, folder: bool) -> None:
    """A new empty file or folder at ``tmp``, with the permissions the umask gives."""
    if folder:
        os.mkdir(tmp, 0o777)
    else:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))


def fsync_path(path: str | os.PathLike) -> None:
    """Flush one file's (or folder's) data to disk; folders cannot be opened on Windows."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else os.O_RDWR
    try:
        fd = os.open(path, flags)
    except (PermissionError, IsADirectoryError):
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a folder: the data are synced already
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, folder: bool = False,
                removable: Callable[[str], bool] | None = None) -> Iterator[Path]:
    """Yield a temporary path (an empty new file, or a new empty folder when ``folder``) to
    write instead of ``path``. Leaving the block normally fsyncs it and renames it over
    ``path``; leaving it by any exception (KeyboardInterrupt and SystemExit included),
    or normally with a signal pending (:func:`engine.interrupts.check_pending`), removes it
    and leaves ``path`` as it was.

    An existing folder target is never emptied: ``removable(name)`` names the entries of
    the old folder that the new one replaces (a PNG export's earlier frames); every other
    entry is moved into the new folder, as it was. Callers that must not mix their output
    with other files refuse such a folder beforehand
    (:func:`gui.export.video_writer.check_frame_folder`).
    """
    path = check_target(path, folder)
    remove_stale_temporaries(path)
    tmp = temporary_name(path)
    create_temporary(tmp, folder)
    try:
        yield tmp
        check_pending()  # a signal deferred while the file was written: keep the old target
        if folder:
            for child in sorted(tmp.iterdir()):
                fsync_path(child)
            fsync_path(tmp)
            _replace_folder(tmp, path, removable or (lambda name: False))
        else:
            fsync_path(tmp)
            os.replace(tmp, path)
        fsync_path(path.parent if str(path.parent) else ".")
    finally:
        _remove(tmp)


def _replace_folder(tmp: Path, path: Path, removable: Callable[[str], bool]) -> None:
    """Rename the finished folder ``tmp`` to ``path``. A folder cannot be replaced in one
    step: an existing one is moved aside, the new one renamed in, then the old one's
    entries that ``removable`` does not name are moved into the new folder (unless the new
    one has an entry of that name) and only the rest is deleted."""
    if not os.path.lexists(path):
        os.replace(tmp, path)
        return
    check_target(path, folder=True)
    aside = temporary_name(path)
    os.replace(path, aside)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(aside, path)
        raise
    for entry in sorted(aside.iterdir()):
        if not removable(entry.name) and not os.path.lexists(path / entry.name):
            os.replace(entry, path / entry.name)
    for entry in sorted(aside.iterdir()):
        if removable(entry.name) and entry.is_file() and not entry.is_symlink():
            entry.unlink()
    try:
        aside.rmdir()
    except OSError:  # an entry the new folder also has, and that is not ours to delete: keep it
        os.replace(aside, path / f"previous-{aside.name.split('.')[-2]}")


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """``data`` as the whole content of ``path``, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
