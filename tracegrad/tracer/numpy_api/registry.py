"""The registry of traced NumPy functions: the tables, `implements`, the two
dispatchers, and helpers shared by the family modules."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tracegrad.ops import elementwise as ew
from tracegrad.ops.promote import (
    dtype_of,
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
    bad = [k for k, v in given.items() if v is not None]
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


