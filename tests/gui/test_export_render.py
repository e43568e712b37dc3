"""Video export through the app's views: frames, clips, cancel and failure, the dialog."""
import errno
import os

import av
import numpy as np
import pytest
from PyQt6 import QtGui, QtWidgets

from memscape.engine.presets import load_preset
from memscape.engine.run import Run
from memscape.gui.export.frame_renderer import FrameRenderer, export_params_job
from memscape.gui.export.settings import RenderSettings, frame_steps
from memscape.gui.export.video_writer import ExportError

SMALL = (192, 144)


@pytest.fixture
def params():
    return load_preset("two-wells").replace(particles=40, steps=12, backend="numpy")


@pytest.fixture
def themed(qapp):
    """The app's theme, as MainWindow and the CLI apply it (fonts and colours in the frames)."""
    from memscape.gui.theme import apply_theme

    apply_theme(qapp, presenter=False)
    return qapp


def decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def finished(params, label="two-wells") -> Run:
    run = Run(params, label=label)
    run.run_to_end()
    return run


def renderer_for(params, **kw) -> FrameRenderer:
    settings = RenderSettings(**{"size": SMALL, "fps": 4, "seconds": 1, **kw})
    run = finished(params)
    return FrameRenderer(run.snapshot(), run.meta, settings)


def run(job):
    for _ in job:
        pass


def test_frame_k_shows_step_round_k_steps_over_frames_minus_one():
    s = frame_steps(7, 40)
    assert s[0] == 0 and s[-1] == 40 and np.all(np.diff(s) >= 0)
    assert np.array_equal(s, np.floor(np.arange(7) * 40 / 6 + 0.5))
    assert np.array_equal(frame_steps(41, 40), np.arange(41))  # one frame per step
    assert RenderSettings(fps=0.5, seconds=1).frame_count == 2


def test_frames_have_exact_size_show_the_run_and_differ(themed, params):
    r = renderer_for(params, overlays=())
    try:
        first, last = r.render_array(0), r.render_array(r.count - 1)
    finally:
        r.close()
    assert first.shape == (SMALL[1], SMALL[0], 3)
    assert first.std() > 20 and last.std() > 20  # the colour map is drawn
    assert len(np.unique(first.reshape(-1, 3), axis=0)) > 50
    assert np.abs(first.astype(int) - last.astype(int)).mean() > 1  # particles moved, sigma fell


def test_overlays_fill_bands_and_step_text_follows_the_run(themed, params):
    r = renderer_for(params, title="Two wells")
    try:
        text0, text_end = r._overlay_text(0), r._overlay_text(r.count - 1)
        img = r.render_array(0)
    finally:
        r.close()
    assert text0.title == "Two wells" and "heun" in text0.params
    assert text0.step.startswith("step 0/") and text_end.step.startswith(f"step {params.steps}/")
    assert "σ = 3" in text0.step  # the preset's sigma_max
    top = r.top
    band = img[:top]
    assert top > 0 and (band != band[0, 0]).any()  # text drawn in the top band
    assert np.all(band[:, -2] == band[0, -2])  # band background at the right edge, no plot there


def test_side_by_side_shows_both_models_from_the_same_start(themed, params):
    r = renderer_for(params, view="side-by-side", overlays=())
    try:
        img = r.render_array(0)
        first = r.step(0)
    finally:
        r.close()
    assert first.am.model == "modern" and first.dm.model == "diffusion"
    assert np.array_equal(first.am.x, first.dm.x)
    w = img.shape[1]
    assert img[:, : w // 2].std() > 20 and img[:, w // 2:].std() > 20


@pytest.mark.parametrize("fmt", ["mp4", "gif"])
def test_exported_clip_decodes_to_asked_frames(themed, params, tmp_path, fmt):
    path = tmp_path / f"clip.{fmt}"
    settings = RenderSettings(size=(160, 120), fps=6, seconds=1)
    run(export_params_job(params, settings, path))
    frames = decode(path)
    assert len(frames) == settings.frame_count == 6
    assert all(f.shape == (120, 160, 3) for f in frames)
    assert all(f.std() > 15 for f in frames)
    assert len({f.tobytes() for f in frames}) > 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"clip.{fmt}"]


def test_cancelled_export_leaves_nothing_and_keeps_a_good_file(themed, params, tmp_path):
    path = tmp_path / "clip.mp4"
    settings = RenderSettings(size=(160, 120), fps=6, seconds=1)
    job = export_params_job(params, settings, tmp_path / "fresh.mp4")
    for progress in job:
        if progress.phase == "rendering":
            break
    job.close()  # Cancel
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"a good old video")
    job = export_params_job(params, settings, path)
    next(job)
    job.close()
    assert path.read_bytes() == b"a good old video"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_full_disk_is_one_clear_line_and_no_partial_file(themed, params, tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExportError, match="disk is full") as info:
        run(export_params_job(params, RenderSettings(size=(160, 120), fps=2, seconds=1), tmp_path / "c.gif"))
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_3d_orbit_turns_the_camera_and_nothing_else(themed, params):
    pytest.importorskip("memscape.gui.view_3d")
    from memscape.gui.export.frame_renderer import gl_available

    if not gl_available():
        pytest.skip("no OpenGL context here")
    one_step = params.replace(steps=1)
    images = {}
    for orbit in (0.0, 90.0):
        r = renderer_for(one_step, view="3d", orbit=orbit, overlays=())
        try:
            images[orbit] = [r.render_array(k) for k in range(r.count)]
        finally:
            r.close()
    still, turned = images[0.0], images[90.0]
    assert still[0].shape == (SMALL[1], SMALL[0], 3) and len(np.unique(still[0].reshape(-1, 3), axis=0)) > 30
    assert np.array_equal(still[0], turned[0])  # the same first frame: orbit starts at the same azimuth
    assert np.abs(still[1].astype(int) - turned[1].astype(int)).mean() > 2  # then only the camera differs


def window_and_export_pictures(make_window, wait_frames, qtbot, view: str, particles: int = 40):
    """The window's view on screen and the exporter's view of the same recorded step, at the
    window view's size (no overlay bands)."""
    from memscape.gui.export.frame_renderer import FrameRenderer, qimage_to_array

    window = make_window(particles=particles, steps=12)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.menu_actions[f"layout{ {'2d': 2, 'side-by-side': 1, '3d': 3}[view]}"].trigger()
    window.controls.buttons["play"].click()
    wait_frames(window, 13)
    qtbot.wait(100)
    widget = {"2d": window.view2d, "3d": window.view3d, "side-by-side": window.side}[view]
    snapshot, meta = window.run_snapshot()
    framing = window.framing()[view]
    settings = RenderSettings(view=view, size=(widget.width(), widget.height()), fps=2, seconds=1, overlays=(),
                              **({"camera": framing} if view == "3d" else {"view_range": framing}))
    renderer = FrameRenderer(snapshot, meta, settings)
    try:
        exported = renderer.render(renderer.count - 1)  # the last frame: the last entry, as on screen
        window.show_frame(window.update_, renderer.step(renderer.count - 1).index)
        QtWidgets.QApplication.processEvents()
        if view == "3d":
            shown = widget.render_image(widget.width(), widget.height())
        else:
            shown = QtGui.QImage(widget.width(), widget.height(), QtGui.QImage.Format.Format_RGB32)
            QtWidgets.QWidget.render(widget, shown)
        return qimage_to_array(shown), qimage_to_array(exported), renderer.step(renderer.count - 1)
    finally:
        renderer.close()


@pytest.mark.parametrize("view", ["2d", "side-by-side", "3d"])
def test_the_window_and_the_exporter_draw_the_same_picture_of_a_step(make_window, wait_frames, qtbot, themed, view):
    if view == "3d":
        from memscape.gui.export.frame_renderer import gl_available

        if not gl_available():
            pytest.skip("no OpenGL context here")
    shown, exported, step = window_and_export_pictures(make_window, wait_frames, qtbot, view)
    assert step.main.step == 12 and step.main.sigma == 0.0  # the end: sigma = 0, energies NaN
    assert shown.shape == exported.shape
    differ = np.abs(shown.astype(int) - exported.astype(int)).max(axis=-1) > 2
    landscape = differ[: int(0.7 * len(differ))]  # the landscapes (the side-by-side traces lie below)
    assert landscape.mean() < 0.001, f"{landscape.mean():.2%} of the landscape's pixels differ"
    assert differ.mean() < 0.005, f"{differ.mean():.2%} of the pixels differ"


@pytest.mark.parametrize("view", ["2d", "side-by-side", "3d"])
def test_the_exported_density_is_the_window_s_picture(make_window, wait_frames, qtbot, themed, view, monkeypatch):
    """Above DENSITY_ABOVE particles both draw the density (gui.draw_step decides for both)."""
    from memscape.gui import draw_step
    from memscape.gui.density import DENSITY_ABOVE

    if view == "3d":
        from memscape.gui.export.frame_renderer import gl_available

        if not gl_available():
            pytest.skip("no OpenGL context here")
    decided = []
    decide = draw_step.sim_density
    monkeypatch.setattr(draw_step, "sim_density", lambda sim: decided.append(decide(sim)) or decided[-1])
    shown, exported, step = window_and_export_pictures(make_window, wait_frames, qtbot, view, DENSITY_ABOVE + 2_000)
    assert len(step.main.uv) > DENSITY_ABOVE
    assert decided and all(d is not None and d.counts.sum() + d.outside == len(step.main.uv) for d in decided)
    differ = np.abs(shown.astype(int) - exported.astype(int)).max(axis=-1) > 2
    assert differ.mean() < 0.005, f"{differ.mean():.2%} of the pixels differ"
