"""Graph-to-graph passes and the standard pipeline, `optimize`.

Each pass is a pure function ``Graph -> Graph`` that returns its argument itself
when it has nothing to change, so "did anything change" is an identity test.
"""

from __future__ import annotations

from tracegrad.ir.graph import Graph
from tracegrad.ir.passes.constant_folding import constant_folding
from tracegrad.ir.passes.cse import common_subexpression_elimination
from tracegrad.ir.passes.dce import dead_code_elimination
from tracegrad.ir.passes.simplify import simplify
from tracegrad.ir.passes.unit_axes import sink_unit_reshapes
from tracegrad.ir.verify import IRVerificationError, verify

__all__ = [
    "PIPELINE",
    "common_subexpression_elimination",
    "constant_folding",
    "dead_code_elimination",
    "optimize",
    "simplify",
    "sink_unit_reshapes",
]

# In this order: simplification exposes literals to folding (and sinking unit-axis
# reshapes moves keepdims arithmetic to the reduced shape), folding makes equal
# literals that CSE merges, and all three leave dead nodes for DCE.
PIPELINE = (simplify, sink_unit_reshapes, constant_folding, common_subexpression_elimination,
            dead_code_elimination)

# Each round only shrinks the graph, so a fixed point comes quickly; the cap is a
# guard against a pair of rules that would undo each other.
MAX_ROUNDS = 10


def optimize(graph: Graph, checks: bool = False) -> Graph:
    """The standard pipeline, repeated until nothing changes (verifying after each
    pass when `checks`).

    >>> import numpy as np, tracegrad as tg
    >>> len(optimize(tg.make_ir(lambda x: (x * 2.0, x + 1.0)[0])(np.ones(2))).nodes)
    2
    """
    if checks:
        _check(graph, "before optimization")
    for _ in range(MAX_ROUNDS):
        start = graph
        for p in PIPELINE:
            before, graph = graph, p(graph)
            if checks and graph is not before:
                _check(graph, f"after {p.__name__}")
        if graph is start:
            break
    return graph


def _check(graph: Graph, when: str) -> None:
    try:
        verify(graph)
    except IRVerificationError as exc:
        raise IRVerificationError(f"{when}: {exc}") from exc
