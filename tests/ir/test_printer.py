"""The text dump: golden texts, determinism, literals, params and sub-graphs."""

import numpy as np

import tracegrad as tg
from tracegrad.ir.graph import Graph, Node, Params, Var
from tracegrad.ir.passes import optimize
from tracegrad.ir.printer import format_graph, format_node
from tracegrad.ir.types import TensorType
from tracegrad.ops import REGISTRY
from tracegrad.ops.layout import reshape, transpose
from tracegrad.ops.primitive import Primitive
from tracegrad.ops.reduce import reduce_sum
from tracegrad.runtime.interpreter import run_graph


def mlp_loss(w, b, x, y):
    # A hidden layer without matmul: (4,3,1) * (3,5) summed over the middle axis.
    h = np.tanh(reduce_sum(reshape(x, (4, 3, 1)) * w, axes=1) + b)
    h = np.maximum(h, 0.0) * 1.0
    pred = reduce_sum(transpose(h, (1, 0)), axes=0)
    err = pred - y
    return reduce_sum(err * err) / 4.0 + 0.01 * reduce_sum(w * w)


def mlp_args(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(4, 3)),
            rng.normal(size=4))


MLP_IR = """\
graph(%0:f64[3,5], %1:f64[5], %2:f64[4,3], %3:f64[4]) -> (f64[]) {
  %4:f64[4,3,1] = reshape %2  shape=(4, 3, 1)
  %5:f64[4,3] = reshape %4  shape=(4, 3)
  %6:f64[4,3,5] = broadcast_in_dim %5  dims=(0, 1)  shape=(4, 3, 5)
  %7:f64[4,3,5] = broadcast_in_dim %0  dims=(1, 2)  shape=(4, 3, 5)
  %8:f64[4,3,5] = mul %6, %7
  %9:f64[4,5] = reduce_sum %8  axes=(1,)
  %10:f64[4,5] = broadcast_in_dim %1  dims=(1,)  shape=(4, 5)
  %11:f64[4,5] = add %9, %10
  %12:f64[4,5] = tanh %11
  %13:f64[4,5] = broadcast_in_dim 0.0:f64  dims=()  shape=(4, 5)
  %14:f64[4,5] = max %12, %13
  %15:f64[4,5] = broadcast_in_dim 1.0:f64  dims=()  shape=(4, 5)
  %16:f64[4,5] = mul %14, %15
  %17:f64[5,4] = transpose %16  perm=(1, 0)
  %18:f64[4] = reduce_sum %17  axes=(0,)
  %19:f64[4] = sub %18, %3
  %20:f64[4] = mul %19, %19
  %21:f64[] = reduce_sum %20  axes=(0,)
  %22:f64[] = div %21, 4.0:f64
  %23:f64[3,5] = mul %0, %0
  %24:f64[] = reduce_sum %23  axes=(0, 1)
  %25:f64[] = mul 0.01:f64, %24
  %26:f64[] = add %22, %25
  return %26
}"""

# The two reshapes cancel, `* 1.0` goes, and the dead splat with it.
MLP_OPTIMIZED = """\
graph(%0:f64[3,5], %1:f64[5], %2:f64[4,3], %3:f64[4]) -> (f64[]) {
  %4:f64[4,3,5] = broadcast_in_dim %2  dims=(0, 1)  shape=(4, 3, 5)
  %5:f64[4,3,5] = broadcast_in_dim %0  dims=(1, 2)  shape=(4, 3, 5)
  %6:f64[4,3,5] = mul %4, %5
  %7:f64[4,5] = reduce_sum %6  axes=(1,)
  %8:f64[4,5] = broadcast_in_dim %1  dims=(1,)  shape=(4, 5)
  %9:f64[4,5] = add %7, %8
  %10:f64[4,5] = tanh %9
  %11:f64[4,5] = broadcast_in_dim 0.0:f64  dims=()  shape=(4, 5)
  %12:f64[4,5] = max %10, %11
  %13:f64[5,4] = transpose %12  perm=(1, 0)
  %14:f64[4] = reduce_sum %13  axes=(0,)
  %15:f64[4] = sub %14, %3
  %16:f64[4] = mul %15, %15
  %17:f64[] = reduce_sum %16  axes=(0,)
  %18:f64[] = div %17, 4.0:f64
  %19:f64[3,5] = mul %0, %0
  %20:f64[] = reduce_sum %19  axes=(0, 1)
  %21:f64[] = mul 0.01:f64, %20
  %22:f64[] = add %18, %21
  return %22
}"""


def test_golden_mlp_loss():
    g = tg.make_ir(mlp_loss)(*mlp_args())
    assert str(g) == MLP_IR
    assert str(optimize(g, checks=True)) == MLP_OPTIMIZED


def test_golden_graph_computes_the_loss():
    args = mlp_args(1)
    (got,) = run_graph(optimize(tg.make_ir(mlp_loss)(*args)), args)
    w, b, x, y = args
    pred = np.maximum(np.tanh(x @ w + b), 0.0).sum(axis=1)
    np.testing.assert_allclose(got, np.mean((pred - y) ** 2) + 0.01 * np.sum(w * w), rtol=1e-13)


def test_printing_is_deterministic():
    g = tg.make_ir(mlp_loss)(*mlp_args())
    assert str(g) == str(g) == format_graph(g)
    # A second trace has new Var objects (other uids) but prints the same text.
    again = tg.make_ir(mlp_loss)(*mlp_args(2))
    assert {v.uid for v in again.inputs}.isdisjoint(v.uid for v in g.inputs)
    assert str(again) == str(g)


def test_literals_and_dtype_params():
    def fn(x):
        return tg.convert(x * np.arange(5.0), np.float32) + np.float32(0.5), x * np.array([2.0])

    assert str(tg.make_ir(fn)(np.ones(5))) == """\
graph(%0:f64[5]) -> (f32[5], f64[5]) {
  %1:f64[5] = mul %0, constf64[5][0.0, 1.0, 2.0, ...]
  %2:f32[5] = convert %1  dtype=f32
  %3:f32[5] = broadcast_in_dim 0.5:f32  dims=()  shape=(5,)
  %4:f32[5] = add %2, %3
  %5:f64[] = reshape constf64[1][2.0]  shape=()
  %6:f64[5] = broadcast_in_dim %5  dims=()  shape=(5,)
  %7:f64[5] = mul %0, %6
  return %4, %7
}"""


def test_format_node_alone_numbers_from_zero():
    x, y = Var(TensorType((2,), np.float32)), Var(TensorType((2,), np.float32))
    node = Node(REGISTRY["add"], (x, y), Params(), (Var(x.type),))
    assert format_node(node) == "%0:f32[2] = add %1, %2"


def test_subgraph_params_print_indented():
    # A stand-in for a control-flow op: params holding one graph and a tuple of graphs.
    cond_p = Primitive("cond", type_rule=lambda p, x, **_: x, impl=lambda p, x, **_: x)
    t = TensorType((3,), np.float64)

    def branch(op: str, outer: Var) -> Graph:
        a, b = Var(t), Var(t)
        return Graph((a,), (Node(REGISTRY[op], (a, outer), Params(), (b,)),), (b,))

    p, x = Var(TensorType((), np.bool_)), Var(t)
    y = Var(t)
    node = Node(cond_p, (p, x), Params(branches=(branch("add", x), branch("mul", x)),
                                       body=branch("sub", x)), (y,))
    text = str(Graph((p, x), (node,), (y,)))
    assert text == """\
graph(%0:bool[], %1:f64[3]) -> (f64[3]) {
  %2:f64[3] = cond %0, %1  body=
      graph(%3:f64[3]) -> (f64[3]) {
        %4:f64[3] = sub %3, %1
        return %4
      }  branches=(
      graph(%5:f64[3]) -> (f64[3]) {
        %6:f64[3] = add %5, %1
        return %6
      },
      graph(%7:f64[3]) -> (f64[3]) {
        %8:f64[3] = mul %7, %1
        return %8
      })
  return %2
}"""
