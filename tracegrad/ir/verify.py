"""`verify`: check that a `Graph` is well formed, re-running every type rule.

A pass that breaks the IR should fail right where it did so, not three stages
later inside generated code; `optimize(graph, checks=True)` (``TRACEGRAD_CHECKS=1``)
runs this after every pass. The checks:

- every graph input is a distinct `Var`, and every `Var` is defined once (single
  assignment: as a graph input or as one node output);
- every node operand is a `Const` or a `Var` defined earlier (topological order);
- the op's type rule, re-run on the operand types and params, gives exactly the
  types of the node's outputs;
- every graph output is a `Const` or a defined `Var`;
- sub-graphs in params (bodies of control-flow ops) are checked the same way; they
  may also read values of the enclosing graph defined before their node.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracegrad.ir.graph import Const, Graph, Node, Params, Var
from tracegrad.ir.printer import Names, format_node
from tracegrad.ir.types import TensorType


class IRVerificationError(AssertionError):
    """A malformed graph: a bug in tracegrad (a pass, a rule), not in the user's code."""


def verify(graph: Graph) -> Graph:
    """Check that `graph` is well formed; return it unchanged or raise `IRVerificationError`.

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.sin(x) * 2.0)(np.ones(3))
    >>> verify(g) is g
    True
    """
    _verify(graph, outer=frozenset(), names=Names())
    return graph


def _verify(graph: Graph, outer: frozenset[Var], names: Names) -> None:
    defined: set[Var] = set()
    for i, v in enumerate(graph.inputs):
        if not isinstance(v, Var):
            raise IRVerificationError(f"graph input {i} is a {type(v).__name__}, not a Var")
        if v in defined:
            raise IRVerificationError(f"graph input {i} ({names(v)}) is listed twice")
        defined.add(v)
        names(v)  # number the signature first, as the printer does
    for node in graph.nodes:
        _verify_node(node, defined, outer, names)
        defined.update(node.outputs)
    for i, a in enumerate(graph.outputs):
        if not _is_available(a, defined, outer):
            raise IRVerificationError(
                f"graph output {i} ({_describe(a, names)}) is not defined by the graph"
            )


def _verify_node(node: Node, defined: set[Var], outer: frozenset[Var], names: Names) -> None:
    def fail(problem: str) -> IRVerificationError:
        where = f"\n  traced at {node.where}" if node.where else ""
        return IRVerificationError(f"{problem}\n  in: {format_node(node, names)}{where}")

    if not isinstance(node, Node):
        raise IRVerificationError(f"graph contains a {type(node).__name__}, not a Node")
    # Number the outputs first, as the printer does, so that the names in a message
    # are the names in `str(graph)`.
    for v in node.outputs:
        if isinstance(v, Var):
            names(v)
    if not isinstance(node.params, Params):
        raise fail(f"params are a {type(node.params).__name__}, not Params")
    for pos, a in enumerate(node.inputs):
        if not isinstance(a, (Var, Const)):
            raise fail(f"operand {pos} is a {type(a).__name__}, not a Var or Const")
        if not _is_available(a, defined, outer):
            raise fail(f"operand {pos} ({names(a)}) is used before it is defined")
    for pos, v in enumerate(node.outputs):
        if not isinstance(v, Var):
            raise fail(f"output {pos} is a {type(v).__name__}, not a Var")
        if v in defined or v in outer or v in node.outputs[:pos]:
            raise fail(f"output {pos} ({names(v)}) is defined twice (single assignment)")
    _check_types(node, fail)
    for sub in _subgraphs(node.params):
        _verify(sub, outer | defined, names)


def _check_types(node: Node, fail) -> None:
    try:
        expected: Any = node.op.type_rule(*[a.type for a in node.inputs], **node.params)
    except Exception as exc:  # a rule rejecting its operands is exactly what we look for
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise fail(f"type rule of {node.op.name} rejects the operands: "
                   f"{type(exc).__name__}: {first_line}") from exc
    expected = tuple(expected) if node.op.multiple_results else (expected,)
    actual = tuple(v.type for v in node.outputs)
    if len(expected) != len(actual):
        raise fail(f"{node.op.name} has {len(actual)} outputs, its type rule gives "
                   f"{len(expected)}")
    for pos, (want, got) in enumerate(zip(expected, actual)):
        if not isinstance(want, TensorType) or want != got:
            raise fail(f"output {pos} has type {got}, the type rule of {node.op.name} "
                       f"gives {want}")


def _is_available(a: Any, defined: set[Var], outer: frozenset[Var]) -> bool:
    return isinstance(a, Const) or (isinstance(a, Var) and (a in defined or a in outer))


def _describe(a: Any, names: Names) -> str:
    return names.ref(a) if isinstance(a, (Var, Const)) else type(a).__name__


def _subgraphs(value: Any) -> Iterator[Graph]:
    """The graphs held in a param value (directly, or in tuples of params)."""
    if isinstance(value, Graph):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _subgraphs(v)
    elif isinstance(value, Params):
        for v in value.values():
            yield from _subgraphs(v)
