"""Associative memories with explicit energies (science.md 2).

Every model is built as ``Model(memories, params)`` (HAM also takes ``rng``) and has
``init_state``, ``visible``, ``energy``, ``step``, ``landscape`` and ``landscape_grad``
(docs/architecture.md). :func:`engine.models.build_model` picks one from ``params.model``.
"""
