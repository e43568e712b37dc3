"""The GL items' geometry, the shader loader, and the upload path (what goes to the GPU when)."""
import numpy as np
import pytest
from PyQt6 import QtGui

from memscape.gui.gl.height_field_item import RESTART, grid_strips, grid_uv
from memscape.gui.gl.line_batch import segment_records
from memscape.gui.gl.trails_item import fade
from memscape.gui.trail_thinning import shown_particles, shown_steps
from memscape.gui.shader_loader import SHADER_DIR, ShaderError, load_program, version_line

SHADERS = sorted({p.stem for p in SHADER_DIR.glob("*.vert")})


def fmt(major, minor, profile=QtGui.QSurfaceFormat.OpenGLContextProfile.CoreProfile):
    f = QtGui.QSurfaceFormat()
    f.setVersion(major, minor)
    f.setProfile(profile)
    return f


def test_version_line_follows_the_context():
    assert version_line(fmt(4, 5)) == "#version 330 core"
    assert version_line(fmt(3, 3)) == "#version 330 core"
    assert version_line(fmt(3, 2)) == "#version 150"
    assert version_line(fmt(3, 1, QtGui.QSurfaceFormat.OpenGLContextProfile.NoProfile)) == "#version 140"
    with pytest.raises(ShaderError, match="3.1 or later"):
        version_line(fmt(2, 1, QtGui.QSurfaceFormat.OpenGLContextProfile.NoProfile))


@pytest.fixture
def context(qapp):
    """A current core-profile context on an offscreen surface (the app's default format)."""
    ctx = QtGui.QOpenGLContext()
    assert ctx.create(), "no OpenGL context (run under Xvfb)"
    surface = QtGui.QOffscreenSurface()
    surface.setFormat(ctx.format())
    surface.create()
    assert ctx.makeCurrent(surface)
    yield ctx
    ctx.doneCurrent()


def test_context_is_core_profile_3_3(context):
    f = context.format()
    assert (f.majorVersion(), f.minorVersion()) >= (3, 3)
    assert f.profile() == QtGui.QSurfaceFormat.OpenGLContextProfile.CoreProfile


@pytest.mark.parametrize("name", SHADERS)
def test_every_shader_compiles_and_links(context, name):
    from OpenGL import GL

    assert (SHADER_DIR / f"{name}.frag").exists()
    program = load_program(name, {})
    assert GL.glIsProgram(program)
    GL.glDeleteProgram(program)


def test_compile_error_names_the_file_and_carries_the_log(context, tmp_path, monkeypatch):
    (tmp_path / "broken.vert").write_text("void main() { gl_Position = undefined_thing; }\n")
    (tmp_path / "broken.frag").write_text("out vec4 frag_color; void main() { frag_color = vec4(1.0); }\n")
    monkeypatch.setattr("memscape.gui.shader_loader.SHADER_DIR", tmp_path)
    with pytest.raises(ShaderError, match=r"broken\.vert does not compile") as info:
        load_program("broken", {})
    assert "undefined_thing" in str(info.value)  # the driver's log names the culprit


def strip_triangles(indices):
    """The triangles a GL_TRIANGLE_STRIP draw with primitive restart makes, in drawn winding."""
    tris = []
    for strip in np.split(indices, np.flatnonzero(indices == RESTART) + 1):
        strip = strip[strip != RESTART]
        for k in range(len(strip) - 2):
            a, b, c = strip[k:k + 3]
            tris.append((a, b, c) if k % 2 == 0 else (b, a, c))
    return np.array(tris)


def test_grid_strips_cover_every_cell_with_two_triangles_of_one_winding():
    h, w = 4, 5
    uv = grid_uv((h, w))
    assert uv.shape == (h * w, 2) and uv.min() == 0 and uv.max() == 1
    assert np.allclose(uv[w + 2], (2 / (w - 1), 1 / (h - 1)))  # vertex row * W + col
    tris = strip_triangles(grid_strips((h, w)))
    assert len(tris) == 2 * (h - 1) * (w - 1)
    a, b, c = (uv[tris[:, k]] for k in range(3))
    cross = (b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0]
    assert np.allclose(np.abs(cross), np.abs(cross[0])) and np.all(np.sign(cross) == np.sign(cross[0]))
    assert np.isclose(np.abs(cross).sum() / 2, 1.0)  # they tile the unit square


def test_trail_thinning_keeps_the_newest_step_and_the_budget():
    assert np.array_equal(shown_steps(5, 10, max_segments=100), np.arange(5))
    keep = shown_steps(400, 1000, max_segments=40_000)
    assert keep[-1] == 399 and np.all(np.diff(keep) > 0)
    assert (len(keep) - 1) * 1000 <= 40_000
    assert np.unique(np.diff(keep)).size == 1  # evenly thinned


def test_trails_of_evenly_picked_particles_within_the_budget():
    assert np.array_equal(shown_particles(7, max_trails=10), np.arange(7))
    who = shown_particles(5000, max_trails=1000)
    assert len(who) == 1000 and who[0] == 0 and np.unique(np.diff(who)).size == 1


def test_trails_fade_from_transparent_to_opaque():
    a = fade(6)
    assert np.all(np.diff(a) > 0) and a[-1] == 1.0 and a[0] < 0.2


def test_segment_records_interleave_ends_and_colours():
    p0, p1 = np.zeros((2, 3)), np.ones((2, 3))
    c0, c1 = np.full((2, 4), 0.25), np.full((2, 4), 0.75)
    r = segment_records(p0, p1, c0, c1)
    assert r.shape == (2, 14) and r.dtype == np.float32
    assert np.array_equal(r[0], [0, 0, 0, 1, 1, 1] + [0.25] * 4 + [0.75] * 4)


@pytest.fixture
def view(qtbot):
    from memscape.gui.view_3d import Landscape3DView

    v = Landscape3DView()
    qtbot.addWidget(v)
    return v


def bowl(n, depth=1.0):
    x = np.linspace(-1, 1, n)
    return depth * (x[None, :] ** 2 + x[:, None] ** 2)


def test_only_the_heights_are_uploaded_after_the_first_frame(view):
    view.set_landscape(bowl(48), (-1, 1), (-1, 1))
    view.set_particles(np.zeros((10, 2)), None, np.full((10, 4), 0.5))
    view.render_image(64, 48)
    assert view.surface.uploads == {"uv": 1, "indices": 1, "z": 1}
    for k in range(3):
        view.set_landscape(bowl(48, 1.0 + k), (-1, 1), (-1, 1))
        view.set_particles(np.full((10, 2), 0.1 * k), None, np.full((10, 4), 0.5))
        view.render_image(64, 48)
    assert view.surface.uploads == {"uv": 1, "indices": 1, "z": 4}
    assert view.particles.uploads == {"particle positions": 4, "particle colors": 1}
    view.set_landscape(bowl(32), (-2, 2), (-1, 1))  # a new grid shape: the grid goes up again
    view.render_image(64, 48)
    assert view.surface.uploads == {"uv": 2, "indices": 2, "z": 5}


def test_a_new_context_uploads_everything_again(view):
    view.set_landscape(bowl(16), (-1, 1), (-1, 1))
    view.render_image(64, 48)
    view._release_gl()  # what the view does when its context is about to be destroyed
    view.render_image(64, 48)
    assert view.surface.uploads == {"uv": 2, "indices": 2, "z": 2}
