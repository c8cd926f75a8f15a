"""``x[key]`` on traced arrays, as slice, rev, gather and reshape ops (NumPy's rules).

An index is applied in three steps:

1. basic indexing: all slices (a negative step is a `slice` with the positive step
   followed by a `rev`) and, when no array index is present, all integers, in one
   `slice` op;
2. advanced indexing: integer arrays and lists (concrete or traced), and the
   integers beside them, broadcast together and applied as one `gather`, on a view
   that merges the indexed axes into one (a `reshape`, after a `transpose` when the
   indexed axes are not adjacent);
3. one `reshape` that drops the axes integers selected and inserts the ``None`` axes.

The broadcast index dimensions go where the first array index was when the array
indices are adjacent in the key, and first otherwise (NumPy's rule). Concrete
indices are checked and normalised while tracing; boolean masks select a number of
elements that depends on the data, so they are rejected with a fix.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops.promote import broadcast_shapes, dtype_of, shape_of
from tracegrad.tracer.errors import UnsupportedError, user_error

_ADVANCED = "advanced"  # marks where the broadcast index dimensions go


def getitem(x: Any, key: Any) -> Any:
    """``x[key]`` for ints, slices (any step), ``None``, ``...``, integer arrays and
    lists (concrete or traced), and tuples of these.

    >>> getitem(np.arange(12.0).reshape(3, 4), (slice(None, None, -1), [0, 2])).shape
    (3, 2)
    """
    shape = shape_of(x)
    items = list(key) if isinstance(key, tuple) else [key]
    entries = _expand(items, shape)
    has_array = any(_is_array(item) for item, _, _ in entries)

    start, limit, strides = [0] * len(shape), list(shape), [1] * len(shape)
    reversed_axes, walk, advanced = [], [], []
    for item, d, pos in entries:
        if item is None:
            walk.append(1)
        elif isinstance(item, slice):
            start[d], limit[d], strides[d], size, backwards = _slice_bounds(item, shape[d])
            walk.append(size)
            if backwards:
                reversed_axes.append(d)
        elif not has_array:  # a static int: a slice of one element, dropped below
            i = _static_int(item, d, shape)
            start[d], limit[d] = i, i + 1
        else:
            if not advanced:
                walk.append(_ADVANCED)
            advanced.append((d, item, pos))
    y = lay.rev(lay.slice(x, start, limit, strides), reversed_axes)
    if not advanced:
        return lay.reshape(y, tuple(walk))

    dims = [d for d, _, _ in advanced]
    indices = [index_array(item, shape[d], d, shape) for d, item, _ in advanced]
    index_shape = broadcast_shapes("indexing", *(shape_of(i) for i in indices))
    positions = [pos for _, _, pos in advanced]
    adjacent = positions == list(range(positions[0], positions[0] + len(positions)))
    y = _gather(y, dims, indices, adjacent)
    if not adjacent:
        walk = [_ADVANCED] + [w for w in walk if w is not _ADVANCED]
    final = [n for w in walk for n in (index_shape if w is _ADVANCED else (w,))]
    return lay.reshape(y, tuple(final))


def index_array(indices: Any, n: int, axis: int, shape: tuple[int, ...]) -> Any:
    """Integer indices into an axis of size `n` of an array of `shape`.

    Concrete ones are checked (an `IndexError` naming the shape) and their negatives
    normalised now, so the graph holds a constant; traced ones are only checked for
    an integer dtype (their values are not known: `gather` clamps them).

    >>> index_array([0, -1], 3, 0, (3,))
    array([0, 2])
    """
    if isinstance(indices, list) and any(_is_traced(i) for i in indices):
        from tracegrad.tracer.numpy_api import stack

        indices = stack(indices)
    if _is_traced(indices):
        dtype = dtype_of(indices)
        if dtype == np.bool_:
            raise _mask_error(shape, indices)
        if dtype.kind not in "iu":
            raise _index_type_error(dtype)
        return indices
    arr = np.asarray(indices)
    if arr.dtype == np.bool_:
        raise _mask_error(shape, arr)
    if arr.size == 0 and arr.dtype.kind == "f":  # x[[]]: an empty list is an int index
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise _index_type_error(arr.dtype)
    bad = arr[(arr < -n) | (arr >= n)]
    if bad.size:
        raise user_error(
            IndexError,
            f"index {bad.flat[0]} is out of bounds for axis {axis} with size {n} "
            f"(indexing an array of shape {shape})",
        )
    return np.where(arr < 0, arr + n, arr).astype(np.int64)


# --- the key ------------------------------------------------------------------------------


def _expand(items: list, shape: tuple[int, ...]) -> list[tuple[Any, int | None, int]]:
    """``(item, axis, position in the key)`` for every item, the ellipsis (or the
    end of the key) expanded into full slices over the axes not indexed."""
    ellipses = sum(item is Ellipsis for item in items)
    if ellipses > 1:
        raise user_error(IndexError, "an index can only have a single ellipsis ('...')")
    consumed = sum(item is not None and item is not Ellipsis for item in items)
    if consumed > len(shape):
        raise user_error(
            IndexError,
            f"too many indices for an array of shape {shape}: it is {len(shape)}-dimensional, "
            f"but {consumed} were indexed",
        )
    entries, d = [], 0
    for pos, item in enumerate(items):
        _check_item(item, shape)
        if item is Ellipsis:
            for _ in range(len(shape) - consumed):
                entries.append((slice(None), d, pos))
                d += 1
        elif item is None:
            entries.append((None, None, pos))
        else:
            entries.append((item, d, pos))
            d += 1
    entries += [(slice(None), k, len(items)) for k in range(d, len(shape))]
    return entries


def _check_item(item: Any, shape: tuple[int, ...]) -> None:
    """Reject what cannot be an index, or cannot be traced, with a reason."""
    if isinstance(item, (bool, np.bool_)):
        raise _mask_error(shape, np.asarray(item))
    if item is None or item is Ellipsis or _is_int(item) or _is_array(item):
        return
    if isinstance(item, slice):
        if any(_is_traced(v) for v in (item.start, item.stop, item.step)):
            raise user_error(
                UnsupportedError,
                "a slice with traced bounds (x[i:j] where i or j is traced) has a shape "
                "that depends on the data",
                "make the bounds static (tg.compile(..., static_argnums=...)), or take "
                "the elements with an index array: x[i + np.arange(n)]",
            )
        return
    raise user_error(
        IndexError,
        f"{type(item).__name__} {item!r} is not a valid index: only integers, slices (`:`), "
        f"ellipsis (`...`), None and integer arrays are",
    )


def _slice_bounds(s: slice, n: int) -> tuple[int, int, int, int, bool]:
    """`s` on an axis of size `n` as ``(start, limit, stride, size, reversed)`` of a
    forward slice, reversed afterwards when the step is negative."""
    start, stop, step = s.indices(n)
    size = len(range(start, stop, step))
    if size == 0:
        return 0, 0, 1, 0, False
    if step > 0:
        return start, start + (size - 1) * step + 1, step, size, False
    low = start + (size - 1) * step  # the last element taken is the lowest
    return low, start + 1, -step, size, size > 1


def _static_int(item: Any, axis: int, shape: tuple[int, ...]) -> int:
    i, n = int(item), shape[axis]
    if not -n <= i < n:
        raise user_error(
            IndexError,
            f"index {i} is out of bounds for axis {axis} with size {n} "
            f"(indexing an array of shape {shape})",
        )
    return i % n


# --- advanced indexing ------------------------------------------------------------------------


def _gather(y: Any, dims: list[int], indices: list[Any], adjacent: bool) -> Any:
    """One `gather` for all array indices: the indexed axes merged into one axis (at
    the first of them when adjacent, else moved to the front), indexed by the
    flattened (row-major) combination of the indices."""
    if len(dims) == 1:
        return lay.gather(y, indices[0], dims[0])
    shape = shape_of(y)
    sizes = [shape[d] for d in dims]
    flat = _flat_index(indices, sizes)
    if adjacent:
        merged = shape[:dims[0]] + (math.prod(sizes),) + shape[dims[-1] + 1:]
        return lay.gather(lay.reshape(y, merged), flat, dims[0])
    rest = [i for i in range(len(shape)) if i not in dims]
    moved = lay.transpose(y, tuple(dims + rest))
    merged = (math.prod(sizes),) + tuple(shape[i] for i in rest)
    return lay.gather(lay.reshape(moved, merged), flat, 0)


def _flat_index(indices: list[Any], sizes: list[int]) -> Any:
    """``((i0 * n1 + i1) * n2 + i2) ...``: computed now when all indices are
    concrete, else as ops (traced indices must then be within range)."""
    if not any(_is_traced(i) for i in indices):
        flat = indices[0]
        for i, n in zip(indices[1:], sizes[1:]):
            flat = flat * n + i
        return flat
    flat = None
    for i, n in zip(indices, sizes):
        if _is_traced(i):
            i = ew.convert(i, np.int64)
            i = ew.select(ew.lt(i, 0), ew.add(i, n), i)
        flat = i if flat is None else ew.add(ew.mul(flat, n), i)
    return flat


# --- small predicates and errors ------------------------------------------------------------


def _is_traced(v: Any) -> bool:
    """A value known only at run time: a tracer (or a dynamic tensor), not NumPy data."""
    return hasattr(v, "shape") and not isinstance(v, (np.ndarray, np.generic))


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_array(v: Any) -> bool:
    return isinstance(v, (list, tuple, np.ndarray)) or _is_traced(v)


def _mask_error(shape: tuple[int, ...], mask: Any) -> Exception:
    return user_error(
        UnsupportedError,
        f"boolean mask indexing (a mask of shape {shape_of(mask)} on an array of shape "
        f"{shape}) gives as many elements as the mask has True values, a shape that "
        f"depends on the data, which a static graph cannot have",
        "keep the shape and zero the unselected elements: np.where(mask, x, 0) "
        "(np.sum(np.where(mask, x, 0)) sums the selection)",
    )


def _index_type_error(dtype: np.dtype) -> Exception:
    return user_error(
        IndexError,
        f"arrays used as indices must be of integer type, got {dtype}",
        "convert them, e.g. idx.astype(np.int64)",
    )

