"""capacity: the classical collapse near 0.138 D, Dense AM's capacity growing like D^(n-1)."""
import numpy as np
import pytest

from memscape.engine.backend import get_backend
from memscape.engine.experiments import capacity
from memscape.engine.experiments.runner import execute, make_settings


def overlaps(result, model, d):
    rows = result.select(model=model, D=d)
    return result.column("load", rows), result.column("overlap", rows)


def test_classical_hopfield_collapses_between_a_tenth_and_a_fifth_of_d(backend):
    settings = make_settings(capacity, ["models=hopfield", "dims=100", "loads=0.05,0.1,0.15,0.2,0.3,0.5",
                                        "starts=48"])
    result = execute(capacity, settings, backend)
    loads, mean = overlaps(result, "hopfield", 100)
    assert mean[loads <= 0.1].min() > 0.97 and mean[loads >= 0.3].max() < 0.7
    assert 0.1 <= capacity.collapse_load(loads, mean) <= 0.2
    key = "hopfield, D = 100: load M/D where the overlap falls below 0.9"
    assert result.summary[key] == pytest.approx(capacity.collapse_load(loads, mean))


def test_dense_am_capacity_grows_like_d_to_the_n_minus_1():
    """n = 2 collapses at the same load M/D for every D, n = 3 at a load about twice as
    large when D doubles (M ~ D^2), and n = 3 holds far past where n = 2 has collapsed."""
    settings = make_settings(capacity, ["models=dense-2,dense-3", "dims=32,64", "starts=32",
                                        "loads=0.1,0.125,0.15,0.175,0.2,0.25,0.3,0.5,1,1.5,2,3,4"])
    result = execute(capacity, settings, get_backend("numpy", "float64"))
    at = {(m, d): capacity.collapse_load(*overlaps(result, m, d)) for m in ("dense-2", "dense-3") for d in (32, 64)}
    assert 0.7 < at["dense-2", 64] / at["dense-2", 32] < 1.3
    assert 1.4 < at["dense-3", 64] / at["dense-3", 32] < 3.0
    assert at["dense-3", 32] > 3 * at["dense-2", 32]


def test_modern_hopfield_retrieves_far_beyond_d_patterns(backend):
    result = execute(capacity, make_settings(capacity, ["models=modern", "dims=32", "loads=4", "starts=32"]), backend)
    assert result.rows[0]["M"] == 128 and result.rows[0]["retrieved"] == 1.0


def test_collapse_load_interpolates_the_first_crossing():
    loads, mean = np.array([0.1, 0.2, 0.3]), np.array([1.0, 0.8, 0.95])
    assert capacity.collapse_load(loads, mean) == pytest.approx(0.15)
    assert np.isnan(capacity.collapse_load(loads, np.ones(3)))
