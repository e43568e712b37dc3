"""Energy maps equal the model's / the exact diffusion energy at the grid points, their
gradients are the plane projection of grad E, and the projection plane round-trips."""
import numpy as np
import pytest

from memscape.engine.energies import empirical
from memscape.engine.landscape import Grid, energy_map
from memscape.engine.presets import load_preset
from memscape.engine.projection import Plane
from memscape.engine.simulation import Simulation


def test_grid_points_are_row_major_over_the_ranges():
    g = Grid((-1.0, 1.0), (0.0, 2.0), (5, 3))
    assert g.shape == (3, 5)
    pts = g.points().reshape(3, 5, 2)
    np.testing.assert_array_equal(pts[0, :, 0], np.linspace(-1, 1, 5))
    np.testing.assert_array_equal(pts[:, 0, 1], [0.0, 1.0, 2.0])


def test_automatic_grid_holds_the_memories_with_a_margin():
    mem = np.array([[-1.0, 0.0], [1.0, 0.0]])
    g = Grid.for_memories(mem, margin=0.5, resolution=32)
    assert g.x_range == (-2.0, 2.0) and g.y_range == (-2.0, 2.0) and g.shape == (32, 32)
    letters = Simulation(load_preset("letters").replace(particles=2, backend="numpy"))
    uv = letters.plane.project(letters.memories_host)
    g = Grid.for_memories(letters.memories_host)
    assert g.x_range[0] < uv[:, 0].min() and uv[:, 0].max() < g.x_range[1]
    assert g.y_range[0] < uv[:, 1].min() and uv[:, 1].max() < g.y_range[1]


def test_diffusion_map_is_the_empirical_energy_at_the_current_sigma(backend):
    sim = Simulation(load_preset("ring").replace(particles=4, steps=10), backend)
    for _ in range(4):
        sim.step()
    grid = Grid.for_memories(sim.memories_host, resolution=(24, 16))
    m = energy_map(sim, grid)
    assert m["energy"].shape == (16, 24) and m["grad"].shape == (16, 24, 2)
    assert m["sigma"] == sim.frame()["sigma"]
    pts = backend.asarray(grid.points())
    e = backend.to_host(empirical.energy(pts, m["sigma"], sim.memories))
    g = backend.to_host(empirical.energy_grad(pts, m["sigma"], sim.memories))
    np.testing.assert_allclose(m["energy"].ravel(), e, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(m["grad"].reshape(-1, 2), g, rtol=1e-10, atol=1e-10)
    # the map morphs as sigma falls
    sim.step()
    assert not np.allclose(energy_map(sim, grid)["energy"], m["energy"])


def test_finished_diffusion_map_uses_the_last_positive_sigma(backend):
    sim = Simulation(load_preset("two-wells").replace(particles=2, steps=5), backend)
    while not sim.done:
        sim.step()
    m = sim.landscape(Grid((-2, 2), (-2, 2), 8))
    assert m["sigma"] == sim.sigmas[-2] > 0 and np.all(np.isfinite(m["energy"]))


def test_am_map_is_the_model_landscape(backend):
    sim = Simulation(load_preset("two-wells").replace(model="modern", particles=3), backend)
    grid = Grid((-2.0, 2.0), (-1.5, 1.5), 20)
    m = sim.landscape(grid)
    pts = backend.asarray(grid.points())
    np.testing.assert_allclose(m["energy"].ravel(), backend.to_host(sim.model.landscape(pts)), rtol=1e-12)
    np.testing.assert_allclose(m["grad"].reshape(-1, 2), backend.to_host(sim.model.landscape_grad(pts)), rtol=1e-12)
    assert np.isnan(m["sigma"])


@pytest.mark.parametrize("model", ["modern", "diffusion"])
def test_high_dimensional_map_lies_on_the_plane_and_its_gradient_is_projected(backend, model):
    params = load_preset("letters").replace(model=model, particles=2, beta=0.05, steps=10)
    sim = Simulation(params, backend)
    for _ in range(3):
        sim.step()
    grid = Grid.for_memories(sim.memories_host, resolution=9)
    m = energy_map(sim, grid)
    uv = grid.points()
    h = 1e-5 * (grid.x_range[1] - grid.x_range[0])

    def energy_at(points_uv):
        e, _ = sim.energy_and_grad(sim.plane.lift(backend.asarray(points_uv)))
        return backend.to_host(e)

    np.testing.assert_allclose(m["energy"].ravel(), energy_at(uv), rtol=1e-12)
    for k in range(2):
        step = np.zeros(2)
        step[k] = h
        fd = (energy_at(uv + step) - energy_at(uv - step)) / (2 * h)
        np.testing.assert_allclose(m["grad"].reshape(-1, 2)[:, k], fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())


def test_a_256_grid_is_one_batch(backend32, monkeypatch):
    sim = Simulation(load_preset("grid").replace(particles=2), backend32)
    calls = []
    real = sim.energy_and_grad
    monkeypatch.setattr(sim, "energy_and_grad", lambda x, *k: calls.append(x.shape) or real(x, *k))
    m = sim.landscape(Grid((-3, 3), (-3, 3), 256))
    assert calls == [(65536, 2)] and m["energy"].shape == (256, 256) and m["energy"].dtype == np.float32


def test_plane_round_trips_and_is_orthonormal(backend):
    rng = np.random.default_rng(3)
    mem = rng.standard_normal((6, 7))
    for plane in (Plane.principal(mem), Plane.through(mem[0], mem[2], mem[4])):
        np.testing.assert_allclose(plane.basis @ plane.basis.T, np.eye(2), atol=1e-12)
        uv = backend.asarray(rng.standard_normal((5, 2)))
        back = plane.project(plane.lift(uv))
        np.testing.assert_allclose(backend.to_host(back), backend.to_host(uv), atol=1e-12)
    three = Plane.for_memories(mem, chosen=(0, 2, 4))
    assert np.array_equal(three.basis, Plane.through(mem[0], mem[2], mem[4]).basis)
    assert np.array_equal(Plane.for_memories(mem).basis, Plane.principal(mem).basis)
    pts = backend.asarray(mem[[0, 2, 4]])
    np.testing.assert_allclose(backend.to_host(three.lift(three.project(pts))), mem[[0, 2, 4]], atol=1e-12)


def test_principal_plane_spans_the_top_two_components():
    rng = np.random.default_rng(0)
    mem = rng.standard_normal((200, 5)) * np.array([5.0, 3.0, 0.1, 0.1, 0.1])
    plane = Plane.principal(mem)
    assert np.abs(plane.basis[:, 2:]).max() < 0.02  # the plane of the two wide directions
    np.testing.assert_allclose(plane.origin, mem.mean(axis=0))
    assert np.allclose(Plane.principal(mem[:2, :2]).basis, np.eye(2))  # 2D data: identity plane
    two = Plane.principal(mem[:2])  # two memories in 5D: completed to a plane holding both
    np.testing.assert_allclose(two.lift(two.project(mem[:2])), mem[:2], atol=1e-12)
    with pytest.raises(ValueError, match="plane"):
        Plane.through(mem[0], mem[1], 2 * mem[1] - mem[0])
