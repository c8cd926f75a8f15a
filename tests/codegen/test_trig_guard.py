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
    assert "vm_sin_f64(" in rerun and "vm_trig_fast_ok" not in rerun


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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reruns_call_the_exact_trig_and_libm_into_the_same_buffers(dtype):
    """The rerun calls the exact vector sin, cos and tan (4-13x faster than libm's
    there), libm for the rest, and writes into the buffers the first run allocated
    (LLVM left a loop into a buffer allocated again in the branch scalar)."""
    suffix = "f64" if dtype == np.float64 else "f32"
    x = RNG.standard_normal(64).astype(dtype)

    def f(x):
        return np.sin(x) * np.exp(x), np.max(np.cos(x).reshape(8, 8), axis=1)

    graph = tg.compile(f, backend="numpy").lower(x).optimized
    fast, rerun = generate(graph, "f").source.split("if trig_misses")
    rerun = rerun.split("# ---")[0]  # the rerun block, not the kernels after it
    assert f"vm_sin_fast_{suffix}" in fast
    assert f"vm_sin_{suffix}(" in rerun and "math.exp(" in rerun
    assert "math.sin(" not in rerun and "vm_trig_fast_ok" not in rerun
    assert "np.empty(" not in rerun and "np.full(" not in rerun


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rerun_into_reused_buffers_matches_numpy(dtype):
    """Buffers reduced into across the outer loop are filled again (``.fill``) before
    the rerun accumulates into them."""
    def f(x):
        return np.sum(np.sin(x), axis=0), np.max(np.cos(x), axis=0), np.tan(x) * 2

    x = RNG.uniform(-10, 10, (32, 16)).astype(dtype)
    x[3, 5], x[20, 9] = dtype(3e9), dtype(-1e12)
    graph = tg.compile(f, backend="numpy").lower(x).optimized
    rerun = generate(graph, "f").source.split("if trig_misses")[1].split("# ---")[0]
    assert rerun.count(".fill(") == 2 and "np.full(" not in rerun
    got = tg.compile(f, backend="cpu")(x)
    want = f(x)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
