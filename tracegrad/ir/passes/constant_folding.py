"""Constant folding: evaluate at compile time what depends on literals only.

A *splat* is a ``broadcast_in_dim`` of a 0-d `Const`: how the tracer writes the
``2.0`` of ``x * 2.0``, and how rules write zeros and ones. Code generation turns a
splat into a scalar in the loop (index arithmetic), so a splat is the best form a
uniform constant can take and is never folded into an array, however small.

A node whose operands are all literals (a `Const` or a splat) is evaluated with its
op's NumPy `impl` (the reference semantics) and replaced by:

- a splat of the result computed on the scalars, when the op is elementwise and
  all operands are splats (``add(full(3.0), full(4.0))`` -> ``full(7.0)``), or when
  it only moves the elements of a splat (reshape, transpose, rev, slice, broadcast);
- otherwise a `Const`, unless the result has more than `MAX_FOLDED_SIZE` elements:
  a large literal would be baked into the program and read from memory, where the
  node costs little to recompute.
"""

from __future__ import annotations

import numpy as np

from tracegrad.ir.graph import Atom, Const, Graph, Node, Var
from tracegrad.ir.passes.rewrite import Producer, make_node, rewrite

MAX_FOLDED_SIZE = 1024

# Ops that only move elements: applied to a splat, they give a splat.
_MOVES_ELEMENTS = ("reshape", "transpose", "rev", "slice", "broadcast_in_dim")


def constant_folding(graph: Graph) -> Graph:
    """`graph` with the nodes that depend on literals only evaluated (one forward walk).

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: x + tg.exp(np.arange(3.0)))(np.ones(3))
    >>> [n.op.name for n in g.nodes], [n.op.name for n in constant_folding(g).nodes]
    (['exp', 'add'], ['add'])
    """
    return rewrite(graph, _fold)


def _fold(node: Node, producer: Producer) -> tuple[Atom, ...] | Node | None:
    splats = []  # per operand: its scalar if a splat or a 0-d Const, else None
    for a in node.inputs:
        s = _splat_scalar(a, producer)
        if s is None and not isinstance(a, Const):
            return None  # depends on a computed value: the common case, decided fast
        splats.append(s)
    if not splats or _is_splat(node):
        return None
    if all(s is not None for s in splats) and len(node.outputs) == 1:
        if node.op.elementwise:
            results = _evaluate(node, splats, shapes=[()])
            return None if results is None else _splat_node(node, results[0])
        if node.op.name in _MOVES_ELEMENTS:
            return _splat_node(node, splats[0])
    if any(v.type.size > MAX_FOLDED_SIZE for v in node.outputs):
        return None
    values = [_literal_array(a, s) for a, s in zip(node.inputs, splats)]
    if any(v is None for v in values):
        return None
    results = _evaluate(node, values, shapes=[v.shape for v in node.outputs])
    return None if results is None else tuple(Const(r) for r in results)


def _evaluate(node: Node, arrays: list, shapes: list) -> list | None:
    """The node's results by its `impl`, in its output dtypes; None if the impl fails
    (the node then stays, and fails at run time where the error can be reported)."""
    try:
        with np.errstate(all="ignore"):
            result = node.op.impl(*arrays, **node.params)
    except Exception:
        return None
    results = result if node.op.multiple_results else (result,)
    out = []
    for r, v, shape in zip(results, node.outputs, shapes):
        r = np.asarray(r)
        if r.dtype != v.dtype:
            r = r.astype(v.dtype)
        if r.shape != shape:
            return None
        out.append(r)
    return out


def _is_splat(node: Node) -> bool:
    return (node.op.name == "broadcast_in_dim" and isinstance(node.inputs[0], Const)
            and node.inputs[0].shape == ())


def _splat_node(node: Node, scalar: np.ndarray) -> Node | tuple[Atom, ...]:
    (out,) = node.outputs
    if out.shape == ():
        return (Const(scalar),)
    return make_node(node, "broadcast_in_dim", (Const(scalar),), shape=out.shape, dims=())


def _splat_scalar(a: Atom, producer: Producer) -> np.ndarray | None:
    """The 0-d value of `a` when it is a splat or a 0-d `Const`, else None."""
    if isinstance(a, Var):
        node = producer(a)
        if node is None or not _is_splat(node):
            return None
        a = node.inputs[0]
    return a.value if a.shape == () else None


def _literal_array(a: Atom, splat: np.ndarray | None) -> np.ndarray | None:
    if isinstance(a, Const):
        return a.value
    return None if splat is None else np.broadcast_to(splat, a.shape)
