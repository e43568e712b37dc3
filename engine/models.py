"""Build the associative memory named by ``params.model`` (docs/architecture.md)."""
from __future__ import annotations

from typing import Any

from memscape.engine.energies.dense import DenseAM
from memscape.engine.energies.ham import HierarchicalAM
from memscape.engine.energies.hopfield import ClassicalHopfield
from memscape.engine.energies.modern import ModernHopfield
from memscape.engine.energies.tinybrain import TinyBrain
from memscape.engine.params import ParamError

AM_MODELS = {
    "hopfield": ClassicalHopfield,
    "dense-poly": DenseAM,
    "dense-exp": DenseAM,
    "modern": ModernHopfield,
    "tinybrain": TinyBrain,
}


def build_model(params: Any, memories: Any, rng: Any) -> Any:
    """The AM for ``params.model`` on ``memories`` (M, D); ``rng`` (Backend.rng) draws
    the HAM's hidden feature map. "diffusion" is not an AM here: the simulation runs it
    with the exact score (engine.energies.empirical)."""
    if params.model == "ham":
        return HierarchicalAM(memories, params, rng)
    if params.model not in AM_MODELS:
        raise ParamError(f"model: {params.model!r} is not an associative memory; "
                         f"build_model takes {', '.join([*AM_MODELS, 'ham'])}")
    return AM_MODELS[params.model](memories, params)
