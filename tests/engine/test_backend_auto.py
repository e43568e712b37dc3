"""The ``auto`` backend takes CuPy only when a small kernel runs right on the device.

CuPy is not installed here, so a fake ``cupy`` module stands in for it: NumPy arrays behind
CuPy's names, with a device count, a device name and kernels that work, fail or lie.
"""
import sys
import types

import numpy as np
import pytest

from memscape.engine.backend import BackendError, get_backend


def fake_cupy(count=1, count_error=None, kernel_error=None, result_offset=0.0):
    """A module with the CuPy calls the backend makes: runtime.getDeviceCount /
    getDeviceProperties, asarray, exp, matmul, asnumpy."""
    cp = types.ModuleType("cupy")
    calls = []

    def get_device_count():
        if count_error is not None:
            raise count_error
        return count

    runtime = types.SimpleNamespace(getDeviceCount=get_device_count,
                                    getDeviceProperties=lambda i: {"name": b"Fake GPU 9000"})
    cp.cuda = types.SimpleNamespace(runtime=runtime)
    cp.asarray = lambda a: np.array(a)

    def exp(a):
        calls.append("exp")
        if kernel_error is not None:
            raise kernel_error
        return np.exp(a)

    cp.exp = exp
    cp.matmul = lambda a, b: np.matmul(a, b) + result_offset
    cp.asnumpy = lambda a: np.array(a)
    cp.calls = calls
    return cp


@pytest.fixture
def install(monkeypatch):
    def put(module):
        monkeypatch.setitem(sys.modules, "cupy", module)
        return module
    return put


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_auto_takes_cupy_when_the_kernel_runs_right(install, precision):
    cp = install(fake_cupy())
    backend = get_backend("auto", precision)
    assert backend.name == "cupy" and backend.xp is cp
    assert backend.device == "CuPy on Fake GPU 9000" and backend.note == ""
    assert cp.calls == ["exp"]  # the kernel really ran


@pytest.mark.parametrize("fake, reason", [
    # the driver-only machine: a device is counted, but NVRTC is missing at the first kernel
    (dict(kernel_error=RuntimeError("CuPy failed to load libnvrtc.so.12: cannot open shared object file\nmore")),
     "CuPy sees Fake GPU 9000, but a test kernel does not run on it "
     "(RuntimeError: CuPy failed to load libnvrtc.so.12: cannot open shared object file)"),
    (dict(result_offset=0.5),
     "CuPy sees Fake GPU 9000, but a test kernel gave a wrong result ([4.5, 6.5, 4.5, 6.5] instead of [4, 6, 4, 6])"),
    (dict(count=0), "CuPy imports but sees no CUDA device"),
    (dict(count_error=RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")),
     "CuPy imports but CUDA does not work (cudaErrorInsufficientDriver: CUDA driver version is insufficient)"),
])
def test_auto_falls_back_to_numpy_and_says_why(install, fake, reason):
    install(fake_cupy(**fake))
    backend = get_backend("auto")
    assert backend.name == "numpy" and backend.device == "NumPy (CPU)"
    assert backend.note == f"using NumPy on the CPU: {reason}"


def test_cupy_by_name_raises_the_same_reason(install):
    install(fake_cupy(kernel_error=RuntimeError("nvrtc: error: failed to compile")))
    with pytest.raises(BackendError, match=r"^CuPy sees Fake GPU 9000, but a test kernel does not run on it "
                                           r"\(RuntimeError: nvrtc: error: failed to compile\)$"):
        get_backend("cupy")


def test_auto_without_cupy_says_it_is_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    backend = get_backend("auto")
    assert backend.name == "numpy"
    assert backend.note.startswith("using NumPy on the CPU: CuPy is not installed or does not import (")
