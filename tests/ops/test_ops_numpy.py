"""Every op against NumPy, from the table in `op_cases`: eager evaluation, the type
rules, and the traced graph run by the interpreter must all agree with the reference."""

import numpy as np
import pytest

import tracegrad as tg
from tests.ops.op_cases import CASES, evaluate_nodes
from tracegrad.ops import layout as lay
from tracegrad.runtime.interpreter import run_graph

PARAMS = [
    pytest.param(case, np.dtype(dt), id=f"{case.id}-{np.dtype(dt).name}")
    for case in CASES
    for dt in case.dtypes
]


def assert_same(result, expected, dtype):
    result, expected = np.asarray(result), np.asarray(expected)
    assert result.dtype == expected.dtype, f"dtype {result.dtype}, NumPy gives {expected.dtype}"
    assert result.shape == expected.shape
    if np.issubdtype(expected.dtype, np.inexact):
        tol = 1e-5 if np.dtype(dtype) == np.float32 or expected.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(result, expected, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("case, dtype", PARAMS)
def test_eager_matches_numpy(case, dtype):
    args = case.args(dtype)
    assert_same(case.fn(*args), case.ref(*args), dtype)


@pytest.mark.parametrize("case, dtype", PARAMS)
def test_traced_matches_numpy_and_type_rules(case, dtype):
    args = case.args(dtype)
    graph = tg.make_ir(case.fn)(*args)
    assert case.prim in {node.op.name for node in graph.nodes}, "the row does not use its op"
    evaluate_nodes(graph, args)  # each node's impl agrees with its type rule
    (result,) = run_graph(graph, list(args))
    assert_same(result, case.ref(*args), dtype)


# --- the creation helpers (compositions, not primitives) ------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_full_and_likes(dtype, rng):
    x = rng.normal(size=(2, 3)).astype(dtype)
    assert_same(lay.full((2, 3), 7, dtype), np.full((2, 3), 7, dtype), dtype)
    assert_same(lay.zeros_like(x), np.zeros_like(x), dtype)
    assert_same(lay.ones_like(x), np.ones_like(x), dtype)
    graph = tg.make_ir(lay.ones_like)(x)
    assert [n.op.name for n in graph.nodes] == ["broadcast_in_dim"]


def test_identity_layouts_add_no_nodes(rng):
    x = rng.normal(size=(2, 3))

    def f(x):
        x = lay.transpose(x, (0, 1))
        x = lay.slice(x, (0, 0), (2, 3))
        x = lay.pad(x, 0.0, ((0, 0, 0), (0, 0, 0)))
        x = lay.rev(x, ())
        return lay.concatenate([lay.reshape(x, (2, 3))], 0)

    assert tg.make_ir(f)(x).nodes == ()


def test_gather_scatter_add_are_transposes(rng):
    # <scatter_add(0, i, u), y> == <u, gather(y, i)> for any u, y, including repeated
    # and clamped indices: the pair must stay each other's VJP.
    idx = np.array([[0, 3, 3], [-1, 9, 0]])
    u = rng.normal(size=(4, 2, 3, 2))
    y = rng.normal(size=(4, 5, 2))
    lhs = np.sum(lay.scatter_add(np.zeros((4, 5, 2)), idx, u, 1) * y)
    rhs = np.sum(u * lay.gather(y, idx, 1))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)
