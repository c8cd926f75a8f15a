"""Compiled loops over the vector-math functions, shared by the tests of this folder.

Compiling is the slow part (about 0.3 s a loop), so each (function, dtype) loop is
compiled once per test session, on first use, and kept.
"""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from tracegrad.codegen import vecmath  # noqa: E402


def _unary_loop(f):
    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = f(x[i])

    return loop


def _binary_loop(f):
    @numba.njit(error_model="numpy")
    def loop(x, y, out):
        for i in range(x.size):
            out[i] = f(x[i], y[i])

    return loop


def _pair_loop(f):
    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[0, i], out[1, i] = f(x[i])

    return loop


class Kernels:
    """``kernels(op, dtype)``: a compiled loop applying ``vm_<op>_<dtype>`` elementwise.

    Unary: ``loop(x, out)``; binary (atan2, pow): ``loop(x, y, out)``; sincos:
    ``loop(x, out)`` with out of shape (2, n). `run` allocates and calls.
    """

    def __init__(self) -> None:
        self._loops: dict = {}

    def __call__(self, op: str, dtype):
        key = (op, np.dtype(dtype))
        if key not in self._loops:
            arity = vecmath.select.OPS[op]
            f = getattr(vecmath, vecmath.select.function_name(op, dtype))
            make = _pair_loop if op == "sincos" else (_unary_loop if arity == 1 else _binary_loop)
            loop = make(f)
            args = [np.ones(2, dtype)] * arity
            out = np.empty((2, 2) if op == "sincos" else 2, dtype)
            loop(*args, out)  # compile now, for this dtype only
            self._loops[key] = loop
        return self._loops[key]

    def run(self, op: str, *args: np.ndarray) -> np.ndarray:
        dtype = args[0].dtype
        out = np.empty((2, args[0].size) if op == "sincos" else args[0].size, dtype)
        self(op, dtype)(*args, out)
        return out


@pytest.fixture(scope="session")
def kernels() -> Kernels:
    return Kernels()
