"""Size and work estimates, made before anything is allocated (issue 14)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from memscape.engine import limits
from memscape.engine.backend import get_backend
from memscape.engine.limits import LimitError
from memscape.engine.params import ParamError, Params
from memscape.engine.patterns import make_patterns
from memscape.engine.presets import list_presets, load_preset
from memscape.engine.simulation import run

NAMES = [name for name, _ in list_presets()]


def test_bytes_are_shown_in_binary_units():
    assert [limits.format_bytes(n) for n in (12, 1536, 3 << 30, 3 << 50)] == ["12 bytes", "1.5 KiB", "3 GiB", "3 PiB"]


def test_available_memory_reads_meminfo_and_a_cgroup_limit(tmp_path, monkeypatch):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24684092 kB\nMemAvailable:    2000000 kB\n")
    limit, usage = tmp_path / "memory.max", tmp_path / "memory.current"
    monkeypatch.setattr(limits, "MEMINFO", meminfo)
    monkeypatch.setattr(limits, "CGROUP_FILES", ((limit, usage),))
    assert limits.available_memory() == 2_000_000 * 1024  # no cgroup files
    limit.write_text("max\n")
    usage.write_text("100\n")
    assert limits.available_memory() == 2_000_000 * 1024  # no cgroup limit
    limit.write_text(str(1 << 30))
    usage.write_text(str(1 << 29))
    assert limits.available_memory() == 1 << 29  # the room under the cgroup limit


@pytest.mark.parametrize("name", NAMES)
def test_memories_shape_is_the_generated_shape_for_every_preset(name):
    spec = load_preset(name).patterns
    assert limits.memories_shape(spec) == make_patterns(spec).memories.shape


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([("ring", "count"), ("spiral", "count"), ("grid", "rows"), ("grid", "cols"),
                        ("gaussian", "count"), ("gaussian", "dim"), ("binary", "count"), ("binary", "dim"),
                        ("letters", "size")]),
       st.integers(1, 40))
def test_memories_shape_follows_every_size_option(kind_key, value):
    kind, key = kind_key
    if key == "size":
        value += 15  # letters need at least 16
    spec = {"kind": kind, key: value}
    assert limits.memories_shape(spec) == make_patterns(spec).memories.shape


def test_memories_that_cannot_fit_are_refused_before_they_are_generated():
    with pytest.raises(LimitError) as info:
        limits.check_patterns({"kind": "ring", "count": 10 ** 12}, "x.toml: patterns", available=1 << 30)
    assert str(info.value) == ("x.toml: patterns: 1,000,000,000,000 memories of 2 dimensions would need "
                               "about 43.7 TiB of memory; 1 GiB is available")
    limits.check_patterns({"kind": "ring", "count": 10 ** 6}, available=1 << 30)  # 48 MB fits


@pytest.mark.parametrize("model", ["diffusion", "modern", "hopfield"])
def test_the_recording_estimate_is_what_run_records(model):
    params = load_preset("binary" if model == "hopfield" else "ring").replace(
        model=model, particles=9, steps=5, backend="numpy")
    arrays = run(params, get_backend("numpy", "float64"))
    estimate = limits.simulation_estimate(params)
    recording = next(v for k, v in estimate.parts.items() if k.startswith("the recording"))
    steps = params.steps
    per_step = [a for k, a in arrays.items() if k != "memories" and np.ndim(a) and len(a) in (steps, steps + 1)]
    kept = sum(a.nbytes for a in per_step) + (0 if "sigma" in arrays else 8 * (steps + 1))  # AMs record nan sigmas
    assert recording == kept  # every per-step array run() returns is counted (limits.RECORDED_SCALARS)
    assert estimate.disk >= kept


def test_a_run_too_big_for_memory_names_the_amount_and_the_limit():
    params = Params(particles=10_000_000, steps=100)
    with pytest.raises(LimitError) as info:
        limits.check_estimate(limits.simulation_estimate(params), "this run", available=8 << 30)
    message = str(info.value)
    assert message.startswith("this run (the recording of 101 steps x 10,000,000 particles x 2 dimensions: 22.6 GiB)")
    assert message.endswith("of memory; 8 GiB is available")
    assert isinstance(info.value, ParamError)


def test_amounts_that_round_alike_get_more_digits():
    with pytest.raises(LimitError, match=r"about 22.61 GiB of memory; 22.6 GiB is available"):
        limits._check_memory(int(22.61 * 2 ** 30), "x", int(22.6 * 2 ** 30))


def test_absurdly_long_runs_are_refused_on_the_cpu_only():
    params = Params(sampler="langevin", particles=10_000, steps=100_000)
    estimate = limits.simulation_estimate(params)
    assert estimate.work == pytest.approx(100_000 * 11 * (10_000 * 3 * 3 + limits.EVAL_OVERHEAD))
    with pytest.raises(LimitError, match="units of work .* the limit is 1e\\+11"):
        limits.check_estimate(estimate, "this run", "numpy", available=1 << 50)
    limits.check_estimate(estimate, "this run", "cupy", available=1 << 50)
    limits.check_estimate(limits.simulation_estimate(Params()), "this run", "numpy", available=1 << 50)


def test_a_file_larger_than_the_free_disk_is_refused(tmp_path, monkeypatch):
    class Usage:
        free = 1000

    monkeypatch.setattr(limits.shutil, "disk_usage", lambda folder: Usage)
    with pytest.raises(LimitError, match=f"writes about .* to {tmp_path}; 1000 bytes is free there"):
        limits.check_estimate(limits.simulation_estimate(Params()), "this run", folder=tmp_path, available=1 << 40)


def test_export_estimate_counts_both_runs_and_every_map():
    params = Params(particles=1000, steps=40)
    one = limits.export_estimate(params, 150, (1280, 720), "2d", map_points=96 * 96)
    two = limits.export_estimate(params, 150, (1280, 720), "side-by-side", map_points=96 * 96)
    assert "41 energy maps" in one.parts and two.parts["41 energy maps"] == 2 * one.parts["41 energy maps"]
    assert two.work > 2 * limits.simulation_estimate(params).work
    am = limits.export_estimate(params.replace(model="modern"), 150, (1280, 720), "2d", map_points=96 * 96)
    assert "1 energy maps" in am.parts  # an associative memory's landscape is drawn once


@pytest.mark.parametrize("frames, size, needle", [
    (limits.MAX_FRAMES + 1, (64, 64), "frames; the limit is 216,000"),
    (100_000, (3840, 2160), r"pixels; the limit is 1.99e\+11"),
])
def test_videos_beyond_the_frame_and_pixel_limits_are_refused(frames, size, needle):
    with pytest.raises(LimitError, match=needle):
        limits.check_video(frames, size)
    limits.check_video(3600 * 60, (1280, 720))  # an hour of 720p at 60 fps is allowed


def test_estimates_need_no_allocation():
    """The estimate of a run far beyond any memory is computed from the numbers alone."""
    params = Params(particles=10_000_000, steps=100_000, patterns={"kind": "ring", "count": 10 ** 9})
    estimate = limits.simulation_estimate(params)
    assert estimate.memory > 2 * 10 ** 13 and np.isfinite(estimate.work)
