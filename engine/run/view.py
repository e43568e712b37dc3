"""What the views draw of one recorded entry: :class:`StepView`, read from a
:class:`~memscape.engine.run.recording.Snapshot`. Plain host arrays, views into the
recording (never copies), so a frame costs the same at step 10 and at step 10,000."""
from __future__ import annotations

import dataclasses

import numpy as np

from memscape.engine.params import Params
from memscape.engine.run.recording import Segment, Snapshot

MAX_TRAIL = 400  #: recorded entries a trail shows


@dataclasses.dataclass(frozen=True)
class EnergyHistory:
    """One simulation's energies from the first entry to the shown one, for a trace."""

    steps: np.ndarray  #: (T,) step numbers
    energy: np.ndarray  #: (T, N) every particle's energy (NaN where undefined)
    mean: np.ndarray  #: (T,) mean of the finite energies
    rose: np.ndarray  #: (T, N) bool: the fixed function rose into this entry (never across a segment start)
    landscape_move: np.ndarray  #: (T, N) the landscape's share of each step's change
    sampler_move: np.ndarray  #: (T, N) the sampler's share
    segment_starts: np.ndarray  #: entry indices (within these T) where a segment began, the first excluded
    particles_rose: int  #: particles whose fixed-function energy rose at least once so far

    @property
    def rise_steps(self) -> np.ndarray:
        """(T,) bool: entries at which some particle's fixed-function energy rose."""
        return self.rose.any(axis=1)

    @property
    def share_of_particles(self) -> float:
        """Share of the particles whose fixed-function energy ever rose (0 for an AM)."""
        return self.particles_rose / max(self.energy.shape[1], 1)

    @property
    def share_of_steps(self) -> float:
        """Share of the compared steps (all but each segment's first entry) with a rise."""
        compared = len(self.steps) - 1 - len(self.segment_starts)
        return float(self.rise_steps.sum()) / compared if compared > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class SimStep:
    """One simulation of the run at one entry."""

    role: str  #: "main" or "partner"
    params: Params
    sigmas: np.ndarray | None  #: the schedule (None for an associative memory)
    step: int
    sigma: float  #: NaN for an associative memory
    x: np.ndarray  #: (N, D) states
    uv: np.ndarray  #: (N, 2) on the landscape plane
    energy: np.ndarray  #: (N,)
    landscape: dict[str, np.ndarray]  #: energy (H, W), grad (H, W, 2), x (W,), y (H,), sigma
    nearest: np.ndarray | None  #: (N,) each particle's nearest memory (image presets)
    trail: np.ndarray  #: (T', N, 2) the last entries' positions on the plane, oldest first
    history: EnergyHistory

    @property
    def model(self) -> str:
        return self.params.model

    @property
    def is_diffusion(self) -> bool:
        return self.params.model == "diffusion"


@dataclasses.dataclass(frozen=True)
class StepView:
    """Both simulations at recording entry ``index`` of ``length``, with the segment's memories."""

    index: int
    length: int
    main: SimStep
    partner: SimStep
    segment: Segment
    image_shape: tuple[int, int] | None
    device: str  #: the backend in words, e.g. "NumPy (CPU)"
    device_note: str  #: why it was picked (auto's fallback), or ""
    label: str  #: what the run shows, e.g. the preset's name
    thinned: int  #: how often the recording halved itself to stay in its memory budget

    @property
    def am(self) -> SimStep:
        """The associative memory of the pair (one of the two is diffusion)."""
        return self.partner if self.main.is_diffusion else self.main

    @property
    def dm(self) -> SimStep:
        """The diffusion model of the pair."""
        return self.main if self.main.is_diffusion else self.partner

    @property
    def done(self) -> bool:
        return self.main.step >= self.main.params.steps


def step_view(snapshot: Snapshot, index: int, meta: dict) -> StepView:
    """Entry ``index`` of ``snapshot``; ``meta``: image_shape, device, device_note, label."""
    if not 0 <= index < snapshot.length:
        raise IndexError(f"entry {index} is outside the {snapshot.length} recorded")
    segment = snapshot.segment_at(index)
    starts = snapshot.segment_starts()
    starts = starts[(starts > 0) & (starts <= index)]
    sims = []
    for k, (role, params, sigmas) in enumerate((("main", segment.params, segment.sigmas[0]),
                                               ("partner", segment.partner, segment.sigmas[1]))):
        a, end = snapshot.tracks[k], index + 1
        history = EnergyHistory(a["step"][:end], a["energy"][:end], a["mean"][:end], a["rose"][:end],
                                a["landscape_move"][:end], a["sampler_move"][:end], starts,
                                int(snapshot.ever_rose[k][index]))
        sims.append(SimStep(role, params, sigmas, int(a["step"][index]), float(a["sigma"][index]),
                            a["x"][index], a["uv"][index], a["energy"][index],
                            snapshot.maps[k][int(a["map"][index])],
                            a["nearest"][index] if "nearest" in a else None,
                            a["uv"][max(0, end - MAX_TRAIL):end], history))
    return StepView(index, snapshot.length, sims[0], sims[1], segment, meta["image_shape"], meta["device"],
                    meta["device_note"], meta["label"], snapshot.thinned)
