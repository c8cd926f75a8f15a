"""Proof of vectorisation: a loop over each function compiles to SIMD code, no calls.

For every function and dtype, the machine code Numba generates for
``for i in range(n): out[i] = f(x[i])`` is inspected (``inspect_asm``): the loop's
function must contain packed (vector) floating-point instructions, on ymm/zmm
registers where the CPU has AVX, and no call instruction at all, so no libm call
per lane. A change that makes a function fall back to scalar calls (a libm
function, an un-inlined helper, a Python-style division check) fails here.

The one exception is a function written as a vector kernel (`vector_kernels.py`:
float32 tanh, float64 exp, tanh, sinh, cosh, and pow, on AVX-512): there the loop
calls the kernel's vector body once per register of elements, which the optimised
LLVM IR shows: every call of the loop goes to a ``tg_`` vector function or an LLVM
intrinsic, at least one to an 8- or 16-lane variant, and the vector bodies
themselves call nothing but intrinsics.
"""

from __future__ import annotations

import platform
import re

import numpy as np
import pytest

from tracegrad.codegen.vecmath.select import OPS

llvm = pytest.importorskip("llvmlite.binding")

if platform.machine() not in ("x86_64", "AMD64"):  # pragma: no cover
    pytest.skip("the assembly patterns are x86-64", allow_module_level=True)

HAS_AVX = "+avx2" in llvm.get_host_cpu_features().flatten()
PACKED = re.compile(
    r"^\s+v?(?:v?f(?:n?m(?:add|sub))\d{3}p[sd]|(?:add|sub|mul|div|max|min|sqrt|and|or|xor"
    r"|blendv|blendm|cmp\w*)p[sd])\s+(?P<regs>.*)$", re.M)
CALL = re.compile(r"^\s+call[a-z]*\s", re.M)


def kernel_body(asm: str) -> str:
    """The assembly of the compiled loop itself, and of the vector kernels it calls,
    without Numba's CPython wrapper."""
    parts = re.split(r"^(?=[A-Za-z_$][\w.$]*:\s*$)", asm, flags=re.M)
    bodies = [p for p in parts if re.match(r"_ZN(?!7cpython)\w*loop|tg_", p)]
    assert bodies, "no kernel function found in the assembly"
    return "\n".join(bodies)


def asm_of(loop) -> str:
    return kernel_body(loop.inspect_asm(loop.signatures[0]))


def ir_functions(loop) -> dict[str, str]:
    """The functions of the loop's optimised LLVM IR module, by name (without
    Numba's CPython wrapper)."""
    ir = loop.inspect_llvm(loop.signatures[0])
    found = {}
    for chunk in re.split(r"^define ", ir, flags=re.M)[1:]:
        name = re.search(r"@([\w.$]+)\(", chunk).group(1)
        if not name.startswith("_ZN7cpython"):
            found[name] = chunk[: chunk.find("\n}") + 2]
    return found


def callees(function_ir: str) -> list[str]:
    return re.findall(r"\bcall [^@]*@([\w.$]+)\(", function_ir)


def assert_calls_only_vector_kernels(loop, what: str) -> None:
    functions = ir_functions(loop)
    (body,) = [f for name, f in functions.items() if re.match(r"_ZN\w*loop", name)]
    calls = [c for c in callees(body) if not c.startswith("llvm.")]
    assert calls and all(c.startswith("tg_") for c in calls), f"{what}: calls {calls}"
    assert any(re.search(r"_v(?:8|16)$", c) for c in calls), f"{what}: no vector call {calls}"
    for name, f in functions.items():  # the kernels: intrinsics and each other only
        if name.startswith("tg_"):
            other = [c for c in callees(f) if not c.startswith(("llvm.", "tg_"))]
            assert not other, f"{what}: {name} calls {other}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_loop_is_simd_without_calls(kernels, op, dtype):
    loop = kernels(op, dtype)
    body = asm_of(loop)
    if CALL.findall(body):  # allowed only as calls of vector kernels' bodies
        assert_calls_only_vector_kernels(loop, f"{op} {np.dtype(dtype)}")
    packed = [m.group("regs") for m in PACKED.finditer(body)]
    assert packed, f"{op} {np.dtype(dtype)}: no packed arithmetic in the loop"
    if HAS_AVX:
        wide = [r for r in packed if "ymm" in r or "zmm" in r]
        assert wide, f"{op} {np.dtype(dtype)}: packed arithmetic, but not on ymm/zmm"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_has_vector_body_names_the_functions_whose_loops_call_one(kernels, op, dtype):
    """Code generation outlines serial loops over exactly these (`outline.py`)."""
    from tracegrad.codegen.vecmath import has_vector_body, select

    loop = kernels(op, dtype)
    body = next(f for name, f in ir_functions(loop).items() if re.match(r"_ZN\w*loop", name))
    calls_body = any(re.search(r"^tg_\w+_v(?:8|16)$", c) for c in callees(body))
    assert has_vector_body(select.function_name(op, dtype)) == calls_body


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", ["sin_fast", "cos_fast", "tan_fast", "trig_fast_ok"])
def test_fast_trig_loop_is_simd_without_calls(name, dtype):
    numba = pytest.importorskip("numba")
    from tracegrad.codegen import vecmath

    f = getattr(vecmath, f"vm_{name}_{'f64' if dtype == np.float64 else 'f32'}")

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = f(x[i])

    x = np.linspace(-4, 4, 8).astype(dtype)
    loop(x, np.empty(8, np.bool_ if name == "trig_fast_ok" else dtype))
    body = asm_of(loop)
    assert not CALL.findall(body)
    if name != "trig_fast_ok":  # a comparison: vectorised too, but on mask registers
        assert PACKED.search(body)


def test_fastmath_callers_keep_ieee_results(kernels):
    """The functions are inlined by LLVM with their own (strict) flags: a kernel
    compiled with fastmath=True gets the same results, NaN and inf included."""
    numba = pytest.importorskip("numba")
    from tracegrad.codegen import vecmath

    exp, sin = vecmath.vm_exp_f64, vecmath.vm_sin_f64

    @numba.njit(error_model="numpy", fastmath=True)
    def loop(x, a, b):
        for i in range(x.size):
            a[i] = exp(x[i])
            b[i] = sin(x[i])

    x = np.array([0.3587406686824839, 709.78, -745.1, np.nan, np.inf, -np.inf, 1e22, -0.0])
    a, b = np.empty_like(x), np.empty_like(x)
    loop(x, a, b)
    np.testing.assert_array_equal(a, kernels.run("exp", x))
    np.testing.assert_array_equal(b, kernels.run("sin", x))


def test_sin_and_cos_of_one_value_share_the_reduction(kernels):
    """sin(x) and cos(x) inlined in one loop body reuse one range reduction (LLVM's
    common-subexpression elimination), as vm_sincos does explicitly: same number
    of table gathers (as long as both are computed before the stores)."""
    numba = pytest.importorskip("numba")
    from tracegrad.codegen.vecmath import vm_cos_f64, vm_sin_f64

    @numba.njit(error_model="numpy")
    def loop(x, s, c):
        for i in range(x.size):
            si = vm_sin_f64(x[i])
            ci = vm_cos_f64(x[i])
            s[i] = si
            c[i] = ci

    x = np.linspace(-4, 4, 8)
    loop(x, np.empty_like(x), np.empty_like(x))
    gathers_both = asm_of(loop).count("gather")
    gathers_sincos = asm_of(kernels("sincos", np.float64)).count("gather")
    if gathers_sincos == 0:
        pytest.skip("no gather instructions on this CPU")
    assert gathers_both == gathers_sincos
