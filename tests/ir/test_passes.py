"""The IR passes: each shrinks the graph it should, keeps types, and keeps results
(bitwise where the pass promises it) against the unoptimised graph."""

import warnings
from collections import Counter

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.ir import passes
from tracegrad.ir.graph import Const, Graph, Var
from tracegrad.ir.passes import (
    PIPELINE,
    common_subexpression_elimination,
    constant_folding,
    dead_code_elimination,
    optimize,
    simplify,
)
from tracegrad.ir.passes.constant_folding import MAX_FOLDED_SIZE
from tracegrad.ir.verify import IRVerificationError
from tracegrad.ops import REGISTRY, bind
from tracegrad.ops import elementwise as ew
from tracegrad.ops.layout import broadcast_in_dim, full, reshape, transpose
from tracegrad.ops.reduce import reduce_sum
from tracegrad.runtime.interpreter import run_graph


def ops(graph: Graph) -> Counter:
    return Counter(n.op.name for n in graph.nodes)


def assert_same_results(before: Graph, after: Graph, args, exact: bool = True) -> None:
    for want, got in zip(run_graph(before, args), run_graph(after, args)):
        assert got.dtype == want.dtype and got.shape == want.shape
        if exact:  # equal values (nan matching nan) and equal signs (of zeros too)
            np.testing.assert_array_equal(got, want)
            if np.issubdtype(got.dtype, np.floating):
                np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        else:
            np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)


# --- simplify ------------------------------------------------------------------------

X = np.random.default_rng(1).normal(size=(3, 4))
X32 = np.random.default_rng(2).normal(size=(3, 4)).astype(np.float32)
X3D = np.random.default_rng(3).normal(size=(2, 3, 4))


# (name, function, argument, the op that must disappear, bitwise-exact)
SIMPLIFICATIONS = [
    ("x+0", lambda x: x + 0.0, X, "add", True),
    ("0+x", lambda x: 0.0 + x, X, "add", True),
    ("x-0", lambda x: x - 0.0, X, "sub", True),
    ("x*1", lambda x: x * 1.0, X, "mul", True),
    ("1*x", lambda x: 1.0 * x, X, "mul", True),
    ("x*1 f32", lambda x: x * 1.0, X32, "mul", True),
    ("x*ones", lambda x: x * np.ones((3, 4)), X, "mul", True),
    ("x/1", lambda x: x / 1.0, X, "div", True),
    ("x/1 int", lambda x: x / 1, X, "div", True),
    ("neg neg", lambda x: ew.neg(ew.neg(x)), X, "neg", True),
    ("pow 2", lambda x: x ** 2, X, "pow", True),  # NumPy's own x ** 2 is x * x
    ("pow 2 int", lambda x: x ** 2, np.arange(-6, 6).reshape(3, 4), "pow", True),
    ("pow 1", lambda x: x ** 1.0, X, "pow", True),
    ("pow 0.5", lambda x: abs(x) ** 0.5, X, "pow", True),
    ("pow 0.5 f32", lambda x: x ** 0.5, np.array([-0.0, -np.inf, 2.0, np.inf], np.float32),
     "pow", True),
    ("convert same", lambda x: bind(REGISTRY["convert"], x, dtype=x.dtype), X, "convert", True),
    ("reshape same", lambda x: bind(REGISTRY["reshape"], x, shape=x.shape), X, "reshape", True),
    ("reshape reshape", lambda x: reshape(reshape(x, (12,)), (3, 4)), X, "reshape", True),
    ("transpose id", lambda x: bind(REGISTRY["transpose"], x, perm=(0, 1)), X, "transpose", True),
    ("transpose transpose", lambda x: transpose(transpose(x, (1, 0)), (1, 0)), X, "transpose",
     True),
    ("broadcast id", lambda x: bind(REGISTRY["broadcast_in_dim"], x, shape=(3, 4), dims=(0, 1)),
     X, "broadcast_in_dim", True),
    ("select same", lambda x: ew.select(x > 0, x, x), X, "select", True),
    ("sum no axes", lambda x: bind(REGISTRY["reduce_sum"], x, axes=()), X, "reduce_sum", True),
]


@pytest.mark.parametrize("name, fn, x, gone, exact", SIMPLIFICATIONS,
                         ids=[s[0] for s in SIMPLIFICATIONS])
def test_simplification(name, fn, x, gone, exact):
    g = tg.make_ir(fn)(x)
    opt = optimize(g, checks=True)
    assert ops(g)[gone] >= 1
    assert ops(opt)[gone] < ops(g)[gone], str(opt)
    assert len(opt.nodes) < len(g.nodes)
    assert opt.out_types == g.out_types
    with np.errstate(invalid="ignore"):  # the sqrt of -inf
        assert_same_results(g, opt, [x], exact)


def test_pow_rewrites_to_cheaper_ops():
    assert ops(optimize(tg.make_ir(lambda x: x ** 2)(X))) == {"mul": 1}
    assert ops(optimize(tg.make_ir(lambda x: x ** 0.5)(X))) == {"sqrt": 1}
    assert "pow" in ops(optimize(tg.make_ir(lambda x: x ** 3.0)(X)))


def test_reshape_and_transpose_chains_become_one_op():
    g = optimize(tg.make_ir(lambda x: reshape(reshape(x, (12,)), (2, 6)))(X))
    assert ops(g) == {"reshape": 1} and g.nodes[0].params["shape"] == (2, 6)
    assert g.nodes[0].inputs[0] is g.inputs[0]
    g = optimize(tg.make_ir(lambda x: transpose(transpose(x, (1, 2, 0)), (1, 2, 0)))(X3D))
    assert ops(g) == {"transpose": 1} and g.nodes[0].params["perm"] == (2, 0, 1)
    assert_same_results(tg.make_ir(lambda x: np.transpose(x, (2, 0, 1)))(X3D), g, [X3D])


def test_broadcast_of_broadcast_becomes_one_broadcast():
    def fn(v):
        return broadcast_in_dim(broadcast_in_dim(v, (3, 4), (1,)), (2, 3, 4), (1, 2))

    v = np.random.default_rng(4).normal(size=4)
    g = tg.make_ir(fn)(v)
    opt = optimize(g, checks=True)
    assert ops(opt) == {"broadcast_in_dim": 1}
    assert opt.nodes[0].params["dims"] == (2,)
    assert_same_results(g, opt, [v])


def test_broadcast_of_a_keepdims_reshape_becomes_one_broadcast():
    # x - max(x, axis=1, keepdims=True): the reduction feeds the broadcast directly,
    # so the code generator sees the row-wise reduce-then-map pattern.
    g = tg.make_ir(lambda x: x - np.max(x, axis=1, keepdims=True))(X)
    opt = optimize(g, checks=True)
    assert ops(opt) == {"reduce_max": 1, "broadcast_in_dim": 1, "sub": 1}
    bcast = next(n for n in opt.nodes if n.op.name == "broadcast_in_dim")
    assert bcast.params["dims"] == (0,)
    assert_same_results(g, opt, [X])


def test_keepdims_arithmetic_runs_on_the_reduced_shape():
    def logsumexp(x):
        m = np.max(x, axis=1, keepdims=True)
        return np.sum(m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)))

    g = tg.make_ir(logsumexp)(X)
    opt = optimize(g, checks=True)
    assert not any(1 in v.shape for n in opt.nodes for v in n.outputs), str(opt)
    assert_same_results(g, opt, [X])


def test_chained_simplifications_reduce_to_the_input():
    g = tg.make_ir(lambda x: ew.neg(ew.neg(x * 1.0 + 0.0)) / 1.0)(X32)
    opt = optimize(g, checks=True)
    assert opt.nodes == () and opt.outputs[0] is opt.inputs[0]


def test_x_plus_zero_keeps_negative_zero():
    # The one documented difference of x + 0 -> x: -0.0 + 0.0 is +0.0 in IEEE
    # arithmetic, the simplified graph returns x itself. Equal as numbers.
    x = np.array([-0.0, 1.5])
    g = tg.make_ir(lambda x: x + 0.0)(x)
    (before,), (after,) = run_graph(g, [x]), run_graph(optimize(g), [x])
    assert not np.signbit(before[0]) and np.signbit(after[0])
    np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("fn", [
    lambda x: x * 0.0,            # inf * 0 and nan * 0 are nan, -1 * 0 is -0.0
    lambda x: x - x,              # inf - inf is nan
    lambda x: x + 2.0,
    lambda x: x * 2.0,
    lambda x: x ** 3.0,
    lambda x: ew.select(x > 0, x, -x),
], ids=["x*0", "x-x", "x+2", "x*2", "pow 3", "select"])
def test_non_identities_are_left_alone(fn):
    x = np.array([np.inf, -np.inf, np.nan, -1.0, 0.0, 2.5])
    g = tg.make_ir(fn)(x)
    opt = optimize(g, checks=True)
    assert len(opt.nodes) == len(g.nodes)
    with np.errstate(invalid="ignore"):
        assert_same_results(g, opt, [x])


@pytest.mark.parametrize("fn", [lambda x: x * 1.0, lambda x: x / 1.0, lambda x: x ** 1.0,
                                lambda x: x ** 0.5], ids=["x*1", "x/1", "pow 1", "pow 0.5"])
def test_complex_products_are_left_alone(fn):
    # (inf+1j) * (1+0j) is inf+nanj: these are no identities in complex arithmetic.
    x = np.array([complex(np.inf, 1.0), complex(-0.0, -0.0), 1.0 + 2.0j])
    g = tg.make_ir(fn)(x)
    assert optimize(g, checks=True) is g


def test_non_uniform_constant_is_not_a_literal():
    c = np.array([1.0, 1.0, 2.0])
    g = tg.make_ir(lambda x: x * c)(np.ones(3))
    assert optimize(g) is g


# --- common subexpressions ---------------------------------------------------------------


def test_cse_merges_duplicates():
    x = np.random.default_rng(5).normal(size=5)
    g = tg.make_ir(lambda x: np.sin(x) * 2.0 + np.sin(x) * 2.0)(x)
    assert ops(g) == {"sin": 2, "mul": 2, "broadcast_in_dim": 2, "add": 1}
    merged = dead_code_elimination(common_subexpression_elimination(g))
    assert ops(merged) == {"sin": 1, "mul": 1, "broadcast_in_dim": 1, "add": 1}
    add = merged.nodes[-1]
    assert add.inputs[0] is add.inputs[1]
    assert_same_results(g, merged, [x])


def test_cse_keeps_different_params_and_literals():
    x = np.random.default_rng(6).normal(size=(3, 3))
    # 0.0 and -0.0 are equal numbers but different literals (x * -0.0 has other signs)
    g = tg.make_ir(lambda x: (reduce_sum(x, 0), reduce_sum(x, 1), x * 2.0, x * 3.0,
                              x * 0.0, x * -0.0))(x)
    assert common_subexpression_elimination(g) is g


def test_cse_merges_equal_array_literals():
    x = np.random.default_rng(7).normal(size=3)
    g = tg.make_ir(lambda x: (x * np.array([1.0, 2.0, 3.0]), x * np.array([1.0, 2.0, 3.0])))(x)
    opt = optimize(g, checks=True)
    assert ops(opt) == {"mul": 1} and opt.outputs[0] is opt.outputs[1]


# --- constant folding -------------------------------------------------------------------


def test_folds_small_constant_expressions():
    a = np.arange(3.0, dtype=np.float32)
    g = tg.make_ir(lambda x: x + tg.exp(a) * tg.sin(a))(np.ones(3, np.float32))
    opt = optimize(g, checks=True)
    assert ops(opt) == {"add": 1}
    (c,) = [v for v in opt.nodes[0].inputs if isinstance(v, Const)]
    assert c.dtype == np.float32
    np.testing.assert_array_equal(c.value, np.exp(a) * np.sin(a))
    x = np.random.default_rng(8).normal(size=3).astype(np.float32)
    assert_same_results(g, opt, [x])


def test_folds_scalar_chains_into_one_literal():
    g = tg.make_ir(lambda x: x * (tg.exp(np.float64(1.0)) + 2.0))(np.float64(0.5))
    opt = optimize(g, checks=True)
    assert ops(opt) == {"mul": 1}
    assert opt.nodes[0].inputs[1].value == np.exp(1.0) + 2.0


def test_splat_arithmetic_stays_a_splat():
    n = 10 * MAX_FOLDED_SIZE
    g = tg.make_ir(lambda x: x * tg.add(full((n,), 3.0, np.float64), full((n,), 4.0, np.float64)))(
        np.ones(n))
    opt = optimize(g, checks=True)
    assert ops(opt) == {"broadcast_in_dim": 1, "mul": 1}
    splat = opt.nodes[0]
    assert splat.inputs[0].shape == () and splat.inputs[0].value == 7.0


def test_keeps_large_broadcasts_and_large_results():
    n = MAX_FOLDED_SIZE + 1
    big = np.arange(float(n))
    g = tg.make_ir(lambda x: (x * 2.0, x + tg.exp(big)))(np.ones(n))
    opt = optimize(g, checks=True)
    assert ops(opt) == {"broadcast_in_dim": 1, "mul": 1, "exp": 1, "add": 1}
    assert constant_folding(opt) is opt


def test_small_splat_is_not_materialised():
    g = tg.make_ir(lambda x: x * 2.0)(np.ones(3))
    assert constant_folding(g) is g


def test_layout_op_of_a_splat_is_a_splat():
    def fn(x):
        return x * reshape(full((40, 30), 1.5, np.float64), (1200,))

    g = tg.make_ir(fn)(np.ones(1200))
    opt = optimize(g, checks=True)
    assert ops(opt) == {"broadcast_in_dim": 1, "mul": 1}
    assert opt.nodes[0].params["shape"] == (1200,)
    x = np.random.default_rng(9).normal(size=1200)
    assert_same_results(g, opt, [x])


def test_broadcast_of_a_splat_is_a_splat():
    g = tg.make_ir(lambda x: x * broadcast_in_dim(full((3,), 2.0, np.float64), (2, 3), (1,)))(
        np.ones((2, 3)))
    folded = dead_code_elimination(constant_folding(g))
    assert ops(folded) == {"broadcast_in_dim": 1, "mul": 1}
    splat = folded.nodes[0]
    assert splat.inputs[0].shape == () and splat.params["shape"] == (2, 3)


def test_folding_is_silent_about_floating_point_errors():
    g = tg.make_ir(lambda x: x + tg.log(np.zeros(3)))(np.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = optimize(g)
    assert ops(opt) == {"add": 1}
    assert np.all(opt.nodes[0].inputs[1].value == -np.inf)


def test_folding_then_simplification():
    # add(0.5, 0.5) folds to a splat of 1.0, and x * 1.0 then simplifies to x.
    g = tg.make_ir(lambda x: x * tg.add(full((3,), 0.5, np.float64), 0.5))(np.ones(3))
    opt = optimize(g, checks=True)
    assert opt.nodes == () and opt.outputs[0] is opt.inputs[0]


# --- dead code and the pipeline --------------------------------------------------------


def test_dce_drops_unused_nodes():
    g = tg.make_ir(lambda x: (np.sin(x), np.exp(x))[1])(X)
    assert ops(dead_code_elimination(g)) == {"exp": 1}


def test_optimize_reaches_a_fixed_point():
    def fn(x, y):
        h = np.tanh(x * 1.0 + y) * 2.0
        return reduce_sum(h * h) + reduce_sum(np.tanh(x + y) * 2.0) * tg.exp(np.float64(0.0))

    rng = np.random.default_rng(10)
    args = [rng.normal(size=(4, 5)), rng.normal(size=5)]
    g = tg.make_ir(fn)(*args)
    opt = optimize(g, checks=True)
    assert optimize(opt) is opt
    for p in PIPELINE:
        assert p(opt) is opt, p.__name__
    assert ops(opt)["tanh"] == 1 and len(opt.nodes) < len(g.nodes)
    assert_same_results(g, opt, args)


def test_optimize_with_checks_blames_the_broken_pass(monkeypatch):
    def broken(graph: Graph) -> Graph:  # returns a value that no node defines
        return Graph(graph.inputs, graph.nodes, graph.outputs + (Var(graph.inputs[0].type),))

    monkeypatch.setattr(passes, "PIPELINE", (simplify, broken))
    g = tg.make_ir(lambda x: np.sin(x))(X)
    with pytest.raises(IRVerificationError, match="after broken: graph output 1"):
        optimize(g, checks=True)


def test_optimize_stops_after_max_rounds(monkeypatch):
    calls = []

    def restless(graph: Graph) -> Graph:  # always "changes" the graph
        calls.append(1)
        return Graph(graph.inputs, graph.nodes, graph.outputs)

    monkeypatch.setattr(passes, "PIPELINE", (restless,))
    optimize(tg.make_ir(lambda x: np.sin(x))(X))
    assert len(calls) == passes.MAX_ROUNDS


UNARY = [np.sin, np.tanh, lambda x: -x, lambda x: x ** 2, lambda x: x * 1.0, lambda x: x + 0.0,
         lambda x: x - 0.0, lambda x: x / 1.0, lambda x: 1.0 * x, lambda x: x ** 1.0,
         lambda x: ew.convert(x, np.float32)]
BINARY = [lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y,
          lambda x, y: ew.select(x > y, x, y), lambda x, y: np.maximum(x, y)]


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_keep_their_results(seed):
    # Random mixes of identities, duplicates and real work: the optimised graph
    # (verified after every pass) computes what the traced one does.
    rng = np.random.default_rng(seed)
    choices = rng.integers(0, 1 << 30, size=40)

    def fn(x, y):
        vals = [x, y, x]
        for c in choices:
            a = vals[c % len(vals)]
            if c % 3:
                vals.append(UNARY[c % len(UNARY)](a))
            else:
                b = vals[(c // 7) % len(vals)]
                vals.append(BINARY[c % len(BINARY)](a, ew.convert(b, a.dtype)))
        return vals[-1], reduce_sum(vals[-2])

    args = [rng.normal(size=(2, 3)) * 0.5, rng.normal(size=(2, 3)) * 0.5]
    g = tg.make_ir(fn)(*args)
    opt = optimize(g, checks=True)
    assert len(opt.nodes) <= len(g.nodes)
    assert_same_results(g, opt, args, exact=False)
