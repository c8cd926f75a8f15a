"""Shared helpers of the tracer tests: run a function traced and compare with NumPy."""

import numpy as np
import pytest

import tracegrad as tg

# Tolerances by result dtype: traced programs may sum in another order than NumPy.
_RTOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-10}


def assert_same(got, expected) -> None:
    """`got` equals `expected` leaf by leaf: containers, shapes, dtypes, then values."""
    if isinstance(expected, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(expected), (got, expected)
        for g, e in zip(got, expected):
            assert_same(g, e)
        return
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype, f"dtype {got.dtype} != NumPy's {expected.dtype}"
    assert got.shape == expected.shape, f"shape {got.shape} != NumPy's {expected.shape}"
    if expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected)
    else:
        rtol = _RTOL.get(expected.dtype, 1e-10)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * 1e-2)


def run_traced(fn, *args):
    """`fn` traced into a graph and run by the NumPy interpreter."""
    return tg.compile(fn, backend="numpy")(*args)


def check_traced(fn, *args):
    """Assert that `fn` traced gives what `fn` gives on NumPy arrays; return the result."""
    expected = fn(*args)
    got = run_traced(fn, *args)
    assert_same(got, expected)
    return got


@pytest.fixture
def check():
    """The comparison of a traced function with NumPy (`check_traced`)."""
    return check_traced
