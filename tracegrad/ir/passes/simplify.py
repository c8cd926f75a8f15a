"""Algebraic simplification: identities that make a node unnecessary or cheaper.

Every rewrite keeps the node's type exactly (shape and dtype) and its result
bitwise, except where a comment on the row says otherwise. A *literal* operand is
a `Const` whose elements all have one value, or a broadcast (reshape, transpose) of
one: the tracer writes ``x * 1.0`` as ``mul x, broadcast_in_dim(1.0)``.

Not here on purpose: ``x * 0 -> 0`` (wrong for inf and nan, where it gives nan,
and for negative x, where it gives -0.0), ``x - x -> 0`` (nan, inf) and
``x / x -> 1`` (0, nan, inf): IEEE arithmetic has no such identities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tracegrad.ir.graph import Atom, Const, Graph, Node, Var
from tracegrad.ir.passes.rewrite import Producer, make_node, rewrite

# (op, position of the literal) -> the literal's value with which the op returns its
# other operand unchanged.
NEUTRAL: dict[tuple[str, int], Any] = {
    ("add", 1): 0,  # x + 0 -> x; one difference: -0.0 + 0.0 is +0.0, the rewrite keeps -0.0
    ("add", 0): 0,  # 0 + x -> x; the same -0.0 difference
    ("sub", 1): 0,  # x - 0 -> x (exact; x - (-0.0) has the -0.0 difference of add)
    ("mul", 1): 1,  # x * 1 -> x
    ("mul", 0): 1,  # 1 * x -> x
    ("div", 1): 1,  # x / 1 -> x
    ("pow", 1): 1,  # x ** 1 -> x
}

# Complex multiplication mixes the parts: (inf+1j) * (1+0j) is inf+nanj. So the
# identities of these ops hold for real dtypes only.
_REAL_ONLY = ("mul", "div", "pow")

# Literals are looked for through these layout ops: they move elements, never change them.
_SEE_THROUGH = ("broadcast_in_dim", "reshape", "transpose")


def simplify(graph: Graph) -> Graph:
    """`graph` with the identities of this module applied (one forward walk).

    >>> import numpy as np, tracegrad as tg
    >>> g = simplify(tg.make_ir(lambda x: -(-x) * 1.0)(np.ones(2)))
    >>> g.outputs[0] is g.inputs[0]  # the nodes left behind are dead code
    True
    """
    return rewrite(graph, _simplify_node)


def _simplify_node(node: Node, producer: Producer) -> tuple[Atom, ...] | Node | None:
    name = node.op.name
    if name in _REAL_ONLY and np.issubdtype(node.outputs[0].dtype, np.complexfloating):
        return None
    for pos in (0, 1):
        value = NEUTRAL.get((name, pos))
        if value is not None and _is_literal(node.inputs[pos], value, producer):
            return (node.inputs[1 - pos],)
    rule = RULES.get(name)
    return rule(node, producer, *node.inputs, **node.params) if rule else None


# --- the rules: one per op, each a line or two ----------------------------------------


def _neg(node, producer, x):
    inner = _made_by(x, "neg", producer)  # neg(neg(x)) -> x
    return (inner.inputs[0],) if inner else None


def _pow(node, producer, x, y):
    if x.dtype == np.bool_:
        return None
    # NumPy computes ``x ** 2`` as ``x * x`` and ``x ** 0.5`` as ``sqrt(x)`` when the
    # exponent is a scalar (as written by the user, and as the interpreter's broadcasts
    # are), so both rewrites match NumPy bitwise. Against C's pow they differ: by an
    # ulp (pow is not always correctly rounded, x * x and sqrt are), and sqrt gives
    # -0.0 at -0.0 and nan at -inf where pow gives +0.0 and inf.
    if _is_literal(y, 2, producer):
        return make_node(node, "mul", (x, x))
    if _is_literal(y, 0.5, producer) and np.issubdtype(x.dtype, np.inexact):
        return make_node(node, "sqrt", (x,))
    return None


def _convert(node, producer, x, *, dtype):
    return (x,) if x.dtype == dtype else None  # to its own dtype


def _reshape(node, producer, x, *, shape):
    if x.shape == tuple(shape):
        return (x,)
    inner = _made_by(x, "reshape", producer)  # reshape(reshape(x)) -> one reshape
    return make_node(node, "reshape", (inner.inputs[0],), shape=shape) if inner else None


def _transpose(node, producer, x, **params):
    perm = params.get("perm")
    if perm is None:
        return None
    if tuple(perm) == tuple(range(len(perm))):
        return (x,)
    inner = _made_by(x, "transpose", producer)
    if inner is None or "perm" not in inner.params:
        return None
    # out[i] = inner[perm[i]] = x[inner_perm[perm[i]]]
    composed = tuple(inner.params["perm"][p] for p in perm)
    if composed == tuple(range(len(composed))):
        return (inner.inputs[0],)
    return make_node(node, "transpose", (inner.inputs[0],), perm=composed)


def _broadcast_in_dim(node, producer, x, *, shape, dims):
    if x.shape == tuple(shape) and tuple(dims) == tuple(range(len(shape))):
        return (x,)
    reshaped = _made_by(x, "reshape", producer)
    if reshaped is not None:
        # A reshape that only inserted size-1 axes (keepdims=True after a reduction)
        # and then a broadcast: one broadcast of the reshape's input, so the code
        # generator sees the row-wise reduce-then-map pattern it fuses.
        r = reshaped.inputs[0]
        kept = [i for i, d in enumerate(x.shape) if d != 1]
        if 1 not in r.shape and tuple(x.shape[i] for i in kept) == tuple(r.shape):
            return make_node(node, "broadcast_in_dim", (r,), shape=shape,
                             dims=tuple(dims[i] for i in kept))
    inner = _made_by(x, "broadcast_in_dim", producer)
    if inner is None:
        return None
    # Axis i of the innermost operand went to axis inner_dims[i], then to dims[that].
    composed = tuple(dims[d] for d in inner.params["dims"])
    return make_node(node, "broadcast_in_dim", (inner.inputs[0],), shape=shape, dims=composed)


def _select(node, producer, pred, a, b):
    same = a is b or (isinstance(a, Const) and isinstance(b, Const) and a.key() == b.key())
    return (a,) if same else None


def _reduce_sum(node, producer, x, *, axes):
    if tuple(axes) == ():  # over no axes
        return (x,)
    return _reduce_through_unit_reshape(node, producer, x, axes)


def _reduce_through_unit_reshape(node, producer, x, axes):
    """A reduction of a reshape that only inserted size-1 axes: the same reduction
    of the reshape's input, when that gives the node's shape."""
    reshaped = _made_by(x, "reshape", producer)
    if reshaped is None:
        return None
    r = reshaped.inputs[0]
    kept = [i for i, d in enumerate(x.shape) if d != 1]
    if 1 in r.shape or tuple(x.shape[i] for i in kept) != tuple(r.shape):
        return None
    new_axes = tuple(j for j, i in enumerate(kept) if i in axes)
    shape = tuple(d for j, d in enumerate(r.shape) if j not in new_axes)
    if shape != node.outputs[0].shape or not new_axes:
        return None
    return make_node(node, node.op.name, (r,), axes=new_axes)


RULES: dict[str, Callable[..., tuple[Atom, ...] | Node | None]] = {
    "neg": _neg,
    "pow": _pow,
    "convert": _convert,
    "reshape": _reshape,
    "transpose": _transpose,
    "broadcast_in_dim": _broadcast_in_dim,
    "select": _select,
    "reduce_sum": _reduce_sum,
    "reduce_max": lambda node, producer, x, *, axes: _reduce_through_unit_reshape(
        node, producer, x, axes),
    "reduce_min": lambda node, producer, x, *, axes: _reduce_through_unit_reshape(
        node, producer, x, axes),
}


# --- literals -------------------------------------------------------------------------


def _made_by(a: Atom, op: str, producer: Producer) -> Node | None:
    """The node of op `op` that computes `a`, if that is how `a` is computed."""
    node = producer(a) if isinstance(a, Var) else None
    return node if node is not None and node.op.name == op else None


def literal_value(a: Atom, producer: Producer) -> Any:
    """The one value every element of `a` has, when `a` is a literal; else None.

    >>> literal_value(Const(np.full(3, 2.0)), lambda v: None)
    np.float64(2.0)
    """
    while isinstance(a, Var):
        node = producer(a)
        if node is None or node.op.name not in _SEE_THROUGH:
            return None
        a = node.inputs[0]
    flat = a.value.ravel()
    if flat.size == 0:
        return None
    first = flat[0]
    return first if flat.size == 1 or bool((flat == first).all()) else None


def _is_literal(a: Atom, value: Any, producer: Producer) -> bool:
    v = literal_value(a, producer)
    return v is not None and bool(v == value)
