"""``python main.py bench [--json] [--quick] [--repeat R] [--backend numpy|cupy]``: speed figures (issues 5, 15).

Every figure is timed side by side, in one run, for
- ``fast``: the engine's own code (engine/kernels.py: the fused numba kernel for D <= 32,
  the blocked BLAS kernel above; with ``--backend cupy`` the same functions on CuPy arrays),
- ``numpy``: the plain NumPy version that materialises the (N, M) logits and calls
  logsumexp and softmax on them (:func:`plain_lse_mean`, the textbook code),
- ``torch``: the same plain code with torch.logsumexp / torch.softmax on the CPU,
  when PyTorch imports (it is not a dependency),
- ``sgemm``, beside each figure with D >= :data:`PEAK_MIN_D`: a float32 matmul of two
  :data:`SGEMM_SIZE`-square matrices, the machine's single-precision matrix-product rate in
  the same samples; ``fraction_of_sgemm_peak`` is the flops of the kernel's two matrix
  products (logits and weighted mean, 2 x 2 N M D) per second of the engine's call over
  that rate: where D is large both versions are those two products, and the ratio to the
  hardware's rate says how much of it is left on the table.
The figures: energy and gradient of the exact diffusion score (= distance-form Modern
Hopfield, :func:`engine.kernels.gaussian_lse_mean`) and of the dot-form Modern
Hopfield (:func:`engine.kernels.dot_lse_mean`) at the (N, M, D) of :data:`SHAPES`; one
Heun step with the exact denoiser (and, on CuPy, at 1,000,000 particles); one
:meth:`engine.run.Run.step` of the default preset at :data:`RUN_STEP_PARTICLES` particles
(the diffusion model and its Modern Hopfield partner, frames, energies and recording: what
the app's simulation thread does per frame; the plain version is the same step with the
plain kernels in place of engine.kernels'); the 256 x 256
energy map with its gradient for 64 memories, as the kernel on its 65,536 points and as
the whole :func:`engine.landscape.energy_map` (which on the 2-D data plane uses the
separable grid kernels of engine/grid_kernels.py instead; the map figure is the one issue
5's 15 ms target is about). The desktop app's frame rate is memscape.gui.bench's, which runs
these figures and adds its own (the engine never reaches into the GUI).

Each time is the median of ``repeat`` samples after two warm-up calls (the first compiles
or loads the fused kernel: engine.kernels' first call is timed apart, as
``first_kernel_call_s``, and kept out of the figures); one sample runs the function enough
times to last about 50 ms, and the versions take turns sample by sample, so a busy machine
slows all of them alike. On CuPy every call ends with a device synchronisation. Throughput
is particle-memory pairs per second. No Qt at import time.
"""
from __future__ import annotations

import argparse
import importlib
import math
import platform
import statistics
import sys
import time
from typing import Any, Callable, NamedTuple

import numpy as np

from memscape.engine import kernels
from memscape.engine.backend import Backend, BackendError, get_backend, logsumexp, softmax
from memscape.engine.energies import empirical
from memscape.engine.kernels import dot_lse_mean, gaussian_lse_mean, sq_dists
from memscape.engine.params import Params

#: (N particles, M memories, D dims) of the kernel figures
SHAPES = ((10_000, 64, 2), (100_000, 1_000, 2), (1_024, 1_000, 256), (64, 10_000, 784))
QUICK_SHAPES = ((1_000, 64, 2), (2_000, 100, 2), (128, 100, 256), (16, 200, 784))
FORMS = {"diffusion": "gaussian", "modern-dot": "dot"}
SAMPLER_SHAPE, QUICK_SAMPLER_SHAPE = (10_000, 64, 2), (1_000, 64, 2)
GPU_SAMPLER_SHAPE = (1_000_000, 64, 2)  #: the extra Heun figure with --backend cupy (issue 15's GPU goal)
RUN_STEP_PARTICLES, QUICK_RUN_STEP_PARTICLES = 100_000, 2_000  #: the Run.step figure (issue 15's live density)
PEAK_MIN_D = 256  #: figures with at least this many dimensions get fraction_of_sgemm_peak
SGEMM_SIZE, QUICK_SGEMM_SIZE = 2_048, 256  #: the square float32 matmul that measures the SGEMM rate
LANDSCAPE_RES, QUICK_LANDSCAPE_RES, LANDSCAPE_M = 256, 64, 64
SAMPLE_S, QUICK_SAMPLE_S = 0.05, 0.005  #: one timing sample lasts about this long


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true",
                        help="small shapes, one sample each and no GUI figure (a smoke test, not figures)")
    parser.add_argument("--repeat", type=int, default=None, metavar="R",
                        help="timing samples per figure, whose median is reported (default 5; 1 with --quick)")
    parser.add_argument("--backend", choices=("numpy", "cupy"), default="numpy",
                        help="where the engine's version runs (default numpy; the plain versions stay on the CPU)")


def repeat_of(args: argparse.Namespace) -> int | None:
    """The --repeat asked for, or its default; None (with a message) when it is below 1."""
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 5)
    if repeat < 1:
        print("memscape bench: --repeat must be at least 1", file=sys.stderr)
        return None
    return repeat


def backend_of(args: argparse.Namespace) -> Backend | None:
    """The --backend the engine's versions run on; None (with a message) when it cannot be used."""
    try:
        return get_backend(args.backend, "float32")
    except BackendError as exc:
        print(f"memscape bench: --backend {args.backend}: {exc}", file=sys.stderr)
        return None


# -- the versions compared ---------------------------------------------------------------
def plain_lse_mean(x: Any, memories: Any, beta: float, form: str, ops: tuple[Callable, Callable]) -> tuple[Any, Any]:
    """The textbook version of the kernels: the whole (N, M) logits block
    (-beta/2 |x - xi|^2 or beta x.xi), then ``ops`` = (logsumexp, softmax) over memories."""
    lse, soft = ops
    logits = (-0.5 * beta) * sq_dists(x, memories) if form == "gaussian" else beta * (x @ memories.T)
    return lse(logits), soft(logits) @ memories


NUMPY_OPS = (lambda a: logsumexp(np, a, 1), lambda a: softmax(np, a, 1))


def fast_lse_mean(x: Any, memories: Any, beta: float, form: str) -> tuple[Any, Any]:
    return (gaussian_lse_mean if form == "gaussian" else dot_lse_mean)(x, memories, beta)


def energy_and_grad(lse_mean: Callable, x: Any, memories: Any, beta: float, form: str) -> tuple[Any, Any]:
    """One kernel call -> energy and gradient. "gaussian" is the exact diffusion energy at
    sigma = beta^-1/2: E = -lse, grad E = beta (x - D) = -score (science.md 4); "dot" is the
    Modern Hopfield E = -lse / beta + |x|^2 / 2, grad E = x - Xi^T softmax (science.md 2)."""
    lse, mean = lse_mean(x, memories, beta, form)
    if form == "gaussian":
        return -lse, beta * (x - mean)
    return -lse / beta + 0.5 * (x * x).sum(1), x - mean


def _torch() -> tuple[Any, tuple[Callable, Callable]] | None:
    """(torch, its (logsumexp, softmax)) when PyTorch imports, else None."""
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        return None
    return torch, (lambda a: torch.logsumexp(a, 1), lambda a: torch.softmax(a, 1))


# -- timing ------------------------------------------------------------------------------
class Timing(NamedTuple):
    repeat: int  #: samples per version, whose median is reported
    sample_s: float  #: one sample repeats the call for about this long


def median_times(fns: dict[str, Callable[[], Any]], timing: Timing) -> dict[str, float]:
    """Median seconds per call of each function: two warm-up calls (the first may compile),
    the second setting how many calls make one sample, then the functions take turns,
    ``timing.repeat`` samples each."""
    numbers = {}
    for name, fn in fns.items():
        fn()
        t0 = time.perf_counter()
        fn()
        numbers[name] = max(1, int(timing.sample_s / max(time.perf_counter() - t0, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(timing.repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            samples[name].append((time.perf_counter() - t0) / numbers[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def _figure(name: str, pairs: int, t: dict[str, float], fast: str, note: str,
            matmul_flops: int | None = None, sgemm_flops: int | None = None) -> dict[str, Any]:
    """One figure from the median times ``t`` of the versions ("fast" under the key ``fast``,
    "numpy", maybe "torch", and "sgemm" for the large-D figures, whose two matrix products
    make ``matmul_flops`` flops against the SGEMM call's ``sgemm_flops``)."""
    torch_s = t.get("torch")
    fig = {"name": name, "pairs": pairs, "median_s": t[fast], "pairs_per_s": pairs / t[fast],
           "numpy_s": t["numpy"], "torch_s": torch_s,
           "speedup_vs_numpy": t["numpy"] / t[fast],
           "speedup_vs_torch": None if torch_s is None else torch_s / t[fast],
           "sgemm_flops_per_s": None, "fraction_of_sgemm_peak": None, "note": note}
    if "sgemm" in t:
        rate = sgemm_flops / t["sgemm"]
        fig.update(sgemm_flops_per_s=rate, fraction_of_sgemm_peak=matmul_flops / t[fast] / rate)
    return fig


def _synced(backend: Backend, fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` that returns only when its device work is done (CuPy runs asynchronously)."""
    if backend.name != "cupy":
        return fn

    def call() -> Any:
        out = fn()
        backend.xp.cuda.Device().synchronize()
        return out

    return call


# -- the figures -------------------------------------------------------------------------
def _data(n: int, m: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)).astype(np.float32), rng.standard_normal((m, d)).astype(np.float32))


def sgemm_call(size: int) -> tuple[Callable[[], Any], int]:
    """(a float32 (size x size)(size x size) NumPy matmul, its 2 size^3 flops)."""
    rng = np.random.default_rng(7)
    a, b = (rng.standard_normal((size, size)).astype(np.float32) for _ in range(2))
    return (lambda: a @ b), 2 * size ** 3


def first_kernel_call() -> float:
    """Seconds of the process's first engine.kernels call (numba's compile, or its cache load
    and import): what the figures' warm-up calls keep out of them."""
    x, memories = _data(64, 8, 2)
    t0 = time.perf_counter()
    gaussian_lse_mean(x, memories, 1.0)
    return time.perf_counter() - t0


def kernel_figures(shapes, timing: Timing, torch_ops, log, backend: Backend, sgemm) -> list[dict[str, Any]]:
    """Energy + gradient for each shape and form, at beta = 4 / sqrt(D): the logits then
    spread over a few units, so the softmax is neither uniform nor one-hot. Beside the
    figures with D >= PEAK_MIN_D, ``sgemm`` = (call, flops) measures the SGEMM rate."""
    out = []
    for n, m, d in shapes:
        x, memories = _data(n, m, d)
        bx, bm = backend.asarray(x), backend.asarray(memories)
        beta = 4.0 / math.sqrt(d)
        for label, form in FORMS.items():
            fns = {"fast": _synced(backend, lambda: energy_and_grad(fast_lse_mean, bx, bm, beta, form)),
                   "numpy": lambda: energy_and_grad(
                       lambda *a: plain_lse_mean(*a, NUMPY_OPS), x, memories, beta, form)}
            if torch_ops is not None:
                torch, ops = torch_ops
                tx, tm = torch.from_numpy(x), torch.from_numpy(memories)
                fns["torch"] = lambda: _no_grad(torch, lambda: energy_and_grad(
                    lambda *a: plain_lse_mean(*a, ops), tx, tm, beta, form))
            if d >= PEAK_MIN_D:
                fns["sgemm"] = sgemm[0]
            out.append(_figure(f"{label} energy+grad (N={n}, M={m}, D={d})", n * m, median_times(fns, timing),
                               "fast", "", 4 * n * m * d, sgemm[1]))
            _log(log, out[-1])
    return out


def sampler_figure(shape, timing: Timing, torch_ops, log, backend: Backend) -> dict[str, Any]:
    """One Heun step (two exact-denoiser calls) in the middle of the default Karras schedule;
    steps per second = 1 / median_s."""
    from memscape.engine.samplers import SAMPLERS
    from memscape.engine.schedules import make_sigmas

    n, m, d = shape
    x, memories = _data(n, m, d, seed=1)
    bx, bm = backend.asarray(x), backend.asarray(memories)
    params = Params(sampler="heun")
    sigmas, i, step = make_sigmas(params), params.steps // 2, SAMPLERS["heun"].step
    rng, host_rng = backend.rng(0), get_backend("numpy").rng(0)

    def plain_denoiser(mem, ops):
        return lambda xs, sigma: plain_lse_mean(xs, mem, 1.0 / sigma ** 2, "gaussian", ops)[1]

    fns = {"fast": _synced(backend, lambda: step(lambda xs, sigma: empirical.denoise(xs, sigma, bm), bx, i, sigmas,
                                                 rng, params)),
           "numpy": lambda: step(plain_denoiser(memories, NUMPY_OPS), x, i, sigmas, host_rng, params)}
    if torch_ops is not None:
        torch, ops = torch_ops
        tx, tm = torch.from_numpy(x), torch.from_numpy(memories)
        fns["torch"] = lambda: _no_grad(torch, lambda: step(plain_denoiser(tm, ops), tx, i, sigmas, host_rng, params))
    fig = _figure(f"heun step, exact denoiser (N={n}, M={m}, D={d})", 2 * n * m, median_times(fns, timing), "fast",
                  "two denoiser calls; steps/s = 1 / median_s")
    _log(log, fig)
    return fig


def run_step_figure(particles: int, timing: Timing, log) -> dict[str, Any]:
    """One :meth:`engine.run.Run.step` of the default preset (two-wells: diffusion with Heun on
    the Karras schedule beside its Modern Hopfield partner, M = 2, D = 2, float32 on NumPy)
    with ``particles`` particles, the recording included: the median over every step of
    ``timing.repeat`` whole runs per version (a run's 40 steps cover every sigma; building a
    run is not timed), the versions taking turns run by run after one warm-up run each. The
    plain version swaps engine.kernels' kernel for :func:`plain_lse_mean` during its runs.
    pairs: the particle-memory pairs of the kernel calls of one step (5 N M)."""
    from memscape.engine.patterns import make_patterns
    from memscape.engine.presets import DEFAULT_PRESET, load_preset
    from memscape.engine.run import Run

    params = load_preset(DEFAULT_PRESET).replace(particles=particles, backend="numpy", precision="float32")
    m = make_patterns(params.patterns).memories.shape[0]

    def plain(x: Any, memories: Any, beta: float, gaussian: bool) -> tuple[Any, Any]:
        return plain_lse_mean(x, memories, beta, "gaussian" if gaussian else "dot", NUMPY_OPS)

    def step_times(version: str) -> list[float]:
        engine_kernel = kernels._lse_mean
        if version == "numpy":
            kernels._lse_mean = plain
        try:
            run, times = Run(params), []
            while not run.done:
                t0 = time.perf_counter()
                run.step()
                times.append(time.perf_counter() - t0)
            return times
        finally:
            kernels._lse_mean = engine_kernel

    samples: dict[str, list[float]] = {"fast": [], "numpy": []}
    for name in samples:
        step_times(name)
    for _ in range(timing.repeat):
        for name, times in samples.items():
            times += step_times(name)
    fig = _figure(f"Run.step, default preset, main + partner + recording (N={particles}, M={m}, D=2)",
                  5 * particles * m, {k: statistics.median(v) for k, v in samples.items()}, "fast",
                  f"median of every step of {timing.repeat} runs; the app's simulation thread per frame")
    _log(log, fig)
    return fig


def landscape_figures(res: int, timing: Timing, torch_ops, log) -> list[dict[str, Any]]:
    """Energy + gradient at the points of a res x res grid around 64 ring memories, by the
    engine's point kernel (engine.kernels) and by the plain versions; and the whole
    engine.landscape.energy_map (energy, gradient, host copy; on this 2-D data plane by the
    separable grid kernels, engine.grid_kernels) against the same plain versions."""
    from memscape.engine.landscape import Grid, energy_map
    from memscape.engine.simulation import Simulation

    params = Params(model="diffusion", backend="numpy", particles=16,
                    patterns={"kind": "ring", "count": LANDSCAPE_M})
    sim = Simulation(params, get_backend("numpy", "float32"))
    grid = Grid.for_memories(sim.memories_host, resolution=res)
    pts = sim.plane.lift(sim.backend.asarray(grid.points()))
    memories, beta = sim.memories, 1.0 / sim.landscape_sigma ** 2
    fns = {"fast": lambda: energy_and_grad(fast_lse_mean, pts, memories, beta, "gaussian"),
           "map": lambda: energy_map(sim, grid),
           "numpy": lambda: energy_and_grad(lambda *a: plain_lse_mean(*a, NUMPY_OPS), pts, memories, beta, "gaussian")}
    if torch_ops is not None:
        torch, ops = torch_ops
        tp, tm = torch.from_numpy(np.asarray(pts)), torch.from_numpy(np.asarray(memories))
        fns["torch"] = lambda: _no_grad(torch, lambda: energy_and_grad(
            lambda *a: plain_lse_mean(*a, ops), tp, tm, beta, "gaussian"))
    t = median_times(fns, timing)
    pairs = res * res * LANDSCAPE_M
    figs = [_figure(f"landscape {res}x{res} points, M={LANDSCAPE_M}, energy+grad", pairs, t, "fast",
                    "memscape.engine.kernels on the grid's points (not what energy_map uses on the data plane)"),
            _figure(f"landscape {res}x{res}, M={LANDSCAPE_M}, whole energy_map", pairs, t, "map",
                    "memscape.engine.landscape.energy_map (separable grid kernels) against the plain kernels "
                    "on its points; the figure for issue 5's 15 ms target at 256x256")]
    for fig in figs:
        _log(log, fig)
    return figs


# -- report ------------------------------------------------------------------------------
def collect(quick: bool = False, repeat: int = 5, log: Callable[[str], None] | None = None,
            backend: Backend | None = None) -> dict[str, Any]:
    """Every kernel figure; ``quick``: small shapes, short samples (a smoke test); ``backend``:
    where the engine's version runs (NumPy by default). The app's frame rate is measured by
    memscape.gui.bench, which adds it to this report."""
    backend = backend or get_backend("numpy", "float32")
    torch_ops = _torch()
    timing = Timing(repeat, QUICK_SAMPLE_S if quick else SAMPLE_S)
    report = {"machine": machine(torch_ops, backend), "quick": quick, "repeat": repeat}
    report["machine"]["first_kernel_call_s"] = first_kernel_call()
    sgemm_size = QUICK_SGEMM_SIZE if quick else SGEMM_SIZE
    sgemm = sgemm_call(sgemm_size)
    report["figures"] = kernel_figures(QUICK_SHAPES if quick else SHAPES, timing, torch_ops, log, backend, sgemm)
    report["figures"].append(sampler_figure(QUICK_SAMPLER_SHAPE if quick else SAMPLER_SHAPE, timing, torch_ops, log,
                                            backend))
    if backend.name == "cupy" and not quick:
        report["figures"].append(sampler_figure(GPU_SAMPLER_SHAPE, timing, torch_ops, log, backend))
    report["figures"].append(run_step_figure(QUICK_RUN_STEP_PARTICLES if quick else RUN_STEP_PARTICLES, timing, log))
    report["figures"] += landscape_figures(QUICK_LANDSCAPE_RES if quick else LANDSCAPE_RES, timing, torch_ops, log)
    rates = [f["sgemm_flops_per_s"] for f in report["figures"] if f["sgemm_flops_per_s"] is not None]
    report["machine"]["sgemm_flops_per_s"] = statistics.median(rates) if rates else None
    report["machine"]["sgemm_size"] = sgemm_size
    return report


def machine(torch_ops, backend: Backend) -> dict[str, Any]:
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    torch = torch_ops[0] if torch_ops is not None else None
    return {"cpu": _cpu_name(), "cores": kernels._WORKERS, "python": platform.python_version(),
            "numpy": np.__version__, "blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
            "torch": None if torch is None else torch.__version__,
            "torch_threads": None if torch is None else torch.get_num_threads(),
            "engine": backend.device, "small_d_kernel": kernels.fused_cpu_status()}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def format_report(report: dict[str, Any]) -> str:
    m = report["machine"]
    sgemm = m["sgemm_flops_per_s"]
    lines = [f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, NumPy {m['numpy']} ({m['blas']}); "
             f"PyTorch {m['torch'] or 'not installed'}; median of {report['repeat']} samples",
             f"engine on {m['engine']}; D <= {kernels.FUSED_MAX_D}: {m['small_d_kernel']} "
             f"(first call {m['first_kernel_call_s']:.2f} s, kept out of the figures)",
             "SGEMM rate: " + ("-" if sgemm is None else f"{sgemm / 1e9:.1f} GFLOP/s ({m['sgemm_size']}^3 float32 matmul)"),
             f"{'figure':58s} {'engine':>10s} {'pairs/s':>9s} {'numpy':>10s} {'x':>6s} {'torch':>10s} {'x':>6s} "
             f"{'of SGEMM':>8s}"]
    lines += [_row(f) for f in report["figures"]]
    return "\n".join(lines)


def _row(f: dict[str, Any]) -> str:
    def ms(s):
        return "-" if s is None else f"{s * 1e3:8.2f}ms"

    def x(r):
        return "-" if r is None else f"{r:5.1f}x"

    peak = f["fraction_of_sgemm_peak"]
    return (f"{f['name']:58s} {ms(f['median_s']):>10s} {f['pairs_per_s']:9.2e} {ms(f['numpy_s']):>10s} "
            f"{x(f['speedup_vs_numpy']):>6s} {ms(f['torch_s']):>10s} {x(f['speedup_vs_torch']):>6s} "
            f"{'-' if peak is None else f'{peak:.2f}':>8s}")


def _log(log, fig: dict[str, Any]) -> None:
    if log is not None:
        log(_row(fig))


def _no_grad(torch, fn: Callable[[], Any]) -> Any:
    with torch.inference_mode():
        return fn()
