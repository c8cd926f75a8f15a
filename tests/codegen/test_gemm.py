"""The contraction kernels of `tracegrad.codegen.gemm`: called directly against
``np.dot`` (every layout they accept, odd and tiny sizes, both dtypes, serial and
parallel, streaming and register tiles), and through compiled programs against
the interpreter."""

from __future__ import annotations

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.codegen import gemm

RNG = np.random.default_rng(20240917)
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def assert_close(got, want, dtype) -> None:
    """Within TOL of `want` relative to its norm (a float64 reference)."""
    assert got.dtype == dtype and got.shape == want.shape
    scale = max(np.linalg.norm(want), np.finfo(np.float64).tiny)
    assert np.linalg.norm(got - want) / scale <= TOL[dtype]


def random(shape, dtype):
    return RNG.standard_normal(shape).astype(dtype)


# --- the kernels, called directly -------------------------------------------------------------

# (rows of the streamed operand, contracted length, small dimension): tails of the
# 3x4 tiles and of the 4-row groups, a single row or column, and one case that
# spans several _BLOCKs and parallel chunks.
SIZES = [(1, 1, 1), (2, 5, 3), (3, 4, 4), (7, 33, 5), (97, 17, 16), (130, 1, 9), (5000, 40, 7),
         (40, 5000, 3)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("kernel", ["gemm_nn", "gemm_nn_par", "gemm_tn", "gemm_tn_par"])
def test_kernel_matches_dot(kernel, size, dtype):
    rows, k, n = size
    small = random((k, n), dtype)
    if kernel.startswith("gemm_nn"):
        a = random((rows, k), dtype)
        want = a.astype(np.float64) @ small.astype(np.float64)
    else:
        a = random((k, rows), dtype)  # rows of length `rows`, summed
        want = a.T.astype(np.float64) @ small.astype(np.float64)
    fn = getattr(gemm, kernel)
    for b in (small, np.asfortranarray(small)):
        out = np.full(want.shape, np.nan, dtype)
        fn(a, b, out)
        assert_close(out, want, dtype)
        out_t = np.full(want.shape[::-1], np.nan, dtype)  # a transposed result view
        fn(a, b, out_t.T)
        assert_close(out_t.T, want, dtype)


def test_long_sums_stay_accurate():
    """10^5 rows summed in float32 stay near the float64 result (blocked sums)."""
    a = RNG.random((100_000, 3), dtype=np.float32)
    b = RNG.random((100_000, 2), dtype=np.float32)
    want = a.T.astype(np.float64) @ b.astype(np.float64)
    for fn in (gemm.gemm_tn, gemm.gemm_tn_par):
        out = np.empty((3, 2), np.float32)
        fn(a, b, out)
        np.testing.assert_allclose(out, want, rtol=2e-6)
    wide = RNG.random((100_000, 20), dtype=np.float32)  # the tiles, in blocks of 256 rows
    out = np.empty((3, 20), np.float32)
    gemm.gemm_tiles_tn_par(a, wide, out)
    np.testing.assert_allclose(out, a.T.astype(np.float64) @ wide.astype(np.float64), rtol=2e-6)


# (rows of out, contracted length, columns of out) for the register tiles: one row
# or a ragged last tile, a contraction of one step, none, or several blocks (of
# 256 steps for x.T, 1024 for x), one vector or a masked last one, several panels.
TILE_SIZES = [(1, 1, 17), (5, 7, 33), (13, 300, 100), (30, 0, 20), (7, 1100, 129),
              (37, 33, 257), (100, 600, 64)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("size", TILE_SIZES, ids=str)
@pytest.mark.parametrize("kernel", ["nn", "nn_par", "tn", "tn_par"])
def test_tiles_match_dot(kernel, size, dtype):
    m, k, n = size
    fn = getattr(gemm, f"gemm_tiles_{kernel}")
    b = random((k, n), dtype)
    if kernel.startswith("nn"):
        a = random((m, k), dtype)
        want = a.astype(np.float64) @ b.astype(np.float64)
    else:
        a = random((k, m), dtype)
        want = a.T.astype(np.float64) @ b.astype(np.float64)
    out = np.full((m, n), np.nan, dtype)
    fn(a, b, out)
    assert_close(out, want, dtype)


def test_tiles_take_a_transposed_b():
    """A ``b`` given as a transposed view is copied into rows once."""
    a, bt = random((20, 30), np.float32), random((40, 30), np.float32)
    out = np.empty((20, 40), np.float32)
    gemm.gemm_tiles_nn(a, bt.T, out)
    assert_close(out, a.astype(np.float64) @ bt.T.astype(np.float64), np.float32)


def test_tiles_sum_alike_on_any_thread():
    """Each element is summed by one thread in one order: the parallel result
    equals the serial one bit for bit."""
    a, b = random((301, 700), np.float32), random((700, 100), np.float32)
    serial, parallel = np.empty((301, 100), np.float32), np.empty((301, 100), np.float32)
    gemm.gemm_tiles_nn(a, b, serial)
    gemm.gemm_tiles_nn_par(a, b, parallel)
    np.testing.assert_array_equal(serial, parallel)


def test_tiles_refuse_an_out_without_contiguous_rows():
    a, b = random((20, 30), np.float32), random((30, 40), np.float32)
    with pytest.raises(ValueError, match="contiguous rows"):
        gemm.gemm_tiles_nn(a, b, np.empty((40, 20), np.float32).T)


@pytest.mark.parametrize(("m", "k", "n", "x", "y", "expected"), [
    (100, 5, 3, ("a", False), ("b", False), "gemm_nn(a, b, d)"),
    (100, 5, 3, ("a", True), ("b", True), "gemm_tn(a, b.T, d)"),
    (10, 5, 100, ("a", False), ("b", False), "gemm_tn(b, a.T, d.T)"),
    (10, 5, 100, ("a", True), ("b", True), "gemm_nn(b, a, d.T)"),
    (4, 5, 3, ("a", False), ("b", False), "gemm_nn(a, b, d)"),
    (3, 5, 4, ("a", False), ("b", False), "gemm_tn(b, a.T, d.T)"),
    (10000, 784, 3, ("a", False), ("b", False), "gemm_nn_par(a, b, d)"),
    # the register tiles: X large and Y at least half a vector wide (8 floats)
    (100, 5, 8, ("a", False), ("b", False), "gemm_tiles_nn(a, b, d)"),
    (100, 5, 20, ("a", True), ("b", True), "gemm_tiles_tn(a, np.ascontiguousarray(b.T), d)"),
    (4096, 1000, 60, ("x", True), ("g", False), "gemm_tiles_tn_par(x, g, d)"),
])
def test_call_picks_the_kernel(m, k, n, x, y, expected):
    assert gemm.call(m, k, n, x, y, "d", np.float32) == expected


# --- through compiled programs ------------------------------------------------------------


def layouts(x, w, g, v, xt, u, q, r):
    """Every operand layout of a product with a small free dimension, and of one
    whose free dimensions both exceed MAX_SMALL (the register tiles)."""
    return {
        "nn": x @ w, "tn": x.T @ g, "small_left": w.T @ x.T, "small_left_tn": g.T @ x,
        "rhs_transposed": x @ xt.T, "matvec": x @ v, "vecmat": v[:5] @ xt,
        "epilogue": np.tanh(x @ w) * 2.0,
        "three_d": np.einsum("abk,kn->abn", x.reshape(3, 11, 40), w),
        "wide_nn": x @ u, "wide_tn": x.T @ np.sin(x @ u), "wide_nt": x @ q.T, "wide_tt": x.T @ r.T,
    }


def softmax_loss(w, x, y):
    z = x @ w
    m = np.max(z, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1))
    return np.mean(lse - np.sum(z * y, axis=1))


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["f64", "f32"])
def layout_results(request):
    dt = request.param
    x, w, g = random((33, 40), dt), random((40, 3), dt), random((33, 2), dt)
    v, xt = random((40,), dt), random((5, 40), dt)
    u, q, r = random((40, 20), dt), random((20, 40), dt), random((20, 33), dt)
    args = (x, w, g, v, xt, u, q, r)
    source = tg.compile(layouts, backend="cpu").lower(*args).source
    got = tg.compile(layouts, backend="cpu")(*args)
    want = tg.compile(layouts, backend="numpy")(*args)
    return source, got, want, dt


def test_programs_call_the_kernels_and_no_blas(layout_results):
    source = layout_results[0]
    assert "gemm_nn(" in source and "gemm_tn(" in source  # streaming, for the narrow ones
    assert "gemm_tiles_nn(" in source and "gemm_tiles_tn(" in source  # for x and for x.T
    assert "np.dot" not in source


@pytest.mark.parametrize("name", list(layouts(*(np.ones(s) for s in [(33, 40), (40, 3), (33, 2),
                                                                      (40,), (5, 40), (40, 20),
                                                                      (20, 40), (20, 33)]))))
def test_layouts_match_interpreter(layout_results, name, cg):
    _, got, want, dt = layout_results
    cg.same(got[name], want[name], rtol=10 * cg.tol(dt), atol=10 * cg.tol(dt))


@pytest.fixture(scope="module")
def medium():
    """A gradient of a softmax regression large enough for the parallel streaming
    kernels (3 classes: narrower than half a vector, too narrow for the tiles)."""
    x = RNG.random((3000, 300), dtype=np.float32)
    w = 0.01 * random((300, 3), np.float32)
    y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, 3000)]
    fn = tg.value_and_grad(softmax_loss)
    program = tg.compile(fn, backend="cpu").lower(w, x, y).program
    return program, tg.compile(fn, backend="cpu")(w, x, y), tg.compile(fn, backend="numpy")(w, x, y)


def test_medium_program_is_parallel(medium):
    program = medium[0]
    assert "gemm_nn_par(" in program.source and "gemm_tn_par(" in program.source
    assert "gemm_tiles" not in program.source
    assert program.parallel  # no BLAS left: its loops may use prange


def test_medium_program_matches_interpreter(medium):
    _, (value, grad), (want_value, want_grad) = medium
    assert_close(np.asarray(value)[None], np.asarray(want_value, np.float64)[None], np.float32)
    assert_close(grad, np.asarray(want_grad, np.float64), np.float32)


@pytest.fixture(scope="module")
def mlp():
    """A training step of a two-layer perceptron (the W2 benchmark, smaller): each
    product with both free dimensions above MAX_SMALL goes to the register tiles."""
    x, y = random((500, 300), np.float32), random((500, 10), np.float32)
    w1, w2 = 0.1 * random((300, 60), np.float32), 0.1 * random((60, 10), np.float32)
    fn = tg.value_and_grad(lambda w1, w2, x, y: np.sum((np.maximum(x @ w1, 0) @ w2 - y) ** 2),
                           argnums=(0, 1))
    program = tg.compile(fn, backend="cpu").lower(w1, w2, x, y).program
    args = (w1, w2, x, y)
    return program, tg.compile(fn, backend="cpu")(*args), tg.compile(fn, backend="numpy")(*args)


def test_mlp_program_uses_the_tiles_in_parallel(mlp):
    source = mlp[0].source
    assert "np.dot" not in source
    # x @ w1, h @ w2, g @ w2.T by rows of x, h, g; h.T @ g, x.T @ gh by their columns
    assert source.count("gemm_tiles_nn_par(") == 3 and source.count("gemm_tiles_tn_par(") == 2


def test_mlp_program_matches_interpreter(mlp):
    _, (value, grads), (want_value, want_grads) = mlp
    assert_close(np.asarray(value)[None], np.asarray(want_value, np.float64)[None], np.float32)
    for got, want in zip(grads, want_grads, strict=True):
        assert_close(got, np.asarray(want, np.float64), np.float32)


def test_a_wide_product_keeps_blas_for_all(cg):
    """One contraction too wide for the tiles and without a small dimension:
    every contraction calls BLAS."""
    a, b, w = (random(s, np.float64) for s in [(40, 30), (30, 200), (200, 2)])
    fn = lambda a, b, w: (a @ b) @ w  # noqa: E731
    source = tg.compile(fn, backend="cpu").lower(a, b, w).source
    assert "gemm_" not in source and source.count("np.dot") == 2
    got, want = cg.run_both(fn, a, b, w)
    cg.same(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shapes", [((0, 5), (5, 3)), ((4, 0), (0, 3)), ((4, 5), (5, 0)),
                                    ((1, 1), (1, 1))], ids=str)
def test_empty_and_tiny(shapes, cg):
    a, b = random(shapes[0], np.float32), random(shapes[1], np.float32)
    got, want = cg.run_both(lambda a, b: a @ b, a, b)
    cg.same(got, want, rtol=1e-6, atol=1e-6)
