"""Special values exactly as NumPy (and SciPy, for erf and logistic).

Inputs: signed zeros, infinities, NaN, the extremes of the format, subnormals, and
each function's own edges (overflow and underflow thresholds, the ends of asin's
domain...). Where NumPy's result is zero, infinite or NaN, ours must be the same,
sign of zeros included; elsewhere within 1 ulp (the accuracy tests check that
closely, this catches a special-case select applied to the wrong inputs).
"""

from __future__ import annotations

import numpy as np
import pytest

scipy_special = pytest.importorskip("scipy.special")

NUMPY = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2,
    "log10": np.log10, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
    "sinh": np.sinh, "cosh": np.cosh, "logistic": scipy_special.expit,
    "erf": scipy_special.erf, "atan": np.arctan, "asin": np.arcsin, "acos": np.arccos,
    "sqrt": np.sqrt,
}
EDGES = {
    "exp": [709.78, 709.79, -745.1, -745.2, -708.4, 88.7, 88.8, -103.9, -104.0],
    "expm1": [709.79, -40.0, -800.0, 1e-300, -1e-300],
    "log": [1.0, -1.0], "log2": [1.0, 2.0, 0.5], "log10": [1.0, 10.0],
    "log1p": [-1.0, -2.0, -1e-300, 1e-300],
    "sinh": [710.47, 710.48, -710.48, 89.4, 89.5], "cosh": [710.47, 710.48, 89.4, 89.5],
    "tanh": [19.1, -19.1, 9.1], "logistic": [-745.0, -746.0, 750.0, -104.0, 104.0],
    "asin": [1.0, -1.0, 1.0000001, -1.0000001], "acos": [1.0, -1.0, 1.0000001, -1.0000001],
}


def special_inputs(dtype, op: str) -> np.ndarray:
    fi = np.finfo(dtype)
    values = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, -2.0,
              float(fi.max), -float(fi.max), float(fi.tiny), -float(fi.tiny),
              float(fi.smallest_subnormal), -float(fi.smallest_subnormal), 1e-300, -1e-300]
    with np.errstate(over="ignore"):
        return np.array(values + EDGES.get(op, []), dtype=np.float64).astype(dtype)


def assert_same_specials(got: np.ndarray, want: np.ndarray, inputs) -> None:
    special = ~np.isfinite(want) | (want == 0)
    bad = special & ~((got == want) & (np.signbit(got) == np.signbit(want)))
    bad &= ~(np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore"):
        near = np.abs(got.astype(float) - want) <= np.spacing(np.abs(want))
    bad |= ~special & ~near
    assert not bad.any(), f"inputs {inputs[bad]}: got {got[bad]}, NumPy {want[bad]}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("op", sorted(NUMPY))
def test_unary_specials_as_numpy(kernels, op, dtype):
    x = special_inputs(dtype, op)
    with np.errstate(all="ignore"):
        want = NUMPY[op](x)
    got = kernels.run(op, x)
    assert got.dtype == want.dtype
    assert_same_specials(got, want, x)


def _grid(dtype, values):
    a, b = np.meshgrid(np.array(values, dtype), np.array(values, dtype))
    return a.ravel(), b.ravel()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_atan2_specials_as_numpy(kernels, dtype):
    y, x = _grid(dtype, [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-30, -3.0])
    with np.errstate(all="ignore"):
        want = np.arctan2(y, x)
    assert_same_specials(kernels.run("atan2", y, x), want, np.stack([y, x], 1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_pow_specials_as_numpy(kernels, dtype):
    values = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0,
              -3.0, 2.5, -2.5, 1e-30, 1e30]
    x, y = _grid(dtype, values)
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    assert_same_specials(kernels.run("pow", x, y), want, np.stack([x, y], 1))
