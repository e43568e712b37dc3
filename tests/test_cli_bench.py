"""`python main.py bench`: the JSON it prints, and that its versions compute the same thing."""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from memscape.engine import bench
from memscape.engine.backend import BackendError, get_backend

ROOT = Path(__file__).resolve().parents[1]


def test_quick_json_has_every_figure_with_positive_finite_numbers():
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "bench", "--quick", "--json", "--repeat", "2"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["quick"] is True and report["repeat"] == 2
    names = [f["name"] for f in report["figures"]]
    assert len(names) == 2 * len(bench.QUICK_SHAPES) + 4
    assert any(n.startswith("heun step") for n in names) and any(n.startswith("landscape") for n in names)
    assert any(n.startswith("Run.step") and f"N={bench.QUICK_RUN_STEP_PARTICLES}," in n for n in names)
    has_torch = report["machine"]["torch"] is not None
    for f in report["figures"]:
        for key in ("median_s", "pairs_per_s", "numpy_s", "speedup_vs_numpy"):
            assert math.isfinite(f[key]) and f[key] > 0, (f["name"], key)
        assert f["pairs"] > 0
        for key in ("torch_s", "speedup_vs_torch"):  # the Run.step figure has no PyTorch version
            assert (f[key] is not None) == (has_torch and not f["name"].startswith("Run.step")), (f["name"], key)
            assert f[key] is None or (math.isfinite(f[key]) and f[key] > 0)
        assert f["speedup_vs_numpy"] == pytest.approx(f["numpy_s"] / f["median_s"])
    assert [g["fps"] for g in report["gui"]] == [None, None] and all("quick" in g["note"] for g in report["gui"])
    assert [g["particles"] for g in report["gui"]] == [5_000, 100_000]  # points, and the live density
    assert [e["fps"] for e in report["export"]] == [None] and "quick" in report["export"][0]["note"]


def test_profile_without_an_app_probe_is_a_usage_error(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "bench", "--profile", str(tmp_path / "p.txt")],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "--app-probe" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_export_probe_exports_every_frame_of_the_fixed_run():
    from memscape.gui.bench import export_fps
    from memscape.gui.export.bench_probe import FPS, SECONDS

    figure = export_fps("side-by-side", 160, 96)  # in a child process, as bench runs it
    if figure["note"].startswith("skipped"):
        pytest.skip(figure["note"])
    assert figure["frames"] == round(FPS * SECONDS) and "side-by-side, 160x96" in figure["note"], figure
    for key in ("fps", "render_ms", "encode_ms"):
        assert math.isfinite(figure[key]) and figure[key] > 0, key


def test_bench_imports_no_qt():
    code = "import sys, main, memscape.engine.bench, memscape.gui.bench; sys.exit(any(m.startswith(('PyQt6', 'pyqtgraph', 'OpenGL')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.mark.parametrize("form", ["gaussian", "dot"])
def test_fast_and_plain_versions_compute_the_same_energy_and_gradient(form):
    """The bench times like with like: the engine's blocks and the plain materialised code agree."""
    rng = np.random.default_rng(0)
    x, memories = rng.standard_normal((300, 3)), rng.standard_normal((40, 3))
    fast = bench.energy_and_grad(bench.fast_lse_mean, x, memories, 2.0, form)
    plain = bench.energy_and_grad(lambda *a: bench.plain_lse_mean(*a, bench.NUMPY_OPS), x, memories, 2.0, form)
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_large_d_figures_carry_their_share_of_the_sgemm_rate():
    """fraction_of_sgemm_peak = 4 N M D flops / engine time / SGEMM rate measured beside it,
    for exactly the figures with D >= PEAK_MIN_D; the fused kernel's first call is reported
    apart from the figures."""
    report = bench.collect(quick=True, repeat=1)
    m = report["machine"]
    assert m["first_kernel_call_s"] > 0 and m["small_d_kernel"] and m["engine"] == "NumPy (CPU)"
    assert m["sgemm_flops_per_s"] > 0 and m["sgemm_size"] == bench.QUICK_SGEMM_SIZE
    large = [(n, mm, d) for n, mm, d in bench.QUICK_SHAPES if d >= bench.PEAK_MIN_D]
    assert large
    for f in report["figures"]:
        shape = next(((n, mm, d) for n, mm, d in large if f"(N={n}, M={mm}, D={d})" in f["name"]), None)
        if shape is None:
            assert f["fraction_of_sgemm_peak"] is None and f["sgemm_flops_per_s"] is None, f["name"]
            continue
        n, mm, d = shape
        assert f["fraction_of_sgemm_peak"] == pytest.approx(4 * n * mm * d / f["median_s"] / f["sgemm_flops_per_s"])
    text = bench.format_report(report)
    assert "SGEMM rate:" in text and "of SGEMM" in text


def test_cupy_backend_without_a_device_is_a_usage_error():
    try:
        get_backend("cupy")
    except BackendError:
        pass
    else:
        pytest.skip("CuPy sees a device here")
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "bench", "--quick", "--backend", "cupy"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "--backend cupy" in r.stderr
