"""The one function that draws a recorded entry of a run into the views: :func:`draw_step`.

The window calls it with the views in sight, the video exporter with the hidden view it
films; both pass an :class:`memscape.engine.run.StepView`, so a frame of a video is the
window's picture of the same step (titles included). Only display choices are made here:
which arrays go to which view, points or a density (:func:`sim_density`), the titles' words
and the trace's axis label.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from PyQt6 import QtWidgets

from memscape.engine.run import SimStep, StepView
from memscape.gui import theme
from memscape.gui.density import Density, legend, particle_density, shows_density


@dataclasses.dataclass
class Views:
    """The widgets a step is drawn into; None where a view is absent (not in sight, or not
    filmed). ``view3d`` may be a QLabel saying why there is no 3D view."""

    view2d: object | None = None
    side: object | None = None
    view3d: QtWidgets.QWidget | None = None
    energy: object | None = None
    schedule: object | None = None
    images: object | None = None


def titles(step: StepView) -> dict[str, str]:
    """The words above each view: the 2D landscape (what runs, and the plane for D > 2), the
    two side-by-side panels."""
    am, dm = step.am, step.dm
    plane = " (plane of the principal components)" if step.segment.memories.shape[1] != 2 else ""
    beta = f", beta = {am.params.beta:g}" if am.model == "modern" else ""
    label = f"{step.label}: " if step.label else ""
    return {"view2d": f"{label}{step.main.model}{plane}",
            "am": f"Associative memory ({am.model}{beta})",
            "dm": f"Diffusion ({dm.params.sampler}, {dm.params.schedule})"}


def trace_label(sim: SimStep, nats: bool = False) -> str:
    """The trace's axis: -log p_sigma(x) for diffusion; an AM's E, or its -log p where both
    panels share that scale (the distance-form Modern Hopfield: beta E + log M + D/2 log 2pi/beta)."""
    if sim.is_diffusion:
        return "\u2212log p\u03c3(x)"
    return "\u2212log p, \u03c3 = 1/\u221a\u03b2" if nats else "E(x)"


def trace_subject(sim: SimStep) -> str:
    """The fixed function whose rises the trace counts."""
    return "\u2212log p(\u03c3_ref)" if sim.is_diffusion else "E"


def draw_trace(trace, sim: SimStep, nats: bool = False) -> None:
    """One simulation's energy trace: diffusion with the split of each step's change."""
    trace.set_history(sim.history, trace_label(sim, nats), sim.params.steps, nats=nats and not sim.is_diffusion,
                      split=sim.is_diffusion, subject=trace_subject(sim))


def draw_step(views: Views, step: StepView) -> None:
    """Draw ``step`` into every view of ``views`` that is not None."""
    words = titles(step)
    memories_uv = step.segment.memories_uv
    densities: dict[str, Density | None] = {}

    def density(sim: SimStep) -> Density | None:
        if sim.role not in densities:
            densities[sim.role] = sim_density(sim)
        return densities[sim.role]

    if views.view2d is not None:
        views.view2d.setTitle(words["view2d"])
        draw_landscape(views.view2d, step.main, memories_uv, density(step.main))
    if views.side is not None:
        views.side.set_titles(words["am"], words["dm"])
        nats = step.am.history.has_nats  # both panels on the -log p scale where the AM has one
        for sim, view, trace in ((step.am, views.side.am, views.side.am_energy),
                                 (step.dm, views.side.dm, views.side.dm_energy)):
            draw_landscape(view, sim, memories_uv, density(sim))
            draw_trace(trace, sim, nats)
    if views.energy is not None:
        draw_trace(views.energy, step.main)
    if views.schedule is not None:
        views.schedule.set_sigmas(step.dm.sigmas)
        views.schedule.set_step(step.dm.step)
    if views.view3d is not None and hasattr(views.view3d, "set_landscape"):
        draw_landscape_3d(views.view3d, step.main, memories_uv, density(step.main))
    if views.images is not None:
        if step.image_shape is not None and step.main.nearest is not None:
            views.images.set_states(step.main.x, step.segment.memories[step.main.nearest], step.image_shape)
        else:
            views.images.show_message("these memories are points, not images: the 'letters' preset shows "
                                      "each particle as an image beside its nearest memory")


def sim_density(sim: SimStep) -> Density | None:
    """The one place that decides points or density for a simulation's frame: its particles'
    density over the landscape's rectangle above DENSITY_ABOVE particles, else None (points).
    Computed once per simulation and frame (the 2D and 3D views of the main one share it)."""
    if not shows_density(len(sim.uv)):
        return None
    land = sim.landscape
    return particle_density(sim.uv, (land["x"][0], land["x"][-1]), (land["y"][0], land["y"][-1]))


def draw_landscape(view, sim: SimStep, memories_uv, density: Density | None = None) -> None:
    """One simulation into a Landscape2DView: its energy map, the memories, the particles
    (as markers, or as ``density`` when given: :func:`sim_density`) and their trails."""
    land = sim.landscape
    view.set_landscape(land["energy"], (land["x"][0], land["x"][-1]), (land["y"][0], land["y"][-1]), land["grad"])
    view.set_memories(memories_uv)
    view.set_density(density, sim.trail)
    if density is None:
        view.set_particles(sim.uv, sim.trail)


def draw_landscape_3d(view, sim: SimStep, memories_uv, density: Density | None = None) -> None:
    """One simulation into the Landscape3DView, its particles as markers or as ``density``
    (:func:`sim_density`) on the surface. Particles, trails and pins sit on the surface:
    for D > 2 a particle's own energy is not the energy of its point on the plane, and at
    sigma = 0 a diffusion particle has no finite energy at all."""
    land = sim.landscape
    view.set_landscape(land["energy"], (land["x"][0], land["x"][-1]), (land["y"][0], land["y"][-1]))
    colors = theme.particle_colors(len(sim.uv)) / 255.0
    if density is None:
        view.set_density(None)
        view.set_particles(sim.uv, None, colors)
    else:  # no point sprites: the density on the surface; the trails keep their colours
        view.set_density(density.rgba, legend(density))
        view.set_particles(np.zeros((0, 2)), None, colors)
    view.set_trails(sim.trail)
    view.set_memories(memories_uv)
