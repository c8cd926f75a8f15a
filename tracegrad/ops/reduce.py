"""Reductions: reduce_sum, reduce_max, reduce_min, reduce_prod, argmax, argmin.

Each op is defined once with its type rule, NumPy `impl`, `vjp` and `jvp`, and its
public wrapper right below. Primitives take normalised, sorted, non-negative `axes`
and never keep dimensions; wrappers handle ``axis=None``, negative axes and
``keepdims`` (a reshape after the reduction). Results keep the operand's dtype
(NumPy's widening of small integer sums is `numpy_api`'s job).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.ir.types import TensorType
from tracegrad.ops.elementwise import convert, div, eq, mul
from tracegrad.ops.layout import broadcast_in_dim, pad, reshape, rev, transpose
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE, bind, defop
from tracegrad.ops.promote import shape_of
from tracegrad.tracer.errors import ShapeError, user_error

__all__ = [
    "argmax",
    "argmin",
    "reduce_max",
    "reduce_min",
    "reduce_prod",
    "reduce_sum",
]


def normalize_axes(opname: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, int or tuple, negatives allowed) as sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise user_error(
                ShapeError, f"{opname}: axis {a} is out of bounds for an array of rank {ndim}"
            )
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise user_error(ShapeError, f"{opname}: repeated axis in {axis}")
    return tuple(sorted(out))


def _reduced_type(opname: str, x: TensorType, axes: tuple, dtype=None) -> TensorType:
    if any(not 0 <= a < x.ndim for a in axes) or list(axes) != sorted(set(axes)):
        raise user_error(ShapeError, f"{opname}: axes {axes} are not sorted distinct axes of {x}")
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return TensorType(shape, x.dtype if dtype is None else dtype)


def _expand_back(g, x_shape, axes):
    """Broadcast a reduced value back to the operand's shape."""
    kept = tuple(i for i in range(len(x_shape)) if i not in axes)
    return broadcast_in_dim(g, tuple(x_shape), kept)


def _reduction(prim, x: Any, axes: Any, keepdims: bool) -> Any:
    """Apply a reduction primitive the way every wrapper does: normalise the axes,
    skip the op when nothing is reduced, and restore the axes for `keepdims`."""
    shape = shape_of(x)
    axes = normalize_axes(prim.name, axes, len(shape))
    out = bind(prim, x, axes=axes) if axes else x
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return out


# --- reduce_sum ------------------------------------------------------------------------

reduce_sum_p = defop(
    "reduce_sum",
    type_rule=lambda x, *, axes: _reduced_type("reduce_sum", x, axes),
    impl=lambda x, *, axes: np.sum(x, axis=axes),
    vjp=lambda g, out, x, *, axes: (_expand_back(g, x.shape, axes),),
    jvp=lambda ts, out, x, *, axes: None if ts[0] is None else reduce_sum(ts[0], axes=axes),
)


def reduce_sum(x: Any, axes: Any = None, keepdims: bool = False) -> Any:
    """Sum over `axes` (all when None; an int or a tuple, negatives allowed).

    >>> reduce_sum(np.ones((2, 3)), axes=1)
    array([3., 3.])
    """
    return _reduction(reduce_sum_p, x, axes, keepdims)


# --- reduce_max, reduce_min --------------------------------------------------------------


def _chosen(out, x, axes):
    """Where `x` equals its reduced extremum (1.0) or not (0.0), and how many per group."""
    where = convert(eq(x, _expand_back(out, x.shape, axes)), out.dtype)
    return where, reduce_sum(where, axes)


def _chooser_vjp(g, out, x, *, axes):
    # The cotangent goes to the elements that attain the extremum, split equally
    # among ties (JAX's convention), so it is the average of the one-sided choices.
    where, count = _chosen(out, x, axes)
    return (mul(_expand_back(div(g, count), x.shape, axes), where),)


def _chooser_jvp(ts, out, x, *, axes):
    if ts[0] is None:
        return None
    where, count = _chosen(out, x, axes)
    return div(reduce_sum(mul(ts[0], where), axes), count)


reduce_max_p = defop(
    "reduce_max",
    type_rule=lambda x, *, axes: _reduced_type("reduce_max", x, axes),
    impl=lambda x, *, axes: np.max(x, axis=axes),
    vjp=_chooser_vjp,
    jvp=_chooser_jvp,
)


def reduce_max(x: Any, axes: Any = None, keepdims: bool = False) -> Any:
    """Maximum over `axes` (``np.max``; NaN propagates); ties share the gradient.

    >>> reduce_max(np.array([[1.0, 5.0], [7.0, 2.0]]), axes=-1)
    array([5., 7.])
    """
    return _reduction(reduce_max_p, x, axes, keepdims)


reduce_min_p = defop(
    "reduce_min",
    type_rule=lambda x, *, axes: _reduced_type("reduce_min", x, axes),
    impl=lambda x, *, axes: np.min(x, axis=axes),
    vjp=_chooser_vjp,
    jvp=_chooser_jvp,
)


def reduce_min(x: Any, axes: Any = None, keepdims: bool = False) -> Any:
    """Minimum over `axes` (``np.min``; NaN propagates); ties share the gradient.

    >>> reduce_min(np.array([[1.0, 5.0], [7.0, 2.0]]), axes=0, keepdims=True)
    array([[1., 2.]])
    """
    return _reduction(reduce_min_p, x, axes, keepdims)


# --- reduce_prod -----------------------------------------------------------------------


def _exclusive_cumprod(y):
    """Products of the elements before each one along the last axis (1 for the first).

    Shift right by one (filling with 1), then a Hillis-Steele scan: log2(n) rounds
    of multiplying by a copy shifted k places, k doubling. Multiplications only,
    so zeros in `y` are exact.
    """
    n = shape_of(y)[-1]
    edges = ((0, 0, 0),) * (len(shape_of(y)) - 1)

    def shifted(v, k):  # v moved k places towards the end, ones in front
        return pad(v, 1, edges + ((k, -k, 0),))

    acc, k = shifted(y, 1), 1
    while k < n:
        acc = mul(acc, shifted(acc, k))
        k *= 2
    return acc


def _product_of_others(x, axes):
    """For each element, the product of the other elements of its reduction group.

    This is d prod / d x without dividing by x, so it is right where x has zeros:
    the product of the elements before it times the product of those after it.
    """
    shape = tuple(x.shape)
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    perm = kept + tuple(axes)
    moved = transpose(x, perm)  # reduced axes last, flattened into one
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    flat = reshape(moved, tuple(shape[i] for i in kept) + (n,))
    last = (len(kept),)
    before = _exclusive_cumprod(flat)
    after = rev(_exclusive_cumprod(rev(flat, last)), last)
    others = reshape(mul(before, after), tuple(shape[p] for p in perm))
    return transpose(others, tuple(int(i) for i in np.argsort(perm)))


def _prod_vjp(g, out, x, *, axes):
    return (mul(_expand_back(g, x.shape, axes), _product_of_others(x, axes)),)


def _prod_jvp(ts, out, x, *, axes):
    if ts[0] is None:
        return None
    return reduce_sum(mul(ts[0], _product_of_others(x, axes)), axes)


reduce_prod_p = defop(
    "reduce_prod",
    type_rule=lambda x, *, axes: _reduced_type("reduce_prod", x, axes),
    impl=lambda x, *, axes: np.prod(x, axis=axes),
    vjp=_prod_vjp,
    jvp=_prod_jvp,
)


def reduce_prod(x: Any, axes: Any = None, keepdims: bool = False) -> Any:
    """Product over `axes`; its gradient is exact where elements are zero.

    >>> reduce_prod(np.array([[1.0, 2.0], [3.0, 4.0]]), axes=1)
    array([ 2., 12.])
    """
    return _reduction(reduce_prod_p, x, axes, keepdims)


# --- argmax, argmin ----------------------------------------------------------------------


def _arg_rule(opname: str):
    def rule(x: TensorType, *, axis: int) -> TensorType:
        if not 0 <= axis < x.ndim:
            raise user_error(ShapeError, f"{opname}: axis {axis} is out of bounds for {x}")
        if x.shape[axis] == 0:
            raise user_error(ShapeError, f"{opname}: attempt to get {opname} of an empty axis")
        return TensorType(x.shape[:axis] + x.shape[axis + 1:], np.int64)

    return rule


argmax_p = defop(
    "argmax",
    type_rule=_arg_rule("argmax"),
    impl=lambda x, *, axis: np.argmax(x, axis=axis).astype(np.int64),
    vjp=NOT_DIFFERENTIABLE,
    jvp=NOT_DIFFERENTIABLE,
)
argmin_p = defop(
    "argmin",
    type_rule=_arg_rule("argmin"),
    impl=lambda x, *, axis: np.argmin(x, axis=axis).astype(np.int64),
    vjp=NOT_DIFFERENTIABLE,
    jvp=NOT_DIFFERENTIABLE,
)


def _arg_reduction(prim, x: Any, axis: int | None, keepdims: bool) -> Any:
    shape = shape_of(x)
    if axis is None:  # NumPy's rule: the index into the flattened array
        out = bind(prim, reshape(x, (-1,)), axis=0)
        return reshape(out, (1,) * len(shape)) if keepdims else out
    (axis,) = normalize_axes(prim.name, int(axis), len(shape))
    out = bind(prim, x, axis=axis)
    if keepdims:
        out = reshape(out, tuple(1 if i == axis else d for i, d in enumerate(shape)))
    return out


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index (int64) of the first maximum along `axis` (flattened when None); no gradient.

    >>> argmax(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=1)
    array([1, 0])
    """
    return _arg_reduction(argmax_p, x, axis, keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index (int64) of the first minimum along `axis` (flattened when None); no gradient.

    >>> argmin(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=0)
    array([0, 1])
    """
    return _arg_reduction(argmin_p, x, axis, keepdims)
