"""`Tensor`: an array that records the operations applied to it, PyTorch-style.

A tensor holds a NumPy array. Every op of the catalogue applied to tensors comes
through `bind` to `Tensor._tg_bind`, which runs the op's NumPy `impl` and, when grad
mode is on and an operand requires grad, records a step on the tape (`graph.py`).
``backward()`` then evaluates the same VJP rules the static autodiff uses, on the
saved arrays (`engine.py`). The math and shape methods are in `methods.py`, the
in-place ones in `inplace.py`; this module has the autograd state, conversions,
printing, Python operators and the NumPy protocols.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tracegrad.dynamic import graph
from tracegrad.dynamic.format import tensor_repr
from tracegrad.dynamic.grad_mode import is_grad_enabled
from tracegrad.dynamic.inplace import InplaceMethods
from tracegrad.dynamic.methods import MathMethods, ShapeMethods, np_function, op
from tracegrad.dynamic.saved import Saved, VersionCounter
from tracegrad.ops import elementwise as ew
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE, evaluate
from tracegrad.tracer.errors import UnsupportedError, user_error

_NONLEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead."
)
_HOOK_IDS = itertools.count()


class Tensor(MathMethods, ShapeMethods, InplaceMethods):
    """A NumPy array with PyTorch's autograd: ``requires_grad``, ``backward()``, ``.grad``.

    >>> import tracegrad as tg
    >>> x = tg.tensor([10., 20., 30., 40.], requires_grad=True)
    >>> f = (x ** 2 + 20).mean()
    >>> f.backward()
    >>> x.grad
    tensor([ 5., 10., 15., 20.])
    """

    __slots__ = ("_data", "_requires_grad", "grad_fn", "_output_nr", "_grad",
                 "_version_counter", "_base", "_hooks", "_retains_grad", "_accumulator",
                 "__dict__", "__weakref__")
    _tg_priority = 10  # below the tracer's: inside a trace, a traced operand wins
    __array_priority__ = 100

    def __init__(self, data: Any = (), *, dtype: Any = None, requires_grad: bool = False) -> None:
        from tracegrad.dynamic.creation import as_array

        self._setup(as_array(data, dtype))
        self.requires_grad = requires_grad

    def _setup(self, data: np.ndarray) -> None:
        self._data = data
        self._requires_grad = False
        self.grad_fn: graph.Node | None = None
        self._output_nr = 0
        self._grad: Tensor | None = None
        self._version_counter = VersionCounter()
        self._base: Tensor | None = None
        self._hooks: dict[int, Callable] | None = None
        self._retains_grad = False
        self._accumulator = None

    @staticmethod
    def _wrap(data: np.ndarray) -> Tensor:
        """A tensor holding `data` (no copy), not requiring grad."""
        t = object.__new__(Tensor)
        t._setup(data)
        return t

    # --- the bind hook: eager evaluation and the tape ---------------------------------

    @classmethod
    def _tg_bind(cls, prim: Any, args: tuple, params: dict) -> Any:
        arrays = [a._data if isinstance(a, Tensor) else
                  (a.value() if isinstance(a, Saved) else a) for a in args]
        result = evaluate(prim, arrays, params)
        outs = [Tensor._wrap(r) for r in (result if prim.multiple_results else (result,))]
        first = args[0] if args else None
        if isinstance(first, Tensor):
            for o in outs:  # views (reshape, transpose, slices) share the version counter
                if o._data.base is not None and np.may_share_memory(o._data, first._data):
                    o._version_counter = first._version_counter
                    o._base = first if first._base is None else first._base
        if (is_grad_enabled() and prim.vjp is not NOT_DIFFERENTIABLE
                and any(isinstance(a, Tensor) and a._requires_grad for a in args)
                and all(o._data.dtype.kind in "fc" for o in outs)):
            graph.record(prim, params, args, outs)
        return tuple(outs) if prim.multiple_results else outs[0]

    def _tg_constant(self) -> np.ndarray:
        """The data, for a tracer that meets this tensor: a constant of the trace."""
        return self._data

    # --- array attributes ----------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> str:
        return "cpu"

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of axis `dim`.

        >>> import tracegrad as tg
        >>> tg.zeros(2, 3).size(1)
        3
        """
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        """The number of axes.

        >>> import tracegrad as tg
        >>> tg.zeros(2, 3).dim()
        2
        """
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements.

        >>> import tracegrad as tg
        >>> tg.zeros(2, 3).numel()
        6
        """
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    # --- autograd state --------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            if not value:
                raise user_error(
                    RuntimeError,
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().",
                )
            return
        if value and self._data.dtype.kind not in "fc":
            raise user_error(
                RuntimeError,
                "Only Tensors of floating point and complex dtype can require gradients",
                "make it a float tensor first: x.float() or tg.tensor(..., dtype=tg.float32)",
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place and return the tensor (leaves only).

        >>> import tracegrad as tg
        >>> tg.ones(2).requires_grad_().requires_grad
        True
        """
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded operation."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NONLEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        if not isinstance(value, Tensor):  # an array, e.g. a gradient from tg.grad
            value = Tensor._wrap(np.asarray(value))
        if value.shape != self.shape:
            raise user_error(
                RuntimeError,
                f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor "
                "are the same size",
            )
        if value.dtype != self.dtype:
            raise user_error(RuntimeError, "assigned grad has data of a different type")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def data(self) -> Tensor:
        """The same memory as a tensor outside autograd: changes to it are not tracked."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen."""
        return self._version_counter.value

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves.

        `gradient` is the vector of the vector-Jacobian product; it may be left out
        for a one-element tensor. The graph's saved values are freed unless
        ``retain_graph=True``; ``create_graph=True`` records the backward pass, for
        higher-order derivatives.

        >>> import tracegrad as tg
        >>> x = tg.tensor([1., 2.], requires_grad=True)
        >>> (x * x).backward(tg.tensor([1., 1.]))
        >>> x.grad
        tensor([2., 4.])
        """
        from tracegrad.dynamic import engine

        engine.backward([self], [gradient], retain_graph=retain_graph,
                        create_graph=create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """The same memory (and version counter) as a new leaf that does not require grad.

        >>> import tracegrad as tg
        >>> tg.ones(2, requires_grad=True).detach().requires_grad
        False
        """
        t = Tensor._wrap(self._data)
        t._version_counter = self._version_counter
        return t

    def detach_(self) -> Tensor:
        """Make this tensor a leaf that does not require grad."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Make ``backward()`` fill ``.grad`` of this non-leaf tensor too."""
        if not self._requires_grad:
            raise user_error(RuntimeError, "can't retain_grad on Tensor that has "
                                           "requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return  # leaves get their .grad anyway
        import weakref

        self.grad_fn._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> _RemovableHandle:
        """Call ``hook(grad)`` when the gradient of this tensor is computed; a returned
        tensor replaces the gradient. Returns a handle with ``remove()``.

        >>> import tracegrad as tg
        >>> x = tg.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> x.sum().backward(); x.grad
        tensor([10., 10.])
        """
        if not self._requires_grad:
            raise user_error(RuntimeError, "cannot register a hook on a tensor that doesn't "
                                           "require gradient")
        key = next(_HOOK_IDS)
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        else:
            hooks = self.grad_fn._pre_hooks.setdefault(self._output_nr, {})
        hooks[key] = hook
        return _RemovableHandle(hooks, key)

    # --- conversions -------------------------------------------------------------------------

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory (not for tensors that require grad).

        >>> import tracegrad as tg
        >>> tg.ones(2, requires_grad=True).detach().numpy()
        array([1., 1.], dtype=float32)
        """
        if self._requires_grad and not force:
            raise user_error(
                RuntimeError,
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead.",
            )
        return self._data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number.

        >>> import tracegrad as tg
        >>> tg.tensor([2.5]).item()
        2.5
        """
        if self._data.size != 1:
            raise user_error(RuntimeError, f"a Tensor with {self._data.size} elements cannot be "
                                           "converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        """The data as nested Python lists.

        >>> import tracegrad as tg
        >>> tg.tensor([[1, 2]]).tolist()
        [[1, 2]]
        """
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self.numpy()
        if dtype is not None and np.dtype(dtype) != data.dtype:
            return data.astype(dtype)
        return data.copy() if copy else data

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise user_error(RuntimeError, "Boolean value of Tensor with more than one value "
                                           "is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __contains__(self, value: Any) -> bool:
        return bool(np.any(self._data == (value._data if isinstance(value, Tensor) else value)))

    def __repr__(self) -> str:
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    __hash__ = object.__hash__  # by identity, as in PyTorch (== is elementwise)

    # --- indexing -----------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Tensor:
        from tracegrad.tracer.indexing import getitem

        key = _concrete_key(key)
        return op(_index_name(key), getitem, self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        from tracegrad.dynamic.inplace import setitem

        setitem(self, _concrete_key(key), value)

    # --- Python operators ----------------------------------------------------------------------

    def __neg__(self) -> Tensor: return op("NegBackward0", ew.neg, self)
    def __pos__(self) -> Tensor: return self
    def __abs__(self) -> Tensor: return op("AbsBackward0", ew.abs, self)
    def __invert__(self) -> Tensor: return op("BitwiseNotBackward0", ew.logical_not, self)
    def __add__(self, o: Any) -> Tensor: return op("AddBackward0", ew.add, self, o)
    def __radd__(self, o: Any) -> Tensor: return op("AddBackward0", ew.add, o, self)
    def __sub__(self, o: Any) -> Tensor: return op("SubBackward0", ew.sub, self, o)
    def __rsub__(self, o: Any) -> Tensor: return op("RsubBackward1", ew.sub, o, self)
    def __mul__(self, o: Any) -> Tensor: return op("MulBackward0", ew.mul, self, o)
    def __rmul__(self, o: Any) -> Tensor: return op("MulBackward0", ew.mul, o, self)
    def __truediv__(self, o: Any) -> Tensor: return op("DivBackward0", ew.div, self, o)
    def __rtruediv__(self, o: Any) -> Tensor: return op("DivBackward0", ew.div, o, self)

    def __floordiv__(self, o: Any) -> Tensor:
        return op("FloorDivideBackward0", np_function(np.floor_divide), self, o)

    def __rfloordiv__(self, o: Any) -> Tensor:
        return op("FloorDivideBackward0", np_function(np.floor_divide), o, self)

    def __mod__(self, o: Any) -> Tensor:
        return op("RemainderBackward0", np_function(np.remainder), self, o)

    def __rmod__(self, o: Any) -> Tensor:
        return op("RemainderBackward0", np_function(np.remainder), o, self)

    def __pow__(self, o: Any) -> Tensor:
        name = "PowBackward1" if isinstance(o, Tensor) else "PowBackward0"
        return op(name, ew.pow, self, o)

    def __rpow__(self, o: Any) -> Tensor:
        return op("PowBackward2", ew.pow, o, self)

    def __matmul__(self, o: Any) -> Tensor:
        return self.matmul(o)

    def __rmatmul__(self, o: Any) -> Tensor:
        return op(_matmul_name(o, self), np_function(np.matmul), o, self)

    # Comparisons and logic have no derivative: nothing is recorded, no grad_fn to name.
    def __and__(self, o: Any) -> Tensor: return ew.logical_and(self, o)
    def __rand__(self, o: Any) -> Tensor: return ew.logical_and(o, self)
    def __or__(self, o: Any) -> Tensor: return ew.logical_or(self, o)
    def __ror__(self, o: Any) -> Tensor: return ew.logical_or(o, self)
    def __xor__(self, o: Any) -> Tensor: return ew.logical_xor(self, o)
    def __rxor__(self, o: Any) -> Tensor: return ew.logical_xor(o, self)
    def __eq__(self, o: Any) -> Tensor: return ew.eq(self, o)  # type: ignore[override]
    def __ne__(self, o: Any) -> Tensor: return ew.ne(self, o)  # type: ignore[override]
    def __lt__(self, o: Any) -> Tensor: return ew.lt(self, o)
    def __le__(self, o: Any) -> Tensor: return ew.le(self, o)
    def __gt__(self, o: Any) -> Tensor: return ew.gt(self, o)
    def __ge__(self, o: Any) -> Tensor: return ew.ge(self, o)

    def __iadd__(self, o: Any) -> Tensor: return self.add_(o)
    def __isub__(self, o: Any) -> Tensor: return self.sub_(o)
    def __imul__(self, o: Any) -> Tensor: return self.mul_(o)
    def __itruediv__(self, o: Any) -> Tensor: return self.div_(o)
    def __ipow__(self, o: Any) -> Tensor: return self.pow_(o)

    # --- NumPy protocols: np.* on tensors returns tensors ----------------------------------------

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from tracegrad.tracer import numpy_api

        if method == "__call__" and not kwargs and ufunc in numpy_api.UFUNCS:
            if ufunc is np.matmul and len(inputs) == 2:
                name = _matmul_name(*inputs)
            else:
                name = _UFUNC_NAMES.get(ufunc.__name__, _camel(ufunc.__name__)) + "Backward0"
            return wrap_result(op(name, numpy_api.UFUNCS[ufunc], *inputs))
        return _numpy_fallback(f"np.{ufunc.__name__}", getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
        from tracegrad.tracer import numpy_api

        fn = numpy_api.FUNCTIONS.get(func)
        if fn is None:
            return _numpy_fallback(f"np.{func.__name__}", func, args, kwargs)
        name = func.__name__
        if name in ("matmul", "dot") and len(args) == 2:
            grad_fn_name = _matmul_name(args[0], args[1])
        else:
            grad_fn_name = _FUNCTION_NAMES.get(name, _camel(name)) + "Backward0"
        return wrap_result(op(grad_fn_name, fn, *args, **kwargs))


class _RemovableHandle:
    """What `register_hook` returns: ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


def wrap_result(value: Any) -> Any:
    """Results of NumPy-level functions as tensors (arrays a composition built from
    constants alone come back as arrays; nested tuples and lists are kept)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor._wrap(np.asarray(value))
    if isinstance(value, (tuple, list)):
        return type(value)(wrap_result(v) for v in value)
    return value


def _numpy_fallback(name: str, fn: Callable, args: tuple, kwargs: dict) -> Any:
    """A NumPy function tracegrad has no op for: fine on data that needs no gradient."""
    leaves = [*args, *kwargs.values()]
    flat = [x for a in leaves for x in (a if isinstance(a, (tuple, list)) else (a,))]
    tensors = [x for x in flat if isinstance(x, Tensor)]
    if is_grad_enabled() and any(t._requires_grad for t in tensors):
        raise user_error(
            UnsupportedError,
            f"{name} has no derivative in tracegrad, and an argument requires grad",
            "apply it to x.detach() (no gradient flows through it), or use the supported "
            "functions listed in docs/numpy-support.md",
        )
    result = fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
    for t in tensors:
        if any(t is x for x in _outs(kwargs)):
            t._version_counter.value += 1  # written through out=
    return wrap_result(result)


def _outs(kwargs: dict) -> tuple:
    out = kwargs.get("out")
    return out if isinstance(out, tuple) else (out,)


def _unwrap(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _concrete_key(key: Any) -> Any:
    """Tensor indices as arrays, boolean masks as the integer indices they select
    (dynamic mode knows the data, so ``x[x > 0]`` is fine here)."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    for item in items:
        if isinstance(item, Tensor):
            item = item._data
        if isinstance(item, list) and item and all(isinstance(i, Tensor) for i in item):
            item = np.asarray([i._data for i in item])
        if isinstance(item, np.ndarray) and item.dtype == np.bool_:
            out.extend(np.nonzero(item))
        elif isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype.kind in "iu":
            out.append(int(item))
        else:
            out.append(item)
    return tuple(out) if isinstance(key, tuple) or len(out) != 1 else out[0]


def _index_name(key: Any) -> str:
    if isinstance(key, (int, np.integer)):
        return "SelectBackward0"
    if isinstance(key, slice):
        return "SliceBackward0"
    return "IndexBackward0"


def _matmul_name(a: Any, b: Any) -> str:
    dims = (np.ndim(a) if not hasattr(a, "ndim") else a.ndim,
            np.ndim(b) if not hasattr(b, "ndim") else b.ndim)
    return {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}.get(
        dims, "BmmBackward0" if min(dims) >= 3 else "MatmulBackward0")


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


# PyTorch's names for the NumPy functions and ufuncs whose names differ.
_UFUNC_NAMES = {
    "subtract": "Sub", "multiply": "Mul", "true_divide": "Div", "divide": "Div",
    "power": "Pow", "negative": "Neg", "absolute": "Abs", "arcsin": "Asin",
    "arccos": "Acos", "arctan": "Atan", "arctan2": "Atan2", "square": "Pow",
    "log1p": "Log1P", "expm1": "Expm1",
}
_FUNCTION_NAMES = {
    "amax": "Max", "amin": "Min", "max": "Max", "min": "Min", "transpose": "Permute",
    "reshape": "View", "ravel": "View", "concatenate": "Cat", "clip": "Clamp",
    "expand_dims": "Unsqueeze", "broadcast_to": "Expand", "swapaxes": "Transpose",
    "power": "Pow", "var": "Var", "std": "Std",
}
