"""`verify` accepts traced graphs and rejects each kind of malformed graph by hand."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.ir.graph import Const, Graph, Node, Params, Var
from tracegrad.ir.types import TensorType
from tracegrad.ir.verify import IRVerificationError, verify
from tracegrad.ops import REGISTRY
from tracegrad.ops.primitive import Primitive

F3 = TensorType((3,), np.float64)
F4 = TensorType((4,), np.float64)


def node(op: str, inputs, outputs, **params) -> Node:
    return Node(REGISTRY[op], tuple(inputs), Params(params), tuple(outputs))


def sample_graph() -> Graph:
    def f(x, y):
        h = np.tanh(x * y + 1.0)
        return np.sum(h * h), np.exp(x)

    rng = np.random.default_rng(0)
    return tg.make_ir(f)(rng.normal(size=(2, 3)), rng.normal(size=3))


def test_traced_graphs_verify():
    g = sample_graph()
    assert verify(g) is g


def test_accepts_const_operands_and_outputs():
    x, y = Var(F3), Var(F3)
    g = Graph((x,), (node("add", [x, Const(np.ones(3))], [y]),), (y, Const(np.float32(2))))
    assert verify(g) is g


def test_use_before_definition():
    x, y, z = Var(F3), Var(F3), Var(F3)
    g = Graph((x,), (node("sin", [y], [z]), node("cos", [x], [y])), (z,))
    with pytest.raises(IRVerificationError, match=r"operand 0 \(%2\) is used before it is "
                                                  r"defined\n  in: %1:f64\[3\] = sin %2"):
        verify(g)


def test_undefined_operand():
    x, stray, z = Var(F3), Var(F3), Var(F3)
    g = Graph((x,), (node("mul", [x, stray], [z]),), (z,))
    with pytest.raises(IRVerificationError, match="operand 1 .* used before it is defined"):
        verify(g)


def test_var_defined_twice_by_two_nodes():
    x, y = Var(F3), Var(F3)
    g = Graph((x,), (node("sin", [x], [y]), node("cos", [x], [y])), (y,))
    with pytest.raises(IRVerificationError, match=r"defined twice.*\n  in: %1:f64\[3\] = cos %0"):
        verify(g)


def test_node_redefines_a_graph_input():
    x = Var(F3)
    g = Graph((x,), (node("sin", [x], [x]),), (x,))
    with pytest.raises(IRVerificationError, match="defined twice"):
        verify(g)


def test_input_listed_twice():
    x = Var(F3)
    with pytest.raises(IRVerificationError, match="graph input 1 .* listed twice"):
        verify(Graph((x, x), (), (x,)))


def test_graph_input_must_be_a_var():
    with pytest.raises(IRVerificationError, match="graph input 0 is a Const"):
        verify(Graph((Const(np.ones(3)),), (), ()))


def test_undefined_graph_output():
    x, stray = Var(F3), Var(F3)
    with pytest.raises(IRVerificationError, match="graph output 1 .* not defined"):
        verify(Graph((x,), (), (x, stray)))


def test_output_type_disagrees_with_type_rule():
    x, y = Var(F3), Var(TensorType((3,), np.float32))
    g = Graph((x,), (node("exp", [x], [y]),), (y,))
    with pytest.raises(IRVerificationError,
                       match=r"output 0 has type f32\[3\], the type rule of exp gives f64\[3\]"):
        verify(g)


def test_type_rule_rejects_operands():
    x, w, y = Var(F3), Var(F4), Var(F3)
    g = Graph((x, w), (node("add", [x, w], [y]),), (y,))
    with pytest.raises(IRVerificationError, match=r"type rule of add rejects the operands: "
                                                  r"ShapeError"):
        verify(g)


def test_bad_params_are_reported_as_a_rejection():
    x, y = Var(F3), Var(F3)
    g = Graph((x,), (node("reduce_sum", [x], [y], axis=0),), (y,))  # the param is `axes`
    with pytest.raises(IRVerificationError, match="rejects the operands: TypeError"):
        verify(g)


def test_wrong_number_of_outputs():
    x, y, z = Var(F3), Var(F3), Var(F3)
    g = Graph((x,), (node("sin", [x], [y, z]),), (y,))
    with pytest.raises(IRVerificationError, match="sin has 2 outputs, its type rule gives 1"):
        verify(g)


def test_operand_of_wrong_kind():
    x, y = Var(F3), Var(F3)
    g = Graph((x,), (node("sin", [np.ones(3)], [y]),), (y,))
    with pytest.raises(IRVerificationError, match="operand 0 is a ndarray"):
        verify(g)


def test_error_names_the_traced_line():
    x, y = Var(F3), Var(TensorType((3,), np.int64))
    bad = Node(REGISTRY["sin"], (x,), Params(), (y,), where="model.py:12")
    with pytest.raises(IRVerificationError, match="traced at model.py:12"):
        verify(Graph((x,), (bad,), (y,)))


def test_subgraph_in_params_is_verified():
    # A node holding a malformed sub-graph (as control-flow ops will) is rejected,
    # and values of the enclosing graph defined before the node may be read inside.
    holder_p = Primitive("holder", type_rule=lambda x, *, body: x, impl=lambda x, *, body: x)

    def holder(x: Var, body: Graph) -> Graph:
        y = Var(F3)
        return Graph((x,), (Node(holder_p, (x,), Params(body=body), (y,)),), (y,))

    def body(reads: Var) -> Graph:
        a, b = Var(F3), Var(F3)
        return Graph((a,), (node("mul", [a, reads], [b]),), (b,))

    with pytest.raises(IRVerificationError, match=r"operand 1 \(%4\) is used before it is "
                                                  r"defined\n  in: %3:f64\[3\] = mul %2, %4"):
        verify(holder(Var(F3), body(Var(F3))))
    x = Var(F3)
    good = holder(x, body(x))
    assert verify(good) is good
