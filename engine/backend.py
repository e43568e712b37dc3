"""The one module that chooses the array library the engine computes with.

CuPy when it imports and a small kernel runs right on its CUDA device, NumPy otherwise, and
array-api-strict for the test-suite (it proves the engine uses nothing a GPU
array library lacks). Every other engine module takes its namespace from here
(``Backend.xp``) or from the arrays it is given (:func:`namespace`), never by
importing numpy or cupy for math.

Random numbers for the dynamics are drawn where the arrays live (:class:`Rng`): on the GPU
with CuPy, so that 1,000,000 particles need no host draw and copy per step; on the host
from NumPy's ``Generator`` otherwise. One seed gives the same run on one backend; NumPy and
array-api-strict share the host stream, CuPy has its own.
"""
from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import Any

import array_api_compat
import array_api_compat.numpy as compat_numpy
import numpy as np

BACKENDS = ("auto", "numpy", "cupy", "array_api_strict")
PRECISIONS = ("float32", "float64")


class BackendError(RuntimeError):
    """A backend that was asked for by name cannot be used here."""


@dataclasses.dataclass(frozen=True)
class Backend:
    """An array namespace with the engine's float type and a human-readable name."""

    name: str  #: "numpy", "cupy" or "array_api_strict"
    xp: ModuleType  #: the array namespace
    precision: str  #: "float32" or "float64"
    device: str  #: what the status bar shows, e.g. "NumPy (CPU)"
    note: str = ""  #: why this backend was picked, e.g. an auto fallback

    @property
    def dtype(self) -> Any:
        return getattr(self.xp, self.precision)

    def asarray(self, a: Any) -> Any:
        """Host or device data -> an array of this backend in its float type."""
        if self.name == "array_api_strict" and not _is_strict(a):
            a = np.asarray(a, dtype=self.precision)
        return self.xp.asarray(a, dtype=self.dtype)

    def to_host(self, a: Any) -> np.ndarray:
        """An array of this backend -> a NumPy array (one device-to-host copy)."""
        return to_host(a)

    def rng(self, seed: int | None) -> "Rng":
        return Rng(self, seed)


class Rng:
    """Random numbers as arrays of one backend.

    ``normal`` and ``uniform`` come from cuRAND on the device when the backend is CuPy
    (``cupy.random.RandomState``, seeded from ``seed``) and from the host NumPy
    ``Generator`` ``host`` otherwise; ``integers`` and ``host`` itself (permutations) are
    host-side bookkeeping on every backend. ``seed`` is an int, a NumPy ``SeedSequence``
    or None (fresh entropy)."""

    def __init__(self, backend: Backend, seed: int | np.random.SeedSequence | None):
        self.backend = backend
        self.host = np.random.default_rng(seed)
        self.device = backend.xp.random.RandomState(_device_seed(seed)) if backend.name == "cupy" else None

    def normal(self, shape: tuple[int, ...]) -> Any:
        if self.device is not None:
            return self.device.standard_normal(shape, dtype=self.backend.precision)
        return self.backend.asarray(self.host.standard_normal(shape))

    def uniform(self, shape: tuple[int, ...], low: float = 0.0, high: float = 1.0) -> Any:
        if self.device is not None:
            return self.device.uniform(low, high, shape, dtype=self.backend.precision)
        return self.backend.asarray(self.host.uniform(low, high, shape))

    def integers(self, high: int, size: int) -> np.ndarray:
        """Host integers (indices are used for host-side bookkeeping)."""
        return self.host.integers(0, high, size)


def _device_seed(seed: int | np.random.SeedSequence | None) -> np.uint64 | None:
    """The seed of a device generator for an int or SeedSequence seed: its first 64-bit
    state word (equal seeds give equal streams), as np.uint64, the one integer type that
    cupy.random.RandomState casts to its seed safely; None for fresh entropy."""
    if seed is None:
        return None
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return seq.generate_state(1, np.uint64)[0]


def _is_strict(a: Any) -> bool:
    return type(a).__module__.startswith("array_api_strict")


def namespace(*arrays: Any) -> ModuleType:
    """The array namespace the given arrays belong to."""
    return array_api_compat.array_namespace(*arrays)


def to_host(a: Any) -> np.ndarray:
    """Any backend's array (or a Python scalar) -> a NumPy array."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "get") and type(a).__module__.startswith("cupy"):
        return a.get()
    if _is_strict(a):
        return np.from_dlpack(a)
    return np.asarray(a)


def _cupy_backend(precision: str) -> Backend:
    try:
        cp = importlib.import_module("cupy")
    except Exception as exc:  # ImportError, or a broken CUDA install
        raise BackendError(f"CuPy is not installed or does not import ({_first_line(exc)})") from exc
    try:
        count = cp.cuda.runtime.getDeviceCount()
        if count < 1:
            raise BackendError("CuPy imports but sees no CUDA device")
        props = cp.cuda.runtime.getDeviceProperties(0)
        gpu = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    except BackendError:
        raise
    except Exception as exc:
        raise BackendError(f"CuPy imports but CUDA does not work ({_first_line(exc)})") from exc
    _probe_kernel(cp, precision, gpu)
    return Backend("cupy", cp, precision, f"CuPy on {gpu}")


#: The probe's input x and the exact result of exp(x - x) @ x (all ones times x: the column sums).
_PROBE_X = np.array([[1.0, 2.0], [3.0, 4.0]])
_PROBE_WANT = np.array([[4.0, 6.0], [4.0, 6.0]])


def _probe_kernel(cp: ModuleType, precision: str, gpu: str) -> None:
    """Run exp(x - x) @ x on the device and check it equals [[4, 6], [4, 6]] exactly.

    Counting a device is not enough: a machine with the NVIDIA driver but without the CUDA
    libraries (NVRTC, which compiles CuPy's elementwise kernels at run time, and cuBLAS,
    which does its matrix products) counts the GPU and fails at the first kernel. This one
    needs both, as the engine does. Raises BackendError saying what failed."""
    try:
        x = cp.asarray(_PROBE_X.astype(precision))
        got = np.asarray(cp.asnumpy(cp.matmul(cp.exp(x - x), x)))
    except Exception as exc:
        raise BackendError(f"CuPy sees {gpu}, but a test kernel does not run on it "
                           f"({type(exc).__name__}: {_first_line(exc)})") from exc
    if got.shape != _PROBE_WANT.shape or not np.array_equal(got, _PROBE_WANT):
        raise BackendError(f"CuPy sees {gpu}, but a test kernel gave a wrong result "
                           f"({np.array2string(got.ravel(), separator=', ')} instead of [4, 6, 4, 6])")


def _first_line(exc: BaseException) -> str:
    """An exception's message on one line (a CUDA compile error carries the whole source)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def get_backend(name: str = "auto", precision: str = "float32") -> Backend:
    """Pick the array backend.

    ``auto`` takes CuPy when it imports, sees a CUDA device and a small kernel
    runs there with the right result (:func:`_probe_kernel`), and falls back to
    NumPy otherwise, saying why in ``Backend.note``. Asking for ``cupy`` by name
    where it cannot run raises :class:`BackendError` with the same reason.
    """
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    if precision not in PRECISIONS:
        raise BackendError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    if name == "cupy":
        return _cupy_backend(precision)
    if name == "array_api_strict":
        xp = importlib.import_module("array_api_strict")
        return Backend("array_api_strict", xp, precision, "array-api-strict (CPU, test backend)")
    numpy_backend = Backend("numpy", compat_numpy, precision, "NumPy (CPU)")
    if name == "numpy":
        return numpy_backend
    try:
        return _cupy_backend(precision)
    except BackendError as exc:
        return dataclasses.replace(numpy_backend, note=f"using NumPy on the CPU: {exc}")


def logsumexp(xp: ModuleType, a: Any, axis: int = -1) -> Any:
    """log sum_i exp(a_i) along ``axis``, shifted by the max for stability."""
    m = xp.max(a, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(a - m), axis=axis, keepdims=True)) + m
    return xp.squeeze(out, axis=axis)


def softmax(xp: ModuleType, a: Any, axis: int = -1) -> Any:
    """exp(a_i) / sum_j exp(a_j) along ``axis``, shifted by the max for stability."""
    e = xp.exp(a - xp.max(a, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)
