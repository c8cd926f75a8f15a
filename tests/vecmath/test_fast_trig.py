"""The fast trig variants (Cody-Waite reduction only) and the check that guards them."""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from tracegrad.codegen import vecmath  # noqa: E402
from tracegrad.codegen.vecmath.reduce_pi import FAST_LIMIT  # noqa: E402

SUFFIX = {np.float64: "f64", np.float32: "f32"}


def _loop(f):
    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = f(x[i])

    return loop


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(-10, 10, 5000),
                        10.0 ** rng.uniform(-30, 9.3, 5000) * rng.choice([-1, 1], 5000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, FAST_LIMIT, -FAST_LIMIT,
                         np.nextafter(FAST_LIMIT, np.inf), 1.5707963267948966]])
    return x


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("op", ["sin", "cos", "tan"])
def test_fast_is_the_exact_function_within_the_limit_and_nan_beyond(kernels, points, op, dtype):
    x = points.astype(dtype)
    fast = _loop(getattr(vecmath, f"vm_{op}_fast_{SUFFIX[dtype]}"))
    got = np.empty_like(x)
    fast(x, got)
    want = kernels.run(op, x)
    inside = ~(np.abs(x.astype(np.float64)) > FAST_LIMIT) | np.isinf(x)
    np.testing.assert_array_equal(got[inside], want[inside])  # bit for bit, NaN = NaN
    assert np.isnan(got[~inside]).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_fast_sincos_and_the_check(points, dtype):
    x = points.astype(dtype)
    sfx = SUFFIX[dtype]
    sincos = getattr(vecmath, f"vm_sincos_fast_{sfx}")
    ok = getattr(vecmath, f"vm_trig_fast_ok_{sfx}")

    @numba.njit(error_model="numpy")
    def loop(x, s, c, flags):
        for i in range(x.size):
            s[i], c[i] = sincos(x[i])
            flags[i] = ok(x[i])

    s, c, flags = np.empty_like(x), np.empty_like(x), np.empty(x.size, np.bool_)
    loop(x, s, c, flags)
    beyond = (np.abs(x.astype(np.float64)) > FAST_LIMIT) & np.isfinite(x)
    np.testing.assert_array_equal(flags, ~beyond)
    sin_fast = np.empty_like(x)
    _loop(getattr(vecmath, f"vm_sin_fast_{sfx}"))(x, sin_fast)
    np.testing.assert_array_equal(s, sin_fast)

