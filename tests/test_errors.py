"""The errors users meet while tracing: each names this file and the offending line,
says why, and says what to write instead."""

import os
import re

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.tracer.errors import LeakedTracerError, ShapeError, TracerBoolConversionError

HERE = os.path.basename(__file__)


def line_of(marker: str) -> int:
    """The line number in this file of the line ending with ``# <marker>``."""
    with open(__file__) as f:
        hits = [i for i, line in enumerate(f, 1) if line.rstrip().endswith(f"# {marker}")]
    assert len(hits) == 1, marker
    return hits[0]


# --- branching on traced values ------------------------------------------------------


def branch_if(x):
    if x > 0:  # offending: if
        return x
    return -x


def branch_bool(x):
    return bool(np.sum(x))  # offending: bool


def branch_int(x):
    return np.ones(3) * int(np.sum(x))  # offending: int


def branch_float(x):
    return np.sin(float(np.sum(x)))  # offending: float


def branch_asarray(x):
    return np.asarray(x) + 1.0  # offending: asarray


def branch_while(x):
    while np.sum(x) < 10.0:  # offending: while
        x = x * 2.0
    return x


def branch_item(x):
    return x * np.sum(x).item()  # offending: item


BRANCHES = [branch_if, branch_bool, branch_int, branch_float, branch_asarray, branch_while,
            branch_item]


@pytest.mark.parametrize("fn", BRANCHES, ids=lambda fn: fn.__name__.removeprefix("branch_"))
def test_branching_on_a_traced_value(rng, fn):
    x = rng.normal(size=3)
    with pytest.raises(TracerBoolConversionError) as info:
        tg.make_ir(fn)(x)
    msg = str(info.value)
    marker = "offending: " + fn.__name__.removeprefix("branch_")
    assert f"{HERE}:{line_of(marker)}" in msg  # the user's file and line
    assert re.search(r"traced array (f64|bool)\[3?\]", msg)  # which value
    assert "not known while the function is traced" in msg  # why
    assert "static graph cannot branch on data" in msg
    for fix in ("np.where", "tg.cond", "static_argnums"):
        assert fix in msg


@pytest.mark.parametrize("fn", [branch_if, branch_item], ids=["if", "item"])
def test_branching_error_also_under_compile(rng, fn):
    with pytest.raises(TracerBoolConversionError, match=HERE):
        tg.compile(fn, backend="numpy")(rng.normal(size=3))


def test_branching_error_is_a_type_error(rng):
    # Code that catches TypeError around float(x) keeps working.
    with pytest.raises(TypeError):
        tg.make_ir(branch_float)(rng.normal(size=3))


def test_branching_on_a_static_argument_is_fine(rng):
    def f(x, positive):
        if positive:
            return x
        return -x

    x = rng.normal(size=3)
    np.testing.assert_allclose(tg.compile(f, backend="numpy", static_argnums=1)(x, False), -x)


# --- leaked tracers ----------------------------------------------------------------------

_LEAKED = []


def leaky(x):
    y = np.sin(x)
    _LEAKED.append(y)  # a traced value escapes the trace
    return y


def test_leaked_tracer_used_in_a_later_trace(rng):
    _LEAKED.clear()
    x = rng.normal(size=3)
    tg.make_ir(leaky)(x)

    def uses_leak(z):
        return z + _LEAKED[0]  # offending: leak-in-trace

    with pytest.raises(LeakedTracerError) as info:
        tg.make_ir(uses_leak)(x)
    msg = str(info.value)
    assert f"{HERE}:{line_of('offending: leak-in-trace')}" in msg
    assert "return it from the function" in msg


def test_leaked_tracer_used_outside_any_trace(rng):
    _LEAKED.clear()
    tg.make_ir(leaky)(rng.normal(size=3))
    with pytest.raises(LeakedTracerError) as info:
        _LEAKED[0] * 2.0  # offending: leak-eager
    assert f"{HERE}:{line_of('offending: leak-eager')}" in str(info.value)


# --- shape mismatches --------------------------------------------------------------------


def test_shape_mismatch_names_both_shapes_and_the_line(rng):
    def f(x, y):
        return x + y  # offending: shapes

    with pytest.raises(ShapeError) as info:
        tg.make_ir(f)(rng.normal(size=(2, 3)), rng.normal(size=4))
    msg = str(info.value)
    assert "(2, 3)" in msg and "(4,)" in msg
    assert f"{HERE}:{line_of('offending: shapes')}" in msg
    assert isinstance(info.value, ValueError)  # NumPy raises ValueError here too
