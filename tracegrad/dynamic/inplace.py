"""In-place operations (``add_``, ``x[i] = v``, ...) and the version counter.

An in-place op writes its result into the tensor's own memory (so views and
``from_numpy`` arrays see it) and bumps the version counter that the tensor shares
with its views. When it is recorded (grad mode on, an operand requires grad), the
result is computed out of place from a *snapshot* of the old value that holds the
tensor's old place in the graph, and the tensor then takes the result's place: its
grad_fn becomes the op's (``AddBackward0``), as in PyTorch. A tape entry that saved
the old value notices the new version when backward reads it, and raises PyTorch's
"modified by an inplace operation" error.

In-place changes to a view while recording also re-record its base: the base
becomes "the old base with the view's elements replaced" (PyTorch's
``CopySlices``), a `select` over the base's flat elements, so gradients reach both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tracegrad.dynamic.grad_mode import is_grad_enabled, no_grad
from tracegrad.dynamic.graph import record_as
from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops.promote import broadcast_to_shape, cast, dtype_of, shape_of
from tracegrad.tracer.errors import user_error

# PyTorch's scalar-type names, for its casting error message.
_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _tensor_type() -> type:
    from tracegrad.dynamic.tensor import Tensor

    return Tensor


def inplace(t: Any, name: str, fn: Callable, *args: Any) -> Any:
    """Replace `t`'s value by ``fn(t, *args)`` in place; record it as `name` when needed."""
    Tensor = _tensor_type()
    _check_writable(t)
    recording = is_grad_enabled() and (
        t._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args))
    if not recording:
        with no_grad():
            _write(t, fn(t, *args))
        return t
    if t.grad_fn is None and t._requires_grad:
        raise user_error(
            RuntimeError,
            "a leaf Variable that requires grad is being used in an in-place operation.",
            "do the update under `with tg.no_grad():`, or use an out-of-place op",
        )
    base = t._base
    old_base = _snapshot(base) if base is not None else None
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise user_error(RuntimeError, "a view of a leaf Variable that requires grad is being "
                                       "used in an in-place operation.")
    result = record_as(name, fn, _snapshot(t), *args)
    _write(t, result)
    _take_place(t, result)
    if base is not None:
        positions = _flat_positions(base._data, t._data)
        new_base = record_as("CopySlices", scatter_into, old_base, positions, result)
        _take_place(base, new_base)
    return t


def setitem(t: Any, key: Any, value: Any) -> None:
    """``t[key] = value``: NumPy's assignment, recorded as ``CopySlices`` when needed."""
    Tensor = _tensor_type()
    recording = is_grad_enabled() and (
        t._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if not recording:
        _check_writable(t)
        t._data[key] = value._data if isinstance(value, Tensor) else value
        t._version_counter.value += 1
        return
    positions = np.arange(t._data.size).reshape(t.shape)[key]
    inplace(t, "CopySlices", lambda old, v: scatter_into(old, positions, v), value)


def scatter_into(base: Any, positions: np.ndarray, values: Any) -> Any:
    """`base` with the elements at flat `positions` replaced by `values` (broadcast to
    the shape of `positions`; the last write wins where positions repeat, as NumPy)."""
    size = int(np.prod(shape_of(base), dtype=np.int64))
    source = np.full(size, -1, dtype=np.int64)
    source[positions.reshape(-1)] = np.arange(positions.size)
    mask = source >= 0
    values = broadcast_to_shape(cast(values, dtype_of(base)), positions.shape)
    picked = lay.gather(lay.reshape(values, (-1,)), np.where(mask, source, 0), 0)
    return lay.reshape(ew.select(mask, picked, lay.reshape(base, (-1,))), shape_of(base))


def _snapshot(t: Any) -> Any:
    """A copy of `t`'s data that holds `t`'s current place in the graph."""
    s = _tensor_type()._wrap(t._data.copy())
    s.grad_fn, s._output_nr, s._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
    return s


def _take_place(t: Any, result: Any) -> None:
    if isinstance(result, _tensor_type()) and result.grad_fn is not None:
        t.grad_fn, t._output_nr, t._requires_grad = result.grad_fn, result._output_nr, True


def _check_writable(t: Any) -> None:
    if not t._data.flags.writeable:
        raise user_error(
            RuntimeError,
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation.",
        )


def _write(t: Any, result: Any) -> None:
    data = result._data if isinstance(result, _tensor_type()) else np.asarray(result)
    if not np.can_cast(data.dtype, t.dtype, casting="same_kind"):
        raise user_error(
            RuntimeError,
            f"result type {_TORCH_NAMES.get(data.dtype.name, data.dtype.name)} can't be cast "
            f"to the desired output type {_TORCH_NAMES.get(t.dtype.name, t.dtype.name)}",
        )
    if data.shape != t.shape:
        try:
            ok = np.broadcast_shapes(data.shape, t.shape) == t.shape
        except ValueError:
            ok = False
        if not ok:
            raise user_error(RuntimeError, f"output with shape {list(t.shape)} doesn't match "
                                           f"the broadcast shape {list(data.shape)}")
    np.copyto(t._data, data, casting="unsafe")
    t._version_counter.value += 1


def _flat_positions(base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """The flat index into C-contiguous `base` of every element of `view` (which shares
    its memory), from the data pointers and strides."""
    itemsize = base.itemsize
    offset = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if not base.flags.c_contiguous or offset % itemsize or any(s % itemsize
                                                                 for s in view.strides):
        raise user_error(RuntimeError, "in-place change of a view whose base is not "
                                       "contiguous cannot be recorded",
                         "clone() the view first, or change it out of place")
    positions = np.full(view.shape, offset // itemsize, dtype=np.int64)
    for axis, (n, stride) in enumerate(zip(view.shape, view.strides)):
        steps = np.arange(n, dtype=np.int64) * (stride // itemsize)
        positions = positions + steps.reshape((1,) * axis + (n,) + (1,) * (view.ndim - axis - 1))
    return positions


def _filled(old: Any, values: Any) -> Any:
    """`values` in `old`'s shape and dtype, as an op of `old` (so that the gradient
    reaching `old` through it is zero, as for PyTorch's ``fill_``)."""
    shape = shape_of(old)
    values = broadcast_to_shape(cast(values, dtype_of(old)), shape)
    return ew.select(np.ones(shape, dtype=bool), values, old)


class InplaceMethods:
    """``add_``, ``mul_``, ``zero_``, ``copy_``, ...: change the tensor in place."""

    __slots__ = ()

    def add_(self, other: Any, *, alpha: Any = 1):
        return inplace(self, "AddBackward0", ew.add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, *, alpha: Any = 1):
        return inplace(self, "SubBackward0", ew.sub, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any): return inplace(self, "MulBackward0", ew.mul, other)
    def div_(self, other: Any): return inplace(self, "DivBackward0", ew.div, other)
    def pow_(self, exponent: Any): return inplace(self, "PowBackward0", ew.pow, exponent)
    def neg_(self): return inplace(self, "NegBackward0", ew.neg)
    def exp_(self): return inplace(self, "ExpBackward0", ew.exp)
    def log_(self): return inplace(self, "LogBackward0", ew.log)
    def sqrt_(self): return inplace(self, "SqrtBackward0", ew.sqrt)
    def tanh_(self): return inplace(self, "TanhBackward0", ew.tanh)
    def sigmoid_(self): return inplace(self, "SigmoidBackward0", ew.logistic)
    def abs_(self): return inplace(self, "AbsBackward0", ew.abs)

    def relu_(self):
        from tracegrad.dynamic.nn import functional

        return inplace(self, "ReluBackward0", functional.relu)

    def clamp_(self, min: Any = None, max: Any = None):
        from tracegrad.dynamic.nn import functional

        return inplace(self, "ClampBackward1", lambda x: functional.clamp(x, min, max))

    clip_ = clamp_

    def zero_(self):
        """Set every element to 0.

        >>> import tracegrad as tg
        >>> tg.ones(2).zero_()
        tensor([0., 0.])
        """
        return inplace(self, "ZeroBackward0", _filled, 0)

    def fill_(self, value: Any): return inplace(self, "FillBackward0", _filled, value)

    def copy_(self, src: Any):
        """Copy `src` (broadcast, converted) into this tensor."""
        return inplace(self, "CopyBackwards", _filled, src)

    def uniform_(self, a: float = 0.0, b: float = 1.0):
        from tracegrad.dynamic.creation import generator

        return self.copy_(generator().uniform(a, b, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0):
        from tracegrad.dynamic.creation import generator

        return self.copy_(generator().normal(mean, std, self.shape))
