"""NumPy functions and ufuncs on traced values, each mapped to tracegrad's ops.

`UFUNCS` maps a NumPy ufunc to an op wrapper (``__array_ufunc__``); `FUNCTIONS`
maps a NumPy function to its composition of ops (``__array_function__``);
`METHODS` names the array methods that are these functions. The functions here work
on any operand kind (tracer, dynamic tensor, array), so the dynamic mode reuses
the table. Anything not listed fails with `UnsupportedError` naming the function.
The supported list is in docs/numpy-support.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tracegrad.ops import elementwise as ew
from tracegrad.ops import reduce as red
from tracegrad.ops.promote import dtype_of, promote_args, shape_of
from tracegrad.tracer.errors import UnsupportedError, user_error

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
    """Register the decorated function as the traced version of `np_functions`."""

    def register(fn: Callable) -> Callable:
        for f in np_functions:
            FUNCTIONS[f] = fn
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


def _as_bool(x: Any) -> Any:
    return x if dtype_of(x) == np.bool_ else ew.ne(x, 0)


# --- reductions -------------------------------------------------------------------


def _sum_dtype(x: Any, dtype: Any) -> np.dtype:
    # NumPy sums bools and small ints in the platform integer.
    if dtype is not None:
        return np.dtype(dtype)
    dt = dtype_of(x)
    if dt == np.bool_ or (dt.kind in "iu" and dt.itemsize < np.dtype(np.int_).itemsize):
        return np.dtype(np.int_) if dt.kind != "u" else np.dtype(np.uint)
    return dt


@implements(np.sum, method="sum")
def sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
        **kwargs: Any) -> Any:
    _no_out("sum", out, kwargs)
    return red.reduce_sum(ew.convert(a, _sum_dtype(a, dtype)), axis, keepdims)


@implements(np.mean, method="mean")
def mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         **kwargs: Any) -> Any:
    _no_out("mean", out, kwargs)
    shape = shape_of(a)
    axes = red.normalize_axes("mean", axis, len(shape))
    count = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    dt = np.dtype(dtype) if dtype is not None else _mean_dtype(a)
    total = red.reduce_sum(ew.convert(a, dt), axes, keepdims)
    return ew.div(total, np.asarray(count, dt))


def _mean_dtype(a: Any) -> np.dtype:
    dt = dtype_of(a)
    return dt if np.issubdtype(dt, np.inexact) else np.dtype(np.float64)


@implements(np.power)
def power(x: Any, y: Any) -> Any:
    return ew.pow(x, y)


def _no_out(name: str, out: Any, kwargs: dict) -> None:
    if out is not None or kwargs:
        bad = ", ".join(["out="] * (out is not None) + [f"{k}=" for k in kwargs])
        raise user_error(
            UnsupportedError,
            f"np.{name}: the keyword argument(s) {bad} are not supported on traced arrays",
            "drop them and use the returned value",
        )


_ = promote_args
