"""Shared helpers of the code generator tests: compiled-versus-interpreter
comparison (the private program cache is tests/conftest.py's)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import tracegrad as tg


def run_both(fn, *args):
    """``fn(*args)`` compiled for the cpu backend and run by the interpreter."""
    got = tg.compile(fn, backend="cpu")(*args)
    want = tg.compile(fn, backend="numpy")(*args)
    return got, want


def assert_same(got, want, rtol: float, atol: float = 0.0) -> None:
    """Equal dtype and shape, values within tolerance, NaN where NaN."""
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if got.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def tolerance(dtype) -> float:
    return 2e-6 if np.dtype(dtype) == np.float32 else 1e-12


@pytest.fixture(scope="session")
def cg():
    """The helpers above, for test modules (conftest is not importable by name)."""
    return SimpleNamespace(run_both=run_both, same=assert_same, tol=tolerance)
