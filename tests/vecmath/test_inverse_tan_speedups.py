"""tan as one rational, atan2 with one division, and float32 atan, atan2, asin, acos in
float32 arithmetic (16 lanes of zmm).

tan: ``n = r q + r^3 p`` with ``tan(r) = n/q`` and ``-cot(r) = -q/n``; float64 forms
the division's remainder from r, q and r^3 p, not from the rounded n (tail ratio 0.22
near ``r = pi/4``). atan2: ``t = a/b`` or ``(a - b)/(a + b)`` from one division, then
``m pi/4 +- atan(t)``; float32 scales a and b by powers of two near underflow and
overflow. Every float32 argument was checked when these were written (max 0.500 ulp
for tan, 0.62 for atan, asin and acos); here millions of random atan2 pairs and the
hard cases of each method (the dense float32 sweeps: test_float32_sweep.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from tracegrad.codegen.vecmath.ulp import ulp_error

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)


def _assert_within(got, want, dtype, bound, args) -> None:
    err = ulp_error(got, want, dtype)
    worst = int(np.argmax(err))
    where = [a[worst] for a in args]
    assert err[worst] < bound, f"{err[worst]:.3f} ulp at {where}: got {got[worst]!r}"


def test_asin_acos_edges_and_outside_the_domain(kernels):
    """Both ends of [-1, 1] (w = 0 there: its remainder must not become 0/0), 1/2
    where the two methods meet, and NaN just outside."""
    one = np.float32(1.0).view(np.int32)
    half = np.float32(0.5).view(np.int32)
    near = np.concatenate([one - np.arange(2000), half + np.arange(-2000, 2000)])
    x = near.astype(np.int32).view(np.float32)
    x = np.concatenate([x, -x])
    for op, ref in (("asin", np.arcsin), ("acos", np.arccos)):
        _assert_within(kernels.run(op, x), ref(x.astype(np.float64)), F32, 1.0, [x])
        outside = np.array([1.0000001, -1.0000001, 2.0, -3e38, np.inf, -np.inf], F32)
        assert np.isnan(kernels.run(op, outside)).all()


def test_atan_float32_beyond_the_clamp(kernels):
    """Above 2**100 atan rounds to pi/2; 1/|x| is computed on the clamped value."""
    x = np.array([2.0**100, 2.0**101, 3.4e38, np.inf, 1e30, 2.0**99], F32)
    x = np.concatenate([x, -x])
    np.testing.assert_array_equal(kernels.run("atan", x), np.arctan(x))


# --- atan2 ---------------------------------------------------------------------------


def _atan2_pairs(dtype, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Random pairs over the whole exponent range and every sign, plus the places
    where the method changes: |y| = |x|/2 (float32) or tan(pi/8) |x| (float64),
    |y| = |x|, and the scaling thresholds 2**-100 and 2**100 (float32)."""
    fi = np.finfo(dtype)
    lo, hi = np.log2(float(fi.smallest_subnormal)), np.log2(float(fi.max))
    mag = 2.0 ** rng.uniform(lo, hi, (2, n))
    near = 2.0 ** rng.uniform(-140, 140, n) * rng.uniform(0.5, 2, n)
    ratio = np.concatenate([np.full(n // 4, 0.5), np.full(n // 4, np.sqrt(2) - 1),
                            np.ones(n - n // 2)]) * (1 + rng.uniform(-1e-6, 1e-6, n))
    y = np.concatenate([mag[0], near * ratio, 2.0 ** rng.uniform(-110, -90, n)])
    x = np.concatenate([mag[1], near, 2.0 ** rng.uniform(-160, 110, n)])
    swap = rng.random(y.size) < 0.5
    y, x = np.where(swap, x, y), np.where(swap, y, x)
    y *= rng.choice([-1.0, 1.0], y.size)
    x *= rng.choice([-1.0, 1.0], x.size)
    with np.errstate(over="ignore"):
        y, x = y.astype(dtype), x.astype(dtype)
    keep = np.isfinite(y) & np.isfinite(x)
    return y[keep], x[keep]


def test_atan2_float32_random_and_hard_pairs(kernels):
    y, x = _atan2_pairs(F32, 1_000_000, np.random.default_rng(5))
    want = np.arctan2(y.astype(np.float64), x.astype(np.float64))
    _assert_within(kernels.run("atan2", y, x), want, F32, 1.0, [y, x])


def test_atan2_float64_hard_pairs(kernels):
    y, x = _atan2_pairs(F64, 200_000, np.random.default_rng(6))
    want = np.arctan2(y.astype(np.longdouble), x.astype(np.longdouble))
    _assert_within(kernels.run("atan2", y, x), want, F64, 1.0, [y, x])


@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_atan2_extremes_as_numpy(kernels, dtype):
    """Pairs of the format's extremes: a + b would overflow, the remainder would
    underflow, subnormals against normals. Zeros and infinities exactly, the rest
    within an ulp of NumPy's float64 (or long double) result."""
    fi = np.finfo(dtype)
    values = [float(fi.max), float(fi.max) / 3, float(fi.tiny), float(fi.smallest_subnormal),
              3 * float(fi.smallest_subnormal), 2.0**-100, 2.0**100, 1.0, 0.0, np.inf]
    values = np.array(values + [-v for v in values], dtype)
    y, x = (v.ravel() for v in np.meshgrid(values, values))
    got = kernels.run("atan2", y, x)
    wide = np.longdouble if dtype == F64 else np.float64
    want = np.arctan2(y.astype(wide), x.astype(wide))
    exact = (want == 0) | ~np.isfinite(want) | (np.abs(want) == np.abs(np.arctan2(1, -np.inf)))
    np.testing.assert_array_equal(got[exact], want[exact].astype(dtype))
    np.testing.assert_array_equal(np.signbit(got[exact]), np.signbit(want[exact]))
    _assert_within(got, want, dtype, 1.0, [y, x])


# --- tan float64 ----------------------------------------------------------------------


def test_tan_float64_where_the_tail_is_largest(kernels):
    """Near odd multiples of pi/4 the tail r^3 p is a fifth of the result and its
    rounding shows; near multiples of pi/2 -cot is large. The bound is 1.5 ulp, not
    1: the issue's spec is 2 ulp for float64, and the form without a double-double
    numerator is a fifth faster (1.31 ulp at most, measured)."""
    rng = np.random.default_rng(8)
    k = rng.integers(-2000, 2000, 200_000)
    x = k * (np.pi / 4) + rng.uniform(-1e-3, 1e-3, k.size)
    x = np.concatenate([x, rng.uniform(-1e6, 1e6, 100_000), k[:1000] * (np.pi / 2)])
    for op in ("tan", "tan_fast"):
        got = _run_fast(kernels, op, x)
        _assert_within(got, np.tan(x.astype(np.longdouble)), F64, 1.5, [x])


def _run_fast(kernels, op, x):
    if op == "tan":
        return kernels.run("tan", x)
    numba = pytest.importorskip("numba")
    from tracegrad.codegen import vecmath

    fast = vecmath.vm_tan_fast_f64

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = fast(x[i])

    out = np.empty_like(x)
    loop(x, out)
    return out
