"""Compiled (backend="cpu") versus interpreter (backend="numpy") on random inputs,
for every op of the catalogue, a few programs per family. Each program is compiled
once per module (a Numba compile costs about a second) and every output is one test."""

from __future__ import annotations

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.ops.primitive import REGISTRY

RNG = np.random.default_rng(20240601)


def elementwise(x, y, p, u, b1, b2):
    return {
        "neg": -x, "exp": np.exp(x), "log": np.log(p), "log1p": np.log1p(p),
        "expm1": np.expm1(x), "sin": np.sin(x), "cos": np.cos(x), "tan": np.tan(u),
        "tanh": np.tanh(x), "sinh": np.sinh(x), "cosh": np.cosh(x), "asin": np.arcsin(u),
        "acos": np.arccos(u), "atan": np.arctan(x), "sqrt": np.sqrt(p), "abs": np.abs(x),
        "sign": np.sign(x), "floor": np.floor(x * 3), "ceil": np.ceil(x * 3), "erf": tg.erf(x),
        "logistic": tg.logistic(x * 30), "add": x + y, "sub": x - y, "mul": x * y, "div": x / y,
        "pow": p ** y, "max": np.maximum(x, y), "min": np.minimum(x, y),
        "atan2": np.arctan2(x, y), "eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y,
        "gt": x > y, "ge": x >= y, "and": b1 & b2, "or": b1 | b2, "xor": b1 ^ b2, "not": ~b1,
        "select": np.where(b1, x, y), "to_f32": x.astype(np.float32),
        "to_i32": (x * 10).astype(np.int32), "to_bool": (x > 0.5).astype(np.float64) != 0,
        "weak_scalars": x * 2.0 + 1, "max_nan": np.maximum(x, np.nan),
        "min_nan": np.minimum(np.nan, y), "sign_nan": tg.sign(np.float64(np.nan) * x),
        "select_literal": np.where(x > 0, x, 0.0), "stop_gradient": tg.stop_gradient(x) * y,
    }


def integers(i, j):
    return {
        "add": i + j, "sub": i - j, "mul": i * j, "max": np.maximum(i, j),
        "min": np.minimum(i, j), "abs": np.abs(i), "sign": np.sign(i), "neg": -i,
        "and": i & j, "or": i | j, "xor": i ^ j, "not": ~i, "lt": i < j, "scaled": i * 3,
        "to_float": i.astype(np.float64),
    }


def _inputs(dtype):
    shape = (3, 257)
    x, y = RNG.standard_normal(shape), RNG.standard_normal(shape)
    p, u = RNG.uniform(0.1, 3.0, shape), RNG.uniform(-0.99, 0.99, shape)
    b1, b2 = RNG.random(shape) < 0.5, RNG.random(shape) < 0.5
    return [a.astype(dtype) for a in (x, y, p, u)] + [b1, b2]


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["f64", "f32"])
def elementwise_results(request, cg):
    args = _inputs(request.param)
    return (*cg.run_both(elementwise, *args), request.param)


@pytest.mark.parametrize("name", list(elementwise(*_inputs(np.float64))))
def test_elementwise(elementwise_results, name, cg):
    got, want, dtype = elementwise_results
    cg.same(got[name], want[name], rtol=cg.tol(dtype), atol=cg.tol(dtype))


@pytest.fixture(scope="module", params=[np.int64, np.int32, np.int8])
def integer_results(request, cg):
    i = RNG.integers(-100, 100, (4, 5)).astype(request.param)
    j = RNG.integers(-100, 100, (4, 5)).astype(request.param)
    return cg.run_both(integers, i, j)


@pytest.mark.parametrize("name", list(integers(np.ones(2, int), np.ones(2, int))))
def test_integers(integer_results, name, cg):
    got, want = integer_results
    cg.same(got[name], want[name], rtol=0)


# --- layout ----------------------------------------------------------------------------


def layout(x, m, idx):
    return {
        "transpose": x.T * 2.0,
        "reshape_slice": x.reshape(6, 4)[:, ::2] + 1,
        "rev_slices": x[::-1, 1:] * x[:, :-1],
        "pad_interior": tg.pad(x, 0.5, ((1, 2, 0), (0, 1, 2))) * 1.0,
        "pad_negative": tg.pad(x, 0.0, ((-1, 1, 1), (2, -1, 0))),
        "concatenate": np.concatenate([x, x * 3, m], axis=0),
        "concatenate_1": np.concatenate([x, m[:, :2]], axis=1) - 1.0,
        "gather": tg.gather(x, idx, axis=1) * 1.5,
        "gather_axis0": tg.gather(m, idx[:3], axis=0),
        "scatter_add": tg.scatter_add(x, idx[:4], x[:, :4] * 2.0, axis=1),
        "broadcasts": x[:, None, :] * m[None, :, :],
        "flatten_view": x.reshape(-1),
        "transpose_view": x.T,
        "rev_view": x[::-1],
        "input": x,
        "literal": np.float64(3.0),
        "literal_array": np.arange(3.0),
    }


@pytest.fixture(scope="module")
def layout_results(cg):
    x, m = RNG.standard_normal((4, 6)), RNG.standard_normal((4, 6))
    idx = np.array([5, 0, 0, 3, 9, -2, 1])  # repeated, out of range and negative
    return cg.run_both(layout, x, m, idx)


@pytest.mark.parametrize("name", list(layout(np.ones((4, 6)), np.ones((4, 6)),
                                             np.zeros(7, int))))
def test_layout(layout_results, name, cg):
    got, want = layout_results
    cg.same(got[name], want[name], rtol=1e-12)


# --- reductions ------------------------------------------------------------------------


def reductions(x, z):
    return {
        "sum_all": np.sum(x), "sum_0": np.sum(x, axis=0), "sum_1": np.sum(x, axis=1),
        "sum_02": np.sum(z, axis=(0, 2)), "sum_middle": np.sum(z, axis=1),
        "max_1": np.max(x, axis=1), "min_0": np.min(x, axis=0),
        "prod_1": np.prod(x[:, :5], axis=1), "max_all": np.max(z),
        "min_12": np.min(z, axis=(1, 2)), "centered": x - np.mean(x, axis=1, keepdims=True),
        "normalised": x / np.sum(x * x), "argmax_1": np.argmax(x, axis=1),
        "argmin_0": np.argmin(z, axis=0), "argmax_flat": np.argmax(x),
        "std_1": np.std(x, axis=1), "count": np.sum(x > 0, axis=1),
        "any": np.any(x > 2.0, axis=0),
    }


@pytest.fixture(scope="module", params=["finite", "nan"])
def reduction_results(request, cg):
    x, z = RNG.standard_normal((5, 40)), RNG.standard_normal((3, 4, 5))
    if request.param == "nan":
        x[1, 3] = np.nan
        z[2, 1, 0] = np.nan
    return cg.run_both(reductions, x, z)


@pytest.mark.parametrize("name", list(reductions(np.ones((5, 40)), np.ones((3, 4, 5)))))
def test_reductions(reduction_results, name, cg):
    got, want = reduction_results
    cg.same(got[name], want[name], rtol=1e-12, atol=1e-13)


def test_float32_sum_stays_float32(cg):
    x = RNG.standard_normal((3, 1000)).astype(np.float32)
    got, want = cg.run_both(lambda x: (np.sum(x), np.sum(x * 2.0, axis=1)), x)
    for g, w in zip(got, want):
        cg.same(g, w, rtol=1e-5)


# --- contraction -----------------------------------------------------------------------


def contractions(a, b, c, v, bt, bu, ia, ib):
    return {
        "matmul": a @ b, "lhs_transposed": a.T @ c, "rhs_transposed": a @ c.T,
        "vector_dot": np.dot(v, v), "matvec": a @ v, "epilogue": np.tanh(a @ b) * 2.0,
        "batched": bt @ bu, "integer": ia @ ib, "einsum": np.einsum("ij,kj->ik", a, c),
        "outer": np.outer(v, v[:3]), "transposed_result": (a @ b).T + 1.0,
    }


@pytest.fixture(scope="module", params=[np.float64, np.float32], ids=["f64", "f32"])
def contraction_results(request, cg):
    dt = request.param
    shapes = [(6, 7), (7, 5), (6, 7), (7,), (3, 4, 5), (3, 5, 2)]
    floats = [RNG.standard_normal(s).astype(dt) for s in shapes]
    ints = [RNG.integers(-5, 5, (3, 4)), RNG.integers(-5, 5, (4, 2))]
    return (*cg.run_both(contractions, *floats, *ints), dt)


@pytest.mark.parametrize("name", ["matmul", "lhs_transposed", "rhs_transposed", "vector_dot",
                                  "matvec", "epilogue", "batched", "integer", "einsum",
                                  "outer", "transposed_result"])
def test_contractions(contraction_results, name, cg):
    got, want, dt = contraction_results
    cg.same(got[name], want[name], rtol=10 * cg.tol(dt), atol=10 * cg.tol(dt))


# --- the catalogue is covered --------------------------------------------------------------

COVERED = {
    "neg", "exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "sinh", "cosh", "asin",
    "acos", "atan", "sqrt", "abs", "sign", "floor", "ceil", "erf", "logistic", "add", "sub",
    "mul", "div", "pow", "max", "min", "atan2", "eq", "ne", "lt", "le", "gt", "ge", "and", "or",
    "xor", "not", "select", "convert", "broadcast_in_dim", "reshape", "transpose", "slice",
    "rev", "pad", "concatenate", "gather", "scatter_add", "reduce_sum", "reduce_max",
    "reduce_min", "reduce_prod", "argmax", "argmin", "dot_general", "custom_vjp_call",
    "stop_gradient",
}


def test_every_op_is_exercised():
    missing = sorted(set(REGISTRY) - COVERED)
    assert not missing, f"ops without a compiled-vs-interpreter test here: {missing}"


def test_custom_vjp_call_is_inlined(cg):
    @tg.custom_vjp
    def clipped(x):
        return np.minimum(x, 1.0) * 2.0

    clipped.defvjp(lambda x: (clipped(x), x), lambda x, g: (g * 2.0,))
    x = RNG.standard_normal(50)
    total = lambda x: np.sum(clipped(x))
    got, want = cg.run_both(lambda x: (clipped(x) + 1.0, tg.grad(total)(x)), x)
    for g, w in zip(got, want):
        cg.same(g, w, rtol=1e-12)
