"""`Tracer`: the stand-in for an array while a function is traced.

A tracer holds an IR value (`Var` or `Const`) of the graph being built. Python
operators, array methods, NumPy ufuncs (``__array_ufunc__``) and NumPy functions
(``__array_function__``) on it add nodes to that graph. Anything that needs the
*value* of a traced array (``if x > 0``, ``float(x)``, ``np.asarray(x)``) is an
error that says why and what to write instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.ir.graph import Atom, Const
from tracegrad.ops import elementwise as ew
from tracegrad.tracer import context
from tracegrad.tracer.errors import (
    LeakedTracerError,
    TracerBoolConversionError,
    user_error,
)

_BRANCH_FIX = (
    "a static graph cannot branch on data. Use np.where(cond, a, b) (or tg.select) "
    "for elementwise choices, or mark the argument static with "
    "tg.compile(fn, static_argnums=...) so its value is known at trace time "
    "(structured control flow, tg.cond and tg.while_loop, is planned but not yet "
    "available)"
)


class Tracer:
    """An array-like placeholder whose operations are recorded into the current graph.

    >>> import tracegrad as tg
    >>> print(tg.make_ir(lambda x: x.T @ x)(np.ones((3, 2))).outputs[0].type)
    f64[2,2]
    """

    __slots__ = ("atom", "builder", "weak_type")
    _tg_priority = 100
    __array_priority__ = 1000  # NumPy defers binary operators to us

    def __init__(self, atom: Atom, builder: Any, weak_type: bool = False) -> None:
        self.atom = atom
        self.builder = builder
        self.weak_type = weak_type

    # --- the bind hook ---------------------------------------------------------

    @classmethod
    def _tg_bind(cls, prim: Any, args: tuple, params: dict) -> Any:
        builder = context.current_builder()
        atoms = []
        for a in args:
            if isinstance(a, Tracer):
                if a.builder is not builder:
                    raise user_error(
                        LeakedTracerError,
                        "a traced value was used outside the function being traced "
                        "(it was stored in a global, a closure or an attribute)",
                        "return it from the function instead of storing it",
                    )
                atoms.append(a.atom)
            else:
                atoms.append(Const(_concrete(a)))
        outs = builder.add_node(prim, atoms, params)
        wrapped = tuple(Tracer(v, builder) for v in outs)
        return wrapped if prim.multiple_results else wrapped[0]

    # --- array attributes --------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.atom.type.shape

    @property
    def dtype(self) -> np.dtype:
        return self.atom.type.dtype

    @property
    def ndim(self) -> int:
        return len(self.atom.type.shape)

    @property
    def size(self) -> int:
        return self.atom.type.size

    @property
    def T(self) -> Tracer:
        return _np_api().transpose(self)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d traced array")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"Tracer<{self.atom.type}>"

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.shape[0]))

    # --- values are not available while tracing ----------------------------------

    def _concrete_error(self, what: str) -> Exception:
        return user_error(
            TracerBoolConversionError,
            f"{what} needs the value of a traced array {self.atom.type}, which is not "
            f"known while the function is traced",
            _BRANCH_FIX,
        )

    def __bool__(self) -> bool:
        raise self._concrete_error("bool() (an `if`, `while`, `and`/`or` or assert)")

    def __int__(self) -> int:
        raise self._concrete_error("int()")

    def __float__(self) -> float:
        raise self._concrete_error("float()")

    def __complex__(self) -> complex:
        raise self._concrete_error("complex()")

    def __index__(self) -> int:
        raise self._concrete_error("using a traced array as a Python index")

    def __array__(self, dtype=None, copy=None):
        raise self._concrete_error("np.asarray() / np.array()")

    def item(self) -> Any:
        raise self._concrete_error(".item()")

    def tolist(self) -> Any:
        raise self._concrete_error(".tolist()")

    __hash__ = None  # arrays are unhashable, and so are tracers

    # --- NumPy protocols -----------------------------------------------------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _np_api().dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _np_api().dispatch_function(func, args, kwargs)

    # --- indexing --------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Tracer:
        from tracegrad.tracer.indexing import getitem

        return getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise user_error(
            TypeError,
            "traced arrays are immutable: item assignment `x[i] = v` cannot be traced",
            "build a new array instead: np.where(mask, v, x), or np.concatenate of "
            "the pieces",
        )

    # --- methods users reach for (NumPy's array methods) -------------------------------

    def reshape(self, *shape: Any, order: str = "C") -> Tracer:
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return _np_api().reshape(self, shape, order)

    def transpose(self, *axes: Any) -> Tracer:
        axes = axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes
        return _np_api().transpose(self, axes or None)

    def astype(self, dtype: Any, copy: bool = True) -> Tracer:
        return ew.convert(self, dtype)

    def __getattr__(self, name: str) -> Any:
        # Array methods that are NumPy functions of the same name (sum, mean, max,
        # ravel, squeeze, ...) route to the NumPy function table.
        fn = _np_api().METHODS.get(name)
        if fn is None:
            raise AttributeError(f"traced array has no attribute {name!r}")
        return lambda *args, **kwargs: fn(self, *args, **kwargs)

    # --- operators ---------------------------------------------------------------------

    def __neg__(self): return ew.neg(self)
    def __pos__(self): return self
    def __abs__(self): return ew.abs(self)
    def __invert__(self): return ew.logical_not(self)
    def __add__(self, o): return ew.add(self, o)
    def __radd__(self, o): return ew.add(o, self)
    def __sub__(self, o): return ew.sub(self, o)
    def __rsub__(self, o): return ew.sub(o, self)
    def __mul__(self, o): return ew.mul(self, o)
    def __rmul__(self, o): return ew.mul(o, self)
    def __truediv__(self, o): return ew.div(self, o)
    def __rtruediv__(self, o): return ew.div(o, self)
    def __floordiv__(self, o): return _np_api().floor_divide(self, o)
    def __rfloordiv__(self, o): return _np_api().floor_divide(o, self)
    def __mod__(self, o): return _np_api().mod(self, o)
    def __rmod__(self, o): return _np_api().mod(o, self)
    def __pow__(self, o): return _np_api().power(self, o)
    def __rpow__(self, o): return _np_api().power(o, self)
    def __matmul__(self, o): return _np_api().matmul(self, o)
    def __rmatmul__(self, o): return _np_api().matmul(o, self)
    def __and__(self, o): return ew.logical_and(self, o)
    def __rand__(self, o): return ew.logical_and(o, self)
    def __or__(self, o): return ew.logical_or(self, o)
    def __ror__(self, o): return ew.logical_or(o, self)
    def __xor__(self, o): return ew.logical_xor(self, o)
    def __rxor__(self, o): return ew.logical_xor(o, self)
    def __eq__(self, o): return ew.eq(self, o)  # type: ignore[override]
    def __ne__(self, o): return ew.ne(self, o)  # type: ignore[override]
    def __lt__(self, o): return ew.lt(self, o)
    def __le__(self, o): return ew.le(self, o)
    def __gt__(self, o): return ew.gt(self, o)
    def __ge__(self, o): return ew.ge(self, o)


def _concrete(value: Any) -> np.ndarray:
    """A non-traced operand as an array for a `Const` (the dynamic-mode `Tensor`
    gives its data: in a trace, a tensor closed over is a constant)."""
    data = getattr(value, "_tg_constant", None)
    return np.asarray(data() if data is not None else value)


def _np_api():
    from tracegrad.tracer import numpy_api

    return numpy_api
