"""Reading the files a person names as input: regular files only, bounded, one line on failure.

Every loader of the app opens its file here: presets, sessions, the settings file and
``--init`` arrays. A file is opened with ``O_NONBLOCK`` and checked with ``fstat`` on the
open descriptor, so a FIFO, a terminal, a device, a socket or a folder named as input is
refused at once instead of blocking the read or reading forever (checking the path first
and opening it afterwards would race with a rename). Text is read whole up to a bound and
decoded as strict UTF-8. ``.npy`` arrays are read header first: the header's dtype, shape
and the file's length are checked, and a caller's size check runs, before the data are
read (:func:`load_real_matrix`); pickles are never loaded.

Failures are :class:`InputError`, a ValueError whose message is one line naming the file
and what was expected.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
import warnings
from typing import BinaryIO, Callable, Iterator

import numpy as np

#: open flags: no blocking on a FIFO or device, no controlling terminal, binary on Windows
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_BINARY", 0))


class InputError(ValueError):
    """A file named as input that cannot be used (the message names it and says why)."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


@contextlib.contextmanager
def open_regular(path: str | os.PathLike, name: str | None = None) -> Iterator[BinaryIO]:
    """``path`` opened for binary reading when it is a regular file (links are followed to
    one); raises :class:`InputError` for anything else, naming ``name`` (default: the path)."""
    name = name or str(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({_reason(exc)})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{name}: is {_kind(mode)}; expected a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        try:
            yield fh
        except OSError as exc:
            raise InputError(f"{name}: cannot be read ({_reason(exc)})") from None


def read_bytes(path: str | os.PathLike, max_bytes: int, what: str = "file", name: str | None = None) -> bytes:
    """The whole content of the regular file ``path``, refused when longer than ``max_bytes``
    (``what`` names the kind of file in that message)."""
    name = name or str(path)
    with open_regular(path, name) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{name}: is larger than {max_bytes // 1024} KiB, which no {what} is")
    return data


def read_text(path: str | os.PathLike, max_bytes: int, what: str = "file", name: str | None = None) -> str:
    """:func:`read_bytes` decoded as UTF-8; invalid UTF-8 is refused with where it is."""
    name = name or str(path)
    data = read_bytes(path, max_bytes, what, name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def nesting_depth(value: object) -> int:
    """How many dicts and lists are nested in ``value`` (0 for a scalar), counted without
    recursion, so a hostile file's deep nesting is measured instead of overflowing the stack."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in children)
    return deepest


@dataclasses.dataclass(frozen=True)
class NpyHeader:
    """What a .npy file declares, read without its data."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    offset: int  #: where the data start

    @property
    def nbytes(self) -> int:
        """Bytes of data the header declares: prod(shape) * itemsize."""
        return int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize


#: the dtype kinds of real numbers: signed and unsigned integers and floats
REAL_KINDS = {"i": "integers", "u": "unsigned integers", "f": "floats"}
_KIND_NAMES = {"b": "booleans", "c": "complex numbers", "M": "datetimes", "m": "time differences",
               "O": "Python objects", "S": "byte strings", "U": "strings", "V": "raw or structured records"}
EXPECTED_ARRAY = "an (N, D) array of finite real numbers (a float or integer dtype in native byte order)"


def read_npy_header(fh: BinaryIO, name: str) -> NpyHeader:
    """The header of the .npy file open as ``fh`` (versions 1 and 2, which np.save writes
    for every array this app reads); InputError for anything that is not one."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version not in ((1, 0), (2, 0)):
            raise InputError(f"{name}: .npy format version {version[0]}.{version[1]} is not supported "
                             f"(1.0 and 2.0 are)")
        read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        with warnings.catch_warnings():  # a damaged header's escapes warn as Python source would
            warnings.simplefilter("ignore")
            shape, fortran, dtype = read_header(fh)
    except InputError:
        raise
    except Exception as exc:  # NumPy's header parser raises ValueError, SyntaxError, tokenize's TokenError...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{name}: not a .npy array file ({first})") from None
    if any(not isinstance(n, int) or n < 0 for n in shape):
        raise InputError(f"{name}: the .npy header declares an invalid shape {shape!r}")
    return NpyHeader(tuple(shape), dtype, bool(fortran), fh.tell())


def _check_real(header: NpyHeader, name: str) -> None:
    dt = header.dtype
    if dt.fields is not None or dt.subdtype is not None or dt.kind not in REAL_KINDS:
        got = "structured records" if dt.fields is not None else _KIND_NAMES.get(dt.kind, f"dtype {dt}")
        raise InputError(f"{name}: holds {got} ({dt.str}); expected {EXPECTED_ARRAY}")
    if not dt.isnative:
        raise InputError(f"{name}: holds {REAL_KINDS[dt.kind]} in the other byte order ({dt.str}); expected "
                         f"native byte order ({dt.newbyteorder('=').str}): save it with arr.astype(arr.dtype.newbyteorder('='))")
    if len(header.shape) != 2 or min(header.shape) < 1:
        raise InputError(f"{name}: holds an array of shape {header.shape}; expected {EXPECTED_ARRAY}")


def load_real_matrix(path: str | os.PathLike, name: str | None = None,
                     check: Callable[[NpyHeader], None] | None = None) -> np.ndarray:
    """The (N, D) array of finite real numbers in the .npy file ``path``, as float64.

    Before any data are read: the file must be a regular file, its header a .npy header
    of a real, native-byte-order, non-structured dtype and a 2-d shape with N, D >= 1, the
    file exactly as long as the header declares (a truncated or padded file is refused),
    and ``check(header)`` (e.g. a memory limit) must pass. The data must be finite."""
    name = name or str(path)
    with open_regular(path, name) as fh:
        header = read_npy_header(fh, name)
        _check_real(header, name)
        size = os.fstat(fh.fileno()).st_size
        if size != header.offset + header.nbytes:
            have = max(size - header.offset, 0)
            raise InputError(f"{name}: holds {have} bytes of data, but its header declares {header.shape} "
                             f"{header.dtype.str} = {header.nbytes} bytes (a truncated or damaged file)")
        if check is not None:
            check(header)
        shape = header.shape[::-1] if header.fortran_order else header.shape
        data = np.empty(shape, dtype=header.dtype)
        if fh.readinto(memoryview(data).cast("B")) != header.nbytes:
            raise InputError(f"{name}: the file changed while it was read")
    matrix = np.asarray(data.T if header.fortran_order else data, dtype=np.float64)
    finite = np.isfinite(matrix)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise InputError(f"{name}: row {row} holds NaN or infinite values; expected {EXPECTED_ARRAY}")
    return matrix

