"""`make_ir`, `lower()` and the NumPy interpreter's run-time errors."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.runtime.interpreter import ExecutionError, run_graph


def _f(x, w):
    unused = np.exp(x)  # dead code: in .ir, not in .optimized
    del unused
    return np.sum(np.tanh(x * w) ** 2)


def test_make_ir_returns_a_graph_with_a_readable_dump(rng):
    x, w = rng.normal(size=(3, 2)), rng.normal(size=2)
    g = tg.make_ir(_f)(x, w)
    assert isinstance(g, tg.Graph)
    assert [str(t) for t in g.in_types] == ["f64[3,2]", "f64[2]"]
    assert [str(t) for t in g.out_types] == ["f64[]"]
    text = str(g)
    assert text.startswith("graph(%0:f64[3,2], %1:f64[2]) -> (f64[]) {")
    assert "= tanh %" in text and "= reduce_sum %" in text and "= exp %0" in text
    assert text.splitlines()[-2].strip().startswith("return %")
    assert text == str(tg.make_ir(_f)(x, w))  # deterministic


def test_make_ir_of_a_compiled_function_and_with_static_argnums(rng):
    x = rng.normal(size=4)
    g = tg.make_ir(tg.compile(lambda x, y: np.sin(x) * y))(x, x)
    assert [n.op.name for n in g.nodes] == ["sin", "mul"]
    g = tg.make_ir(lambda x, n: x ** n, static_argnums=1)(x, 3)
    assert [t.shape for t in g.in_types] == [(4,)]  # the static argument is no input


def test_graph_evaluates_like_numpy(rng):
    x, w = rng.normal(size=(3, 2)), rng.normal(size=2)
    (out,) = run_graph(tg.make_ir(_f)(x, w), [x, w])
    np.testing.assert_allclose(out, _f(x, w), rtol=1e-12)


def test_lower_exposes_ir_and_optimized(rng):
    x, w = rng.normal(size=(3, 2)), rng.normal(size=2)
    cf = tg.compile(_f, backend="numpy")
    lowered = cf.lower(x, w)
    assert isinstance(lowered.ir, tg.Graph) and isinstance(lowered.optimized, tg.Graph)
    ops_ir = [n.op.name for n in lowered.ir.nodes]
    ops_opt = [n.op.name for n in lowered.optimized.nodes]
    assert "exp" in ops_ir and "exp" not in ops_opt
    assert lowered.backend == "numpy"
    assert str(lowered) == str(lowered.optimized)
    (out,) = run_graph(lowered.optimized, [x, w])
    np.testing.assert_allclose(out, _f(x, w), rtol=1e-12)
    assert cf.cache_size == 0  # lowering does not fill the call cache


def test_interpreter_error_names_the_op_and_the_traced_line(rng):
    def f(x, y):
        return x ** y  # the traced line

    line = f.__code__.co_firstlineno + 1
    cf = tg.compile(f, backend="numpy")
    x = rng.integers(1, 5, size=3)
    y = np.array([2, -1, 3])  # NumPy refuses integers to negative integer powers
    with pytest.raises(ExecutionError) as info:
        cf(x, y)
    msg = str(info.value)
    assert msg.startswith("pow failed")
    assert f"test_lower.py:{line}" in msg
    assert "negative integer powers" in msg
    assert isinstance(info.value.__cause__, ValueError)
