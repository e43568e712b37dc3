"""basins: which memory each start reaches, for AMs and deterministic samplers."""
import numpy as np

from memscape.engine.experiments import basins
from memscape.engine.experiments.runner import execute, make_settings


def test_two_separated_memories_split_the_plane_at_the_bisector(backend):
    """two-wells: memories at (-1, 0) and (1, 0); every start left of the bisector u = 0 ends
    on memory 0, every one right of it on memory 1, for each method; a start on the
    bisector stays on it by symmetry and ends between the memories (spurious)."""
    settings = make_settings(basins, ["preset=two-wells", "resolution=15", "methods=modern,tinybrain,heun,ddim@ve",
                                      "particles=1"])
    result = execute(basins, settings, backend)
    spacing = float(np.diff(result.arrays["grid_x"])[0])
    for method in ("modern", "tinybrain", "heun", "ddim@ve"):
        rows = result.select(method=method)
        u, basin = result.column("u", rows), result.column("basin", rows)
        off_line = np.abs(u) > spacing / 2
        np.testing.assert_array_equal(basin[off_line], (u[off_line] > 0).astype(float))
        np.testing.assert_array_equal(basin[~off_line], -1.0)
        assert result.arrays[f"basin {method}"].shape == (15, 15)
        assert result.summary[f"{method}: spurious share"] == 1 / 15  # the grid's middle column


def test_a_weak_am_ends_between_memories_and_that_is_spurious(backend):
    """At beta = 0.5 the two wells of two-wells merge (d = 2 > 2 / sqrt(beta) fails):
    the Modern Hopfield network ends every start at the midpoint, near neither memory."""
    settings = make_settings(basins, ["preset=two-wells", "resolution=6", "methods=modern", "beta=0.5", "dt=1"])
    result = execute(basins, settings, backend)
    assert np.all(result.column("basin") == -1)
    np.testing.assert_allclose(result.column("distance"), 1.0, atol=1e-3)


def test_classify_marks_ends_between_memories_spurious():
    memories = np.array([[0.0, 0.0], [2.0, 0.0]])
    basin, dist = basins.classify(np.array([[0.45, 0.0], [1.0, 0.0], [0.55, 0.0], [2.0, 0.1]]), memories, 1 / 3)
    np.testing.assert_array_equal(basin, [0, -1, -1, 1])  # 0.45 < 1.55 / 3, but 0.55 > 1.45 / 3
    np.testing.assert_allclose(dist, [0.45, 1.0, 0.55, 0.1])
    assert basins.smallest_distance(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])) == 1.0
