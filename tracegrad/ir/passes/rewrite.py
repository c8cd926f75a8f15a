"""`rewrite`: the one forward walk that the local passes (simplify, folding, CSE) share.

A pass is a function ``rule(node, producer) -> result`` called on every node in
order, after the node's operands have been renamed by earlier rewrites. It
returns:

- ``None``: keep the node;
- a tuple of atoms, one per output: drop the node, and read these atoms wherever
  its outputs were read (each must have exactly the output's type);
- a `Node` with the same outputs: put it in place of the node.

`producer(var)` gives the (rewritten) node that defines a value, or None for a
graph input, so a rule can look through its operands (``neg(neg(x))``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tracegrad.ir.graph import Atom, Graph, Node, Params, Var

Producer = Callable[[Any], Node | None]
Rule = Callable[[Node, Producer], "tuple[Atom, ...] | Node | None"]


def rewrite(graph: Graph, rule: Rule) -> Graph:
    """Apply `rule` to every node of `graph`; `graph` itself when nothing changed.

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.sin(x))(np.ones(2))
    >>> rewrite(g, lambda node, producer: None) is g
    True
    """
    subst: dict[Var, Atom] = {}
    producers: dict[Var, Node] = {}
    nodes: list[Node] = []
    changed = False
    for node in graph.nodes:
        if subst:
            inputs = tuple(subst.get(a, a) if isinstance(a, Var) else a for a in node.inputs)
            if inputs != node.inputs:
                node = dataclasses.replace(node, inputs=inputs)
                changed = True
        result = rule(node, producers.get)
        if result is None:
            pass
        elif isinstance(result, Node):
            assert result.outputs == node.outputs, "a replacement node must keep the outputs"
            node, changed = result, True
        elif _same_types(result, node.outputs):
            subst.update(zip(node.outputs, result))
            changed = True
            continue
        # (atoms of other types fall through: the node is kept as it was)
        nodes.append(node)
        for v in node.outputs:
            producers[v] = node
    if not changed:
        return graph
    outputs = tuple(subst.get(a, a) if isinstance(a, Var) else a for a in graph.outputs)
    return Graph(graph.inputs, tuple(nodes), outputs)


def _same_types(atoms: tuple[Atom, ...], outputs: tuple[Var, ...]) -> bool:
    # A substitution that changed a shape or dtype would silently change results;
    # refuse it (the node stays) rather than trust every rule to get this right.
    return len(atoms) == len(outputs) and all(a.type == v.type for a, v in zip(atoms, outputs))


def make_node(like: Node, op: str, inputs: tuple[Atom, ...], **params: Any) -> Node:
    """A node computing `like`'s outputs as ``op(*inputs, **params)`` (op by name)."""
    from tracegrad.ops import REGISTRY

    return Node(REGISTRY[op], tuple(inputs), Params(params), like.outputs, like.where)
