"""Vector math for generated kernels: elementary functions that LLVM can vectorise.

Numba's LLVM has no vector math library: a loop calling ``math.exp`` is vectorised
around one scalar libm call per lane. The functions here are written with only
arithmetic, FMA, comparisons and selects, rounding and bit casts (`intrinsics.py`),
and are inlined into the caller (`jit.py`), so a generated loop over them stays one
SIMD loop. Each has a float64 version and a float32 one (exp, expm1, log, log2,
log10, tanh, sinh, cosh, atan, atan2, asin and acos in float32 arithmetic, 16 lanes; the
others in float64, rounded once), both within 1 ulp, and
returns NumPy's special values.

- `exp.py`: exp, expm1 -- `log.py`: log, log1p, log2, log10
- `trig.py` (with `reduce_pi.py`): sin, cos, sincos, tan
- `hyperbolic.py`: tanh, sinh, cosh, logistic -- `erf.py`: erf
- `inverse_trig.py`: atan, atan2, asin, acos -- `power.py`: pow, sqrt
- `remez.py`: where every polynomial's coefficients come from (needs mpmath)
- `select.py`: which math a compiled function uses (``TRACEGRAD_MATH``), and the
  expression template code generation emits for an op

The names generated code imports are ``vm_<op>_<f64|f32>``, listed in `FUNCTIONS`.
docs/vecmath.md has the method, the accuracy and the throughput tables.

>>> from tracegrad.codegen.vecmath import vm_exp_f64
>>> vm_exp_f64(1.0)  # doctest: +SKIP
2.718281828459045
"""

from __future__ import annotations

import importlib

from tracegrad.codegen.vecmath.select import OPS

# op -> the module defining <op>_f64 and <op>_f32. Imported on first use (PEP 562),
# so that `select` (and what imports it) does not pull in Numba.
_MODULES = {
    "exp": "exp", "expm1": "exp",
    "log": "log", "log1p": "log", "log2": "log", "log10": "log",
    "sin": "trig", "cos": "trig", "sincos": "trig", "tan": "trig",
    "tanh": "hyperbolic", "sinh": "hyperbolic", "cosh": "hyperbolic",
    "logistic": "hyperbolic",
    "erf": "erf",
    "atan": "inverse_trig", "atan2": "inverse_trig", "asin": "inverse_trig",
    "acos": "inverse_trig",
    "pow": "power", "sqrt": "power",
}

# The fast trig variants: exact for |x| <= 2**30, NaN beyond (see trig.py), and the
# check code generation keeps for the arguments, to rerun a kernel with the exact ones.
_FAST = ("sin_fast", "cos_fast", "sincos_fast", "tan_fast", "trig_fast_ok")

__all__ = ["FUNCTIONS"] + [f"vm_{op}_{s}" for op in (*_MODULES, *_FAST) for s in ("f64", "f32")]


def _function(op: str, suffix: str):
    module = importlib.import_module(f"tracegrad.codegen.vecmath.{_MODULES[op]}")
    return getattr(module, f"{op}_{suffix}")


def functions() -> dict:
    """op name -> ``(arity, float64 function, float32 function)``.

    The op names are tracegrad's (``tracegrad.ops``) where the op exists; log2,
    log10 and sincos have no op of their own but serve code generation that finds
    them in a fused group (sincos: one reduction for both).
    """
    return {op: (OPS[op], _function(op, "f64"), _function(op, "f32")) for op in _MODULES}


def has_vector_body(name: str) -> bool:
    """Whether the function `name` (``vm_<op>_<f64|f32>``) runs a vector kernel's
    body on this machine (`vector_kernels.kernel_or`: AVX-512), which a loop calls
    once per register of elements; code generation outlines serial loops over such
    functions (`tracegrad.codegen.outline`).

    >>> has_vector_body("vm_sin_f64")
    False
    """
    op, suffix = name[3:-4], name[-3:]
    if op not in _MODULES:
        return False
    _function(op, suffix)  # imports its module, which chooses its kernels
    from tracegrad.codegen.vecmath import vector_kernels

    return f"{op}_{suffix}" in vector_kernels.CHOSEN


def __getattr__(name: str):
    if name == "FUNCTIONS":
        return functions()
    if name.startswith("vm_") and name[-4:] in ("_f64", "_f32"):
        op = name[3:-4]
        if op in _MODULES:
            return _function(op, name[-3:])
        if op in _FAST:
            module = importlib.import_module("tracegrad.codegen.vecmath.trig")
            return getattr(module, f"{op}_{name[-3:]}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
