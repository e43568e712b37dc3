"""memscape.engine.run: one owner for a run, its partner, its recording and its bookkeeping
(no Qt). Each test states a property a lecturer relies on when the run is edited live."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memscape.engine.backend import get_backend
from memscape.engine.params import Params
from memscape.engine.presets import load_preset
from memscape.engine.run import Run, partner_params, trajectory_arrays
from memscape.engine.energy_accounting import energy_rose
from memscape.engine.run.recording import Recording, finite_mean
from memscape.engine.simulation import Simulation


def wells(**changes) -> Params:
    return load_preset("two-wells").replace(**{"particles": 60, "steps": 12, "backend": "numpy", **changes})


def make_run(backend=None, **changes) -> Run:
    return Run(wells(**changes), backend or get_backend("numpy", "float64"), label="two-wells")


def to_end(run: Run) -> Run:
    while not run.done:
        run.step()
    return run


def test_the_partner_starts_from_the_same_particles_and_moves_in_lock_step(backend):
    run = make_run(backend)
    first = run.view(0)
    assert {first.main.model, first.partner.model} == {"diffusion", "modern"}
    np.testing.assert_array_equal(first.main.x, first.partner.x)
    to_end(run)
    last = run.view()
    assert last.main.step == last.partner.step == run.steps == last.index
    assert not np.allclose(last.main.x, last.partner.x)  # different dynamics


def test_the_partner_of_an_associative_memory_is_the_exact_diffusion_model():
    assert partner_params(wells(model="hopfield")).model == "diffusion"
    p = partner_params(wells(beta=3.0))
    assert (p.model, p.modern_form, p.beta) == ("modern", "distance", 3.0)


def test_a_change_mid_run_starts_a_segment_and_nothing_is_compared_across_it():
    run = make_run(model="modern", dt=0.2)
    for _ in range(4):
        run.step()
    assert run.set_params(run.params.replace(beta=50.0)) == "segment"
    for _ in range(3):
        run.step()
    view = run.view()
    assert [s.reason for s in run.snapshot().segments] == ["start", "parameters"]
    start = run.snapshot().segments[1].start
    assert start == 5 and view.main.history.segment_starts.tolist() == [5]
    assert not view.main.history.rose[start].any()  # the jump at the change is not a "rise"
    assert view.main.step == view.partner.step == 7  # lock-step across the change
    assert run.snapshot().segment_at(3).params.beta != run.snapshot().segment_at(6).params.beta


def test_a_burst_of_changes_at_one_step_makes_one_segment_and_one_entry():
    run = make_run()
    run.step()
    for beta in (1.0, 2.0, 5.0, 9.0):  # a slider dragged while paused
        run.set_params(run.params.replace(beta=beta))
    snap = run.snapshot()
    assert snap.length == 3 and len(snap.segments) == 2
    assert snap.segments[-1].params.beta == 9.0 and run.view().partner.params.beta == 9.0


def test_a_schedule_change_mid_run_keeps_both_runs_at_one_step():
    run = make_run(steps=40)
    for _ in range(10):
        run.step()
    sigma = run.main.sigma
    run.set_params(run.params.replace(steps=200))
    view = run.view()
    assert view.main.sigma <= sigma and view.main.step == view.partner.step  # sigma never jumps up
    to_end(run)
    assert run.view().main.step == run.view().partner.step == 200


def test_raising_steps_after_a_finished_run_starts_it_again_with_both_models():
    run = to_end(make_run(steps=12))
    start = run.start.copy()
    assert run.set_params(run.params.replace(steps=30)) == "restart"
    assert len(run.recording) == 1
    np.testing.assert_array_equal(run.view(0).main.x, start)  # the same particles
    to_end(run)
    last = run.view()
    assert last.main.step == last.partner.step == 30
    assert len(last.dm.sigmas) == 31 and last.dm.sigma == 0.0


def test_seeking_back_continues_from_the_step_on_screen_and_drops_the_future():
    """Deterministic dynamics (Heun on the exact score, the Modern Hopfield partner): playing
    on from entry 5 gives exactly the recorded future again."""
    run = to_end(make_run())
    recorded = [run.view(i).main.x.copy() for i in range(run.view().length)]
    recorded_partner = run.view().partner.x.copy()
    run.seek(5)
    assert len(run.recording) == 6 and run.view().main.step == 5 and not run.done
    to_end(run)
    assert run.view().length == len(recorded)
    np.testing.assert_allclose(run.view().main.x, recorded[-1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(run.view().partner.x, recorded_partner, rtol=1e-12, atol=1e-12)


def test_seeking_into_an_earlier_segment_takes_its_parameters():
    run = make_run(model="modern")
    run.step()
    run.step()
    run.set_params(run.params.replace(beta=30.0))
    run.step()
    run.seek(1)
    assert run.params.beta == wells().beta and len(run.snapshot().segments) == 1


def test_a_dropped_cluster_restarts_the_run_there_and_the_same_clicks_give_the_same_particles():
    run = make_run()
    run.drop((1.5, -1.0))
    start = run.view(0).main.x
    assert len(run.recording) == 1 and start.shape == (60, 2)
    np.testing.assert_allclose(start.mean(axis=0), [1.5, -1.0], atol=0.1)
    np.testing.assert_array_equal(run.view(0).partner.x, start)
    again = make_run()
    again.drop((1.5, -1.0))
    np.testing.assert_array_equal(again.view(0).main.x, start)
    run.drop((-1.0, 1.0), replace=False)  # beside the others
    assert run.params.particles == 60 + 64 and len(run.view(0).main.x) == 124


def test_memory_edits_take_effect_at_once_and_undo_redo():
    run = make_run()
    run.step()
    run.add_memory((0.0, 1.5))
    assert run.view().segment.memories.shape == (3, 2) and run.view().segment.reason == "memories"
    run.move_memory(2, (0.5, -1.0))
    np.testing.assert_allclose(run.view().segment.memories[2], [0.5, -1.0])
    run.delete_memory(0)
    assert run.view().segment.memories.shape == (2, 2)
    assert run.undo() and run.view().segment.memories.shape == (3, 2)
    assert run.undo() and np.allclose(run.view().segment.memories[2], [0.0, 1.5])
    assert run.redo() and np.allclose(run.view().segment.memories[2], [0.5, -1.0])
    with pytest.raises(ValueError, match="last memory"):
        r = make_run(patterns={"kind": "points", "points": [[0.0, 0.0]]})
        r.delete_memory(0)


def test_a_memory_added_after_the_run_ended_starts_it_again_on_the_new_landscape():
    run = to_end(make_run())
    run.add_memory((0.0, 1.5))
    assert len(run.recording) == 1 and run.view().segment.memories.shape == (3, 2)


def test_the_recording_stays_within_its_budget_and_still_spans_the_run():
    params = wells(steps=400, particles=50)
    probe = Run(params, get_backend("numpy", "float32"))
    per_entry = sum(t.nbytes for t in probe.recording.tracks)  # one entry and its maps
    run = Run(params, get_backend("numpy", "float32"), budget=40 * per_entry)
    for k in range(150):
        run.step()
        if k == 60:
            run.set_params(run.params.replace(beta=2.0))
    snap = run.snapshot()
    assert snap.thinned >= 1 and sum(t.nbytes for t in run.recording.tracks) <= 40 * per_entry
    steps = snap.tracks[0]["step"]
    assert steps[0] == 0 and steps[-1] == 150 and np.all(np.diff(steps) >= 0)
    starts = snap.segment_starts()
    assert steps[starts[1]] == 61  # the change's entry survived the thinning
    assert np.array_equal(snap.tracks[1]["step"], steps)  # both tracks thinned alike


def test_the_trajectory_holds_both_simulations_named_as_such():
    run = to_end(make_run())
    out = trajectory_arrays(run.snapshot())
    t = run.steps + 1
    assert out["positions"].shape == out["partner_positions"].shape == (t, 60, 2)
    assert out["sigma"].shape == (t,) and "partner_sigma" not in out
    assert json.loads(out["params"])["model"] == "diffusion" and json.loads(out["partner_params"])["model"] == "modern"
    np.testing.assert_array_equal(out["steps"], np.arange(t))
    fresh = Simulation(wells(), get_backend("numpy", "float64"))
    np.testing.assert_array_equal(out["positions"][3], [fresh.step() for _ in range(3)][-1]["x"])
    assert json.loads(out["segments"])[0]["reason"] == "start"


def test_every_associative_memory_of_every_preset_never_rises_at_its_defaults():
    for name in ("two-wells", "ring", "grid", "binary", "spiral"):
        params = load_preset(name)
        if params.model == "diffusion":
            params = params.replace(model="modern")
        params = params.replace(particles=min(params.particles, 80), backend="numpy")
        run = to_end(Run(params, get_backend("numpy", "float64")))
        history = run.view().main.history
        assert history.particles_rose == 0 and history.share_of_steps == 0.0, name


def test_views_of_entries_are_what_was_recorded_and_stay_valid_as_the_run_grows():
    run = make_run()
    early = run.view(0)
    x0 = early.main.x.copy()
    to_end(run)
    np.testing.assert_array_equal(early.main.x, x0)  # arrays handed out do not change
    view = run.view(4)
    assert view.main.step == 4 and len(view.main.history.steps) == 5
    np.testing.assert_array_equal(view.main.trail[-1], view.main.uv)
    with pytest.raises(IndexError):
        run.view(run.view().length)


def test_the_mean_ignores_undefined_energies():
    assert np.isnan(finite_mean(np.array([np.nan]))) and finite_mean(np.array([1.0, np.nan, 3.0])) == 2.0


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 60), st.integers(1, 4), st.integers(0, 2 ** 31 - 1))
def test_the_recording_holds_every_entry_as_appended(t, n, seed):
    rng = np.random.default_rng(seed)
    energies = rng.standard_normal((t, n)).cumsum(axis=0)
    rec = Recording((n, n), 2, np.dtype(np.float64), images=False)
    from memscape.engine.run.recording import Segment

    rec.begin_segment(Segment(0, wells(), partner_params(wells()), np.zeros((1, 2)), None, np.zeros((1, 2)),
                              None, (None, None), "start"))
    for k in range(t):
        entry = {"step": k, "sigma": np.nan, "x": np.full((n, 2), k), "uv": np.zeros((n, 2)), "energy": energies[k],
                 "energy_fixed": energies[k], "landscape_move": np.zeros(n), "sampler_move": np.zeros(n),
                 "energy_nats": np.full(n, np.nan), "rise_scale": 0.0}
        rec.append((entry, entry), ({"energy": np.zeros(1)}, None) if k == 0 else (None, None))
    snap = rec.snapshot()
    np.testing.assert_array_equal(snap.tracks[0]["energy"], energies)
    rose = np.zeros((t, n), bool)
    rose[1:] = energy_rose(energies[:-1], energies[1:], "float64")
    np.testing.assert_array_equal(snap.tracks[0]["rose"], rose)
    np.testing.assert_array_equal(snap.ever_rose[0], np.logical_or.accumulate(rose, axis=0).sum(axis=1))


def test_the_retrieval_note_is_measured_once_per_parameter_set():
    run = Run(load_preset("grid").replace(model="modern", modern_form="dot", particles=20, backend="numpy"))
    assert run.retrieval_pending and run.meta["retrieval_note"] is None
    note = run.measure_retrieval()
    assert "of 16 memories" in note and run.view().retrieval_note == note and not run.retrieval_pending
    run.restart()
    assert run.retrieval_pending and run.measure_retrieval() == note  # from the cache
    run.set_params(run.params.replace(modern_form="distance", beta=50.0))
    assert run.measure_retrieval() is None


def test_for_2d_float32_data_uv_is_x_itself_and_stays_so_through_thinning_and_seeking():
    """The plane of 2-D data is the identity, so a float32 track reads its states as uv (one
    array under two names): equal to the projection bit for bit, after a thinning and a seek too."""
    params = wells(steps=60, particles=30)
    probe = Run(params, get_backend("numpy", "float32"))
    run = Run(params, get_backend("numpy", "float32"), budget=12 * sum(t.nbytes for t in probe.recording.tracks))
    for _ in range(40):
        run.step()
    run.seek(run.snapshot().length - 5)
    for _ in range(3):
        run.step()
    snap = run.snapshot()
    assert snap.thinned >= 1
    for k, sim in enumerate((run.main, run.partner)):
        a = snap.tracks[k]
        assert a["uv"].dtype == np.float32 and np.shares_memory(a["uv"], a["x"])
        np.testing.assert_array_equal(a["uv"], np.asarray(sim.plane.project(a["x"]), np.float32))


def test_uv_is_the_projection_of_its_own_where_it_cannot_be_x():
    """Data of more dimensions (the plane of its principal components) and 2-D data in float64
    (uv is float32) keep uv as a projection of its own."""
    for params, precision in ((load_preset("letters").replace(particles=6, steps=3), "float32"),
                              (wells(steps=3), "float64")):
        run = to_end(Run(params, get_backend("numpy", precision)))
        a = run.snapshot().tracks[0]
        assert a["uv"].dtype == np.float32 and not np.shares_memory(a["uv"], a["x"])
        np.testing.assert_array_equal(a["uv"], [np.asarray(run.main.plane.project(x), np.float32) for x in a["x"]])


def test_a_run_that_keeps_to_its_schedule_never_copies_its_recording():
    """The buffers are made for steps + 1 entries at the start: the first entry handed out is
    the same memory as the last snapshot's."""
    run = make_run(steps=30)
    first = run.snapshot().tracks[0]["x"]
    to_end(run)
    last = run.snapshot().tracks[0]
    assert len(last["x"]) == 31 and np.shares_memory(first, last["x"])


def test_the_mean_of_finite_energies_is_the_plain_mean():
    e = np.random.default_rng(3).standard_normal(1001).astype(np.float32)
    assert finite_mean(e) == float(np.asarray(e, np.float64).mean())
    assert finite_mean(np.array([1.0, np.inf, 3.0])) == 2.0 and np.isnan(finite_mean(np.array([np.inf, -np.inf])))
