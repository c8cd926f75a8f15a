"""Contraction: `dot_general`, the one primitive behind dot, matmul, einsum, tensordot.

Semantics are ``jax.lax.dot_general``'s: `contracting` pairs axes of x with axes of y
that are summed over, `batch` pairs axes that are matched elementwise, and the
result's axes are the batch axes, then x's free axes, then y's free axes, each in
their original order. NumPy-level functions (``np.matmul``, ``np.einsum``, ...) are
compositions of this op with `transpose`/`reshape` in ``tracer/numpy_api.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tracegrad.ir.types import TensorType
from tracegrad.ops.elementwise import add
from tracegrad.ops.layout import transpose
from tracegrad.ops.primitive import bind, defop
from tracegrad.ops.promote import cast, result_dtype, shape_of
from tracegrad.tracer.errors import DTypeError, ShapeError, user_error

__all__ = ["dot_general"]


def _free(ndim: int, *used: Sequence[int]) -> list[int]:
    """The axes of an operand that are neither contracted nor batched, in order."""
    taken = {a for axes in used for a in axes}
    return [a for a in range(ndim) if a not in taken]


def _dot_general_rule(
    x: TensorType, y: TensorType, *, contracting: tuple, batch: tuple
) -> TensorType:
    (xc, yc), (xb, yb) = contracting, batch

    def fail(why: str) -> Exception:
        return user_error(
            ShapeError,
            f"dot_general: {why} (x: {x}, y: {y}, contracting={contracting}, batch={batch})",
        )

    if len(xc) != len(yc) or len(xb) != len(yb):
        raise fail("x and y need as many contracting axes, and as many batch axes, as each other")
    for t, axes in ((x, xc + xb), (y, yc + yb)):
        if any(not 0 <= a < t.ndim for a in axes) or len(set(axes)) != len(axes):
            raise fail(f"axes {axes} are not distinct axes of {t}")
    for a, b in zip(xc + xb, yc + yb):
        if x.shape[a] != y.shape[b]:
            raise fail(f"axis {a} of x has size {x.shape[a]} but axis {b} of y has {y.shape[b]}")
    if x.dtype != y.dtype:
        raise user_error(DTypeError, f"dot_general: operand dtypes differ: {x} vs {y}")
    shape = (
        tuple(x.shape[a] for a in xb)
        + tuple(x.shape[a] for a in _free(x.ndim, xc, xb))
        + tuple(y.shape[a] for a in _free(y.ndim, yc, yb))
    )
    return TensorType(shape, x.dtype)


def _dot_general_impl(x, y, *, contracting, batch):
    # As one batched matrix product (BLAS for floats): x to (batch, free, contracted),
    # y to (batch, contracted, free).
    (xc, yc), (xb, yb) = contracting, batch
    xf, yf = _free(x.ndim, xc, xb), _free(y.ndim, yc, yb)

    def size(shape, axes):
        return int(np.prod([shape[a] for a in axes], dtype=np.int64))

    b, k = size(x.shape, xb), size(x.shape, xc)
    x3 = np.transpose(x, list(xb) + xf + list(xc)).reshape(b, size(x.shape, xf), k)
    y3 = np.transpose(y, list(yb) + list(yc) + yf).reshape(b, k, size(y.shape, yf))
    out = np.matmul(x3, y3)
    shape = [x.shape[a] for a in xb] + [x.shape[a] for a in xf] + [y.shape[a] for a in yf]
    return out.reshape(shape)


def _transpose_lhs(g, x_ndim, y, contracting, batch, swap_ans=False):
    """The cotangent of x in ``dot_general(x, y)`` (jax's `_dot_general_transpose_lhs`).

    Contract g with y over y's free axes, matching the batch axes; the result has
    x's batch, free and contracted axes (the last ordered as y's contracted ones),
    which a transpose puts back in x's order. `swap_ans` says g's free axes are
    y's first (used for the y side, which swaps the roles of x and y).
    """
    (xc, yc), (xb, yb) = contracting, batch
    y_ndim = len(shape_of(y))
    x_kept, y_kept = _free(x_ndim, xc, xb), _free(y_ndim, yc, yb)
    nb = len(xb)
    g_y_start = nb if swap_ans else nb + len(x_kept)
    g_y = tuple(range(g_y_start, g_y_start + len(y_kept)))
    out = dot_general(g, y, (g_y, tuple(y_kept)), (tuple(range(nb)), tuple(yb)))
    xc_by_y = [xc[i] for i in np.argsort(yc)]
    return transpose(out, tuple(int(i) for i in np.argsort(list(xb) + x_kept + xc_by_y)))


def _dot_general_vjp(g, out, x, y, *, contracting, batch):
    (xc, yc), (xb, yb) = contracting, batch
    g_x = _transpose_lhs(g, len(shape_of(x)), y, contracting, batch)
    g_y = _transpose_lhs(g, len(shape_of(y)), x, (yc, xc), (yb, xb), swap_ans=True)
    return g_x, g_y


def _dot_general_jvp(ts, out, x, y, *, contracting, batch):
    # Bilinear: d(x.y) = dx.y + x.dy.
    t_x, t_y = ts
    terms = [
        dot_general(t_x, y, contracting, batch) if t_x is not None else None,
        dot_general(x, t_y, contracting, batch) if t_y is not None else None,
    ]
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else add(*terms)


dot_general_p = defop(
    "dot_general",
    type_rule=_dot_general_rule,
    impl=_dot_general_impl,
    vjp=_dot_general_vjp,
    jvp=_dot_general_jvp,
)


def _is_dimension_numbers(contracting: Any) -> bool:
    # ((xc, yc), (xb, yb)) holds pairs of axis lists where `contracting` holds axes.
    return any(isinstance(a, (tuple, list)) for a in contracting[0])


def dot_general(
    x: Any,
    y: Any,
    contracting: tuple[Sequence[int], Sequence[int]],
    batch: tuple[Sequence[int], Sequence[int]] = ((), ()),
) -> Any:
    """Generalised tensor contraction (``lax.dot_general``), NumPy dtype promotion.

    Output axes: the batch axes, then x's free axes, then y's free axes. Negative
    axes count from the end. lax's single ``dimension_numbers`` argument,
    ``((x_contract, y_contract), (x_batch, y_batch))``, is accepted in place of
    `contracting` too.

    >>> x, y = np.ones((5, 2, 3)), np.ones((5, 3, 4))
    >>> dot_general(x, y, contracting=((2,), (1,)), batch=((0,), (0,))).shape
    (5, 2, 4)
    """
    if _is_dimension_numbers(contracting):
        contracting, batch = contracting
    dtype = result_dtype(x, y)
    x, y = cast(x, dtype), cast(y, dtype)
    nx, ny = len(shape_of(x)), len(shape_of(y))

    def axes(values: Sequence[int], ndim: int) -> tuple[int, ...]:
        # Out-of-range axes are left for the type rule to report.
        return tuple(int(a) % ndim if ndim and -ndim <= int(a) < 0 else int(a) for a in values)

    (xc, yc), (xb, yb) = contracting, batch
    contracting = (axes(xc, nx), axes(yc, ny))
    batch = (axes(xb, nx), axes(yb, ny))
    return bind(dot_general_p, x, y, contracting=contracting, batch=batch)
