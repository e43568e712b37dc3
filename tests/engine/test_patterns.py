"""Stored-pattern generators: shapes, determinism and each kind's defining property."""
import numpy as np
import pytest

from memscape.engine.params import ParamError
from memscape.engine.patterns import GENERATORS, make_patterns

SEEDED = {"ring": {"jitter": 0.5}, "spiral": {"noise": 0.1}, "gaussian": {}, "binary": {}}


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_every_kind_is_deterministic_2d_float(kind):
    a, b = make_patterns({"kind": kind}), make_patterns({"kind": kind})
    assert a.memories.ndim == 2 and a.memories.dtype == np.float64
    assert np.all(np.isfinite(a.memories))
    np.testing.assert_array_equal(a.memories, b.memories)


@pytest.mark.parametrize("kind", sorted(SEEDED))
def test_seed_changes_the_random_kinds(kind):
    opts = SEEDED[kind]
    a = make_patterns({"kind": kind, **opts, "seed": 1}).memories
    b = make_patterns({"kind": kind, **opts, "seed": 2}).memories
    assert a.shape == b.shape and not np.allclose(a, b)


def test_two_wells_sit_at_plus_minus_half_distance():
    m = make_patterns({"kind": "two-wells", "distance": 3.0}).memories
    np.testing.assert_array_equal(m, [[-1.5, 0.0], [1.5, 0.0]])


def test_ring_points_lie_on_the_circle_evenly_or_jittered():
    even = make_patterns({"kind": "ring", "count": 12, "radius": 2.5}).memories
    assert even.shape == (12, 2)
    np.testing.assert_allclose(np.linalg.norm(even, axis=1), 2.5)
    gaps = np.diff(np.unwrap(np.arctan2(even[:, 1], even[:, 0])))
    np.testing.assert_allclose(gaps, 2 * np.pi / 12)
    jit = make_patterns({"kind": "ring", "count": 12, "radius": 2.5, "jitter": 0.8}).memories
    np.testing.assert_allclose(np.linalg.norm(jit, axis=1), 2.5)
    jgaps = np.diff(np.unwrap(np.arctan2(jit[:, 1], jit[:, 0])))
    assert np.all(jgaps > 0) and jgaps.std() > 0.1 * jgaps.mean()  # uneven, order kept


def test_spiral_radius_grows_from_inner_to_outer():
    m = make_patterns({"kind": "spiral", "count": 30, "radius": 2.0, "inner": 0.5}).memories
    r = np.linalg.norm(m, axis=1)
    assert m.shape == (30, 2) and np.all(np.diff(r) > 0)
    assert r[0] == pytest.approx(0.5) and r[-1] == pytest.approx(2.0)


def test_grid_is_a_centred_lattice():
    m = make_patterns({"kind": "grid", "rows": 3, "cols": 5, "spacing": 0.5}).memories
    assert m.shape == (15, 2)
    np.testing.assert_allclose(m.mean(axis=0), 0.0, atol=1e-12)
    d = np.linalg.norm(m[:, None] - m[None], axis=2) + np.eye(15) * 1e9
    np.testing.assert_allclose(d.min(axis=1), 0.5)
    assert len(np.unique(m[:, 0])) == 5 and len(np.unique(m[:, 1])) == 3


def test_gaussian_samples_match_mean_and_std_and_carry_the_exact_model():
    p = make_patterns({"kind": "gaussian", "mean": [1.0, -2.0, 0.5], "std": 0.5, "dim": 3, "count": 4000})
    assert p.memories.shape == (4000, 3)
    np.testing.assert_allclose(p.memories.mean(axis=0), [1.0, -2.0, 0.5], atol=0.05)
    np.testing.assert_allclose(p.memories.std(axis=0), 0.5, rtol=0.06)
    np.testing.assert_array_equal(p.gaussian[0], [1.0, -2.0, 0.5])
    assert p.gaussian[1] == 0.25
    scalar = make_patterns({"kind": "gaussian", "mean": 2.0, "dim": 4})
    np.testing.assert_array_equal(scalar.gaussian[0], [2.0] * 4)


def test_binary_patterns_are_plus_minus_one():
    m = make_patterns({"kind": "binary", "dim": 100, "count": 7}).memories
    assert m.shape == (7, 100) and set(np.unique(m)) == {-1.0, 1.0}
    assert abs(m.mean()) < 0.15  # balanced bits


@pytest.mark.parametrize("size", [16, 24])
def test_letters_are_distinct_pm1_images(size):
    p = make_patterns({"kind": "letters", "letters": "ABXO", "size": size})
    assert p.memories.shape == (4, size * size) and p.image_shape == (size, size)
    assert set(np.unique(p.memories)) == {-1.0, 1.0}
    imgs = p.memories.reshape(4, size, size)
    assert np.all(imgs[:, 0, :] == -1) and np.all(imgs[:, :, 0] == -1)  # a background border
    ink = (p.memories > 0).sum(axis=1)
    assert np.all(ink > 0.1 * size * size)
    assert len({row.tobytes() for row in p.memories}) == 4
    def ink_box(img):
        rows, cols = np.nonzero(img > 0)
        return img[rows.min():rows.max() + 1, cols.min():cols.max() + 1]

    a, b, x = (ink_box(imgs[k]) for k in range(3))
    assert np.array_equal(x, x[:, ::-1]) and np.array_equal(a, a[:, ::-1])  # X and A are mirror symmetric
    assert not np.array_equal(b, b[:, ::-1])  # B is not


def test_points_are_taken_as_given():
    m = make_patterns({"kind": "points", "points": [[0, 1, 2], [3, 4, 5]]}).memories
    np.testing.assert_array_equal(m, [[0, 1, 2], [3, 4, 5]])


@pytest.mark.parametrize("spec, key", [
    ({"kind": "hexagon"}, "patterns.kind"),
    ({"kind": "ring", "radius_x": 1.0}, "patterns.radius_x"),
    ({"kind": "ring", "count": 2.5}, "patterns.count"),
    ({"kind": "ring", "count": "8"}, "patterns.count"),
    ({"kind": "ring", "jitter": 1.5}, "patterns.jitter"),
    ({"kind": "two-wells", "distance": -1.0}, "patterns.distance"),
    ({"kind": "letters", "letters": "ab"}, "patterns.letters"),
    ({"kind": "letters", "letters": "AA"}, "patterns.letters"),
    ({"kind": "letters", "size": 8}, "patterns.size"),
    ({"kind": "gaussian", "mean": [1.0, 2.0, 3.0], "dim": 2}, "patterns.mean"),
    ({"kind": "points", "points": [[1, 2], [3]]}, "patterns.points"),
])
def test_bad_options_name_the_key(spec, key):
    with pytest.raises(ParamError, match=key.replace(".", r"\.")):
        make_patterns(spec)
