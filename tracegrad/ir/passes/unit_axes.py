"""Sinking unit-axis reshapes: elementwise work on the shape without its size-1 axes.

``keepdims=True`` reductions leave values of shape ``(N, 1)``; arithmetic on them
(``lse = m + log(sum(...))`` in a softmax) would run as a separate loop over an
``(N, 1)`` space. When every operand of an elementwise op is a reshape that only
inserted size-1 axes into values of one shape ``S`` (or a broadcast scalar), the op
runs on ``S`` and one reshape follows it: the code generator then fuses the work
into the row-wise kernel of the reduction. Elementwise ops commute with reshapes,
so results are bitwise the same.
"""

from __future__ import annotations

from tracegrad.ir.graph import Atom, Graph, Node, Params, Var
from tracegrad.ir.types import TensorType


def sink_unit_reshapes(graph: Graph) -> Graph:
    """`graph` with elementwise ops moved before the unit-axis reshapes that feed them.

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.log(np.sum(x, axis=1, keepdims=True)))(np.ones((3, 2)))
    >>> [n.op.name for n in sink_unit_reshapes(g).nodes]
    ['reduce_sum', 'reshape', 'log', 'reshape']
    """
    producers: dict[Var, Node] = {}
    nodes: list[Node] = []
    changed = False
    for node in graph.nodes:
        replacement = _sink(node, producers)
        if replacement is None:
            replacement = [node]
        else:
            changed = True
        for n in replacement:
            nodes.append(n)
            for v in n.outputs:
                producers[v] = n
    return Graph(graph.inputs, tuple(nodes), graph.outputs) if changed else graph


def _sink(node: Node, producers: dict[Var, Node]) -> list[Node] | None:
    if not node.op.elementwise or node.op.multiple_results:
        return None
    out = node.outputs[0]
    squeezed = tuple(d for d in out.shape if d != 1)
    if squeezed == out.shape:
        return None
    from tracegrad.ops import REGISTRY

    new_nodes: list[Node] = []
    inputs: list[Atom] = []
    through_reshape = False
    for a in node.inputs:
        p = producers.get(a) if isinstance(a, Var) else None
        if p is not None and p.op.name == "reshape" and p.inputs[0].shape == squeezed:
            inputs.append(p.inputs[0])
            through_reshape = True
        elif p is not None and p.op.name == "broadcast_in_dim" and p.params["dims"] == ():
            scalar = Var(TensorType(squeezed, a.dtype))
            new_nodes.append(Node(p.op, p.inputs, Params(shape=squeezed, dims=()),
                                  (scalar,), p.where))
            inputs.append(scalar)
        else:
            return None
    if not through_reshape:
        return None
    result = Var(TensorType(squeezed, out.dtype))
    new_nodes.append(Node(node.op, tuple(inputs), node.params, (result,), node.where))
    new_nodes.append(Node(REGISTRY["reshape"], (result,), Params(shape=out.shape),
                          node.outputs, node.where))
    return new_nodes
