"""Reductions: reduce_sum, reduce_max, reduce_min, reduce_prod, argmax, argmin.

Each op is defined once with its type rule, NumPy `impl`, `vjp` and `jvp`, and its
public wrapper right below. Primitives take normalised, sorted, non-negative `axes`
and never keep dimensions; wrappers handle ``axis=None``, negative axes and
``keepdims`` (a reshape after the reduction).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.ir.types import TensorType
from tracegrad.ops.primitive import bind, defop
from tracegrad.ops.promote import shape_of
from tracegrad.tracer.errors import ShapeError, user_error


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


def _reduced_type(x: TensorType, axes: tuple, dtype=None) -> TensorType:
    if any(not 0 <= a < x.ndim for a in axes):
        raise user_error(ShapeError, f"reduction axes {axes} out of range for {x}")
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return TensorType(shape, x.dtype if dtype is None else dtype)


def _expand_back(g, x_shape, axes):
    """Broadcast a reduced value back to the operand's shape."""
    from tracegrad.ops.layout import broadcast_in_dim

    kept = tuple(i for i in range(len(x_shape)) if i not in axes)
    return broadcast_in_dim(g, tuple(x_shape), kept)


reduce_sum_p = defop(
    "reduce_sum",
    type_rule=lambda x, *, axes: _reduced_type(x, axes),
    impl=lambda x, *, axes: np.sum(x, axis=axes),
    vjp=lambda g, out, x, *, axes: (_expand_back(g, x.shape, axes),),
    jvp=lambda ts, out, x, *, axes: None if ts[0] is None else reduce_sum(ts[0], axes=axes),
)


def reduce_sum(x: Any, axes: Any = None, keepdims: bool = False) -> Any:
    """Sum over `axes` (all when None), NumPy's dtype rules for the result.

    >>> reduce_sum(np.ones((2, 3)), axes=1)
    array([3., 3.])
    """
    shape = shape_of(x)
    axes = normalize_axes("sum", axes, len(shape))
    out = bind(reduce_sum_p, x, axes=axes) if axes else x
    if keepdims:
        from tracegrad.ops.layout import reshape

        out = reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return out
