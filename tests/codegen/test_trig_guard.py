"""Fast trig in generated loops: the fast sin/cos/tan are exact for |x| <= 2**30 only,
so a kernel that calls them counts the arguments beyond and reruns with libm's
functions. Both paths must give NumPy's values."""

from __future__ import annotations

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.codegen.cpu import generate

RNG = np.random.default_rng(11)


def trig_mix(x, y):
    return np.sin(x) * np.cos(y) + np.tan(x * 0.5), np.sum(np.cos(x))


@pytest.fixture(scope="module")
def compiled():
    return tg.compile(trig_mix, backend="cpu")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("huge", [False, True], ids=["in-range", "beyond-2**30"])
def test_fast_and_rerun_paths_match_numpy(compiled, dtype, huge):
    x = RNG.uniform(-10, 10, 513).astype(dtype)
    y = RNG.uniform(-10, 10, 513).astype(dtype)
    if huge:  # a few arguments where only the exact reduction is right
        x[[3, 200]] = np.array([1e10, -3.5e15], dtype)
        y[400] = dtype(2.0**31 + 7)
    got_map, got_sum = compiled(x, y)
    want_map, want_sum = trig_mix(x, y)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got_map, want_map, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_sum, want_sum, rtol=10 * tol)
    assert not np.isnan(got_map).any()


def test_program_checks_each_trig_argument_once():
    x = RNG.standard_normal(64)
    graph = tg.compile(trig_mix, backend="numpy").lower(x, x).optimized
    source = generate(graph, "trig_mix").source
    fast, rerun = source.split("if trig_misses")
    # sin(x) and tan(x/2) and cos(x) and cos(y): x, x*0.5 and y are checked once each
    assert fast.count("+= not vm_trig_fast_ok_f64") == 3
    assert "vm_sin_fast_f64" in fast and "vm_sin_fast_f64" not in rerun
    assert "math.sin(" in rerun and "vm_trig_fast_ok" not in rerun


def test_libm_programs_have_no_guard():
    x = RNG.standard_normal(64)
    graph = tg.compile(trig_mix, backend="numpy").lower(x, x).optimized
    assert "trig_misses" not in generate(graph, "trig_mix", math="libm").source


def test_parallel_loop_reruns_when_one_argument_is_huge():
    def w1(x):
        return np.sum(np.sin(x) * np.exp(-x * x) + np.tanh(x) * x)

    vg = tg.compile(tg.value_and_grad(w1), backend="cpu")
    x = RNG.standard_normal(100_000)
    assert "prange(" in vg.lower(x).source
    x[77_777] = 4.0e12
    (value, grad), (v0, g0) = vg(x), tg.compile(tg.value_and_grad(w1), backend="numpy")(x)
    np.testing.assert_allclose(value, v0, rtol=1e-12)
    np.testing.assert_allclose(grad, g0, rtol=1e-12, atol=1e-12)


def test_float32_reruns_call_the_exact_vector_trig():
    """float32 reruns use the exact vector functions (7-13x faster than libm's
    there, and no slower to compile); float64 reruns keep libm's."""
    x = RNG.standard_normal(64).astype(np.float32)
    graph = tg.compile(trig_mix, backend="numpy").lower(x, x).optimized
    fast, rerun = generate(graph, "trig_mix").source.split("if trig_misses")
    assert "vm_sin_fast_f32" in fast
    assert "vm_sin_f32(" in rerun and "vm_tan_f32(" in rerun and "vm_cos_f32(" in rerun
    assert "math.sin(" not in rerun and "vm_trig_fast_ok" not in rerun
