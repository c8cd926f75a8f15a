"""The dtypes under PyTorch's names: ``tg.float32``, ``tg.int64``, ``tg.bool``, ...

They are NumPy dtypes, so ``x.dtype == tg.float32`` and ``np.float32`` agree.
"""

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # noqa: A001  (PyTorch's name: tg.bool)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

__all__ = ["bool", "complex128", "complex64", "double", "float16", "float32", "float64",
           "half", "int16", "int32", "int64", "int8", "long", "short", "uint8"]
