"""NumPy-level elementwise compositions: power, floor_divide, mod, logaddexp,
log2/log10/exp2, isnan/isinf/isfinite, clip, where."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tracegrad.ops import elementwise as ew
from tracegrad.ops.promote import (
    cast,
    promote_args,
    result_dtype,
)
from tracegrad.tracer.errors import UnsupportedError, user_error
from tracegrad.tracer.numpy_api.registry import (
    _reject,
    implements,
)

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
    low = a_min if a_min is not None else min
    high = a_max if a_max is not None else max
    result = a
    if low is not None:
        result = ew.max(result, low)
    if high is not None:
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


