"""Layout primitives: broadcast_in_dim, reshape, transpose, slice, pad,
concatenate, gather, scatter_add; and creation helpers built on them (`full`).

Each op is defined once with its type rule, NumPy `impl`, `vjp` and `jvp`, and its
public wrapper right below. Layout ops are linear, so their JVP applies the op
itself to the tangent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.ir.types import TensorType
from tracegrad.ops.primitive import bind, defop
from tracegrad.ops.promote import dtype_of, shape_of
from tracegrad.tracer.errors import ShapeError, user_error


def _linear_jvp(wrapper):
    """The JVP of a linear op: the op applied to the tangent of its first input."""
    return lambda ts, out, x, **params: None if ts[0] is None else wrapper(ts[0], **params)


# --- broadcast_in_dim ---------------------------------------------------------------


def _broadcast_in_dim_rule(x: TensorType, *, shape: tuple, dims: tuple) -> TensorType:
    ok = len(dims) == x.ndim and all(
        0 <= d < len(shape) and x.shape[i] == shape[d] for i, d in enumerate(dims)
    ) and list(dims) == sorted(dims)
    if not ok:
        raise user_error(
            ShapeError, f"broadcast_in_dim: cannot place {x} at dims {dims} of shape {shape}"
        )
    return TensorType(shape, x.dtype)


def _broadcast_in_dim_impl(x: np.ndarray, *, shape: tuple, dims: tuple) -> np.ndarray:
    expanded = np.expand_dims(x, tuple(i for i in range(len(shape)) if i not in dims))
    return np.broadcast_to(expanded, shape)


def _broadcast_in_dim_vjp(g, out, x, *, shape, dims):
    from tracegrad.ops.reduce import reduce_sum

    summed = tuple(i for i in range(len(shape)) if i not in dims)
    return (reduce_sum(g, axes=summed) if summed else g,)


broadcast_in_dim_p = defop(
    "broadcast_in_dim",
    type_rule=_broadcast_in_dim_rule,
    impl=_broadcast_in_dim_impl,
    vjp=_broadcast_in_dim_vjp,
    jvp=None,  # set below, once the wrapper exists
)


def broadcast_in_dim(x: Any, shape: tuple[int, ...], dims: tuple[int, ...]) -> Any:
    """Broadcast `x` to `shape`, its axis i becoming axis ``dims[i]`` (lax's op).

    >>> broadcast_in_dim(np.array([1.0, 2.0]), (3, 2), (1,)).shape
    (3, 2)
    """
    shape, dims = tuple(int(d) for d in shape), tuple(int(d) for d in dims)
    if shape_of(x) == shape and dims == tuple(range(len(shape))) and hasattr(x, "dtype"):
        return x
    return bind(broadcast_in_dim_p, x, shape=shape, dims=dims)


broadcast_in_dim_p.jvp = _linear_jvp(broadcast_in_dim)


def full(shape: tuple[int, ...], fill_value: Any, dtype: Any) -> Any:
    """An array of `shape` filled with `fill_value`: a broadcast of a scalar literal.

    >>> full((2,), 3.0, np.float32)
    array([3., 3.], dtype=float32)
    """
    return broadcast_in_dim(np.asarray(fill_value, dtype=dtype), tuple(shape), ())


def zeros_like(x: Any) -> Any:
    """Zeros of `x`'s shape and dtype.

    >>> zeros_like(np.ones(2))
    array([0., 0.])
    """
    return full(shape_of(x), 0, dtype_of(x))


def ones_like(x: Any) -> Any:
    """Ones of `x`'s shape and dtype.

    >>> ones_like(np.zeros(2))
    array([1., 1.])
    """
    return full(shape_of(x), 1, dtype_of(x))


# --- reshape ------------------------------------------------------------------------


def _reshape_rule(x: TensorType, *, shape: tuple) -> TensorType:
    if int(np.prod(shape, dtype=np.int64)) != x.size:
        raise user_error(ShapeError, f"reshape: cannot reshape {x} into shape {shape}")
    return TensorType(shape, x.dtype)


reshape_p = defop(
    "reshape",
    type_rule=_reshape_rule,
    impl=lambda x, *, shape: np.reshape(x, shape),
    vjp=lambda g, out, x, *, shape: (reshape(g, x.shape),),
    jvp=None,
)


def reshape(x: Any, shape: tuple[int, ...]) -> Any:
    """`x` with a new shape of the same size; one entry may be -1 (NumPy's rule).

    >>> reshape(np.arange(6.0), (2, -1)).shape
    (2, 3)
    """
    xshape = shape_of(x)
    shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
    if shape.count(-1) == 1:
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        size = int(np.prod(xshape, dtype=np.int64))
        if known == 0 or size % known:
            raise user_error(ShapeError, f"reshape: cannot reshape {xshape} into shape {shape}")
        shape = tuple(size // known if d == -1 else d for d in shape)
    if shape == xshape and hasattr(x, "dtype"):
        return x
    return bind(reshape_p, x, shape=shape)


reshape_p.jvp = _linear_jvp(reshape)
