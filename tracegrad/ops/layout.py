"""Layout primitives: broadcast_in_dim, reshape, transpose, slice, rev, pad,
concatenate, gather, scatter_add; and creation helpers built on them (`full`).

Each op is defined once with its type rule, NumPy `impl`, `vjp` and `jvp`, and its
public wrapper right below. Layout ops are linear, so their JVP applies the op
itself to the tangent, and their VJP is the transposed op (slice <-> pad,
gather <-> scatter_add, transpose <-> inverse transpose). Semantics follow
``jax.lax`` (static shapes, explicit parameters); wrappers add NumPy conveniences
such as negative axes.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from tracegrad.ir.types import TensorType
from tracegrad.ops.elementwise import add, lt, select, sub
from tracegrad.ops.primitive import bind, defop
from tracegrad.ops.promote import (
    PY_SCALARS,
    broadcast_shapes,
    broadcast_to_shape,
    cast,
    dtype_of,
    result_dtype,
    shape_of,
)
from tracegrad.tracer.errors import DTypeError, ShapeError, user_error

__all__ = [
    "broadcast_in_dim",
    "concatenate",
    "full",
    "gather",
    "ones_like",
    "pad",
    "reshape",
    "rev",
    "scatter_add",
    "slice",
    "transpose",
    "zeros_like",
]


def _linear_jvp(wrapper):
    """The JVP of a linear op: the op applied to the tangent of its first input."""
    return lambda ts, out, x, **params: None if ts[0] is None else wrapper(ts[0], **params)


def _ints(values: Any) -> tuple[int, ...]:
    """A parameter as a hashable tuple of Python ints."""
    return tuple(int(v) for v in values)


def _axis(opname: str, axis: Any, ndim: int) -> int:
    """`axis` (negatives allowed, NumPy's rule) as a non-negative axis of rank `ndim`."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise user_error(
            ShapeError, f"{opname}: axis {axis} is out of bounds for an array of rank {ndim}"
        )
    return axis % ndim


def _inverse_perm(perm: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(perm))


# --- broadcast_in_dim ---------------------------------------------------------------


def _broadcast_in_dim_rule(x: TensorType, *, shape: tuple, dims: tuple) -> TensorType:
    # Strict (unlike lax, an operand axis of size 1 may not stretch): wrappers drop
    # such axes with a reshape first, so the VJP is a plain sum over the new axes.
    ok = (
        len(dims) == x.ndim
        and all(d >= 0 for d in shape)
        and all(0 <= d < len(shape) and x.shape[i] == shape[d] for i, d in enumerate(dims))
        and all(a < b for a, b in itertools.pairwise(dims))
    )
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
    shape, dims = _ints(shape), _ints(dims)
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
    if any(d < 0 for d in shape) or int(np.prod(shape, dtype=np.int64)) != x.size:
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
    shape = _ints(shape if isinstance(shape, (tuple, list)) else (shape,))
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


# --- transpose ----------------------------------------------------------------------


def _transpose_rule(x: TensorType, *, perm: tuple) -> TensorType:
    if sorted(perm) != list(range(x.ndim)):
        raise user_error(
            ShapeError, f"transpose: {perm} is not a permutation of the axes of {x}"
        )
    return TensorType(tuple(x.shape[p] for p in perm), x.dtype)


transpose_p = defop(
    "transpose",
    type_rule=_transpose_rule,
    impl=lambda x, *, perm: np.transpose(x, perm),
    vjp=lambda g, out, x, *, perm: (transpose(g, _inverse_perm(perm)),),
    jvp=None,
)


def transpose(x: Any, perm: tuple[int, ...]) -> Any:
    """Permute the axes of `x`: ``out.shape[i] == x.shape[perm[i]]`` (lax's op).

    Negative entries count from the end, as in ``np.transpose``.

    >>> transpose(np.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    ndim = len(shape_of(x))
    perm = tuple(_axis("transpose", p, ndim) for p in perm)
    if perm == tuple(range(ndim)) and hasattr(x, "dtype"):
        return x
    return bind(transpose_p, x, perm=perm)


transpose_p.jvp = _linear_jvp(transpose)


# --- slice ----------------------------------------------------------------------------


def _slice_len(start: int, limit: int, stride: int) -> int:
    return max(0, (limit - start + stride - 1) // stride)


def _slice_rule(x: TensorType, *, start: tuple, limit: tuple, strides: tuple) -> TensorType:
    ok = len(start) == len(limit) == len(strides) == x.ndim and all(
        0 <= s <= e <= d and st >= 1 for s, e, st, d in zip(start, limit, strides, x.shape)
    )
    if not ok:
        raise user_error(
            ShapeError,
            f"slice: start={start}, limit={limit}, strides={strides} do not fit {x}",
            "each axis needs 0 <= start <= limit <= size and a stride >= 1",
        )
    shape = tuple(_slice_len(s, e, st) for s, e, st in zip(start, limit, strides))
    return TensorType(shape, x.dtype)


def _slice_impl(x, *, start, limit, strides):
    return x[tuple(builtins.slice(s, e, st) for s, e, st in zip(start, limit, strides))]


def _slice_vjp(g, out, x, *, start, limit, strides):
    # The transpose of a strided slice: zeros around the kept elements (edge
    # padding) and between them (interior padding of stride - 1).
    config = []
    for s, st, n, d in zip(start, strides, shape_of(g), x.shape):
        last = s + (n - 1) * st + 1 if n else s
        config.append((s, d - last, st - 1 if n else 0))
    return (pad(g, 0, tuple(config)),)


slice_p = defop(
    "slice",
    type_rule=_slice_rule,
    impl=_slice_impl,
    vjp=_slice_vjp,
    jvp=None,
)


def slice(
    x: Any, start: Sequence[int], limit: Sequence[int], strides: Sequence[int] | None = None
) -> Any:
    """Elements ``start[i] <= j < limit[i]`` with step ``strides[i]`` along each axis (lax's op).

    Strides are positive; reverse with `rev` for negative steps.

    >>> slice(np.arange(10.0), (1,), (8,), (3,))
    array([1., 4., 7.])
    """
    shape = shape_of(x)
    start, limit = _ints(start), _ints(limit)
    strides = (1,) * len(start) if strides is None else _ints(strides)
    whole = start == (0,) * len(shape) and limit == shape and all(s == 1 for s in strides)
    if whole and hasattr(x, "dtype"):
        return x
    return bind(slice_p, x, start=start, limit=limit, strides=strides)


slice_p.jvp = _linear_jvp(slice)


# --- rev ------------------------------------------------------------------------------


def _rev_rule(x: TensorType, *, axes: tuple) -> TensorType:
    if any(not 0 <= a < x.ndim for a in axes) or list(axes) != sorted(set(axes)):
        raise user_error(ShapeError, f"rev: axes {axes} are not distinct axes of {x}")
    return x


rev_p = defop(
    "rev",
    type_rule=_rev_rule,
    impl=lambda x, *, axes: np.flip(x, axes),
    vjp=lambda g, out, x, *, axes: (rev(g, axes),),
    jvp=None,
)


def rev(x: Any, axes: Sequence[int]) -> Any:
    """`x` reversed along `axes` (``x[::-1]`` on each; negative axes allowed).

    >>> rev(np.arange(3.0), (0,))
    array([2., 1., 0.])
    """
    ndim = len(shape_of(x))
    axes = tuple(sorted({_axis("rev", a, ndim) for a in axes}))
    if not axes and hasattr(x, "dtype"):
        return x
    return bind(rev_p, x, axes=axes)


rev_p.jvp = _linear_jvp(rev)


# --- pad ------------------------------------------------------------------------------


def _padded_len(d: int, low: int, high: int, interior: int) -> int:
    return low + high + d + max(d - 1, 0) * interior


def _pad_rule(x: TensorType, padding_value: TensorType, *, config: tuple) -> TensorType:
    if padding_value.shape != () or padding_value.dtype != x.dtype:
        raise user_error(
            DTypeError, f"pad: the padding value must be a scalar of {x.dtype}, got {padding_value}"
        )
    ok = len(config) == x.ndim and all(len(c) == 3 and c[2] >= 0 for c in config)
    shape = tuple(_padded_len(d, *c) for d, c in zip(x.shape, config)) if ok else ()
    if not ok or any(d < 0 for d in shape):
        raise user_error(
            ShapeError,
            f"pad: config {config} does not fit {x}",
            "give one (low, high, interior) per axis, interior >= 0, and crop no more "
            "than the padded size",
        )
    return TensorType(shape, x.dtype)


def _pad_impl(x, padding_value, *, config):
    # Pad with the positive edges and interior first, then crop negative edges
    # (lax_reference.pad).
    grown = [_padded_len(d, max(lo, 0), max(hi, 0), i)
             for d, (lo, hi, i) in zip(x.shape, config)]
    out = np.full(grown, padding_value, dtype=x.dtype)
    place = tuple(
        builtins.slice(max(lo, 0), max(lo, 0) + _padded_len(d, 0, 0, i), i + 1)
        for d, (lo, hi, i) in zip(x.shape, config)
    )
    out[place] = x
    crop = tuple(
        builtins.slice(max(-lo, 0), n + min(hi, 0))
        for n, (lo, hi, _) in zip(grown, config)
    )
    return out[crop]


def _pad_vjp(g, out, x, padding_value, *, config):
    from tracegrad.ops.reduce import reduce_sum

    # Undo the edges (negative edges of the forward pad become zero padding), then
    # step over the interior padding: what remains are the cotangents of x.
    unpadded = pad(g, 0, tuple((-lo, -hi, 0) for lo, hi, _ in config))
    shape = shape_of(unpadded)
    g_x = slice(unpadded, (0,) * len(shape), shape, tuple(i + 1 for _, _, i in config))
    # Every element of the output that is not an element of x is the padding value.
    g_value = sub(reduce_sum(g), reduce_sum(g_x))
    return g_x, g_value


def _pad_jvp(ts, out, x, padding_value, *, config):
    t_x, t_value = ts
    if t_x is None and t_value is None:
        return None
    return pad(
        zeros_like(x) if t_x is None else t_x,
        np.zeros((), dtype_of(x)) if t_value is None else t_value,
        config,
    )


pad_p = defop("pad", type_rule=_pad_rule, impl=_pad_impl, vjp=_pad_vjp, jvp=_pad_jvp)


def pad(x: Any, padding_value: Any, config: Sequence[Sequence[int]]) -> Any:
    """`x` padded with `padding_value`: per axis ``(low, high, interior)`` (lax's op).

    `low`/`high` elements go before/after the axis (negative values crop) and
    `interior` elements between neighbours. `padding_value` is a scalar, converted to
    `x`'s dtype; a ``(low, high)`` pair means no interior padding.

    >>> pad(np.array([1.0, 2.0]), 0.0, ((1, 2, 1),))
    array([0., 1., 0., 2., 0., 0.])
    """
    config = tuple(_ints(tuple(c) + (0,) * (3 - len(c))) for c in config)
    if shape_of(padding_value) != ():
        raise user_error(
            ShapeError,
            f"pad: the padding value must be a scalar, got shape {shape_of(padding_value)}",
        )
    padding_value = cast(padding_value, dtype_of(x))
    unchanged = len(config) == len(shape_of(x)) and all(c == (0, 0, 0) for c in config)
    if unchanged and hasattr(x, "dtype"):
        return x
    return bind(pad_p, x, padding_value, config=config)


# --- concatenate ------------------------------------------------------------------------


def _concatenate_rule(*xs: TensorType, axis: int) -> TensorType:
    first = xs[0]
    for t in xs:
        if t.dtype != first.dtype:
            raise user_error(DTypeError, f"concatenate: operand dtypes differ: {first} vs {t}")
        same_rest = t.ndim == first.ndim and all(
            a == b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis
        )
        if not same_rest or not 0 <= axis < t.ndim:
            raise user_error(
                ShapeError,
                f"concatenate: operands {', '.join(map(str, xs))} do not fit together "
                f"along axis {axis}",
                "all operands need the same rank and equal sizes except along the axis",
            )
    shape = list(first.shape)
    shape[axis] = sum(t.shape[axis] for t in xs)
    return TensorType(tuple(shape), first.dtype)


def _concatenate_vjp(g, out, *xs, axis):
    cts, offset = [], 0
    shape = shape_of(g)
    for x in xs:
        n = shape_of(x)[axis]
        start = tuple(offset if i == axis else 0 for i in range(len(shape)))
        limit = tuple(offset + n if i == axis else d for i, d in enumerate(shape))
        cts.append(slice(g, start, limit))
        offset += n
    return tuple(cts)


def _concatenate_jvp(ts, out, *xs, axis):
    if all(t is None for t in ts):
        return None
    return concatenate([zeros_like(x) if t is None else t for t, x in zip(ts, xs)], axis)


concatenate_p = defop(
    "concatenate",
    type_rule=_concatenate_rule,
    impl=lambda *xs, axis: np.concatenate(xs, axis=axis),
    vjp=_concatenate_vjp,
    jvp=_concatenate_jvp,
)


def concatenate(xs: Sequence[Any], axis: int = 0) -> Any:
    """Join `xs` along `axis`, promoted to their common dtype (``np.concatenate``).

    >>> concatenate([np.ones(2), np.zeros(1, np.float32)], 0)
    array([1., 1., 0.])
    """
    xs = list(xs)
    if not xs:
        raise user_error(ValueError, "concatenate: need at least one array to concatenate")
    dtype = result_dtype(*xs)
    xs = [cast(x, dtype) for x in xs]
    ndim = len(shape_of(xs[0]))
    if ndim == 0:
        raise user_error(ShapeError, "concatenate: zero-dimensional arrays cannot be concatenated")
    axis = _axis("concatenate", axis, ndim)
    if len(xs) == 1 and hasattr(xs[0], "dtype"):
        return xs[0]
    return bind(concatenate_p, *xs, axis=axis)


# --- gather and scatter_add ----------------------------------------------------------------
# Out-of-range indices are clamped into range by both ops (JAX's convention for
# gather; scatter_add clamps the same way so that the two stay each other's
# transpose). Negative indices are normalised by the wrappers, NumPy-style.


def _check_indices(opname: str, indices: TensorType) -> None:
    if indices.dtype.kind not in "iu":
        raise user_error(
            DTypeError, f"{opname}: indices must be integers, got {indices}",
            "convert them, e.g. idx.astype(np.int64)",
        )


def _gather_rule(x: TensorType, indices: TensorType, *, axis: int) -> TensorType:
    _check_indices("gather", indices)
    if not 0 <= axis < x.ndim:
        raise user_error(ShapeError, f"gather: axis {axis} is out of bounds for {x}")
    return TensorType(x.shape[:axis] + indices.shape + x.shape[axis + 1:], x.dtype)


def _gather_vjp(g, out, x, indices, *, axis):
    return bind(scatter_add_p, zeros_like(x), indices, g, axis=axis), None


def _gather_jvp(ts, out, x, indices, *, axis):
    return None if ts[0] is None else bind(gather_p, ts[0], indices, axis=axis)


gather_p = defop(
    "gather",
    type_rule=_gather_rule,
    impl=lambda x, indices, *, axis: np.take(x, indices, axis=axis, mode="clip"),
    vjp=_gather_vjp,
    jvp=_gather_jvp,
)


def _normalize_indices(opname: str, indices: Any, n: int) -> Any:
    """Indices with negatives counted from the end (``i + n`` where ``i < 0``)."""
    if isinstance(indices, (*PY_SCALARS, list, tuple, np.ndarray, np.generic)):
        idx = np.asarray(indices)  # concrete: normalise now, no nodes in the graph
        if idx.dtype.kind not in "iu":
            raise user_error(DTypeError, f"{opname}: indices must be integers, got {idx.dtype}")
        return np.where(idx < 0, idx.astype(np.int64) + n, idx) if idx.dtype.kind == "i" else idx
    dtype = dtype_of(indices)
    if dtype.kind not in "iu":
        raise user_error(DTypeError, f"{opname}: indices must be integers, got {dtype}")
    if dtype.kind == "u":
        return indices
    if n > np.iinfo(dtype).max:  # i + n would overflow a small integer type
        from tracegrad.ops.elementwise import convert

        indices = convert(indices, np.int64)
    return select(lt(indices, 0), add(indices, n), indices)


def gather(x: Any, indices: Any, axis: int) -> Any:
    """``np.take(x, indices, axis)``: elements of `x` picked along `axis` by `indices`.

    out.shape is x.shape[:axis] + indices.shape + x.shape[axis+1:]. Negative indices
    count from the end; indices still out of range are clamped (JAX's convention).

    >>> gather(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, -1, 0]), 1)
    array([[2., 2., 1.],
           [4., 4., 3.]])
    """
    shape = shape_of(x)
    if not shape:
        raise user_error(ShapeError, "gather: cannot index a zero-dimensional array")
    axis = _axis("gather", axis, len(shape))
    return bind(gather_p, x, _normalize_indices("gather", indices, shape[axis]), axis=axis)


def _scatter_add_rule(
    operand: TensorType, indices: TensorType, updates: TensorType, *, axis: int
) -> TensorType:
    _check_indices("scatter_add", indices)
    if not 0 <= axis < operand.ndim:
        raise user_error(ShapeError, f"scatter_add: axis {axis} is out of bounds for {operand}")
    want = operand.shape[:axis] + indices.shape + operand.shape[axis + 1:]
    if updates.shape != want:
        raise user_error(
            ShapeError,
            f"scatter_add: updates {updates} do not fit operand {operand} and indices "
            f"{indices} along axis {axis} (expected shape {want})",
        )
    if updates.dtype != operand.dtype:
        raise user_error(DTypeError, f"scatter_add: dtypes differ: {operand} vs {updates}")
    return operand


def _scatter_add_impl(operand, indices, updates, *, axis):
    out = np.array(operand, copy=True)
    clamped = np.clip(indices, 0, operand.shape[axis] - 1)
    np.add.at(out, (builtins.slice(None),) * axis + (clamped,), updates)
    return out


def _scatter_add_jvp(ts, out, operand, indices, updates, *, axis):
    t_op, _, t_up = ts
    if t_up is None:
        return t_op
    base = zeros_like(operand) if t_op is None else t_op
    return bind(scatter_add_p, base, indices, t_up, axis=axis)


scatter_add_p = defop(
    "scatter_add",
    type_rule=_scatter_add_rule,
    impl=_scatter_add_impl,
    vjp=lambda g, out, operand, indices, updates, *, axis: (
        g, None, bind(gather_p, g, indices, axis=axis)
    ),
    jvp=_scatter_add_jvp,
)


def scatter_add(operand: Any, indices: Any, updates: Any, axis: int) -> Any:
    """A copy of `operand` with `updates` added at `indices` along `axis` (``np.add.at``).

    Repeated indices accumulate. updates.shape must be (or broadcast to)
    operand.shape[:axis] + indices.shape + operand.shape[axis+1:]; updates are
    converted to `operand`'s dtype (like ``x.at[i].add(u)`` in JAX).

    >>> scatter_add(np.zeros(3), np.array([0, 2, 0]), np.array([1.0, 2.0, 3.0]), 0)
    array([4., 0., 2.])
    """
    shape = shape_of(operand)
    if not shape:
        raise user_error(ShapeError, "scatter_add: cannot index a zero-dimensional array")
    axis = _axis("scatter_add", axis, len(shape))
    indices = _normalize_indices("scatter_add", indices, shape[axis])
    want = shape[:axis] + shape_of(indices) + shape[axis + 1:]
    if broadcast_shapes("scatter_add", shape_of(updates), want) != want:
        raise user_error(
            ShapeError,
            f"scatter_add: updates of shape {shape_of(updates)} do not fit operand {shape} "
            f"and indices {shape_of(indices)} along axis {axis} (expected shape {want})",
        )
    updates = broadcast_to_shape(cast(updates, dtype_of(operand)), want)
    return bind(scatter_add_p, operand, indices, updates, axis=axis)

