"""memorization: the exact score reproduces training points; a limited learned score does not."""
import numpy as np

from memscape.engine.backend import get_backend
from memscape.engine.experiments import memorization
from memscape.engine.experiments.runner import execute, make_settings


def test_exact_score_with_a_tiny_sigma_min_ends_every_sample_on_a_training_point(backend):
    settings = make_settings(memorization, ["counts=3,40", "capacities=16", "fit_samples=256", "particles=60",
                                            "sigma_min=0.0005", "steps=30"])
    result = execute(memorization, settings, backend)
    for row in result.select(score="exact"):
        assert row["memorized_fraction"] == 1.0 and row["spurious_fraction"] == 0.0
    assert {r["capacity"] for r in result.select(score="learned")} == {16}


def test_a_learned_score_memorises_few_points_and_leaves_many():
    settings = make_settings(memorization, ["counts=2,128", "capacities=256", "particles=300"])
    result = execute(memorization, settings, get_backend("numpy", "float64"))
    few, many = result.select(score="learned", M=2)[0], result.select(score="learned", M=128)[0]
    assert few["memorized_fraction"] > 0.7 and many["memorized_fraction"] < 0.3
    for row in result.rows:
        total = row["memorized_fraction"] + row["generalized_fraction"] + row["spurious_fraction"]
        assert abs(total - 1.0) < 1e-12


def test_classify_uses_the_ratio_of_nearest_distances():
    points = memorization.ring_points(4, 0)
    near = points[0] * 1.001
    between = (points[0] + points[1]) / 2
    on_ring = between / np.linalg.norm(between)
    memorised, spurious = memorization.classify(np.array([near, between, on_ring]), points, 1 / 3, 0.05)
    np.testing.assert_array_equal(memorised, [True, False, False])
    np.testing.assert_array_equal(spurious, [False, True, False])
    assert np.allclose(np.linalg.norm(points, axis=1), 1.0)
