"""What the views draw of one recorded entry: :class:`StepView`, read from a
:class:`~memscape.engine.run.recording.Snapshot`. Plain host arrays, views into the
recording (never copies), so a frame costs the same at step 10 and at step 10,000."""
from __future__ import annotations

import dataclasses

import numpy as np

from memscape.engine.energy_accounting import step_share
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
    rise_steps: np.ndarray  #: (T,) bool: some particle's fixed-function energy rose into this entry
    landscape_move: np.ndarray  #: (T, N) E_sigma_{i+1}(x_i) - E_sigma_i(x_i): the landscape moved
    sampler_move: np.ndarray  #: (T, N) E_sigma_{i+1}(x_{i+1}) - E_sigma_{i+1}(x_i): the sampler moved
    landscape_mean: np.ndarray  #: (T,) their means over the particles
    sampler_mean: np.ndarray
    energy_nats: np.ndarray  #: (T, N) the energy as -log p where the model has that scale (else NaN)
    nats_mean: np.ndarray  #: (T,) its mean
    segment_starts: np.ndarray  #: entry indices (within these T) where a segment began, the first excluded
    particles_rose: int  #: particles whose fixed-function energy rose at least once so far

    def split(self) -> tuple[np.ndarray, np.ndarray]:
        """(T,) each: the mean energy at its segment's first entry plus the running sum of the
        mean landscape moves, and the same with the sampler moves. Their sum less that start
        is the mean energy itself (up to particles whose energy is undefined): the picture of a
        sampler that goes downhill on the landscape it is given while the landscape moves."""
        starts = np.concatenate([[0], self.segment_starts]).astype(np.int64)
        land, samp = np.zeros(len(self.steps)), np.zeros(len(self.steps))
        bounds = np.append(starts, len(self.steps))
        for a, b in zip(bounds[:-1], bounds[1:]):
            base = self.mean[a]
            land[a:b] = base + np.concatenate([[0.0], np.nancumsum(self.landscape_mean[a + 1:b])])
            samp[a:b] = base + np.concatenate([[0.0], np.nancumsum(self.sampler_mean[a + 1:b])])
        return land, samp

    @property
    def has_nats(self) -> bool:
        """Whether the energy has the -log p scale now (diffusion, the distance-form Modern Hopfield)."""
        return bool(len(self.nats_mean)) and bool(np.isfinite(self.nats_mean[-1]))

    @property
    def compared(self) -> np.ndarray:
        """(T,) bool: entries compared with their predecessor (not the first, nor a segment's first)."""
        out = np.ones(len(self.steps), bool)
        out[:1] = False
        out[self.segment_starts] = False
        return out

    @property
    def share_of_particles(self) -> float:
        """Share of the particles whose fixed-function energy ever rose (0 for an AM); the
        whole history's, from the recording's running count (no rescan of T x N)."""
        return self.particles_rose / max(self.energy.shape[1], 1)

    @property
    def share_of_steps(self) -> float:
        """Share of the compared steps with a rise (memscape.engine.energy_accounting.step_share)."""
        share = step_share(self.rise_steps, self.compared)
        return 0.0 if np.isnan(share) else share


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
    retrieval_note: str | None  #: which memories the associative memory cannot keep, or None
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
                                a["rose_any"][:end], a["landscape_move"][:end], a["sampler_move"][:end],
                                a["landscape_mean"][:end], a["sampler_mean"][:end], a["energy_nats"][:end],
                                a["nats_mean"][:end], starts,
                                int(snapshot.ever_rose[k][index]))
        sims.append(SimStep(role, params, sigmas, int(a["step"][index]), float(a["sigma"][index]),
                            a["x"][index], a["uv"][index], a["energy"][index],
                            snapshot.maps[k][int(a["map"][index])],
                            a["nearest"][index] if "nearest" in a else None,
                            a["uv"][max(0, end - MAX_TRAIL):end], history))
    return StepView(index, snapshot.length, sims[0], sims[1], segment, meta["image_shape"], meta["device"],
                    meta["device_note"], meta["label"], meta.get("retrieval_note"), snapshot.thinned)
