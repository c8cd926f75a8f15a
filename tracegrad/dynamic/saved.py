"""Values saved for backward, and the lazy evaluation that reads only those needed.

A tape entry keeps each operand of the op and its result as a `Saved`: the array,
the version counter of the tensor it came from and the version at the time. A
derivative rule receives these in place of arrays. Applying an op to a `Saved`
does not compute anything yet: it builds a `Lazy` value (shape and dtype from the
op's type rule). The backward pass then forces only the cotangents of inputs that
require grad, so a rule's other branches (``x ** y``'s ``log(x)`` path for a
constant exponent) are never evaluated, and a saved value is *read* only when a
needed cotangent uses it. That read is where PyTorch's two errors come from: the
value was freed by an earlier ``backward()`` (no ``retain_graph``), or it was
modified in place after it was saved. ``x + y`` reads neither operand, so, as in
PyTorch, a second backward through it works and in-place changes to x do not matter.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from tracegrad.ir.types import TensorType
from tracegrad.tracer.errors import user_error

FREED = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the graph "
    "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
    "you need to backward through the graph a second time or if you need to access saved "
    "tensors after calling backward."
)


class VersionCounter:
    """How many in-place changes a tensor's memory has seen (shared by its views)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


def describe(data_shape: tuple, dtype: np.dtype) -> str:
    """``[float32 [4]]``: how error messages name a tensor (PyTorch's form)."""
    return f"[{np.dtype(dtype).name} {list(data_shape)}]"


class Saved:
    """An operand or result kept for a derivative rule; read through `value()`.

    `tensor` is kept for operands that come from outside the op (so that a
    higher-order backward can differentiate through them); results keep only a weak
    reference to their tensor, for error messages, so that no reference cycle
    runs from a tensor to its own grad_fn.
    """

    __slots__ = ("data", "counter", "version", "tensor", "ref", "shape", "dtype")
    _tg_priority = 5

    def __init__(self, data: np.ndarray, counter: VersionCounter | None,
                 tensor: Any = None, ref: Any = None) -> None:
        self.data = data
        self.counter = counter
        self.version = counter.value if counter is not None else 0
        self.tensor = tensor
        self.ref = ref if ref is None else weakref.ref(ref)
        self.shape = data.shape
        self.dtype = data.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def value(self) -> np.ndarray:
        """The saved array; raises PyTorch's errors if it was freed or modified."""
        if self.data is None:
            raise user_error(RuntimeError, FREED)
        if self.counter is not None and self.counter.value != self.version:
            raise user_error(RuntimeError, self._modified_message())
        return self.data

    def free(self) -> None:
        """Drop the array (after a backward without ``retain_graph``)."""
        self.data = None
        self.tensor = None

    def _modified_message(self) -> str:
        owner = self.tensor if self.tensor is not None else (self.ref and self.ref())
        which = ""
        if owner is not None and owner.grad_fn is not None:
            which = f", which is output {owner._output_nr} of {owner.grad_fn.name()},"
        return (
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {describe(self.shape, self.dtype)}{which} is at version "
            f"{self.counter.value}; expected version {self.version} instead. Hint: the "
            "tensor was saved by the operation named above; make a .clone() before "
            "changing it in place, or change it out of place."
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self.value()
        return data if dtype is None else data.astype(dtype)

    @classmethod
    def _tg_bind(cls, prim: Any, args: tuple, params: dict) -> Lazy:
        return Lazy.of(prim, args, params)


class Lazy:
    """A value a derivative rule computed, evaluated only when `force` needs it."""

    __slots__ = ("prim", "args", "params", "shape", "dtype", "_value")
    _tg_priority = 6

    def __init__(self, prim: Any, args: tuple, params: dict, t: TensorType) -> None:
        self.prim, self.args, self.params = prim, args, params
        self.shape, self.dtype = t.shape, t.dtype
        self._value: np.ndarray | None = None

    @classmethod
    def of(cls, prim: Any, args: tuple, params: dict) -> Any:
        types = [_type_of(a) for a in args]
        out = prim.type_rule(*types, **params)
        if prim.multiple_results:
            shared: list = []
            return tuple(Lazy(_Pick(prim, args, params, i, shared), (), {}, t)
                         for i, t in enumerate(out))
        return cls(prim, args, params, out)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def force(self) -> np.ndarray:
        if self._value is None:
            if isinstance(self.prim, _Pick):
                self._value = self.prim.force()
            else:
                arrays = [force(a) for a in self.args]
                self._value = _as(self.prim.impl(*arrays, **self.params), self.shape, self.dtype)
            self.args = ()  # the inputs are no longer needed
        return self._value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = self.force()
        return value if dtype is None else value.astype(dtype)

    @classmethod
    def _tg_bind(cls, prim: Any, args: tuple, params: dict) -> Any:
        return cls.of(prim, args, params)


class _Pick:
    """One result of a multiple-result op applied lazily (evaluated once, shared)."""

    def __init__(self, prim: Any, args: tuple, params: dict, index: int,
                 shared: list | None = None) -> None:
        self.prim, self.args, self.params, self.index = prim, args, params, index
        self.shared = shared if shared is not None else []

    def force(self) -> np.ndarray:
        if not self.shared:
            self.shared.append(self.prim.impl(*[force(a) for a in self.args], **self.params))
        return np.asarray(self.shared[0][self.index])


def force(x: Any) -> Any:
    """The concrete value of a rule's result (arrays and scalars pass through)."""
    if isinstance(x, Lazy):
        return x.force()
    if isinstance(x, Saved):
        return x.value()
    return x


def _type_of(a: Any) -> TensorType:
    if isinstance(a, (Lazy, Saved)):
        return TensorType(a.shape, a.dtype)
    arr = np.asarray(a)
    return TensorType(arr.shape, arr.dtype)


def _as(value: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    # The type rule is the contract: NumPy returns scalars for 0-d results and may
    # pick another dtype for some argument combinations.
    arr = np.asarray(value)
    if arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr if arr.shape == shape else np.broadcast_to(arr, shape)
