"""The experiments of issue 13, one module each, that reproduce the field's results with the
engine's own models, samplers and scores (science.md 5 and 6). Each runs as a generator of
updates (:mod:`engine.experiments.runner`), so a terminal progress bar or the app's panel
can show its rows as they arrive and stop it between items; ``python main.py experiment
NAME`` runs one (:mod:`engine.cli.experiment`), and :mod:`gui.experiments` draws its plot."""
from memscape.engine.experiments import (basins, capacity, collapse, curl, lyapunov, memorization, speciation,
                                         temperature)

EXPERIMENTS = {m.NAME: m for m in (capacity, basins, collapse, speciation, memorization, curl, temperature,
                                   lyapunov)}
