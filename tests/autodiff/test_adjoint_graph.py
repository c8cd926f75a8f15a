"""The adjoint graph as users see it: short, readable, no dead nodes, and within a
small constant factor of the forward graph's size."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.ir.passes import dead_code_elimination

GOLDEN_SUM_SIN_X_TIMES_X = """\
graph(%0:f64[5]) -> (f64[5]) {
  %1:f64[5] = sin %0
  %2:f64[5] = cos %0
  %3:f64[5] = mul %0, %2
  %4:f64[5] = add %1, %3
  return %4
}"""


def test_adjoint_of_sum_sin_x_times_x_golden():
    graph = tg.make_ir(tg.grad(lambda x: np.sum(np.sin(x) * x)))(np.linspace(0, 1, 5))
    assert str(graph) == GOLDEN_SUM_SIN_X_TIMES_X
    assert dead_code_elimination(graph) is graph  # no dead nodes


def _w1(x):
    return np.sum(np.sin(x) * np.exp(-x * x) + np.tanh(x) * x)


def _mlp(w1, w2, x, y):
    h = np.maximum(x @ w1, 0.0)
    return np.sum((h @ w2 - y) ** 2)


def _softmax_xent(w, b, x, labels_onehot):
    logits = x @ w + b
    m = np.max(logits, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True)) + m
    return -np.mean(np.sum(labels_onehot * (logits - lse), axis=1))


def _rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


rng = np.random.default_rng(1)
PROGRAMS = {
    "w1": (_w1, (rng.standard_normal(8),)),
    "mlp": (_mlp, (rng.standard_normal((5, 4)), rng.standard_normal((4, 3)),
                   rng.standard_normal((2, 5)), rng.standard_normal((2, 3)))),
    "softmax": (_softmax_xent, (rng.standard_normal((5, 3)), rng.standard_normal(3),
                                rng.standard_normal((4, 5)), np.eye(3)[[0, 2, 1, 0]])),
    "rosenbrock": (_rosenbrock, (rng.standard_normal(6),)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_adjoint_size_is_a_small_multiple_of_forward(name):
    fn, args = PROGRAMS[name]
    forward = tg.compile(fn).lower(*args).optimized
    n = len(args) if name != "softmax" else 2
    grads = tg.value_and_grad(fn, argnums=tuple(range(n))).lower(*args).optimized
    factor = len(grads.nodes) / len(forward.nodes)
    assert factor <= 4.0, f"{name}: adjoint+forward graph is {factor:.2f}x the forward graph"
