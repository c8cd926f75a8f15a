"""Outlining: serial kernels over vector bodies become functions of their own, so
that LLVM optimises them again where the program links them and inlines the
bodies (`tracegrad/codegen/outline.py`)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.codegen.cpu import generate
from tracegrad.codegen.outline import names_assigned, names_read, outline

RNG = np.random.default_rng(23)

KERNEL = """\
b3 = np.empty((8,), np.float64)
acc4 = 0.0
for i0 in range(8):
    x0 = b0[i0]
    v1 = vm_exp_f64(x0 * v9)
    acc4 += v1
    b3[i0] = v1
v4 = acc4
if misses > 0:
    b3 = np.empty((8,), np.float64)
"""


def test_names_read_include_augmented_targets_and_globals():
    assert names_read("acc += x0\ny = np.exp(z)") == {"acc", "x0", "np", "z"}


def test_names_assigned_skip_loop_temporaries_but_keep_guarded_reruns():
    assert names_assigned(KERNEL) == {"b3", "acc4", "v4"}


def test_outline_passes_what_was_defined_and_returns_what_is_read_later():
    out = outline("k1_exp", KERNEL, defined={"b0", "v9", "misses", "b7"},
                  read_later={"v4", "b3", "x0"}, flags="cache=True")
    assert out.call == "(b3, v4,) = k1_exp(b0, misses, v9)"
    assert out.function.splitlines()[:2] == ["@numba.njit(cache=True)",
                                             "def k1_exp(b0, misses, v9):"]
    assert out.function.rstrip().endswith("return (b3, v4,)")
    compile(out.function, "<outlined>", "exec")  # valid Python


def _vector_bodies() -> bool:
    pytest.importorskip("numba")
    from tracegrad.codegen.vecmath import vector_kernels

    return vector_kernels.available()


N = 20_000  # serial (below kernel.PARALLEL_WORK), and worth outlining (outline.MIN_ELEMENTS)


def softmax_tanh(x):
    """Serial kernels over vector bodies whose results later kernels read: a
    reduction, a buffer and a scalar."""
    e = np.exp(x - np.max(x))
    s = np.sum(e)
    return np.tanh(e / s) * np.log(s), s


def _source(fn, *args) -> str:
    graph = tg.compile(fn, backend="numpy").lower(*args).optimized
    return generate(graph, fn.__name__).source


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_outlined_programs_match_numpy(dtype):
    x = RNG.normal(0, 3, N).astype(dtype)
    got = tg.compile(softmax_tanh, backend="cpu")(x)
    want = softmax_tanh(x)
    tol = 3e-6 if dtype == np.float32 else 1e-13
    for g, w in zip(got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def test_only_serial_kernels_over_vector_bodies_are_outlined():
    if not _vector_bodies():
        pytest.skip("no vector bodies on this CPU (AVX-512): nothing to outline")
    serial = _source(softmax_tanh, RNG.standard_normal(N))
    assert re.search(r"^def k\d+_\w*exp\w*\(", serial, re.M), serial
    assert "= k" in serial.split("def program(")[1]
    small = _source(softmax_tanh, RNG.standard_normal(300))
    assert small.count("def ") == 1  # not worth a second optimisation's compile time
    trig = _source(lambda x: np.sin(x) * 2.0, RNG.standard_normal(N))
    assert trig.count("def ") == 1  # sin has no vector body
    big = _source(lambda x: np.exp(x) * 2.0, RNG.standard_normal(1 << 18))
    assert "prange" in big and big.count("def ") == 1  # a prange loop is optimised again anyway


def test_outlined_vector_bodies_are_inlined():
    """The point of outlining: the program's optimised IR calls no vector body (the
    loop holds it, tables in registers), where the same loop left in the program
    calls one per register of elements."""
    if not _vector_bodies():
        pytest.skip("no vector bodies on this CPU (AVX-512)")
    from tracegrad.codegen.compile import load
    from tracegrad.runtime.executable import signature

    x = RNG.standard_normal(N).astype(np.float32)
    graph = tg.compile(lambda x: np.tanh(x) * 2.0, backend="numpy").lower(x).optimized
    program = generate(graph, "tanh_twice")
    assert program.source.count("def ") == 2
    fn = load(program.source, signature(graph, program.consts))
    ir = fn.inspect_llvm(fn.signatures[0])
    # the program and the kernel it calls (not Numba's CPython wrapper, nor the
    # scalar function left for a loop's remainder, which calls the body by design)
    loops = [chunk for chunk in re.split(r"^define ", ir, flags=re.M)[1:]
             if re.search(r"@_ZN(?!7cpython)\w*(?:program|k0_)\w*\(", chunk.split("\n")[0])]
    assert loops, "the program's function is not in its IR"
    code = "\n".join(loops)
    assert "vpermi2var.ps.512" in code, "no table lookup: not the vector body"
    vector_calls = re.findall(r"call [^@\n]*@(tg_\w+_v(?:8|16))\(", code)
    assert not vector_calls, f"vector bodies still called: {vector_calls}"
    np.testing.assert_allclose(fn(x)[0], np.tanh(x) * 2, rtol=3e-7)


def mlp_loss(w, x):
    """A BLAS program (all loops serial): matmuls around tanh, exp, log and a pow."""
    h = np.tanh(x @ w)
    return np.sum(np.log1p(np.exp(-h)) + np.abs(h) ** 1.5, axis=0)


def rows(x):
    """2-D kernels with reductions along both axes and broadcasting."""
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=1, keepdims=True), np.cosh(x * 0.1).mean(axis=0)


@pytest.mark.parametrize("case", ["mlp_value", "mlp_grad", "rows"])
def test_outlined_shapes_match_the_interpreter(cg, case):
    """Outlined kernels in programs of several shapes, gradients included, against
    the NumPy interpreter."""
    w = RNG.normal(0, 0.3, (64, 320))
    x = RNG.normal(0, 1, (80, 64))
    if case == "rows":
        fn, args = rows, (RNG.normal(0, 2, (128, 160)),)
    elif case == "mlp_value":
        fn, args = mlp_loss, (w, x)
    else:
        fn, args = tg.grad(lambda w, x: np.sum(mlp_loss(w, x))), (w, x)
    if _vector_bodies():
        graph = tg.compile(fn, backend="numpy").lower(*args).optimized
        assert "outlined" in generate(graph, case).source, "nothing outlined: test too small"
    got, want = cg.run_both(fn, *args)
    for g, w_ in zip(got if isinstance(got, tuple) else (got,),
                     want if isinstance(want, tuple) else (want,)):
        cg.same(g, w_, rtol=1e-12, atol=1e-12)
