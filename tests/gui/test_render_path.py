"""The drawing path chosen from the GL renderer string (gui/render_path.py), its override
MEMSCAPE_DRAW, the words the status bar and the About box show, the window drawing with the
GL path, and videos drawn with the raster path whatever the window uses."""
from __future__ import annotations

import numpy as np
import pytest

from memscape.gui import render_path
from memscape.gui.render_path import GL_PATH, RASTER, choose
from tests.gui.test_points_2d import rgb

#: renderer strings as drivers report them (GL_RENDERER) and the path each gets
RENDERERS = [
    ("llvmpipe (LLVM 15.0.7, 256 bits)", RASTER),
    ("softpipe", RASTER),
    ("Software Rasterizer", RASTER),
    ("Mesa X11 (swrast)", RASTER),
    ("Apple Software Renderer", RASTER),
    ("Microsoft Basic Render Driver", RASTER),
    ("D3D12 (Microsoft Basic Render Driver)", RASTER),
    ("GDI Generic", RASTER),
    ("zink Vulkan 1.3(llvmpipe (LLVM 15.0.7, 256 bits) (LLVMPIPE))", RASTER),
    ("NVIDIA GeForce RTX 3060/PCIe/SSE2", GL_PATH),
    ("NVIDIA H200/PCIe/SSE2", GL_PATH),
    ("AMD Radeon Pro 5500M OpenGL Engine", GL_PATH),
    ("AMD Radeon RX 6700 XT (navy_flounder, LLVM 15.0.7, DRM 3.49, 6.1.0-18-amd64)", GL_PATH),
    ("Apple M1", GL_PATH),
    ("Mesa Intel(R) UHD Graphics 620 (KBL GT2)", GL_PATH),
    ("SVGA3D; build: RELEASE;  LLVM;", GL_PATH),  # VMware's virtual GPU, drawn by the host's
    ("virgl (NVIDIA GeForce RTX 3060/PCIe/SSE2)", GL_PATH),
    ("D3D12 (NVIDIA GeForce RTX 3060)", GL_PATH),
]


@pytest.mark.parametrize("renderer, path", RENDERERS)
def test_the_path_follows_the_renderer(renderer, path):
    chosen = choose(renderer, (4, 5))
    assert chosen.path == path and chosen.renderer == renderer
    assert chosen.reason == ("software GL" if path == RASTER else "")


def test_the_words_name_the_path_and_the_renderer():
    assert choose("llvmpipe (LLVM 15.0.7, 256 bits)", (4, 5)).label() == "Drawing: raster (llvmpipe: software GL)"
    assert (choose("llvmpipe (LLVM 15.0.7, 256 bits)", (4, 5)).label(full=True)
            == "Drawing: raster (llvmpipe (LLVM 15.0.7, 256 bits): software GL)")
    assert choose("NVIDIA GeForce RTX 3060/PCIe/SSE2", (4, 6)).label() == "Drawing: GL (NVIDIA GeForce RTX 3060)"
    assert choose("Apple M1", (4, 1), override="raster").label() == "Drawing: raster (Apple M1: MEMSCAPE_DRAW=raster)"
    assert choose("softpipe", (3, 3), override="gl").label() == "Drawing: GL (softpipe: MEMSCAPE_DRAW=gl)"


def test_no_context_or_too_old_a_one_draws_raster_and_says_why():
    none = choose(None, None, "no OpenGL context on the 'offscreen' platform (needs a display or Xvfb)")
    assert none.path == RASTER and none.label() == ("Drawing: raster (no OpenGL context on the 'offscreen' "
                                                     "platform (needs a display or Xvfb))")
    assert choose(None).label() == "Drawing: raster (no OpenGL context)"
    old = choose("Mesa Intel(R) HD Graphics 3000 (SNB GT2)", (3, 0), override="gl")
    assert old.path == RASTER and old.reason == "OpenGL 3.0, the GL path needs 3.1"


def test_the_environment_overrides_and_a_bad_value_is_named_once(monkeypatch, capsys):
    monkeypatch.setenv("MEMSCAPE_DRAW", " GL ")
    assert render_path.override() == GL_PATH
    monkeypatch.setenv("MEMSCAPE_DRAW", "raster")
    assert render_path.override() == RASTER
    monkeypatch.setenv("MEMSCAPE_DRAW", "")
    assert render_path.override() is None
    monkeypatch.setenv("MEMSCAPE_DRAW", "vulkan")
    assert render_path.override() is None and render_path.override() is None
    err = capsys.readouterr().err
    assert err == "memscape: MEMSCAPE_DRAW='vulkan': expected raster or gl; choosing from the GL renderer\n"


def test_under_mesa_software_gl_the_app_draws_raster_unless_told(qapp, monkeypatch):
    """The tests run on llvmpipe (tests/conftest.py): the probe reads it from a real context."""
    renderer, version, error = render_path.probe()
    assert renderer is not None and render_path.is_software(renderer), (renderer, error)
    assert version >= (3, 1)
    monkeypatch.delenv("MEMSCAPE_DRAW", raising=False)
    assert render_path.current().path == RASTER
    monkeypatch.setenv("MEMSCAPE_DRAW", "gl")
    assert render_path.current() == choose(renderer, version, override="gl")
    with render_path.raster_only():
        assert render_path.current().path == RASTER


@pytest.mark.parametrize("path", [RASTER, GL_PATH])
def test_the_status_bar_and_the_about_box_say_how_the_window_draws(make_window, monkeypatch, path):
    from memscape.gui.gl.points_2d import Sprites
    from memscape.gui.view_2d import ParticleScatter

    monkeypatch.setenv("MEMSCAPE_DRAW", path)
    window = make_window()
    assert window.drawing == render_path.current() and window.drawing.path == path
    assert window.drawing_label.text() == window.drawing.label()
    assert window.drawing_label.text().startswith("Drawing: GL (llvmpipe" if path == GL_PATH else
                                                  "Drawing: raster (llvmpipe")
    for view in (window.view2d, window.side.am, window.side.dm):
        assert isinstance(view.particles, Sprites if path == GL_PATH else ParticleScatter)
    window.help_actions["about"].trigger()
    assert window.drawing.label(full=True) in window.about_box.text()
    window.about_box.close()
    assert not window.drawing_label.isHidden()
    window._set_presenter(True)  # no room beside the readings in the large font: the About box says it
    assert window.drawing_label.isHidden()
    window._set_presenter(False)
    assert not window.drawing_label.isHidden()


def test_the_window_plays_on_the_gl_path_and_its_2d_view_shows_particles(make_window, wait_frames, monkeypatch):
    from memscape.gui.theme import particle_colors

    monkeypatch.setenv("MEMSCAPE_DRAW", "gl")
    window = make_window(autoplay=True, particles=24, steps=12)
    wait_frames(window, 4)
    view = window.view2d
    view.set_layer_visible("colormap", False)  # a plain background, so the discs stand out
    view.set_layer_visible("contours", False)
    pixels = rgb(view.grab().toImage()).reshape(-1, 3)
    palette = particle_colors(24)[:, :3].astype(int)
    # the fill of a disc (alpha 230) over the dark background: within 40 levels of its colour
    seen = {k for k, c in enumerate(palette) if (np.abs(pixels - c).max(axis=1) <= 40).any()}
    assert len(seen) >= 6, f"particle colours seen in the 2D view: {sorted(seen)}"


def test_a_video_draws_its_2d_views_raster_whatever_the_window_uses(qapp, monkeypatch):
    from memscape.engine.presets import load_preset
    from memscape.engine.run import Run
    from memscape.gui.export.frame_renderer import FrameRenderer
    from memscape.gui.export.settings import RenderSettings
    from memscape.gui.view_2d import ParticleScatter

    monkeypatch.setenv("MEMSCAPE_DRAW", "gl")
    run = Run(load_preset("two-wells").replace(particles=8, steps=4, backend="numpy"))
    run.run_to_end()
    for view in ("2d", "side-by-side"):
        settings = RenderSettings(view=view, size=(320, 240), fps=2.0, seconds=1.0)
        renderer = FrameRenderer(run.snapshot(), run.meta, settings)
        try:
            views = [renderer.widget] if view == "2d" else renderer.widget.views()
            assert all(isinstance(v.particles, ParticleScatter) for v in views)
        finally:
            renderer.close()
