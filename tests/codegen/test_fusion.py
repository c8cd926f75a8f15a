"""The kernel plan of known programs: what fuses, what is read and written once."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.codegen.cpu import generate
from tracegrad.codegen.schedule import LOOP

RNG = np.random.default_rng(7)


def w1_loss(x):
    return np.sum(np.sin(x) * np.exp(-x * x) + np.tanh(x) * x)


def program_of(fn, *args):
    graph = tg.compile(fn, backend="numpy").lower(*args).optimized
    return generate(graph, getattr(fn, "__name__", "fn"))


def test_w1_value_and_grad_is_one_loop_reading_x_once():
    x = RNG.standard_normal(100_000)
    prog = program_of(tg.value_and_grad(w1_loss), x)
    (group,) = prog.plan.groups
    assert group.kind == LOOP and group.stages == 1
    assert prog.plan.reads(group) == [prog.plan.graph.inputs[0]]
    value, grad = prog.plan.graph.outputs
    assert prog.plan.writes(group) == [value, grad]
    # The loop with the fast sin and cos; the same loop with the exact ones follows,
    # run only if an argument was beyond their range (test_trig_guard.py).
    fast_loop, rerun = prog.source.split("if trig_misses")
    assert fast_loop.count("b0[") == 1  # x is loaded once per element
    grad_buffer = f"b{_number(prog, grad)}"
    assert len(re.findall(rf"{grad_buffer}\[i0\] = ", fast_loop)) == 1
    assert "prange(100000)" in fast_loop  # large enough to run on every core
    assert "vm_sin_fast_f64" in fast_loop and "vm_sin_f64(" in rerun


def _number(prog, var):
    from tracegrad.codegen.schedule import _numbering

    return _numbering(prog.plan.graph).index(var)


def test_w1_value_and_grad_matches_interpreter_to_1e12():
    x = RNG.standard_normal(10_000)
    vg = tg.value_and_grad(w1_loss)
    (v, g), (v0, g0) = tg.compile(vg, backend="cpu")(x), tg.compile(vg, backend="numpy")(x)
    assert abs(v - v0) <= 1e-12 * abs(v0)
    assert np.linalg.norm(g - g0) <= 1e-12 * np.linalg.norm(g0)


def test_broadcasts_and_transposes_are_index_arithmetic():
    x, y, b = RNG.standard_normal((30, 20)), RNG.standard_normal((20, 30)), RNG.standard_normal(30)
    prog = program_of(lambda x, y, b: np.exp(x.T * y + b[None, :]), x, y, b)
    (group,) = prog.plan.groups
    assert group.kind == LOOP and not group.copies
    assert "b0[i1, i0]" in prog.source and "b2[i1]" in prog.source
    assert "np.empty" in prog.source and prog.source.count("np.empty") == 1  # the result only


def test_softmax_is_one_kernel_with_a_pass_per_reduction():
    def softmax(x):
        e = np.exp(x - np.max(x, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True)

    prog = program_of(softmax, RNG.standard_normal((64, 10)))
    (group,) = prog.plan.groups
    assert group.kind == LOOP and group.prefix == 1 and group.stages == 3


def test_reduction_epilogue_fuses_into_the_reduction():
    prog = program_of(lambda x: np.log(np.sum(x * x)) * 0.5, RNG.standard_normal(1000))
    (group,) = prog.plan.groups
    assert [n.op.name for n in group.nodes] == ["mul", "reduce_sum", "log", "mul"]


def test_contraction_is_blas_with_the_epilogue_after_it():
    # 300 columns: wider than the register tiles of gemm.py take (test_gemm.py)
    a, b = RNG.standard_normal((40, 32)), RNG.standard_normal((32, 300))
    prog = program_of(lambda a, b: np.tanh(a.T.T @ b) * 2.0, a, b)
    kinds = [g.kind for g in prog.plan.groups]
    assert kinds == ["dot_general", LOOP]
    assert "np.dot(" in prog.source


def test_w3_small_contractions_fuse_into_one_loop():
    # xx @ w contracts 3 values; xx.T @ g has 3 outputs: both written out, they join
    # the loop of the loss and its gradient instead of being two BLAS calls.
    def step(w, b, xx, y):
        value, (gw, gb) = tg.value_and_grad(
            lambda w, b: np.sum((xx @ w + b - y) ** 2), argnums=(0, 1))(w, b)
        return value, gw, gb

    xx, y = RNG.standard_normal((2000, 3)), RNG.standard_normal(2000)
    w, b = RNG.standard_normal(3), RNG.standard_normal(())
    prog = program_of(step, w, b, xx, y)
    assert "np.dot" not in prog.source
    assert [g.domain for g in prog.plan.groups if g.kind == LOOP][0] == (2000,)
    assert sum(g.domain == (2000,) for g in prog.plan.groups) == 1
    got = tg.compile(step, backend="cpu")(w, b, xx, y)
    want = tg.compile(step, backend="numpy")(w, b, xx, y)
    for a, e in zip(got, want):
        np.testing.assert_allclose(a, e, rtol=1e-12)


@pytest.mark.parametrize("shapes, contracting, batch", [
    (((5, 2, 3), (3, 2)), ((2, 1), (0, 1)), ((), ())),       # two contracted axes, 6 terms
    (((2, 2, 50), (2, 50, 2)), ((2,), (1,)), ((0,), (0,))),  # batched, 8 outputs
    (((7,), (7,)), ((0,), (0,)), ((), ())),                  # a vector dot: 1 output
    (((2, 40), (3, 40)), ((1,), (1,)), ((), ())),            # 6 outputs, transposed rhs
])
def test_written_out_contractions_match_the_interpreter(shapes, contracting, batch):
    from tracegrad.ops.linalg import dot_general

    x, y = (RNG.standard_normal(s) for s in shapes)
    fn = lambda x, y: dot_general(x, y, contracting, batch)  # noqa: E731
    prog = program_of(fn, x, y)
    assert "np.dot" not in prog.source
    got = tg.compile(fn, backend="cpu")(x, y)
    np.testing.assert_allclose(got, tg.compile(fn, backend="numpy")(x, y), rtol=1e-12)


def test_transposed_operands_reach_blas_without_copies():
    x, g = RNG.standard_normal((64, 100)), RNG.standard_normal((64, 10))
    prog = program_of(lambda x, g: (x.T @ g, g @ g.T), x, g)
    assert ".T)" in prog.source or ".T," in prog.source
    assert "t" not in {line.split("=")[0].strip()[:1] for line in prog.source.splitlines()
                       if line.strip().startswith("t")}


def test_mlp_step_kernel_count():
    def loss(w1, w2, x, y):
        h = np.maximum(x @ w1, 0.0)
        return np.sum((h @ w2 - y) ** 2)

    def step(w1, w2, x, y):
        g1, g2 = tg.grad(loss, argnums=(0, 1))(w1, w2, x, y)
        return w1 - 1e-6 * g1, w2 - 1e-6 * g2

    args = [RNG.standard_normal(s).astype(np.float32)
            for s in [(100, 20), (20, 10), (64, 100), (64, 10)]]
    prog = program_of(step, *args)
    dots = [g for g in prog.plan.groups if g.kind == "dot_general"]
    loops = [g for g in prog.plan.groups if g.kind == LOOP]
    assert len(dots) == 5  # two forward, dh, two weight gradients; dx is dead
    assert len(loops) <= 5, str(prog.plan)
    got = tg.compile(step, backend="cpu")(*args)
    want = tg.compile(step, backend="numpy")(*args)
    for a, b in zip(got, want):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_small_loops_stay_serial():
    prog = program_of(lambda x: np.sin(x) * 2.0, RNG.standard_normal(100))
    assert "prange(" not in prog.source and "parallel=True" not in prog.source


@pytest.mark.parametrize("keep_dims", [False, True])
def test_every_generated_statement_names_its_ir_node(keep_dims):
    prog = program_of(lambda x: np.sum(np.sin(x), axis=1, keepdims=keep_dims)
                      * (x if keep_dims else x.T),
                      RNG.standard_normal((8, 9)))
    lines = prog.source.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\s*v\d+ = ", line) and "acc" not in line and "[()]" not in line:
            assert re.match(r"\s*# %\d+:", lines[i - 1]), (line, lines[i - 1])
    assert re.search(r"# --- k\d+_\w+: loop over", prog.source)
