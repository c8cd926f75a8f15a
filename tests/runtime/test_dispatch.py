"""`CompiledFunction`: the signature cache, static arguments, decorator forms, backends."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.runtime.dispatch import CompiledFunction


def counting(fn):
    """`fn` plus a counter of how many times Python actually ran it (= traces)."""
    calls = []

    def wrapped(*args):
        calls.append(1)
        return fn(*args)

    wrapped.__name__ = fn.__name__
    return wrapped, calls


def _loss(x, y):
    return np.sum(np.tanh(x) * y)


# --- the signature cache -------------------------------------------------------------


def test_same_signature_does_not_retrace(rng):
    fn, calls = counting(_loss)
    f = tg.compile(fn, backend="numpy")
    for _ in range(3):
        x, y = rng.normal(size=5), rng.normal(size=5)
        np.testing.assert_allclose(f(x, y), _loss(x, y), rtol=1e-12)
    assert len(calls) == 1
    assert f.cache_size == 1


def test_new_values_of_same_signature_give_new_results(rng):
    # The cache is keyed on types, never on values: a hit must still use the new data.
    f = tg.compile(_loss, backend="numpy")
    x1, x2, y = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4)
    r1, r2 = f(x1, y), f(x2, y)
    np.testing.assert_allclose(r1, _loss(x1, y), rtol=1e-12)
    np.testing.assert_allclose(r2, _loss(x2, y), rtol=1e-12)
    assert r1 != r2


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(lambda rng: (rng.normal(size=6), rng.normal(size=6)), id="new-shape"),
        pytest.param(
            lambda rng: (rng.normal(size=5).astype(np.float32), rng.normal(size=5)),
            id="new-dtype",
        ),
        pytest.param(lambda rng: (rng.normal(size=(1, 5)), rng.normal(size=5)), id="new-rank"),
    ],
)
def test_new_shape_or_dtype_retraces(rng, second):
    fn, calls = counting(_loss)
    f = tg.compile(fn, backend="numpy")
    f(rng.normal(size=5), rng.normal(size=5))
    x, y = second(rng)
    out = f(x, y)
    expected = _loss(x, y)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == expected.dtype
    assert len(calls) == 2
    assert f.cache_size == 2
    f(x, y)  # the second signature is cached too
    assert len(calls) == 2


def test_new_pytree_structure_retraces(rng):
    fn, calls = counting(lambda p: sum(np.sum(v) for v in p.values()))
    f = tg.compile(fn, backend="numpy")
    a, b = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(f({"a": a}), np.sum(a))
    np.testing.assert_allclose(f({"a": a, "b": b}), np.sum(a) + np.sum(b))
    np.testing.assert_allclose(f({"a": b}), np.sum(b))
    assert len(calls) == 2


def test_tuple_and_list_are_different_structures(rng):
    fn, calls = counting(lambda p: p[0] * p[1])
    f = tg.compile(fn, backend="numpy")
    a, b = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(f((a, b)), a * b)
    np.testing.assert_allclose(f([a, b]), a * b)
    assert len(calls) == 2


# --- static arguments ------------------------------------------------------------------


def _power_sum(x, n):
    # A Python loop over a static count: unrolled at trace time.
    out = x
    for _ in range(n - 1):
        out = out * x
    return np.sum(out)


def test_static_argnums_int(rng):
    fn, calls = counting(_power_sum)
    f = tg.compile(fn, backend="numpy", static_argnums=1)
    x, x2 = rng.normal(size=4), rng.normal(size=4)
    np.testing.assert_allclose(f(x, 3), np.sum(x**3), rtol=1e-12)
    np.testing.assert_allclose(f(x2, 3), np.sum(x2**3), rtol=1e-12)
    assert len(calls) == 1
    np.testing.assert_allclose(f(x, 4), np.sum(x**4), rtol=1e-12)
    assert len(calls) == 2


def test_static_argnums_tuple_and_new_static_value_retraces(rng):
    def fn(scale, x, n):
        return _power_sum(x, n) * scale

    fn, calls = counting(fn)
    f = tg.compile(fn, backend="numpy", static_argnums=(0, 2))
    x = rng.normal(size=4)
    np.testing.assert_allclose(f(2.0, x, 2), 2.0 * np.sum(x**2), rtol=1e-12)
    np.testing.assert_allclose(f(2.0, x + 1.0, 2), 2.0 * np.sum((x + 1.0) ** 2), rtol=1e-12)
    assert len(calls) == 1
    np.testing.assert_allclose(f(3.0, x, 2), 3.0 * np.sum(x**2), rtol=1e-12)
    np.testing.assert_allclose(f(3.0, x, 3), 3.0 * np.sum(x**3), rtol=1e-12)
    assert len(calls) == 3


def test_static_value_may_drive_python_control_flow(rng):
    def fn(x, mode):
        if mode == "square":  # fine: `mode` is a Python value at trace time
            return x * x
        return -x

    f = tg.compile(fn, backend="numpy", static_argnums=1)
    x = rng.normal(size=3)
    np.testing.assert_allclose(f(x, "square"), x * x)
    np.testing.assert_allclose(f(x, "negate"), -x)


def test_unhashable_static_argument_is_a_clear_error(rng):
    f = tg.compile(_power_sum, backend="numpy", static_argnums=1)
    with pytest.raises(TypeError) as info:
        f(rng.normal(size=3), [3])
    msg = str(info.value)
    assert "static argument must be hashable" in msg and "list" in msg
    assert "tuple" in msg  # the fix
    assert "test_dispatch.py" in msg  # the user's line


def test_static_argnums_beyond_the_arguments_is_an_error(rng):
    f = tg.compile(_loss, backend="numpy", static_argnums=3)
    with pytest.raises(TypeError, match="static_argnums"):
        f(rng.normal(size=3), rng.normal(size=3))


# --- decorator forms and backends -------------------------------------------------------


def test_bare_decorator(rng):
    @tg.compile
    def f(x):
        return np.sum(np.sin(x) ** 2)

    x = rng.normal(size=7)
    assert isinstance(f, CompiledFunction)
    assert f.__name__ == "f" and f.__doc__ is None
    np.testing.assert_allclose(f(x), np.sum(np.sin(x) ** 2), rtol=1e-12)


def test_decorator_with_arguments(rng):
    @tg.compile(backend="numpy")
    def f(x):
        """Doc of f."""
        return np.exp(x) - 1.0

    x = rng.normal(size=(2, 3))
    assert isinstance(f, CompiledFunction)
    assert f.backend == "numpy"
    assert f.__doc__ == "Doc of f."
    np.testing.assert_allclose(f(x), np.exp(x) - 1.0, rtol=1e-12)


def test_unknown_backend_is_an_error_listing_the_known_ones():
    with pytest.raises(ValueError) as info:
        tg.compile(_loss, backend="tpu")
    msg = str(info.value)
    assert "'tpu'" in msg and "numpy" in msg


def test_unknown_backend_in_decorator_form_fails_at_decoration():
    with pytest.raises(ValueError, match="unknown backend"):
        @tg.compile(backend="fortran")
        def f(x):
            return x
