"""Dead-code elimination: drop nodes whose outputs reach no graph output."""

from __future__ import annotations

from tracegrad.ir.graph import Graph, Var


def dead_code_elimination(graph: Graph) -> Graph:
    """`graph` without the nodes that no output depends on.

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: (np.sin(x), np.exp(x))[1])(np.ones(2))
    >>> [n.op.name for n in dead_code_elimination(g).nodes]
    ['exp']
    """
    live = {a for a in graph.outputs if isinstance(a, Var)}
    kept = []
    for node in reversed(graph.nodes):
        if any(o in live for o in node.outputs):
            kept.append(node)
            live.update(a for a in node.inputs if isinstance(a, Var))
    if len(kept) == len(graph.nodes):
        return graph
    return Graph(graph.inputs, tuple(reversed(kept)), graph.outputs)
