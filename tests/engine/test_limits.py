"""Size and work estimates, made before anything is allocated (issue 14)."""
import tracemalloc

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
def test_the_estimate_holds_what_run_allocates_and_writes(model):
    """tracemalloc sees NumPy's allocations: the estimate (less the fixed interpreter share)
    covers the run's peak, and the recording is most of it; the disk estimate covers the .npz."""
    params = load_preset("binary" if model == "hopfield" else "ring").replace(
        model=model, particles=3000, steps=40, backend="numpy", precision="float64")
    backend = get_backend("numpy", "float64")
    tracemalloc.start()
    try:
        arrays = run(params, backend)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = limits.simulation_estimate(params)
    recording = next(v for k, v in estimate.parts.items() if k.startswith("the recording"))
    assert peak <= estimate.memory - limits.BASE_BYTES and recording >= 0.6 * peak
    written = sum(np.asarray(a).nbytes for a in arrays.values())
    assert written <= estimate.disk <= 1.05 * written + limits.NPZ_OVERHEAD


def test_a_run_too_big_for_memory_names_the_amount_and_the_limit():
    params = Params(particles=10_000_000, steps=100)
    with pytest.raises(LimitError) as info:
        limits.check_estimate(limits.simulation_estimate(params), "this run", available=8 << 30)
    message = str(info.value)
    assert message.startswith("this run (the recording of 101 steps x 10,000,000 particles x 2 dimensions: 45.2 GiB)")
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


def test_export_estimate_keeps_the_recording_within_its_budget():
    params = Params(particles=1000, steps=40)
    partner = params.replace(model="modern")
    small = limits.export_estimate(params, partner, (1280, 720), map_points=96 * 96, budget=1 << 40)
    entry = 1000 * 9 * 8 * 2 + 96 * 96 * 12  # both tracks' per-particle values, the diffusion map
    assert small.parts["the recording of 41 steps x 1,000 particles x 2 dimensions, twice"] == 2 * 41 * entry
    capped = limits.export_estimate(params, partner, (1280, 720), map_points=96 * 96, budget=10 * entry)
    assert capped.parts["the recording of 41 steps x 1,000 particles x 2 dimensions, twice"] == 2 * 10 * entry
    huge = limits.export_estimate(params.replace(particles=10_000_000), partner.replace(particles=10_000_000),
                                  (1280, 720), map_points=96 * 96, budget=10 * entry)
    assert huge.memory > 4 * 10_000_000 * 9 * 8 * 2  # at least four entries, whatever the budget
    one_run = limits.simulation_estimate(params).work + limits.simulation_estimate(partner).work
    assert small.work > one_run  # both simulations and every diffusion map


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
