"""Hard cases of the float32 trigonometry: the integer Payne-Hanek reduction and
the Cody-Waite one it hands over to at 2**30, and atan's single polynomial.

The float32 functions were checked exhaustively (all 2**32 inputs) against the
float64 ones when written; these tests keep the cases where a slip would show:
the float32 arguments closest to a multiple of pi/2, both sides of 2**30, the
exponents where the 2/pi window moves to the next 64-bit word, and the largest
floats.
"""

from __future__ import annotations

import numpy as np
import pytest

from tracegrad.codegen.vecmath.ulp import ulp_error

numba = pytest.importorskip("numba")
mpmath = pytest.importorskip("mpmath")

from tracegrad.codegen import vecmath  # noqa: E402

F32 = np.dtype(np.float32)
# |x - k pi/2| smallest among all float32 (about 2**-29.2, 2**-28.9 and 2**-27.8)
CLOSEST_TO_PIO2 = [7.729179e28, 2.1999385e10, 252.89821, 4.6381834e25, 1.522789e12]


def _neighbours(values, count=64) -> np.ndarray:
    """Each value with its `count` float32 neighbours on either side, both signs."""
    bits = np.asarray(values, F32).view(np.int32)[:, None] + np.arange(-count, count + 1)
    x = bits.ravel().view(F32)
    x = x[np.isfinite(x)]
    return np.concatenate([x, -x])


def hard_arguments() -> np.ndarray:
    edges = [
        2.0**30, 2.0**31,  # the fast limit; the first Payne-Hanek exponent
        2.0**93, 2.0**94,  # the window's first bit moves from word W0 to W1 (p = 64)
        3.4028234663852886e38, 1.0, np.pi / 4, np.pi / 2, np.pi, 1e-30,
    ]
    return np.concatenate([_neighbours(CLOSEST_TO_PIO2), _neighbours(edges)])


def _exact(op: str, x: np.ndarray) -> np.ndarray:
    with mpmath.workprec(300):
        fn = getattr(mpmath, op)
        return np.array([np.longdouble(mpmath.nstr(fn(mpmath.mpf(float(v))), 25))
                         for v in x])


@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_hard_arguments_within_one_ulp(kernels, op):
    x = hard_arguments()
    err = ulp_error(kernels.run(op, x), _exact(op, x), F32)
    worst = int(np.argmax(err))
    assert err[worst] < 0.6, f"{op}: {err[worst]:.3f} ulp at {x[worst]!r}"


def test_sincos_is_sin_and_cos_on_hard_arguments(kernels):
    x = hard_arguments()
    both = kernels.run("sincos", x)
    np.testing.assert_array_equal(both[0], kernels.run("sin", x))
    np.testing.assert_array_equal(both[1], kernels.run("cos", x))


@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_fast_is_bit_identical_on_a_dense_run(kernels, op):
    """Every float32 in runs around 2**30 and a multiple of pi/2: the exact
    function selects the fast one's Cody-Waite result there, so same bits."""
    starts = np.array([2.0**30, 252.89821, 1.0], F32).view(np.int32)
    bits = (starts[:, None] - np.arange(1 << 16)).ravel()
    x = np.concatenate([bits.view(F32), -bits.view(F32)])
    fast = getattr(vecmath, f"vm_{op}_fast_f32")

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = fast(x[i])

    got = np.empty_like(x)
    loop(x, got)
    np.testing.assert_array_equal(got, kernels.run(op, x))


def test_atan_around_one_and_at_the_extremes(kernels):
    x = _neighbours([1.0, 0.4375, 2.4375, 3.4028234663852886e38, 1e-38, 1e-45], 256)
    err = ulp_error(kernels.run("atan", x), _exact("atan", x), F32)
    assert err.max() < 0.6
    special = np.array([np.inf, -np.inf, 0.0, -0.0], F32)
    got = kernels.run("atan", special)
    np.testing.assert_array_equal(got, np.arctan(special))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(special))
