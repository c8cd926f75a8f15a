"""Making tensors: ``tensor``, ``from_numpy``, ``zeros``, ``randn``, ``arange``, ...

PyTorch's defaults: Python floats become float32 (the default dtype), Python ints
int64; NumPy arrays keep their dtype. ``from_numpy`` shares memory with the array;
``tensor`` copies. Random tensors come from one generator seeded by `manual_seed`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.dynamic.dtypes import complex64, complex128, float32, int64
from tracegrad.dynamic.tensor import Tensor
from tracegrad.ops import layout as lay
from tracegrad.tracer.context import current_builder

_DEFAULT_DTYPE = [float32]
_GENERATOR = [np.random.default_rng()]


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become (float32 unless changed).

    >>> get_default_dtype()
    dtype('float32')
    """
    return _DEFAULT_DTYPE[0]


def set_default_dtype(dtype: Any) -> None:
    """Make Python floats become `dtype` (``tg.float64`` for NumPy-like precision)."""
    _DEFAULT_DTYPE[0] = np.dtype(dtype)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator of `randn`, `rand`, `randint` and ``nn`` initialisation.

    >>> _ = manual_seed(0); a = randn(2); _ = manual_seed(0)
    >>> bool((randn(2) == a).all())
    True
    """
    _GENERATOR[0] = np.random.default_rng(seed)
    return _GENERATOR[0]


def generator() -> np.random.Generator:
    """The generator random tensors are drawn from."""
    return _GENERATOR[0]


def as_array(data: Any, dtype: Any = None, copy: Any = True) -> np.ndarray:
    """`data` as an array with PyTorch's dtype inference (a copy unless ``copy=False``)."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
    else:  # Python scalars and nested lists: floats take the default dtype
        arr = np.asarray(_plain(data))
        if dtype is None:
            arr = arr.astype(_inferred(arr.dtype), copy=False)
    if dtype is not None and np.dtype(dtype) != arr.dtype:
        return arr.astype(dtype)
    return np.array(arr, copy=True) if copy else arr


def _plain(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


def _inferred(dtype: np.dtype) -> np.dtype:
    if dtype.kind == "f":
        return get_default_dtype()
    if dtype.kind == "c":
        return complex64 if get_default_dtype() == float32 else complex128
    if dtype.kind in "iu":
        return int64
    return dtype


def _size(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(d) for d in size)


def _made(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(data)
    t.requires_grad = requires_grad
    return t


def tensor(data: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, scalars, arrays).

    >>> tensor([10., 20.], requires_grad=True)
    tensor([10., 20.], requires_grad=True)
    """
    return _made(as_array(data, dtype), requires_grad)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """A tensor sharing `data`'s memory when it is already an array of that dtype."""
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    return Tensor._wrap(as_array(data, dtype, copy=False))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory: changes to one are seen by the other.

    >>> a = np.zeros(2); t = from_numpy(a); a[0] = 5; t
    tensor([5., 0.], dtype=tg.float64)
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._wrap(array)


def is_tensor(obj: Any) -> bool:
    """True for tracegrad tensors (and `nn.Parameter`)."""
    return isinstance(obj, Tensor)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of shape `size` (float32 by default).

    >>> zeros(2, 3).shape
    (2, 3)
    """
    return _made(np.zeros(_size(size), dtype or get_default_dtype()), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of shape `size` (float32 by default).

    >>> ones(2)
    tensor([1., 1.])
    """
    return _made(np.ones(_size(size), dtype or get_default_dtype()), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` (filled with zeros here, never with garbage)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, *,
         requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere; the dtype follows the value (float, int or bool).

    Inside a function being traced it is the static op (``tg.full(shape, v, dtype)``
    of the op catalogue), so one name serves both modes.

    >>> full((2,), 7)
    tensor([7, 7])
    """
    dtype = dtype or _inferred(np.asarray(fill_value).dtype)
    if current_builder() is not None:
        return lay.full(_size((size,)), fill_value, dtype)
    return _made(np.full(_size((size,)), fill_value, dtype), requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n x m)."""
    return _made(np.eye(n, m, dtype=dtype or get_default_dtype()), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` below `end`: int64 for ints, float32 otherwise.

    >>> arange(4)
    tensor([0, 1, 2, 3])
    """
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    return _made(values.astype(dtype or _inferred(values.dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from `start` to `end` inclusive (float32).

    >>> linspace(0, 1, 3)
    tensor([0.0000, 0.5000, 1.0000])
    """
    values = np.linspace(start, end, steps)
    return _made(values.astype(dtype or get_default_dtype()), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of shape `size` (float32)."""
    values = generator().standard_normal(_size(size))
    return _made(values.astype(dtype or get_default_dtype()), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) of shape `size` (float32)."""
    values = generator().random(_size(size))
    return _made(values.astype(dtype or get_default_dtype()), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), *, dtype: Any = None) -> Tensor:
    """Random integers in ``[low, high)`` (int64)."""
    if high is None:
        low, high = 0, low
    return Tensor._wrap(generator().integers(low, high, _size((size,))).astype(dtype or int64))


def _like(fill: Any, static: Any = None) -> Any:
    def like(t: Any, *, dtype: Any = None, requires_grad: bool = False) -> Any:
        if static is not None and dtype is None and not isinstance(t, Tensor):
            return static(t)  # an array or a tracer: the op catalogue's version
        shape, dt = tuple(np.shape(t._data if isinstance(t, Tensor) else t)), dtype or t.dtype
        return _made(np.asarray(fill(shape, dt)).astype(dt, copy=False), requires_grad)

    return like


zeros_like = _like(lambda shape, dt: np.zeros(shape, dt), lay.zeros_like)
zeros_like.__doc__ = """Zeros of `t`'s shape and dtype (a tensor for a tensor; for arrays and
    traced values, the op catalogue's ``zeros_like``)."""
ones_like = _like(lambda shape, dt: np.ones(shape, dt), lay.ones_like)
ones_like.__doc__ = """Ones of `t`'s shape and dtype (a tensor for a tensor; for arrays and
    traced values, the op catalogue's ``ones_like``)."""
empty_like = _like(lambda shape, dt: np.zeros(shape, dt))
randn_like = _like(lambda shape, dt: generator().standard_normal(shape))
randn_like.__doc__ = "Standard normal samples of `t`'s shape and dtype."
rand_like = _like(lambda shape, dt: generator().random(shape))
rand_like.__doc__ = "Uniform [0, 1) samples of `t`'s shape and dtype."


def full_like(t: Any, fill_value: Any, *, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    """`fill_value` in `t`'s shape (and dtype, unless given)."""
    return _made(np.full(t.shape, fill_value, dtype or t.dtype), requires_grad)


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along an existing axis `dim` (``torch.cat``).

    >>> cat([ones(2), zeros(1)])
    tensor([1., 1., 0.])
    """
    from tracegrad.dynamic.methods import np_function, op

    return op("CatBackward0", np_function(np.concatenate), list(tensors), axis=dim)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along a new axis `dim` (``torch.stack``)."""
    from tracegrad.dynamic.methods import np_function, op

    return op("StackBackward0", np_function(np.stack), list(tensors), axis=dim)
