"""The one decorator every vector-math function is compiled with.

- ``inline="always"``: Numba inlines the function into its caller at the Numba IR
  level, so LLVM sees the arithmetic inside the caller's loop and can vectorise it.
  (Left to LLVM's own inliner, the larger functions here, sin with its exact
  reduction, exceed its size threshold and stay calls: the loop stays scalar.)
- ``error_model="numpy"``: a float division by zero gives inf/nan as in NumPy, with
  no Python-style zero check, whose branch to raise would block vectorisation.
- no ``fastmath``: the functions rely on IEEE semantics (NaN comparisons, exact
  error terms of sums and products, no reassociation).

>>> @vecfn
... def twice(x):
...     return x + x
"""

from __future__ import annotations

from numba import njit

vecfn = njit(inline="always", error_model="numpy", fastmath=False, nogil=True)
