"""Property test: random expression programs, gradients against finite differences.

Hypothesis draws an expression tree over unary, binary (with broadcasting) and
reduction ops on two inputs; the program's scalar loss is differentiated in both
modes and compared with central differences in float64.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tracegrad as tg

UNARY = {
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "logistic": tg.logistic,
    "sq": lambda x: x * x, "softplus": lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0),
    "exp_bounded": lambda x: np.exp(np.tanh(x)), "neg": lambda x: -x,
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div_safe": lambda a, b: a / (1.5 + np.sin(b)),
}
# Reductions see the full (3, 4) shape, whatever their operand broadcasts from.
FULL = np.ones((3, 4))
REDUCE = {
    "sum0": lambda x: np.sum(x * FULL, axis=0, keepdims=True),
    "mean1": lambda x: np.mean(x * FULL, axis=-1, keepdims=True),
}

leaves = st.sampled_from(["x", "y", "c"])


def exprs():
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.tuples(st.sampled_from(sorted(UNARY)), children),
            st.tuples(st.sampled_from(sorted(BINARY)), children, children),
            st.tuples(st.sampled_from(sorted(REDUCE)), children),
        ),
        max_leaves=8,
    )


def evaluate(expr, env):
    if isinstance(expr, str):
        return env[expr]
    op, *args = expr
    vals = [evaluate(a, env) for a in args]
    table = UNARY if op in UNARY else BINARY if op in BINARY else REDUCE
    return table[op](*vals)


def make_loss(expr):
    # x is (3, 4), y is (4,) and broadcasts against it, c is a Python constant.
    def loss(x, y):
        out = evaluate(expr, {"x": x, "y": y, "c": 0.75})
        return np.sum(out * FULL)

    return loss


@settings(max_examples=40, deadline=None)
@given(expr=exprs(), seed=st.integers(0, 2**16))
def test_random_program_gradients(expr, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal(4)
    loss = make_loss(expr)
    tg.check_grads(loss, (x, y), order=1, modes=("fwd", "rev"), rtol=1e-5, atol=1e-7)
    # The static graph's value equals NumPy's.
    np.testing.assert_allclose(tg.compile(loss)(x, y), loss(x, y), rtol=1e-12, atol=1e-12)
