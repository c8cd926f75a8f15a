"""NumPy shape functions on traced values: reshape, transpose and friends,
joining and splitting, the ``*_like`` creators, take."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops import reduce as red
from tracegrad.ops.promote import (
    broadcast_shapes,
    broadcast_to_shape,
    cast,
    dtype_of,
    shape_of,
)
from tracegrad.tracer.errors import ShapeError, UnsupportedError, user_error
from tracegrad.tracer.numpy_api.elementwise import mod
from tracegrad.tracer.numpy_api.registry import (
    METHODS,
    _array,
    _axis,
    _reject,
    implements,
)

# --- shapes ----------------------------------------------------------------------------


@implements(np.reshape)
def reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None,
            copy: Any = None) -> Any:
    """``np.reshape`` (C order); one dimension may be -1.

    >>> reshape(np.arange(6.0), (2, -1)).shape
    (2, 3)
    """
    if order != "C":
        raise user_error(UnsupportedError, f"np.reshape: order={order!r} is not supported",
                         "only C order (the default) can be traced")
    shape = newshape if shape is None else shape
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    return lay.reshape(_array(a), tuple(shape))


@implements(np.ravel, method="ravel")
def ravel(a: Any, order: str = "C") -> Any:
    """``np.ravel``: the elements as a 1-d array, in C order.

    >>> ravel(np.ones((2, 3))).shape
    (6,)
    """
    return reshape(a, (-1,), order)


METHODS["flatten"] = ravel  # traced arrays are immutable: no copy to make


@implements(np.transpose, np.permute_dims)
def transpose(a: Any, axes: Any = None) -> Any:
    """``np.transpose``: axes reversed, or permuted by `axes` (negatives allowed).

    >>> transpose(np.ones((2, 3, 4)), (1, -1, 0)).shape
    (3, 4, 2)
    """
    a = _array(a)
    ndim = len(shape_of(a))
    perm = tuple(reversed(range(ndim))) if axes is None else tuple(
        _axis("transpose", p, ndim) for p in axes)
    if sorted(perm) != list(range(ndim)):
        raise user_error(ShapeError, f"np.transpose: axes {tuple(axes)} do not match an array "
                                     f"of rank {ndim}")
    return lay.transpose(a, perm)


@implements(np.swapaxes, method="swapaxes")
def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """``np.swapaxes``: exchange two axes.

    >>> swapaxes(np.ones((2, 3, 4)), 0, -1).shape
    (4, 3, 2)
    """
    a = _array(a)
    ndim = len(shape_of(a))
    perm = list(range(ndim))
    i, j = _axis("swapaxes", axis1, ndim), _axis("swapaxes", axis2, ndim)
    perm[i], perm[j] = j, i
    return lay.transpose(a, tuple(perm))


@implements(np.moveaxis)
def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """``np.moveaxis``: move axes to new positions, the others keeping their order.

    >>> moveaxis(np.ones((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    a = _array(a)
    ndim = len(shape_of(a))
    src = [_axis("moveaxis", s, ndim) for s in np.atleast_1d(source)]
    dst = [_axis("moveaxis", d, ndim) for d in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise user_error(ValueError, "np.moveaxis: source and destination must have the same "
                                     "number of elements")
    order = [i for i in range(ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return lay.transpose(a, tuple(order))


@implements(np.squeeze, method="squeeze")
def squeeze(a: Any, axis: Any = None) -> Any:
    """``np.squeeze``: drop axes of size 1 (all of them, or those in `axis`).

    >>> squeeze(np.ones((1, 3, 1)), axis=0).shape
    (3, 1)
    """
    a = _array(a)
    shape = shape_of(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = red.normalize_axes("squeeze", axis, len(shape))
        if any(shape[i] != 1 for i in axes):
            raise user_error(ShapeError, f"np.squeeze: cannot select an axis to squeeze out "
                                         f"which has size not equal to one (shape {shape}, "
                                         f"axis {axis})")
    return lay.reshape(a, tuple(d for i, d in enumerate(shape) if i not in axes))


@implements(np.expand_dims)
def expand_dims(a: Any, axis: Any) -> Any:
    """``np.expand_dims``: insert axes of size 1 at the positions `axis` of the result.

    >>> expand_dims(np.ones((2, 3)), (0, -1)).shape
    (1, 2, 3, 1)
    """
    a = _array(a)
    shape = shape_of(a)
    n = len(shape) + (1 if isinstance(axis, (int, np.integer)) else len(axis))
    axes = red.normalize_axes("expand_dims", axis, n)
    dims = iter(shape)
    return lay.reshape(a, tuple(1 if i in axes else next(dims) for i in range(n)))


@implements(np.broadcast_to)
def broadcast_to(array: Any, shape: Any, subok: bool = False) -> Any:
    """``np.broadcast_to``: `array` repeated along new or size-1 axes to `shape`.

    >>> broadcast_to(np.array([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    array = _array(array)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    if broadcast_shapes("broadcast_to", shape_of(array), shape) != shape:
        raise user_error(ShapeError, f"np.broadcast_to: cannot broadcast an array of shape "
                                     f"{shape_of(array)} to shape {shape}")
    return broadcast_to_shape(array, shape)


def _atleast(ndim: int, a: Any) -> Any:
    a = _array(a)
    shape = shape_of(a)
    if len(shape) >= ndim:
        return a
    if ndim == 3 and shape:  # NumPy's rule: (n,) -> (1, n, 1) and (m, n) -> (m, n, 1)
        return lay.reshape(a, (1, *shape, 1) if len(shape) == 1 else (*shape, 1))
    return lay.reshape(a, (1,) * (ndim - len(shape)) + shape)


def _atleast_fn(ndim: int, np_fn: Callable) -> Callable:
    def atleast(*arys: Any) -> Any:
        out = tuple(_atleast(ndim, a) for a in arys)
        return out[0] if len(out) == 1 else out

    atleast.__name__ = np_fn.__name__
    atleast.__doc__ = (f"``np.{np_fn.__name__}``: each array with at least {ndim} dimensions "
                       f"(size-1 axes added); one array, or a tuple for several.")
    implements(np_fn)(atleast)
    return atleast


atleast_1d = _atleast_fn(1, np.atleast_1d)
atleast_2d = _atleast_fn(2, np.atleast_2d)
atleast_3d = _atleast_fn(3, np.atleast_3d)


@implements(np.flip)
def flip(m: Any, axis: Any = None) -> Any:
    """``np.flip``: reverse the order of elements along `axis` (all axes when None).

    >>> flip(np.array([[1, 2], [3, 4]]), axis=1)
    array([[2, 1],
           [4, 3]])
    """
    m = _array(m)
    return lay.rev(m, red.normalize_axes("flip", axis, len(shape_of(m))))


@implements(np.shape)
def array_shape(a: Any) -> tuple[int, ...]:
    """``np.shape``: known while tracing, so a plain tuple.

    >>> array_shape(np.ones((2, 3)))
    (2, 3)
    """
    return shape_of(a)


@implements(np.ndim)
def array_ndim(a: Any) -> int:
    """``np.ndim``: known while tracing, so a plain int.

    >>> array_ndim(np.ones((2, 3)))
    2
    """
    return len(shape_of(a))


@implements(np.size)
def array_size(a: Any, axis: Any = None) -> int:
    """``np.size`` (of one axis, or of the whole array): known while tracing, a plain int.

    >>> array_size(np.ones((2, 3))), array_size(np.ones((2, 3)), axis=-1)
    (6, 3)
    """
    shape = shape_of(a)
    return math.prod(shape) if axis is None else shape[_axis("size", axis, len(shape))]


@implements(np.copy, method="copy")
def copy(a: Any, order: str = "K", subok: bool = False) -> Any:
    """``np.copy``: traced arrays are immutable, so the value itself.

    >>> copy(np.ones(2))
    array([1., 1.])
    """
    return _array(a)


@implements(np.astype)
def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    """``np.astype``: a `convert`.

    >>> astype(np.array([1.7, -0.5]), np.int32)
    array([1, 0], dtype=int32)
    """
    return ew.convert(_array(x), dtype)


# --- joining and splitting -------------------------------------------------------------


@implements(np.concatenate)
def concatenate(arrays: Sequence[Any], axis: Any = 0, out: Any = None, *, dtype: Any = None,
                casting: str = "same_kind") -> Any:
    """``np.concatenate``: join along an existing axis (flattened first when None).

    >>> concatenate([np.ones((2, 1)), np.zeros((2, 2))], axis=1).shape
    (2, 3)
    """
    _reject("concatenate", out=out)
    arrays = [_array(a) for a in arrays]
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    if dtype is not None:
        arrays = [ew.convert(a, dtype) for a in arrays]
    shapes = [shape_of(a) for a in arrays]
    if arrays and shapes[0]:
        k = _axis("concatenate", axis, len(shapes[0]))
        rest = [s[:k] + s[k + 1:] for s in shapes]
        if any(len(s) != len(shapes[0]) for s in shapes) or len(set(rest)) > 1:
            raise user_error(
                ShapeError,
                f"np.concatenate: shapes {', '.join(map(str, shapes))} differ in a dimension "
                f"other than the concatenation axis {axis}",
            )
    return lay.concatenate(arrays, axis)


@implements(np.stack)
def stack(arrays: Sequence[Any], axis: int = 0, out: Any = None, *, dtype: Any = None,
          casting: str = "same_kind") -> Any:
    """``np.stack``: join arrays of one shape along a new axis.

    >>> stack([np.ones(3), np.zeros(3)], axis=-1).shape
    (3, 2)
    """
    _reject("stack", out=out)
    arrays = [_array(a) for a in arrays]
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise user_error(ShapeError, f"np.stack: all input arrays must have the same shape, "
                                     f"got {', '.join(str(shape_of(a)) for a in arrays)}")
    return concatenate([expand_dims(a, axis) for a in arrays], axis, dtype=dtype)


@implements(np.hstack)
def hstack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """``np.hstack``: concatenate along axis 1 (axis 0 for 1-d arrays).

    >>> hstack([np.ones(2), np.zeros(3)]).shape
    (5,)
    """
    arrays = [_atleast(1, a) for a in tup]
    return concatenate(arrays, 0 if len(shape_of(arrays[0])) == 1 else 1, dtype=dtype)


@implements(np.vstack)
def vstack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """``np.vstack``: concatenate along axis 0, 1-d arrays becoming rows.

    >>> vstack([np.ones(3), np.zeros((2, 3))]).shape
    (3, 3)
    """
    return concatenate([_atleast(2, a) for a in tup], 0, dtype=dtype)


def _pieces(ary: Any, bounds: Sequence[int], axis: int) -> list[Any]:
    """The slices ``ary[..., bounds[i]:bounds[i+1], ...]`` along `axis` (Python slice
    rules: out-of-range bounds clip, decreasing bounds give empty pieces)."""
    from tracegrad.tracer.indexing import getitem

    lead = (builtins.slice(None),) * axis
    return [getitem(ary, lead + (builtins.slice(s, e),)) for s, e in zip(bounds, bounds[1:])]


@implements(np.split)
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """``np.split``: equal sections (a count) or pieces between indices (a list).

    >>> [p.shape for p in split(np.arange(6.0), [1, 4])]
    [(1,), (3,), (2,)]
    """
    ary = _array(ary)
    axis = _axis("split", axis, len(shape_of(ary)))
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise user_error(ValueError, f"np.split: an axis of size {n} does not split into "
                                         f"{sections} equal sections",
                             "use np.array_split for unequal sections")
        return array_split(ary, sections, axis)
    return _pieces(ary, [0, *map(int, indices_or_sections), n], axis)


@implements(np.array_split)
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """``np.array_split``: like `split`, but sections may differ in size by one.

    >>> [p.shape for p in array_split(np.arange(5.0), 3)]
    [(2,), (2,), (1,)]
    """
    ary = _array(ary)
    axis = _axis("array_split", axis, len(shape_of(ary)))
    n = shape_of(ary)[axis]
    if not isinstance(indices_or_sections, (int, np.integer)):
        return _pieces(ary, [0, *map(int, indices_or_sections), n], axis)
    sections = int(indices_or_sections)
    if sections <= 0:
        raise user_error(ValueError, "np.array_split: the number of sections must be > 0")
    each, extra = divmod(n, sections)
    sizes = [each + 1] * extra + [each] * (sections - extra)
    return _pieces(ary, [0, *np.cumsum(sizes).tolist()], axis)


# --- creation ---------------------------------------------------------------------------


def _filled_like(a: Any, fill_value: Any, dtype: Any, shape: Any) -> Any:
    dtype = dtype_of(a) if dtype is None else np.dtype(dtype)
    shape = shape_of(a) if shape is None else (
        (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape))
    return broadcast_to_shape(cast(fill_value, dtype), shape)


@implements(np.zeros_like)
def zeros_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True,
               shape: Any = None, *, device: Any = None) -> Any:
    """``np.zeros_like``: a broadcast zero of `a`'s shape and dtype (or those given).

    >>> zeros_like(np.ones((2, 2), np.float32)).dtype
    dtype('float32')
    """
    return _filled_like(a, 0, dtype, shape)


@implements(np.ones_like)
def ones_like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True,
              shape: Any = None, *, device: Any = None) -> Any:
    """``np.ones_like``: a broadcast one of `a`'s shape and dtype.

    >>> ones_like(np.zeros(2, np.int32))
    array([1, 1], dtype=int32)
    """
    return _filled_like(a, 1, dtype, shape)


@implements(np.full_like)
def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "K", subok: bool = True,
              shape: Any = None, *, device: Any = None) -> Any:
    """``np.full_like``: `fill_value` (converted to `a`'s dtype) broadcast to `a`'s shape.

    >>> full_like(np.zeros(2, np.int64), 2.5)
    array([2, 2])
    """
    return _filled_like(a, fill_value, dtype, shape)


# --- take --------------------------------------------------------------------------------


@implements(np.take, method="take")
def take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Any:
    """``np.take``: elements at `indices` along `axis` (of the flattened array when
    None). Concrete indices are checked when traced; traced ones cannot be, and are
    clamped into range. ``mode='clip'`` and ``'wrap'`` work as in NumPy.

    >>> take(np.array([[1.0, 2.0], [3.0, 4.0]]), [1, -1], axis=0)
    array([[3., 4.],
           [3., 4.]])
    """
    from tracegrad.tracer.indexing import index_array

    _reject("take", out=out)
    a = _array(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = _axis("take", axis, len(shape_of(a)))
    n = shape_of(a)[axis]
    if mode not in ("raise", "clip", "wrap"):
        raise user_error(ValueError, f"np.take: mode must be 'raise', 'clip' or 'wrap', "
                                     f"not {mode!r}")
    if mode != "raise":
        concrete = not hasattr(indices, "shape") or isinstance(indices, (np.ndarray, np.generic))
        if concrete:
            indices = np.clip(indices, 0, n - 1) if mode == "clip" else np.mod(indices, n)
        else:
            indices = ew.min(ew.max(indices, 0), n - 1) if mode == "clip" else mod(indices, n)
    return lay.gather(a, index_array(indices, n, axis, shape_of(a)), axis)

