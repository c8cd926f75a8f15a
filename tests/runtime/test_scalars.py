"""Python and NumPy scalars as arguments: NumPy 2 (NEP 50) promotion, weak Python scalars."""

import numpy as np
import pytest

import tracegrad as tg


def _scale(x, s):
    return x * s


@pytest.mark.parametrize(
    "s",
    [2.0, 3, True, np.float64(2.0), np.float32(2.0), np.float16(2.0), np.int64(3)],
    ids=["py-float", "py-int", "py-bool", "np-f64", "np-f32", "np-f16", "np-i64"],
)
@pytest.mark.parametrize("xdtype", [np.float32, np.float64, np.int32])
def test_scalar_argument_promotes_like_numpy(rng, xdtype, s):
    x = (rng.normal(size=5) * 10).astype(xdtype)
    out = tg.compile(_scale, backend="numpy")(x, s)
    expected = x * s
    assert out.dtype == expected.dtype, (xdtype, type(s))
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_float32_times_python_float_stays_float32(rng):
    x32 = rng.normal(size=4).astype(np.float32)
    out = tg.compile(lambda x, s: x * s)(x32, 2.0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, x32 * 2.0, rtol=1e-6)


def test_a_python_scalar_is_an_input_not_a_baked_constant(rng):
    calls = []

    def f(x, s):
        calls.append(1)
        return x * s

    cf = tg.compile(f, backend="numpy")
    x = rng.normal(size=3).astype(np.float32)
    for s in (2.0, -0.5, 7.25):
        np.testing.assert_allclose(cf(x, s), x * s, rtol=1e-6)
    assert len(calls) == 1


def test_python_int_and_float_are_different_signatures(rng):
    cf = tg.compile(_scale, backend="numpy")
    x = rng.integers(-5, 5, size=4)
    assert cf(x, 2).dtype == (x * 2).dtype
    assert cf(x, 2.0).dtype == (x * 2.0).dtype == np.float64
    assert cf.cache_size == 2


def test_python_scalar_and_numpy_scalar_are_different_signatures(rng):
    cf = tg.compile(_scale, backend="numpy")
    x = rng.normal(size=4).astype(np.float32)
    assert cf(x, 2.0).dtype == np.float32
    assert cf(x, np.float64(2.0)).dtype == np.float64  # NumPy 2: a NumPy scalar is strong
    assert cf.cache_size == 2


def test_scalar_only_function(rng):
    f = tg.compile(lambda a, b: a * b + 1, backend="numpy")
    a, b = rng.normal(), int(rng.integers(1, 9))
    out = f(a, b)
    np.testing.assert_allclose(out, a * b + 1)
    assert np.asarray(out).dtype == np.float64
    assert np.asarray(f(3, 4)) == 13
    assert np.asarray(f(3, 4)).dtype == np.asarray(3 * 4 + 1).dtype


def test_zero_d_array_argument(rng):
    x = np.asarray(rng.normal(), dtype=np.float32)
    out = tg.compile(lambda x: np.sin(x) * 2.0, backend="numpy")(x)
    expected = np.sin(x) * 2.0
    assert out.shape == () and out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6)
