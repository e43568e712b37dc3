"""A run of the lab, owned in one place: the main simulation and its side-by-side partner,
the landscape and its grid, dropped clusters and memory edits, and the recording of every
step with its energy bookkeeping (:class:`Run`); what the views draw of one recorded entry
(:class:`StepView`). No Qt: the window paces a Run in a thread, the exporters read its
recording."""
from memscape.engine.run.recording import Recording, Segment, Snapshot
from memscape.engine.run.run import Run, partner_params, trajectory_arrays
from memscape.engine.run.view import EnergyHistory, SimStep, StepView

__all__ = ["EnergyHistory", "Recording", "Run", "Segment", "SimStep", "Snapshot", "StepView", "partner_params", "trajectory_arrays"]
