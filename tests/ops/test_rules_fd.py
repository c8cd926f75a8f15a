"""Each op's `jvp` and `vjp` rules, called directly on concrete float64 arrays, against
central finite differences of its `impl`.

The inputs of a rule are found by tracing the row's wrapper and evaluating the
graph: the rule is checked at the node of the row's primitive, with that node's
params, so wrappers' conventions (promotion, broadcasting, index normalisation)
need no second description here. For a random cotangent g and tangent t:

- jvp(t) == (f(x + eps t) - f(x - eps t)) / (2 eps), one input at a time and all
  together;
- <vjp(g)_i, t_i> == <g, the same difference quotient> for each input i;
- <g, jvp(t)> == <vjp(g), t>, the dot-product identity between the two rules.
"""

import numpy as np
import pytest

import tracegrad as tg
from tests.ops.op_cases import CASES, F64, evaluate_nodes
from tracegrad.ir.graph import Const
from tracegrad.ir.types import is_float
from tracegrad.ops.primitive import bind

FD_CASES = [
    pytest.param(case, id=case.id)
    for case in CASES
    if F64 in case.dtypes and case.grad_argnums()
]


def op_sites(case):
    """(primitive, concrete inputs, params) of each node of the row's primitive."""
    args = case.args(F64)
    graph = tg.make_ir(case.fn)(*args)
    env = evaluate_nodes(graph, args)
    for node in graph.nodes:
        if node.op.name == case.prim:
            xs = [np.array(a.value if isinstance(a, Const) else env[a]) for a in node.inputs]
            yield node.op, xs, dict(node.params)


def finite_difference(prim, xs, params, tangents, eps):
    """(f(x + eps t) - f(x - eps t)) / (2 eps), computed in float64."""

    def f(sign):
        moved = [x if t is None else x + sign * eps * t for x, t in zip(xs, tangents)]
        return np.asarray(prim.impl(*moved, **params), dtype=np.float64)

    return (f(1) - f(-1)) / (2 * eps)


def as_array(value, like):
    """A rule's result with None (a symbolic zero) as explicit zeros, type-checked."""
    if value is None:
        return np.zeros(like.shape, like.dtype)
    value = np.asarray(value)
    assert (value.shape, value.dtype) == (like.shape, like.dtype), (
        f"rule gave {value.dtype}{list(value.shape)} for {like.dtype}{list(like.shape)}"
    )
    return value


def assert_inner_close(lhs, rhs, scale, rtol):
    assert abs(lhs - rhs) <= rtol * scale + 1e-10, f"{lhs} != {rhs}"


def check_direction(case, prim, xs, params, g, cts, tangents):
    """jvp(tangents) and the vjp's cotangents against finite differences along `tangents`."""
    out = bind(prim, *xs, **params)
    fd = finite_difference(prim, xs, params, tangents, case.fd_eps)
    jvp = as_array(prim.jvp(tangents, out, *xs, **params), out).astype(np.float64)
    np.testing.assert_allclose(jvp, fd, rtol=case.fd_rtol, atol=case.fd_atol)
    ct_t = sum(np.vdot(as_array(ct, x), t) for ct, x, t in zip(cts, xs, tangents)
               if t is not None)
    scale = np.sum(np.abs(g * fd)) + np.sum(np.abs(g * jvp))
    assert_inner_close(ct_t, np.vdot(g, fd), scale, case.fd_rtol)  # vjp against FD
    exact = 100 * np.finfo(out.dtype).eps  # rounding only: the two rules agree
    assert_inner_close(ct_t, np.vdot(g, jvp), scale, exact)


@pytest.mark.parametrize("case", FD_CASES)
def test_rules_match_finite_differences(case):
    rng = np.random.default_rng(1)
    checked = 0
    for prim, xs, params in op_sites(case):
        out = bind(prim, *xs, **params)
        diff = [i for i, x in enumerate(xs) if is_float(x.dtype)]
        if not is_float(out.dtype) or not diff:
            continue
        g = rng.normal(size=out.shape).astype(out.dtype)
        ts = [rng.normal(size=x.shape).astype(x.dtype) if i in diff else None
              for i, x in enumerate(xs)]
        cts = prim.vjp(g, out, *xs, **params)
        assert len(cts) == len(xs), "vjp must give one cotangent per input"
        for i, x in enumerate(xs):
            if i not in diff:
                assert cts[i] is None, f"input {i} ({x.dtype}) is not differentiable"
        for i in diff:  # one input at a time, then all together
            only_i = [t if j == i else None for j, t in enumerate(ts)]
            check_direction(case, prim, xs, params, g, cts, only_i)
        if len(diff) > 1:
            check_direction(case, prim, xs, params, g, cts, ts)
        checked += 1
    assert checked, "no float node of the row's op to check"


# --- conventions finite differences cannot see ----------------------------------------------


def test_reduce_max_splits_ties_equally():
    from tracegrad.ops.reduce import reduce_max_p, reduce_min_p

    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, -1.0]])
    g = np.array([2.0, 3.0])
    (ct,) = reduce_max_p.vjp(g, np.max(x, 1), x, axes=(1,))
    np.testing.assert_allclose(ct, [[0, 1, 1, 0], [1, 1, 1, 0]])
    t = np.arange(8.0).reshape(2, 4)
    np.testing.assert_allclose(reduce_max_p.jvp([t], np.max(x, 1), x, axes=(1,)), [1.5, 5.0])
    (ct,) = reduce_min_p.vjp(g, np.min(x, 1), x, axes=(1,))
    np.testing.assert_allclose(ct, [[2, 0, 0, 0], [0, 0, 0, 3]])


@pytest.mark.parametrize("zeros", [0, 1, 2, 5])
def test_reduce_prod_gradient_is_exact_at_zeros(zeros):
    from tracegrad.ops.reduce import reduce_prod_p

    rng = np.random.default_rng(zeros)
    x = rng.uniform(0.5, 1.5, (3, 5))
    x.flat[rng.choice(x.size, zeros, replace=False)] = 0.0
    g = rng.normal(size=3)
    (ct,) = reduce_prod_p.vjp(g, np.prod(x, 1), x, axes=(1,))
    others = np.array([[np.prod(np.delete(r, j)) for j in range(5)] for r in x])
    np.testing.assert_allclose(ct, g[:, None] * others, rtol=1e-12, atol=0)
    assert np.all(np.isfinite(ct))


def test_reduce_prod_gradient_over_many_elements():
    # A reduction over non-adjacent axes of a size that is not a power of two.
    from tracegrad.ops.reduce import reduce_prod_p

    rng = np.random.default_rng(0)
    x = rng.uniform(0.9, 1.1, (3, 4, 37))
    x[1, 2, 5] = 0.0
    (ct,) = reduce_prod_p.vjp(np.ones(4), np.prod(x, (0, 2)), x, axes=(0, 2))
    moved = np.moveaxis(x, 1, 0).reshape(4, -1)
    others = np.array([[np.prod(np.delete(r, j)) for j in range(r.size)] for r in moved])
    np.testing.assert_allclose(ct, np.moveaxis(others.reshape(4, 3, 37), 0, 1), rtol=1e-12)
