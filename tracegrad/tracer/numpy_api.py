"""NumPy functions and ufuncs on traced values, each mapped to tracegrad's ops.

`UFUNCS` maps a NumPy ufunc to an op wrapper (``__array_ufunc__``); `FUNCTIONS`
maps a NumPy function to its composition of ops (``__array_function__``);
`METHODS` names the array methods that are these functions. The functions here work
on any operand kind (tracer, dynamic tensor, array), so the dynamic mode reuses
the table. They follow NumPy 2's results and dtypes; a Python scalar is weak where
NumPy's ufuncs treat it so (``where``, ``clip``, arithmetic) and an ordinary array
where NumPy converts it first (``dot``, ``concatenate``). Anything not listed fails
with `UnsupportedError` naming the function; so does an argument that cannot be
traced (``out=``, ``where=``, ``initial=``, ...).
The supported list, with the primitives each entry maps to, is docs/numpy-support.md.
"""

from __future__ import annotations

import builtins
import math
import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops import linalg
from tracegrad.ops import reduce as red
from tracegrad.ops.promote import (
    broadcast_shapes,
    broadcast_to_shape,
    cast,
    dtype_of,
    float_dtype,
    promote_args,
    result_dtype,
    shape_of,
)
from tracegrad.tracer.errors import ShapeError, UnsupportedError, user_error

SUPPORTED_DOC = "docs/numpy-support.md"

UFUNCS: dict[np.ufunc, Callable] = {
    np.add: ew.add, np.subtract: ew.sub, np.multiply: ew.mul, np.true_divide: ew.div,
    np.negative: ew.neg, np.positive: lambda x: x,
    np.exp: ew.exp, np.log: ew.log, np.log1p: ew.log1p, np.expm1: ew.expm1,
    np.sin: ew.sin, np.cos: ew.cos, np.tan: ew.tan, np.tanh: ew.tanh,
    np.sinh: ew.sinh, np.cosh: ew.cosh, np.arcsin: ew.asin, np.arccos: ew.acos,
    np.arctan: ew.atan, np.arctan2: ew.atan2, np.sqrt: ew.sqrt, np.square: ew.square,
    np.absolute: ew.abs, np.sign: ew.sign, np.floor: ew.floor, np.ceil: ew.ceil,
    np.maximum: ew.max, np.minimum: ew.min, np.reciprocal: ew.reciprocal,
    np.equal: ew.eq, np.not_equal: ew.ne, np.less: ew.lt, np.less_equal: ew.le,
    np.greater: ew.gt, np.greater_equal: ew.ge,
    np.logical_and: lambda x, y: ew.logical_and(_as_bool(x), _as_bool(y)),
    np.logical_or: lambda x, y: ew.logical_or(_as_bool(x), _as_bool(y)),
    np.logical_xor: lambda x, y: ew.logical_xor(_as_bool(x), _as_bool(y)),
    np.logical_not: lambda x: ew.logical_not(_as_bool(x)),
    np.bitwise_and: ew.logical_and, np.bitwise_or: ew.logical_or,
    np.bitwise_xor: ew.logical_xor, np.invert: ew.logical_not,
}

FUNCTIONS: dict[Callable, Callable] = {}

# Array methods that are NumPy functions of the same name.
METHODS: dict[str, Callable] = {}


def implements(*np_functions: Callable, method: str | None = None) -> Callable:
    """Register the decorated function as the traced version of `np_functions`.

    A ufunc goes to `UFUNCS` (NumPy calls ``__array_ufunc__`` for it), anything
    else to `FUNCTIONS`; `method` also makes it the array method of that name.
    """

    def register(fn: Callable) -> Callable:
        for f in np_functions:
            (UFUNCS if isinstance(f, np.ufunc) else FUNCTIONS)[f] = fn
        if method:
            METHODS[method] = fn
        return fn

    return register


def dispatch_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``__array_ufunc__``: apply the op that implements `ufunc`."""
    fn = UFUNCS.get(ufunc)
    if method != "__call__" or fn is None:
        what = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        raise user_error(
            UnsupportedError,
            f"{what} is not supported on traced arrays",
            f"the supported ufuncs and functions are listed in {SUPPORTED_DOC}",
        )
    if kwargs:
        bad = ", ".join(f"{k}=" for k in kwargs)
        raise user_error(
            UnsupportedError,
            f"np.{ufunc.__name__}: the keyword argument(s) {bad} cannot be traced "
            f"(traced arrays are immutable, and out= writes in place)",
            "drop the keyword and use the returned value",
        )
    return fn(*inputs)


def dispatch_function(func: Callable, args: tuple, kwargs: dict) -> Any:
    """``__array_function__``: apply the composition that implements `func`."""
    fn = FUNCTIONS.get(func)
    if fn is None:
        name = getattr(func, "__module__", "numpy").replace("numpy", "np", 1)
        raise user_error(
            UnsupportedError,
            f"{name}.{func.__name__} is not supported on traced arrays",
            f"the supported NumPy functions are listed in {SUPPORTED_DOC}",
        )
    return fn(*args, **kwargs)


# --- helpers -----------------------------------------------------------------------


def _array(x: Any) -> Any:
    """`x` itself if it has a shape and a dtype (tracer, tensor, array, NumPy scalar),
    else NumPy's array of it: where NumPy calls ``asarray``, lists and Python
    scalars are ordinary (not weak) arrays."""
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x
    return np.asarray(x)


def _reject(name: str, **given: Any) -> None:
    """Raise `UnsupportedError` naming the keyword arguments given to `name` that
    cannot be traced (those whose value is not None)."""
    bad = [k for k, v in given.items() if v is not None and v is not np._NoValue]
    if bad:
        raise user_error(
            UnsupportedError,
            f"np.{name}: the keyword argument(s) {', '.join(k + '=' for k in bad)} "
            f"are not supported on traced arrays",
            "drop them and use the returned value (traced arrays are immutable, so "
            "out= cannot write in place)",
        )


def _axis(name: str, axis: Any, ndim: int) -> int:
    """One axis, negatives counted from the end, or a `ShapeError`."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise user_error(
            ShapeError, f"{name}: axis {axis} is out of bounds for an array of rank {ndim}"
        )
    return axis % ndim


def _as_bool(x: Any) -> Any:
    return x if dtype_of(x) == np.bool_ else ew.ne(x, 0)


def _count(shape: Sequence[int], axes: Sequence[int]) -> int:
    return math.prod(shape[a] for a in axes)


# --- elementwise compositions ---------------------------------------------------------


@implements(np.power)
def power(x: Any, y: Any) -> Any:
    """``x ** y`` (``np.power``) with NumPy's promotion.

    >>> power(np.array([2.0, 3.0]), 2)
    array([4., 9.])
    """
    return ew.pow(x, y)


def _int_as_float(name: str, x: Any, y: Any) -> tuple[Any, Any, np.dtype]:
    """Integer operands converted to float64 for floor division, and their dtype
    (bools divide as int8, like NumPy). Exact while |x| and |y| are below 2**53."""
    dtype = result_dtype(x, y)
    if dtype == np.bool_:
        dtype = np.dtype(np.int8)
    x, y = promote_args(name, cast(x, np.float64), cast(y, np.float64))
    return x, y, dtype


@implements(np.floor_divide)
def floor_divide(x: Any, y: Any) -> Any:
    """``x // y``: the floor of the quotient; integer division by zero gives 0 (NumPy).

    >>> floor_divide(np.array([7, -7]), 2)
    array([ 3, -4])
    """
    if result_dtype(x, y).kind not in "biu":
        x, y = promote_args("floor_divide", x, y)
        return ew.floor(ew.div(x, y))
    xf, yf, dtype = _int_as_float("floor_divide", x, y)
    q = ew.select(ew.eq(yf, 0), 0.0, ew.floor(ew.div(xf, yf)))
    return ew.convert(q, dtype)


@implements(np.remainder)
def mod(x: Any, y: Any) -> Any:
    """``x % y`` (``np.mod``): the remainder with the sign of `y`; ``x % 0`` is 0 for
    integers and NaN for floats, as in NumPy.

    >>> mod(np.array([7, -7]), 3)
    array([1, 2])
    """
    if result_dtype(x, y).kind not in "biu":
        x, y = promote_args("mod", x, y)
        return ew.sub(x, ew.mul(ew.floor(ew.div(x, y)), y))
    xf, yf, dtype = _int_as_float("mod", x, y)
    r = ew.sub(xf, ew.mul(ew.floor(ew.div(xf, yf)), yf))
    return ew.convert(ew.select(ew.eq(yf, 0), 0.0, r), dtype)


@implements(np.logaddexp)
def logaddexp(x: Any, y: Any) -> Any:
    """``log(exp(x) + exp(y))`` computed stably as ``max + log1p(exp(-|x - y|))``.

    Equal operands (infinities included) give ``x + log(2)``; the gradient is then
    split evenly between them.

    >>> float(logaddexp(np.float64(1000.0), np.float64(1000.0)))  # doctest: +ELLIPSIS
    1000.693...
    """
    x, y = promote_args("logaddexp", x, y, to_float=True)
    m = ew.max(x, y)
    spread = ew.log1p(ew.exp(ew.neg(ew.abs(ew.sub(x, y)))))
    return ew.select(ew.eq(x, y), ew.add(m, math.log(2.0)), ew.add(m, spread))


@implements(np.log2)
def log2(x: Any) -> Any:
    """Base-2 logarithm, ``log(x) / log(2)``.

    >>> log2(np.array([8.0]))
    array([3.])
    """
    return ew.mul(ew.log(x), 1.0 / math.log(2.0))


@implements(np.log10)
def log10(x: Any) -> Any:
    """Base-10 logarithm, ``log(x) / log(10)``.

    >>> log10(np.array([100.0]))
    array([2.])
    """
    return ew.mul(ew.log(x), 1.0 / math.log(10.0))


@implements(np.exp2)
def exp2(x: Any) -> Any:
    """``2 ** x``; integers go to float as in NumPy.

    >>> exp2(np.array([3]))
    array([8.])
    """
    (x,) = promote_args("exp2", x, to_float=True)
    return ew.pow(2.0, x)


@implements(np.isnan)
def isnan(x: Any) -> Any:
    """True where `x` is NaN (``x != x``).

    >>> isnan(np.array([1.0, np.nan]))
    array([False,  True])
    """
    return ew.ne(x, x)


@implements(np.isinf)
def isinf(x: Any) -> Any:
    """True where `x` is +inf or -inf.

    >>> isinf(np.array([1.0, -np.inf]))
    array([False,  True])
    """
    return ew.eq(ew.abs(x), np.inf)


@implements(np.isfinite)
def isfinite(x: Any) -> Any:
    """True where `x` is neither infinite nor NaN (``|x| < inf``).

    >>> isfinite(np.array([1.0, np.inf, np.nan]))
    array([ True, False, False])
    """
    return ew.lt(ew.abs(x), np.inf)


@implements(np.clip, method="clip")
def clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, *,
         min: Any = None, max: Any = None, **unsupported: Any) -> Any:
    """``minimum(maximum(a, a_min), a_max)``; either bound may be None.

    >>> clip(np.array([-2.0, 0.5, 3.0]), 0.0, 1.0)
    array([0. , 0.5, 1. ])
    """
    _reject("clip", out=out, **unsupported)
    low = a_min if a_min is not None and a_min is not np._NoValue else min
    high = a_max if a_max is not None and a_max is not np._NoValue else max
    result = a
    if low is not None and low is not np._NoValue:
        result = ew.max(result, low)
    if high is not None and high is not np._NoValue:
        result = ew.min(result, high)
    return result


@implements(np.where)
def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``np.where(condition, x, y)``: `x` where the condition holds, else `y`.

    The one-argument form (the indices of true elements) has a data-dependent
    shape and cannot be traced.

    >>> where(np.array([True, False]), 1.0, np.array([5.0, 6.0]))
    array([1., 6.])
    """
    if x is None and y is None:
        raise user_error(
            UnsupportedError,
            "np.where(condition) with one argument returns the indices of the true "
            "elements, whose number depends on the data, so it cannot be traced",
            "use the three-argument form np.where(condition, x, y), or a mask: "
            "np.sum(np.where(condition, x, 0))",
        )
    if x is None or y is None:
        raise user_error(ValueError, "np.where: either both or neither of x and y should be given")
    return ew.select(condition, x, y)


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

    >>> mean(np.array([1, 2, 4]))
    np.float64(2.3333333333333335)
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
    if correction is not None and correction is not np._NoValue:
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

    >>> argmax(np.array([[1.0, 5.0], [7.0, 2.0]]))
    np.int64(2)
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


# --- shapes ----------------------------------------------------------------------------


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


FUNCTIONS[np.reshape] = reshape


@implements(np.ravel, method="ravel")
def ravel(a: Any, order: str = "C") -> Any:
    """``np.ravel``: the elements as a 1-d array, in C order.

    >>> ravel(np.ones((2, 3))).shape
    (6,)
    """
    return reshape(a, (-1,), order)


METHODS["flatten"] = ravel  # traced arrays are immutable: no copy to make


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


FUNCTIONS[np.transpose] = transpose
FUNCTIONS[np.permute_dims] = transpose


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
    if ndim == 3 and len(shape) == 2:
        return lay.reshape(a, shape + (1,))
    if ndim == 3:
        return lay.reshape(a, (1, *shape, 1) if shape else (1, 1, 1))
    return lay.reshape(a, (1,) * (ndim - len(shape)) + shape)


def _atleast_fn(ndim: int, np_fn: Callable) -> Callable:
    def atleast(*arys: Any) -> Any:
        out = tuple(_atleast(ndim, a) for a in arys)
        return out[0] if len(out) == 1 else out

    atleast.__name__ = np_fn.__name__
    atleast.__doc__ = f"``np.{np_fn.__name__}``: views with at least {ndim} dimensions."
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
    """``np.shape``: static, so a plain tuple."""
    return shape_of(a)


@implements(np.ndim)
def array_ndim(a: Any) -> int:
    """``np.ndim``: static, so a plain int."""
    return len(shape_of(a))


@implements(np.size)
def array_size(a: Any, axis: Any = None) -> int:
    """``np.size``: static, so a plain int."""
    shape = shape_of(a)
    return math.prod(shape) if axis is None else shape[_axis("size", axis, len(shape))]


@implements(np.copy, method="copy")
def copy(a: Any, order: str = "K", subok: bool = False) -> Any:
    """``np.copy``: traced arrays are immutable, so the value itself."""
    return _array(a)


@implements(np.astype)
def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    """``np.astype``: a `convert`."""
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


# --- contractions -----------------------------------------------------------------------


def _common(*operands: Any) -> list[Any]:
    """Operands as arrays of their common dtype. These functions convert their
    arguments with ``asarray``, so Python scalars count as float64/int64 here."""
    arrays = [_array(o) for o in operands]
    dtype = np.result_type(*[dtype_of(a) for a in arrays])
    return [cast(a, dtype) for a in arrays]


def _check_aligned(name: str, a: Any, b: Any, a_dims: Sequence[int],
                   b_dims: Sequence[int]) -> None:
    sa, sb = shape_of(a), shape_of(b)
    for i, j in zip(a_dims, b_dims):
        if sa[i] != sb[j]:
            raise user_error(
                ShapeError,
                f"{name}: shapes {sa} and {sb} are not aligned: dimension {i} of the first "
                f"({sa[i]}) != dimension {j} of the second ({sb[j]})",
            )


def _dot_general(a: Any, b: Any, contracting: tuple, batch: tuple = ((), ())) -> Any:
    """`linalg.dot_general`, with bools contracted as integers (``or`` of ``and``s)
    and no contraction at all done as a broadcast product."""
    if not contracting[0] and not batch[0]:
        return _outer_product(a, b)
    if dtype_of(a) == np.bool_:
        a, b = ew.convert(a, np.int64), ew.convert(b, np.int64)
        return ew.ne(linalg.dot_general(a, b, contracting=contracting, batch=batch), 0)
    return linalg.dot_general(a, b, contracting=contracting, batch=batch)


def _outer_product(a: Any, b: Any) -> Any:
    """``out[i..., j...] = a[i...] * b[j...]``: the axes of `a` followed by those of `b`."""
    sa = shape_of(a)
    return ew.mul(lay.reshape(a, sa + (1,) * len(shape_of(b))), b)


@implements(np.dot, method="dot")
def dot(a: Any, b: Any, out: Any = None) -> Any:
    """``np.dot``: the last axis of `a` with the last (1-d `b`) or second-to-last axis
    of `b`; a product when either is 0-d.

    >>> dot(np.ones((2, 3)), np.ones((4, 3, 5))).shape
    (2, 4, 5)
    """
    _reject("dot", out=out)
    a, b = _common(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return ew.mul(a, b)
    contract = ((na - 1,), (0 if nb == 1 else nb - 2,))
    _check_aligned("np.dot", a, b, *contract)
    return _dot_general(a, b, contract)


@implements(np.vdot)
def vdot(a: Any, b: Any) -> Any:
    """``np.vdot``: the dot product of the flattened arrays (real arrays only).

    >>> float(vdot(np.ones((2, 2)), np.full((2, 2), 2.0)))
    8.0
    """
    a, b = (ravel(x) for x in _common(a, b))
    if shape_of(a) != shape_of(b):
        raise user_error(ShapeError, f"np.vdot: the arrays have different sizes "
                                     f"({shape_of(a)[0]} and {shape_of(b)[0]})")
    return _dot_general(a, b, ((0,), (0,)))


@implements(np.inner)
def inner(a: Any, b: Any) -> Any:
    """``np.inner``: contract the last axes of `a` and `b`.

    >>> inner(np.ones((2, 3)), np.ones((4, 3))).shape
    (2, 4)
    """
    a, b = _common(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return ew.mul(a, b)
    contract = ((na - 1,), (nb - 1,))
    _check_aligned("np.inner", a, b, *contract)
    return _dot_general(a, b, contract)


@implements(np.outer)
def outer(a: Any, b: Any, out: Any = None) -> Any:
    """``np.outer``: ``out[i, j] = a.ravel()[i] * b.ravel()[j]``.

    >>> outer(np.ones(2), np.ones(3)).shape
    (2, 3)
    """
    _reject("outer", out=out)
    a, b = _common(a, b)
    return _outer_product(ravel(a), ravel(b))


@implements(np.matmul)
def matmul(a: Any, b: Any, /, out: Any = None, **unsupported: Any) -> Any:
    """``a @ b``: matrix products over the last two axes, leading (batch) axes
    broadcast; a 1-d operand is a vector (NumPy's rules).

    >>> matmul(np.ones((5, 1, 2, 3)), np.ones((4, 3, 6))).shape
    (5, 4, 2, 6)
    """
    _reject("matmul", out=out, **unsupported)
    a, b = _common(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        raise user_error(ShapeError, f"matmul: operands of shapes {sa} and {sb}: a 0-d "
                                     f"operand has no dimension to multiply over",
                         "use * to multiply by a scalar")
    a2 = lay.reshape(a, (1,) + sa) if len(sa) == 1 else a
    b2 = lay.reshape(b, sb + (1,)) if len(sb) == 1 else b
    sa2, sb2 = shape_of(a2), shape_of(b2)
    if sa2[-1] != sb2[-2]:
        raise user_error(ShapeError, f"matmul: shapes {sa} and {sb} do not align: "
                                     f"{sa2[-1]} (last dimension of the first) != "
                                     f"{sb2[-2]} (second-to-last of the second)")
    if len(sb2) == 2:  # no batch axes in b: one contraction, nothing broadcast
        result = _dot_general(a2, b2, ((len(sa2) - 1,), (0,)))
    else:
        batch = broadcast_shapes("matmul", sa2[:-2], sb2[:-2])
        a2 = broadcast_to_shape(a2, batch + sa2[-2:])
        b2 = broadcast_to_shape(b2, batch + sb2[-2:])
        nb = len(batch)
        result = _dot_general(a2, b2, ((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb))))
    shape = shape_of(result)
    keep = shape[:-2] + (shape[-2],) * (len(sa) > 1) + (shape[-1],) * (len(sb) > 1)
    return lay.reshape(result, keep)


@implements(np.tensordot)
def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """``np.tensordot``: contract the last `axes` axes of `a` with the first of `b`,
    or the axes listed in ``axes = (a_axes, b_axes)``.

    >>> tensordot(np.ones((2, 3, 4)), np.ones((3, 4, 5)), axes=2).shape
    (2, 5)
    """
    a, b = _common(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if isinstance(axes, (int, np.integer)):
        a_axes, b_axes = tuple(range(na - int(axes), na)), tuple(range(int(axes)))
    else:
        a_axes, b_axes = (tuple(np.atleast_1d(x).tolist()) for x in axes)
    if len(a_axes) != len(b_axes):
        raise user_error(ShapeError, f"np.tensordot: {len(a_axes)} axes of the first operand "
                                     f"for {len(b_axes)} axes of the second")
    a_axes = tuple(_axis("tensordot", i, na) for i in a_axes)
    b_axes = tuple(_axis("tensordot", i, nb) for i in b_axes)
    _check_aligned("np.tensordot", a, b, a_axes, b_axes)
    return _dot_general(a, b, (a_axes, b_axes))


# --- einsum -------------------------------------------------------------------------------
# Labels are the subscript letters; the axes an ellipsis stands for get the integer
# labels 0, 1, ... (aligned to the right, as NumPy broadcasts them).


def _einsum_term(term: str, ndim: int | None, where: str) -> tuple[list, int]:
    """The labels of one subscript term, and how many axes its ellipsis covers."""
    head, ell, tail = term.partition("...")
    if "." in head + tail or not all(c in string.ascii_letters for c in head + tail):
        raise user_error(ValueError, f"np.einsum: invalid subscripts {where!r}",
                         "use letters a-z, A-Z and at most one '...' per operand")
    letters = list(head + tail)
    covered = 0
    if ndim is not None:
        covered = ndim - len(letters)
        if covered < 0 or (covered and not ell):
            raise user_error(ShapeError, f"np.einsum: subscripts {term!r} name {len(letters)} "
                                         f"axes of an operand with {ndim}")
    return [*head, *range(covered), *tail] if ell else letters, covered


def _parse_einsum(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[list], list]:
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise user_error(ValueError, f"np.einsum: {len(terms)} subscript terms for "
                                     f"{len(shapes)} operands")
    parsed = [_einsum_term(t, len(s), subscripts) for t, s in zip(terms, shapes)]
    width = builtins.max([c for _, c in parsed], default=0)
    # Ellipsis axes are right-aligned: operand k's first axis is label width - c.
    inputs = [[lab + width - c if isinstance(lab, int) else lab for lab in labels]
              for labels, c in parsed]
    for labels in inputs:
        if len(set(labels)) != len(labels):
            raise user_error(
                UnsupportedError,
                f"np.einsum: a letter repeated within one operand ({subscripts!r}) takes a "
                f"diagonal, which is not supported",
                "take the diagonal first, or write the sum with explicit indexing",
            )
    if arrow:
        head, ell, tail = rhs.partition("...")
        _einsum_term(rhs, None, subscripts)  # the same letters-only check
        if width and not ell:
            raise user_error(ValueError, f"np.einsum: {subscripts!r} has '...' in its inputs "
                                         f"but not in its output")
        out = [*head, *range(width), *tail]
        used = {lab for labels in inputs for lab in labels}
        if len(set(out)) != len(out) or not set(out) <= used:
            raise user_error(ValueError, f"np.einsum: output subscripts of {subscripts!r} must "
                                         f"be distinct letters that appear in the inputs")
    else:
        letters = [lab for labels in inputs for lab in labels if isinstance(lab, str)]
        out = [*range(width), *sorted(c for c in set(letters) if letters.count(c) == 1)]
    return inputs, out


def _label_sizes(inputs: list[list], shapes: list[tuple[int, ...]], subscripts: str) -> dict:
    sizes: dict = {}
    for labels, shape in zip(inputs, shapes):
        for lab, d in zip(labels, shape):
            if sizes.get(lab, 1) not in (1, d) and d != 1:
                raise user_error(ShapeError, f"np.einsum: {subscripts!r}: label {lab!r} has "
                                             f"sizes {sizes[lab]} and {d} in operands of shapes "
                                             f"{', '.join(map(str, shapes))}")
            sizes[lab] = builtins.max(sizes.get(lab, 1), d)
    return sizes


def _drop_broadcast_axes(x: Any, labels: list, sizes: dict) -> tuple[Any, list]:
    """Remove axes of size 1 whose label is larger elsewhere: a broadcast axis is
    constant along the label, so the operand simply does not depend on it."""
    shape = shape_of(x)
    keep = [i for i, lab in enumerate(labels) if not (shape[i] == 1 and sizes[lab] > 1)]
    if len(keep) == len(labels):
        return x, labels
    return lay.reshape(x, tuple(shape[i] for i in keep)), [labels[i] for i in keep]


def _sum_labels(x: Any, labels: list, keep: set) -> tuple[Any, list]:
    """Sum out the axes whose labels are not in `keep`."""
    axes = tuple(i for i, lab in enumerate(labels) if lab not in keep)
    if not axes:
        return x, labels
    return red.reduce_sum(x, axes), [lab for lab in labels if lab in keep]


@implements(np.einsum)
def einsum(subscripts: Any, *operands: Any, out: Any = None, optimize: Any = False,
           **unsupported: Any) -> Any:
    """``np.einsum`` with explicit (``->``) or implicit output, ellipses and
    broadcasting; contracted pairwise, left to right, as `dot_general`.

    >>> einsum("bij,bjk->bik", np.ones((2, 3, 4)), np.ones((2, 4, 5))).shape
    (2, 3, 5)
    """
    _reject("einsum", out=out, **unsupported)
    if not isinstance(subscripts, str):
        raise user_error(UnsupportedError, "np.einsum: only the string form of the subscripts "
                                           "is supported", "write e.g. 'ij,jk->ik'")
    arrays = _common(*operands)
    shapes = [shape_of(a) for a in arrays]
    inputs, out_labels = _parse_einsum(subscripts, shapes)
    sizes = _label_sizes(inputs, shapes, subscripts)
    terms = [_drop_broadcast_axes(a, labels, sizes) for a, labels in zip(arrays, inputs)]

    def needed_after(k: int) -> set:
        return set(out_labels).union(*[labels for _, labels in terms[k + 1:]])

    acc, acc_labels = _sum_labels(*terms[0], needed_after(0))
    for k in range(1, len(terms)):
        later = needed_after(k)
        b, b_labels = _sum_labels(*terms[k], later | set(acc_labels))
        common = [lab for lab in acc_labels if lab in b_labels]
        batch = [lab for lab in common if lab in later]
        contract = [lab for lab in common if lab not in later]
        acc = _dot_general(
            acc, b,
            (tuple(acc_labels.index(lab) for lab in contract),
             tuple(b_labels.index(lab) for lab in contract)),
            (tuple(acc_labels.index(lab) for lab in batch),
             tuple(b_labels.index(lab) for lab in batch)),
        )
        acc_labels = batch + [lab for lab in acc_labels if lab not in common] + [
            lab for lab in b_labels if lab not in common]
    # Output labels some operand dropped as broadcast are present in another one.
    return lay.transpose(acc, tuple(acc_labels.index(lab) for lab in out_labels))


# --- linalg.norm -------------------------------------------------------------------------


def _vector_norm(x: Any, ord: Any, axes: tuple[int, ...]) -> Any:
    if ord is None or ord == 2:
        return ew.sqrt(red.reduce_sum(ew.mul(x, x), axes))
    if ord == np.inf:
        return red.reduce_max(ew.abs(x), axes)
    if ord == -np.inf:
        return red.reduce_min(ew.abs(x), axes)
    if ord == 0:
        return red.reduce_sum(ew.convert(ew.ne(x, 0), dtype_of(x)), axes)
    if ord == 1:
        return red.reduce_sum(ew.abs(x), axes)
    if isinstance(ord, str):
        raise user_error(ValueError, f"np.linalg.norm: invalid norm order {ord!r} for vectors")
    p = float(ord)
    return ew.pow(red.reduce_sum(ew.pow(ew.abs(x), p), axes), 1.0 / p)


def _matrix_norm(x: Any, ord: Any, row: int, col: int) -> Any:
    if ord is None or ord in ("fro", "f"):
        return ew.sqrt(red.reduce_sum(ew.mul(x, x), (row, col)))
    if ord in (1, -1, np.inf, -np.inf):
        # 1-norms: the largest column sum; inf-norms: the largest row sum.
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = red.reduce_sum(ew.abs(x), summed)
        if other > summed:
            other -= 1
        return (red.reduce_max if ord > 0 else red.reduce_min)(sums, other)
    raise user_error(UnsupportedError, f"np.linalg.norm: matrix norm ord={ord!r} needs singular "
                                       f"values, which are not supported",
                     "use ord='fro', 1, -1, np.inf or -np.inf")


@implements(np.linalg.norm)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """``np.linalg.norm``: vector norms (ord None/2, 1, inf, -inf, 0, p) over one axis,
    matrix norms ('fro', 1, -1, inf, -inf) over two, the 2-norm of all elements when
    both `ord` and `axis` are None.

    >>> float(norm(np.array([[3.0, 0.0], [0.0, 4.0]])))
    5.0
    """
    x = _array(x)
    x = ew.convert(x, float_dtype(dtype_of(x)))
    shape = shape_of(x)
    ndim = len(shape)
    if axis is None and ord is None:
        axes = tuple(range(ndim))
        result = ew.sqrt(red.reduce_sum(ew.mul(x, x)))
    else:
        if axis is None and ndim > 2:
            raise user_error(ShapeError, f"np.linalg.norm: ord={ord!r} needs axis= for an "
                                         f"array of rank {ndim}")
        axis = tuple(range(ndim)) if axis is None else axis
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        axes = tuple(_axis("norm", a, ndim) for a in axes)
        if len(axes) == 1:
            result = _vector_norm(x, ord, axes)
        elif len(axes) == 2 and axes[0] != axes[1]:
            result = _matrix_norm(x, ord, *axes)
        else:
            raise user_error(ShapeError, f"np.linalg.norm: axis={axis!r} must name one axis "
                                         f"(vector norm) or two distinct axes (matrix norm)")
    if keepdims:
        result = lay.reshape(result, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return result


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
