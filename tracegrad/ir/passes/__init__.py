"""Graph-to-graph passes and the standard pipeline, `optimize`."""

from __future__ import annotations

from tracegrad.ir.graph import Graph
from tracegrad.ir.passes.dce import dead_code_elimination

__all__ = ["dead_code_elimination", "optimize"]


def optimize(graph: Graph, checks: bool = False) -> Graph:
    """The standard pipeline of passes (verifying after each when `checks`).

    >>> import tracegrad as tg
    >>> len(optimize(tg.make_ir(lambda x: (x * 2.0, x + 1.0)[0])(np.ones(2))).nodes)
    1
    """
    for p in (dead_code_elimination,):
        graph = p(graph)
    return graph
