"""Common-subexpression elimination: compute each distinct expression once.

Two nodes are the same expression when they apply the same op, with equal params,
to the same operands: the same `Var` (by identity) or equal literals (`Const.key`).
The later node is dropped and its outputs are read from the earlier one. Every op
of the catalogue is a pure function of its operands, so this never changes results.
"""

from __future__ import annotations

from collections.abc import Hashable

from tracegrad.ir.graph import Atom, Const, Graph, Node
from tracegrad.ir.passes.rewrite import Producer, rewrite


def common_subexpression_elimination(graph: Graph) -> Graph:
    """`graph` with repeated expressions computed once (one forward walk).

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.sin(x) + np.sin(x))(np.ones(2))
    >>> [n.op.name for n in common_subexpression_elimination(g).nodes]
    ['sin', 'add']
    """
    seen: dict[Hashable, Node] = {}
    const_keys: dict[Const, Hashable] = {}  # a big literal's bytes are hashed once

    def operand_key(a: Atom) -> Hashable:
        if isinstance(a, Const):
            if a not in const_keys:
                const_keys[a] = ("const", a.key())
            return const_keys[a]
        return a

    def merge(node: Node, producer: Producer) -> tuple[Atom, ...] | None:
        key = (node.op, tuple(operand_key(a) for a in node.inputs), node.params)
        try:
            first = seen.setdefault(key, node)
        except TypeError:  # a param that cannot be hashed: leave the node alone
            return None
        return None if first is node else first.outputs

    return rewrite(graph, merge)
