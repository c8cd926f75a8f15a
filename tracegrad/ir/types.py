"""Static types of IR values: a shape and a dtype, nothing else."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

_SHORT = {
    "float64": "f64", "float32": "f32", "float16": "f16",
    "int64": "i64", "int32": "i32", "int16": "i16", "int8": "i8",
    "uint64": "u64", "uint32": "u32", "uint16": "u16", "uint8": "u8",
    "bool": "bool", "complex128": "c128", "complex64": "c64",
}


@dataclass(frozen=True)
class TensorType:
    """The static type of an IR value: a shape (tuple of ints) and a NumPy dtype.

    >>> str(TensorType((3, 4), np.dtype("float32")))
    'f32[3,4]'
    """

    shape: tuple[int, ...]
    dtype: np.dtype

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __str__(self) -> str:
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"

    @staticmethod
    def of_array(arr: np.ndarray) -> TensorType:
        """The type of an ndarray, built without re-validating its shape and dtype
        (this runs once per op in eager evaluation)."""
        t = object.__new__(TensorType)
        object.__setattr__(t, "shape", arr.shape)
        object.__setattr__(t, "dtype", arr.dtype)
        return t

    @staticmethod
    def of(value) -> TensorType:
        """The type of a concrete value (array, NumPy scalar or Python scalar)."""
        arr = np.asarray(value)
        return TensorType(arr.shape, arr.dtype)


@functools.lru_cache(maxsize=256)
def short_dtype(dtype) -> str:
    """The short dtype name used in IR dumps: ``f64``, ``i32``, ``bool``."""
    return _SHORT.get(np.dtype(dtype).name, np.dtype(dtype).name)


def is_float(dtype) -> bool:
    """True for real and complex floating dtypes: the ones that carry gradients."""
    return np.issubdtype(np.dtype(dtype), np.inexact)
