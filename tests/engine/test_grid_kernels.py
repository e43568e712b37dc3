"""The separable grid kernels (engine.grid_kernels) and the energy map they serve give the
direct evaluation's numbers: near and far from the memories, at tiny and large sigma,
with the points whose shifted sum underflows recomputed by the direct kernel."""
import numpy as np
import pytest

from memscape.engine import kernels
from memscape.engine.backend import get_backend
from memscape.engine.grid_kernels import GridKernels
from memscape.engine.landscape import Grid, energy_map, is_data_plane
from memscape.engine.presets import load_preset
from memscape.engine.projection import Plane
from memscape.engine.simulation import Simulation

KERNELS = {"gaussian": kernels.gaussian_lse_mean, "dot": kernels.dot_lse_mean}
SIGMAS = (0.01, 0.3, 5.0)  # beta = 1/sigma^2 from 1e4 to 0.04


def memories_of(preset):
    return Simulation(load_preset(preset).replace(particles=1, backend="numpy")).memories_host


def grids(memories):
    """Around the memories, and far from them (there the shifted sum underflows at small sigma)."""
    return {"around": Grid.for_memories(memories, resolution=(23, 17)),
            "far": Grid((40.0, 60.0), (-75.0, -55.0), (19, 21))}


def grid_kernels(grid, backend):
    return GridKernels(backend.asarray(grid.xs), backend.asarray(grid.ys))


@pytest.mark.parametrize("form", KERNELS)
@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("preset", ["two-wells", "ring", "grid"])
def test_grid_kernels_equal_the_direct_kernels(backend, preset, sigma, form):
    memories = memories_of(preset)
    mem, beta = backend.asarray(memories), 1.0 / sigma ** 2
    for name, grid in grids(memories).items():
        gk = grid_kernels(grid, backend)
        pts = backend.asarray(grid.points())
        lse, mean = (backend.to_host(a) for a in getattr(gk, f"{form}_lse_mean")(pts, mem, beta))
        ref_lse, ref_mean = (backend.to_host(a) for a in KERNELS[form](pts, mem, beta))
        assert lse.shape == ref_lse.shape and mean.shape == ref_mean.shape
        np.testing.assert_allclose(lse, ref_lse, rtol=1e-10, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(mean, ref_mean, rtol=1e-10, atol=1e-9 * np.abs(memories).max(), err_msg=name)
        n = pts.shape[0]
        if preset == "ring" and sigma == 0.01:  # the row and column parts peak at different memories
            assert gk.fallbacks == n if name == "far" else 0 < gk.fallbacks < n
        else:  # two wells on one line, a lattice, or a larger sigma: separable everywhere
            assert gk.fallbacks == 0


def test_far_grid_at_small_sigma_is_recomputed_by_the_direct_kernel(backend):
    """Far away along a diagonal the column part peaks at one memory and the row part at
    another, so the shifted sum underflows: those points must come from the direct kernel."""
    memories = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    grid = Grid((30.0, 40.0), (30.0, 40.0), 9)
    mem, pts = backend.asarray(memories), backend.asarray(grid.points())
    for form in KERNELS:
        gk = grid_kernels(grid, backend)
        lse, mean = getattr(gk, f"{form}_lse_mean")(pts, mem, 1e4)
        assert gk.fallbacks == pts.shape[0]
        ref_lse, ref_mean = KERNELS[form](pts, mem, 1e4)
        np.testing.assert_allclose(backend.to_host(lse), backend.to_host(ref_lse), rtol=1e-12)
        np.testing.assert_allclose(backend.to_host(mean), backend.to_host(ref_mean), rtol=1e-12, atol=1e-12)
        assert np.all(np.isfinite(backend.to_host(lse)))


def test_other_points_or_dimensions_use_the_direct_kernel(backend):
    grid = Grid((-1.0, 1.0), (-1.0, 1.0), 4)
    gk = grid_kernels(grid, backend)
    rng = np.random.default_rng(0)
    x, mem = backend.asarray(rng.normal(size=(5, 2))), backend.asarray(rng.normal(size=(3, 2)))
    np.testing.assert_array_equal(backend.to_host(gk.gaussian_lse_mean(x, mem, 2.0)[0]),
                                  backend.to_host(kernels.gaussian_lse_mean(x, mem, 2.0)[0]))
    assert gk.fallbacks == 5


def sim_at(preset, backend, sigma, form, model):
    """A simulation of ``preset`` whose landscape is drawn at ``sigma`` (beta = 1/sigma^2 for AMs)."""
    params = load_preset(preset).replace(particles=2, steps=8, sigma_max=sigma)
    if model != "diffusion":
        params = params.replace(model=model, modern_form=form, beta=1.0 / sigma ** 2)
    return Simulation(params, backend)


MODELS = [("diffusion", "distance"), ("modern", "distance"), ("modern", "dot"), ("dense-exp", "dot")]


class SpyKernels(GridKernels):
    instances = []

    def __init__(self, *args):
        super().__init__(*args)
        SpyKernels.instances.append(self)


@pytest.fixture
def spy(monkeypatch):
    from memscape.engine import landscape as engine_landscape

    SpyKernels.instances = []
    monkeypatch.setattr(engine_landscape, "GridKernels", SpyKernels)
    return SpyKernels.instances


def direct_map(sim, grid, backend):
    """Energy and gradient at the grid points by the direct kernels, as host arrays."""
    e, g = sim.energy_and_grad(backend.asarray(grid.points()), kernels)
    return backend.to_host(e), backend.to_host(g)


def assert_map_equals(m, ref_e, ref_g, rtol):
    e, g = m["energy"].ravel(), m["grad"].reshape(-1, 2)
    np.testing.assert_allclose(e, ref_e, rtol=rtol, atol=rtol * np.abs(ref_e).max())
    np.testing.assert_allclose(g, ref_g, rtol=rtol, atol=rtol * np.abs(ref_g).max())


@pytest.mark.parametrize("model,form", MODELS)
@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("preset", ["two-wells", "ring"])
def test_energy_map_equals_the_direct_evaluation(backend, spy, preset, sigma, model, form):
    sim = sim_at(preset, backend, sigma, form, model)
    for name, grid in grids(sim.memories_host).items():
        spy.clear()
        m = energy_map(sim, grid)
        assert len(spy) == 1 and m["energy"].dtype == np.float64  # the grid kernels served the map
        ref_e, ref_g = direct_map(sim, grid, backend)
        assert_map_equals(m, ref_e, ref_g, 1e-10)


@pytest.mark.parametrize("model,form", MODELS)
@pytest.mark.parametrize("sigma", SIGMAS)
def test_float32_energy_map_equals_the_direct_evaluation(spy, sigma, model, form):
    """float32: against the direct evaluation in float64 (at sigma = 0.01 the float32 direct
    kernel's own |x|^2 - 2 x.xi + |xi|^2 rounding is larger than the map's)."""
    b32, b64 = get_backend("numpy", "float32"), get_backend("numpy", "float64")
    sim32, sim64 = (sim_at("ring", b, sigma, form, model) for b in (b32, b64))
    for name, grid in grids(sim32.memories_host).items():
        m = energy_map(sim32, grid)
        assert m["energy"].dtype == np.float32 and len(spy) == 1
        spy.clear()
        ref_e, ref_g = direct_map(sim64, grid, b64)
        assert_map_equals(m, ref_e, ref_g, 1e-4)


@pytest.mark.parametrize("model,form", MODELS)
@pytest.mark.parametrize("sigma", [0.05, 0.5, 5.0])
def test_map_gradient_is_the_finite_difference_of_the_map_energy(backend, model, form, sigma):
    """On small grids of spacing h, central differences of the map's energy between
    neighbouring columns (rows) equal the map's d/du (d/dv) at the point between them."""
    sim = sim_at("ring", backend, sigma, form, model)
    h = 1e-4 * sigma
    for cx, cy in [(0.3, -0.2), (1.1, 0.4), (-2.5, 3.0)]:
        grid = Grid((cx - 2 * h, cx + 2 * h), (cy - 2 * h, cy + 2 * h), 5)
        m = energy_map(sim, grid)
        e, g = m["energy"], m["grad"]
        fd_u = (e[1:-1, 2:] - e[1:-1, :-2]) / (2 * h)
        fd_v = (e[2:, 1:-1] - e[:-2, 1:-1]) / (2 * h)
        scale = np.abs(g).max()
        np.testing.assert_allclose(fd_u, g[1:-1, 1:-1, 0], rtol=1e-5, atol=1e-6 * scale)
        np.testing.assert_allclose(fd_v, g[1:-1, 1:-1, 1], rtol=1e-5, atol=1e-6 * scale)


def test_only_the_data_plane_takes_the_grid_kernels(backend, spy):
    assert is_data_plane(Plane.identity(2)) and not is_data_plane(Plane.identity(3))
    assert not is_data_plane(Plane(np.array([0.5, 0.0]), np.eye(2)))
    assert not is_data_plane(Plane(np.zeros(2), np.array([[0.0, 1.0], [1.0, 0.0]])))
    sim = sim_at("ring", backend, 0.3, "distance", "diffusion")
    grid = Grid((-2.0, 2.0), (-1.5, 1.5), 12)
    swapped = Plane(np.zeros(2), np.array([[0.0, 1.0], [1.0, 0.0]]))
    m = energy_map(sim, grid, swapped)
    assert spy == []  # another plane: lifted points and the direct kernels
    uv = grid.points()
    e, g = sim.energy_and_grad(backend.asarray(uv[:, ::-1].copy()), kernels)
    np.testing.assert_allclose(m["energy"].ravel(), backend.to_host(e), rtol=1e-12)
    np.testing.assert_allclose(m["grad"].reshape(-1, 2), backend.to_host(g)[:, ::-1], rtol=1e-12)
