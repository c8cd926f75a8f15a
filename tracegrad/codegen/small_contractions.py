"""Small contractions written out as elementwise products and sums, so they fuse.

A BLAS call costs about a microsecond before any arithmetic, and it is a wall for
fusion: W3's step ``xx @ w`` (2000x3 by 3) and its gradient ``xx.T @ g`` (3 outputs
summed over 2000 rows) each became a GEMV between two loops. Written out, they join
the surrounding loop: a contraction over K <= `MAX_TERMS` values is K products of
slices added up (an elementwise expression over the output), and a contraction
with at most `MAX_TERMS` outputs is one sum of products per output (a reduction
over the contracted axes, fused with the loop that produces its operand).

The rewrite runs in the code generator only: the interpreter keeps np.matmul.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from tracegrad.ir.builder import Builder
from tracegrad.ir.graph import Atom, Graph, Node, Var

# Beyond this many terms (or outputs) BLAS's blocked kernels win.
MAX_TERMS = 8


def unroll_small_contractions(graph: Graph) -> Graph:
    """`graph` with every small floating-point `dot_general` written out (see the
    module docstring); `graph` itself when none is small.

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda a, w: a @ w)(np.ones((5, 2)), np.ones(2))
    >>> [n.op.name for n in unroll_small_contractions(g).nodes].count("dot_general")
    0
    """
    if not any(_small(n) for n in graph.nodes):
        return graph
    from tracegrad.tracer.context import tracing
    from tracegrad.tracer.tracer import Tracer

    builder = Builder()
    builder.inputs = list(graph.inputs)
    subst: dict[Var, Atom] = {}
    with tracing(builder):
        for node in graph.nodes:
            inputs = tuple(subst.get(a, a) if isinstance(a, Var) else a for a in node.inputs)
            if not _small(node):
                builder.nodes.append(Node(node.op, inputs, node.params, node.outputs, node.where))
                continue
            x, y = (Tracer(a, builder) for a in inputs)
            subst[node.outputs[0]] = _written_out(x, y, **node.params).atom
    outputs = tuple(subst.get(a, a) if isinstance(a, Var) else a for a in graph.outputs)
    return builder.build(outputs)


def _small(node: Node) -> bool:
    if node.op.name != "dot_general" or node.outputs[0].dtype.kind != "f":
        return False
    x = node.inputs[0]
    terms = math.prod(x.shape[a] for a in node.params["contracting"][0])
    return 0 < terms <= MAX_TERMS or 0 < math.prod(node.outputs[0].shape) <= MAX_TERMS


def _written_out(x: Any, y: Any, *, contracting: tuple, batch: tuple) -> Any:
    """``dot_general(x, y)`` as a sum over the contracted index (few terms) or a
    stack of sums of products (few outputs)."""
    (xc, yc), (xb, yb) = contracting, batch
    xf = [a for a in range(x.ndim) if a not in xc and a not in xb]
    yf = [a for a in range(y.ndim) if a not in yc and a not in yb]
    terms = math.prod(x.shape[a] for a in xc)
    if terms <= MAX_TERMS:
        out_shape = tuple([x.shape[a] for a in xb] + [x.shape[a] for a in xf]
                          + [y.shape[a] for a in yf])
        return _sum_of_terms(x, y, xc, yc, xb, yb, xf, yf, out_shape)
    return _sums_per_output(x, y, xc, yc, xb, yb, xf, yf)


def _sum_of_terms(x, y, xc, yc, xb, yb, xf, yf, out_shape):
    """Sum over each contracted index k of ``x[..k..] * y[..k..]``, broadcast to the
    output's (batch, x free, y free) axes."""
    from tracegrad.ops.elementwise import add, mul
    from tracegrad.ops.layout import reshape

    # Unit free axes (a matrix-vector product is traced as a product with a 1-wide
    # matrix) are dropped and restored at the end, where the reshape meets the one
    # that removes them again: the terms then live in the loop that reads them.
    xf = [a for a in xf if x.shape[a] != 1]
    yf = [a for a in yf if y.shape[a] != 1]
    nb, nxf = len(xb), len(xf)
    shape = tuple([x.shape[a] for a in xb] + [x.shape[a] for a in xf]
                  + [y.shape[a] for a in yf])
    x_dims = tuple(range(nb + nxf))
    y_dims = tuple(range(nb)) + tuple(range(nb + nxf, len(shape)))
    total = None
    for k in itertools.product(*(range(x.shape[a]) for a in xc)):
        xk = _broadcast(_fixed(x, dict(zip(xc, k)), list(xb) + xf), shape, x_dims)
        yk = _broadcast(_fixed(y, dict(zip(yc, k)), list(yb) + yf), shape, y_dims)
        term = mul(xk, yk)
        total = term if total is None else add(total, term)
    return reshape(total, out_shape)


def _sums_per_output(x, y, xc, yc, xb, yb, xf, yf):
    """One ``sum(x_row * y_col)`` over the contracted axes per output element, the
    results stacked in the output's (batch, x free, y free) order."""
    from tracegrad.ops.elementwise import mul
    from tracegrad.ops.layout import concatenate, reshape
    from tracegrad.ops.reduce import reduce_sum

    sums = []
    for b in itertools.product(*(range(x.shape[a]) for a in xb)):
        for i in itertools.product(*(range(x.shape[a]) for a in xf)):
            row = _fixed(x, {**dict(zip(xb, b)), **dict(zip(xf, i))}, list(xc))
            for j in itertools.product(*(range(y.shape[a]) for a in yf)):
                col = _fixed(y, {**dict(zip(yb, b)), **dict(zip(yf, j))}, list(yc))
                sums.append(reshape(reduce_sum(mul(row, col)), (1,)))
    out_shape = tuple([x.shape[a] for a in xb] + [x.shape[a] for a in xf]
                      + [y.shape[a] for a in yf])
    stacked = sums[0] if len(sums) == 1 else concatenate(sums, 0)
    return reshape(stacked, out_shape)


def _fixed(a, at: dict[int, int], keep: list[int]):
    """`a` with the axes of `at` fixed at those indices and the other axes, `keep`,
    in that order."""
    from tracegrad.ops.layout import reshape, slice, transpose

    if at:
        start = tuple(at.get(d, 0) for d in range(a.ndim))
        limit = tuple(at[d] + 1 if d in at else a.shape[d] for d in range(a.ndim))
        a = slice(a, start, limit)
    kept_in_order = sorted(keep)
    a = reshape(a, tuple(a.shape[d] for d in kept_in_order))
    perm = tuple(kept_in_order.index(d) for d in keep)
    return a if perm == tuple(range(len(perm))) else transpose(a, perm)


def _broadcast(a, shape: tuple[int, ...], dims: tuple[int, ...]):
    from tracegrad.ops.layout import broadcast_in_dim

    return a if a.shape == shape else broadcast_in_dim(a, shape, dims)
