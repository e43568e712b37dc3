"""Engine tests run on NumPy and on array-api-strict (which stands in for CuPy)."""
import pytest

from memscape.engine.backend import get_backend


@pytest.fixture(params=["numpy", "array_api_strict"])
def backend(request):
    """float64 so that finite-difference and closed-form checks are tight."""
    return get_backend(request.param, "float64")


@pytest.fixture
def backend32():
    """The app's default precision, NumPy."""
    return get_backend("numpy", "float32")
