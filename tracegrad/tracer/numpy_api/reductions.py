"""NumPy reductions on traced values: sum, prod, mean, var, std, max, min,
argmax, argmin, all, any, cumsum."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops import reduce as red
from tracegrad.ops.promote import (
    dtype_of,
    shape_of,
)
from tracegrad.tracer.errors import ShapeError, user_error
from tracegrad.tracer.numpy_api.registry import (
    _array,
    _axis,
    _count,
    _reject,
    implements,
)
from tracegrad.tracer.numpy_api.shapes import ravel

# --- reductions ------------------------------------------------------------------------


def _sum_dtype(x: Any, dtype: Any) -> np.dtype:
    # NumPy sums bools and small ints in the platform integer.
    if dtype is not None:
        return np.dtype(dtype)
    dt = dtype_of(x)
    if dt == np.bool_ or (dt.kind in "iu" and dt.itemsize < np.dtype(np.int_).itemsize):
        return np.dtype(np.int_) if dt.kind != "u" else np.dtype(np.uint)
    return dt


def _mean_dtype(a: Any, dtype: Any) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    dt = dtype_of(a)
    return dt if np.issubdtype(dt, np.inexact) else np.dtype(np.float64)


def _require_nonempty(name: str, shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
    if any(shape[a] == 0 for a in axes):
        raise user_error(
            ShapeError,
            f"np.{name}: zero-size array (shape {shape}) to a reduction with no identity",
        )


@implements(np.sum, method="sum")
def sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
        **unsupported: Any) -> Any:
    """``np.sum``; bools and small integers are summed in the platform integer.

    >>> sum(np.array([[1, 2], [3, 4]], np.int8), axis=0).dtype
    dtype('int64')
    """
    _reject("sum", out=out, **unsupported)
    a = _array(a)
    return red.reduce_sum(ew.convert(a, _sum_dtype(a, dtype)), axis, keepdims)


@implements(np.prod, method="prod")
def prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         **unsupported: Any) -> Any:
    """``np.prod``, with `sum`'s dtype rule.

    >>> prod(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    array([ 2., 12.])
    """
    _reject("prod", out=out, **unsupported)
    a = _array(a)
    return red.reduce_prod(ew.convert(a, _sum_dtype(a, dtype)), axis, keepdims)


@implements(np.mean, method="mean")
def mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         **unsupported: Any) -> Any:
    """``np.mean``: the sum divided by the count; integers average in float64.

    >>> float(mean(np.array([1, 2, 4])))  # doctest: +ELLIPSIS
    2.333...
    """
    _reject("mean", out=out, **unsupported)
    a = _array(a)
    dt = _mean_dtype(a, dtype)
    axes = red.normalize_axes("mean", axis, len(shape_of(a)))
    total = red.reduce_sum(ew.convert(a, dt), axes, keepdims)
    return ew.div(total, np.asarray(_count(shape_of(a), axes), dt))


@implements(np.var, method="var")
def var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
        keepdims: bool = False, *, correction: Any = None, **unsupported: Any) -> Any:
    """``np.var``: the mean squared deviation from the mean, divided by ``n - ddof``.

    >>> float(var(np.array([1.0, 2.0, 3.0, 4.0]), ddof=1))  # doctest: +ELLIPSIS
    1.666...
    """
    _reject("var", out=out, **unsupported)
    if correction is not None:
        ddof = correction
    a = _array(a)
    dt = _mean_dtype(a, dtype)
    x = ew.convert(a, dt)
    axes = red.normalize_axes("var", axis, len(shape_of(a)))
    centred = ew.sub(x, mean(x, axes, keepdims=True))
    squares = red.reduce_sum(ew.mul(centred, centred), axes, keepdims)
    return ew.div(squares, np.asarray(builtins.max(_count(shape_of(a), axes) - ddof, 0), dt))


@implements(np.std, method="std")
def std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
        keepdims: bool = False, *, correction: Any = None, **unsupported: Any) -> Any:
    """``np.std``: the square root of `var`.

    >>> float(std(np.array([1.0, 3.0])))
    1.0
    """
    return ew.sqrt(var(a, axis, dtype, out, ddof, keepdims, correction=correction,
                       **unsupported))


@implements(np.max, np.amax, method="max")
def amax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
         **unsupported: Any) -> Any:
    """``np.max``: the maximum over `axis` (all axes when None); NaN propagates.

    >>> amax(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=0)
    array([7., 5.])
    """
    _reject("max", out=out, **unsupported)
    a = _array(a)
    _require_nonempty("max", shape_of(a), red.normalize_axes("max", axis, len(shape_of(a))))
    return red.reduce_max(a, axis, keepdims)


@implements(np.min, np.amin, method="min")
def amin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
         **unsupported: Any) -> Any:
    """``np.min``: the minimum over `axis` (all axes when None); NaN propagates.

    >>> amin(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=1, keepdims=True)
    array([[1.],
           [2.]])
    """
    _reject("min", out=out, **unsupported)
    a = _array(a)
    _require_nonempty("min", shape_of(a), red.normalize_axes("min", axis, len(shape_of(a))))
    return red.reduce_min(a, axis, keepdims)


@implements(np.argmax, method="argmax")
def argmax(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
    """``np.argmax``: int64 index of the first maximum (into the flattened array when
    `axis` is None).

    >>> int(argmax(np.array([[1.0, 5.0], [7.0, 2.0]])))
    2
    """
    _reject("argmax", out=out)
    return red.argmax(_array(a), axis, keepdims)


@implements(np.argmin, method="argmin")
def argmin(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
    """``np.argmin``: int64 index of the first minimum.

    >>> argmin(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=1)
    array([0, 1])
    """
    _reject("argmin", out=out)
    return red.argmin(_array(a), axis, keepdims)


@implements(np.all, method="all")
def all_(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
        **unsupported: Any) -> Any:
    """``np.all``: True where no element along `axis` is zero (a count of zeros).

    >>> all_(np.array([[1.0, 0.0], [2.0, 3.0]]), axis=1)
    array([False,  True])
    """
    _reject("all", out=out, **unsupported)
    zeros = red.reduce_sum(ew.convert(ew.eq(_array(a), 0), np.int64), axis, keepdims)
    return ew.eq(zeros, 0)


@implements(np.any, method="any")
def any_(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
        **unsupported: Any) -> Any:
    """``np.any``: True where some element along `axis` is nonzero.

    >>> any_(np.array([[1.0, 0.0], [0.0, 0.0]]), axis=1)
    array([ True, False])
    """
    _reject("any", out=out, **unsupported)
    nonzeros = red.reduce_sum(ew.convert(ew.ne(_array(a), 0), np.int64), axis, keepdims)
    return ew.ne(nonzeros, 0)


@implements(np.cumsum, method="cumsum")
def cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """``np.cumsum``: running sums along `axis` (of the flattened array when None).

    A Hillis-Steele scan: log2(n) rounds of adding a copy shifted k places (zeros in
    front), k doubling; only pads and adds, so its gradient needs no rule of its own.

    >>> cumsum(np.array([[1, 2], [3, 4]]), axis=1)
    array([[1, 3],
           [3, 7]])
    """
    _reject("cumsum", out=out)
    a = _array(a)
    if axis is None:
        a, axis = ravel(a), 0
    ndim = len(shape_of(a))
    axis = _axis("cumsum", axis, ndim)
    acc = ew.convert(a, _sum_dtype(a, dtype))
    n, k = shape_of(a)[axis], 1
    while k < n:
        config = tuple((k, -k, 0) if i == axis else (0, 0, 0) for i in range(ndim))
        acc = ew.add(acc, lay.pad(acc, 0, config))
        k *= 2
    return acc


