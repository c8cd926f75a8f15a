"""`Builder`: accumulates the nodes of a graph being traced or transformed.

Tracing, derivative rules and passes add nodes through `add_node`, which runs the
op's type rule (so a mistake fails at the user's line, not at run time) and
records where in the user's code the node came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracegrad.ir.graph import Atom, Graph, Node, Params, Var
from tracegrad.ir.types import TensorType
from tracegrad.tracer.errors import user_location


class Builder:
    """A growing graph: inputs and nodes in the order they were added.

    >>> b = Builder(); x = b.add_input(TensorType((2,), np.float64))  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self.inputs: list[Var] = []
        self.nodes: list[Node] = []

    def add_input(self, type: TensorType) -> Var:
        """A new graph input of `type`."""
        v = Var(type)
        self.inputs.append(v)
        return v

    def add_node(self, prim: Any, inputs: Sequence[Atom], params: dict) -> tuple[Var, ...]:
        """Append ``prim(*inputs, **params)``; returns its output variables."""
        out_type = prim.type_rule(*[a.type for a in inputs], **params)
        out_types = out_type if prim.multiple_results else (out_type,)
        outputs = tuple(Var(t) for t in out_types)
        self.nodes.append(Node(prim, tuple(inputs), Params(params), outputs, user_location()))
        return outputs

    def build(self, outputs: Sequence[Atom], inputs: Sequence[Var] | None = None) -> Graph:
        """The finished graph with the given outputs (and inputs, default: all added)."""
        return Graph(tuple(self.inputs if inputs is None else inputs), tuple(self.nodes),
                     tuple(outputs))
