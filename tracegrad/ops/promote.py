"""NumPy 2 type promotion and broadcasting for op wrappers (NEP 50 weak scalars).

Primitives see operands of one dtype and one shape; the public wrappers call
`promote_args` first, which converts dtypes (a Python scalar takes the other
operand's dtype: ``x32 * 2.0`` stays float32) and makes broadcasts explicit as
`broadcast_in_dim` nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.tracer.errors import ShapeError, user_error

PY_SCALARS = (bool, int, float, complex)


def is_weak(x: Any) -> bool:
    """True for Python scalars and values traced from them (``weak_type``), whose
    dtype yields to the other operand's."""
    if isinstance(x, PY_SCALARS):
        return not isinstance(x, np.generic)
    return getattr(x, "weak_type", False)


def _weak_stand_in(x: Any) -> Any:
    # np.result_type treats Python scalars as weak; a weak traced value is
    # represented by a Python scalar of its kind.
    if isinstance(x, PY_SCALARS):
        return x
    return {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}[dtype_of(x).kind]


def dtype_of(x: Any) -> np.dtype:
    """The dtype `x` has, or would have as a NumPy array on its own."""
    dt = getattr(x, "dtype", None)
    return np.dtype(dt) if dt is not None else np.asarray(x).dtype


def shape_of(x: Any) -> tuple[int, ...]:
    """The shape of an array-like (``()`` for scalars)."""
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def result_dtype(*xs: Any) -> np.dtype:
    """NumPy 2's result dtype of combining `xs`, Python scalars weak.

    >>> result_dtype(np.ones(2, np.float32), 2.0)
    dtype('float32')
    """
    return np.result_type(*[_weak_stand_in(x) if is_weak(x) else dtype_of(x) for x in xs])


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype NumPy computes a float function in: ints and bools go to a float."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.inexact):
        return dtype
    return np.result_type(dtype, np.float16)


def cast(x: Any, dtype: np.dtype) -> Any:
    """`x` as `dtype`: a literal for Python scalars, a `convert` node otherwise."""
    from tracegrad.ops.elementwise import convert

    dtype = np.dtype(dtype)
    if isinstance(x, (PY_SCALARS, np.ndarray, np.generic, list, tuple)):
        return np.asarray(x, dtype=dtype)
    if dtype_of(x) == dtype:
        return x
    return convert(x, dtype)


def broadcast_shapes(opname: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The common shape of `shapes`, or a `ShapeError` naming the op and the shapes."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise user_error(
            ShapeError,
            f"{opname}: operands of shapes {listed} cannot be broadcast together",
            "make trailing dimensions equal or 1 (reshape, x[:, None], np.expand_dims)",
        ) from None


def broadcast_to_shape(x: Any, shape: tuple[int, ...]) -> Any:
    """`x` broadcast to `shape` with an explicit `broadcast_in_dim` when needed."""
    from tracegrad.ops.layout import broadcast_in_dim

    xshape = shape_of(x)
    if xshape == tuple(shape):
        return x
    lead = len(shape) - len(xshape)
    # NumPy's rule: align trailing axes; size-1 axes stretch. broadcast_in_dim
    # needs the operand's own size-1 axes dropped first.
    keep = [i for i, d in enumerate(xshape) if d == shape[lead + i] or d != 1]
    if len(keep) != len(xshape):
        from tracegrad.ops.layout import reshape

        x = reshape(x, tuple(xshape[i] for i in keep))
    return broadcast_in_dim(x, tuple(shape), tuple(lead + i for i in keep))


def promote_args(opname: str, *xs: Any, to_float: bool = False) -> list[Any]:
    """Cast `xs` to their common dtype and broadcast them to their common shape.

    >>> [a.shape for a in promote_args("add", np.ones((2, 1)), np.ones(3))]
    [(2, 3), (2, 3)]
    """
    if _already_agree(xs, to_float):
        return list(xs)
    dtype = result_dtype(*xs)
    if to_float:
        dtype = float_dtype(dtype)
    shape = broadcast_shapes(opname, *(shape_of(x) for x in xs))
    return [broadcast_to_shape(cast(x, dtype), shape) for x in xs]


def _already_agree(xs: tuple, to_float: bool) -> bool:
    """True when the operands are arrays (or tracers, tensors) of one shape and one
    dtype, none weak: the common case, which needs no promotion at all. This fast
    path keeps tracing and eager evaluation cheap per op."""
    first = xs[0]
    shape, dtype = getattr(first, "shape", None), getattr(first, "dtype", None)
    if shape is None or dtype is None or getattr(first, "weak_type", False):
        return False
    if to_float and dtype.kind not in "fc":
        return False
    for x in xs[1:]:
        if (getattr(x, "shape", None) != shape or getattr(x, "dtype", None) != dtype
                or getattr(x, "weak_type", False)):
            return False
    return True
