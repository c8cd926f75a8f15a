"""The one table of scalar math templates used by generated code.

Every scalar expression the code generator writes for an elementwise op comes from
`scalar_expr`, which formats a template with the operands' expressions. The
shared template is the op's own ``emit`` (``"math.sin({0})"``); `OVERRIDES` below
replaces it where Numba's CPU semantics differ from NumPy's (NaN-propagating
``max``/``min``, ``floor`` returning an int, ``not`` on integers, literals that
must keep float32 loops in float32). With ``math="vector"`` (the default of
compiled programs) the ops `tracegrad.codegen.vecmath` implements come from there
instead: ``vm_tanh_f64({0})``, SIMD-friendly code inlined into the loop.

Templates are ``str.format`` strings: ``{0}``, ``{1}`` are the operands (always
plain names, literals or array reads, so repeating one is cheap), ``{dtype}`` is
the constructor of the result dtype (``np.float32``), ``{one}``/``{zero}`` are
literals of the result dtype, and op params come by keyword.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

# An entry is a template or a function of the operand dtype returning one.
Template = str | Callable[[np.dtype], str]


def _by_kind(floating: str, other: str) -> Callable[[np.dtype], str]:
    return lambda dt: floating if dt.kind in "fc" else other


OVERRIDES: dict[str, Template] = {
    # np.maximum/np.minimum propagate NaN; Python's max/min do not.
    "max": _by_kind("({0} if ({0} >= {1} or {0} != {0}) else {1})", "max({0}, {1})"),
    "min": _by_kind("({0} if ({0} <= {1} or {0} != {0}) else {1})", "min({0}, {1})"),
    # np.sign keeps NaN and zero; math has no sign.
    "sign": _by_kind(
        "({one} if {0} > {zero} else (-{one} if {0} < {zero} else {0}))",
        "({one} if {0} > {zero} else ({dtype}(-1) if {0} < {zero} else {zero}))",
    ),
    # Overflow-free for both signs (exp of a large positive number is inf).
    "logistic": "({one} / ({one} + math.exp(-{0})) if {0} >= {zero} "
                "else math.exp({0}) / ({one} + math.exp({0})))",
    # math.floor/ceil return Python ints in Numba; the IR keeps the float dtype.
    "floor": "np.floor({0})",
    "ceil": "np.ceil({0})",
    # np.invert: logical for bools, bitwise for integers.
    "not": _by_kind("(not {0})", "(~{0})"),
    "abs": "abs({0})",
}

# Ops whose Numba result type can differ from the IR dtype for small ints and
# bools (Numba computes int32 + int32 in int64, True + True in int): the result is
# cast back so the generated code honours the IR dtype exactly.
_ARITH = {"add", "sub", "mul", "neg", "pow", "abs", "max", "min", "sign", "and", "or", "xor",
          "not"}


def template(opname: str, emit: str | None, dtype: np.dtype, math: str = "vector",
             fast_trig: bool = False) -> str:
    """The template for `opname` on operands of `dtype`: tracegrad's vector math
    (`tracegrad.codegen.vecmath`, its fast trig variants when `fast_trig`) where it
    has the op and `math` is ``"vector"``, else the override or the op's `emit`."""
    from tracegrad.codegen.vecmath import select as vecmath

    vec = vecmath.template(opname, np.dtype(dtype), math, fast_trig)
    if vec is not None:
        return vec
    entry = OVERRIDES.get(opname, emit)
    if entry is None:
        raise NotImplementedError(f"op {opname!r} has no scalar template")
    return entry(np.dtype(dtype)) if callable(entry) else entry


def scalar_expr(opname: str, emit: str | None, args: list[str], in_dtype: Any,
                out_dtype: Any, params: dict | None = None, math: str = "libm",
                fast_trig: bool = False) -> str:
    """The scalar expression of one elementwise op, in the IR's result dtype.

    >>> scalar_expr("sin", "math.sin({0})", ["v1"], np.float64, np.float64)
    'math.sin(v1)'
    >>> scalar_expr("add", "({0} + {1})", ["a", "b"], np.int32, np.int32)
    'np.int32((a + b))'
    """
    in_dtype, out_dtype = np.dtype(in_dtype), np.dtype(out_dtype)
    if opname == "convert":
        return convert_expr(args[0], in_dtype, out_dtype)
    fields = {k: _param(v) for k, v in (params or {}).items()}
    fields.update(dtype=ctor(out_dtype), one=literal(1, out_dtype), zero=literal(0, out_dtype))
    expr = template(opname, emit, in_dtype, math, fast_trig).format(*args, **fields)
    if opname in _ARITH and _needs_cast(out_dtype):
        expr = f"{ctor(out_dtype)}({expr})"
    return expr


def convert_expr(arg: str, src: np.dtype, dst: np.dtype) -> str:
    """``x.astype(dst)`` of one scalar: a comparison for bool, a constructor otherwise."""
    if dst == src:
        return arg
    if dst == np.bool_:
        return f"({arg} != {literal(0, src)})"
    return f"{ctor(dst)}({arg})"


def _needs_cast(dtype: np.dtype) -> bool:
    return dtype == np.bool_ or (dtype.kind in "iu" and dtype.itemsize < 8) or dtype.kind == "u"


def ctor(dtype: Any) -> str:
    """The constructor expression of `dtype` in generated code (``np.float32``)."""
    dtype = np.dtype(dtype)
    return "np.bool_" if dtype == np.bool_ else f"np.{dtype.name}"


def literal(value: Any, dtype: Any) -> str:
    """A literal of `dtype` that Numba types as exactly that dtype.

    Plain Python literals are float64/int64 in Numba, so a ``2.0`` in a float32
    loop would promote it to float64; other dtypes get a constructor call.

    >>> literal(0.5, np.float32), literal(2, np.int64), literal(float("nan"), np.float64)
    ('np.float32(0.5)', '2', 'np.nan')
    """
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return repr(bool(value))
    if dtype.kind in "iu":
        text = repr(int(value))
        return text if dtype == np.int64 else f"{ctor(dtype)}({text})"
    if dtype.kind == "c":
        return f"{ctor(dtype)}({complex(value)!r})"
    v = float(np.asarray(value, dtype))
    if math.isnan(v):
        text = "np.nan"
    elif math.isinf(v):
        text = "np.inf" if v > 0 else "-np.inf"
    else:
        text = repr(v)
    return text if dtype == np.float64 else f"{ctor(dtype)}({text})"


def _param(value: Any) -> str:
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return ctor(value)
    return repr(value)


# --- reductions ------------------------------------------------------------------

REDUCERS = {"reduce_sum": "sum", "reduce_max": "max", "reduce_min": "min", "reduce_prod": "prod"}


# A float32 sum of at most this many terms accumulates in float32: the vectorised
# loop keeps 64 partial sums (16 lanes, 4 interleaved), each of at most 64 terms,
# so its error stays within about 4e-6 of the sum of magnitudes, while converting
# every term to float64 halves the lanes and, in W3's loop of five sums, made the
# whole step 1.4x slower. Longer sums accumulate in float64.
F32_SUM_TERMS = 4096


def accumulator_dtype(kind: str, dtype: np.dtype, terms: int | None = None) -> np.dtype:
    """The dtype a reduction of `terms` values accumulates in: float32 sums of at
    most `F32_SUM_TERMS` in float32, longer float32 sums and products in float64
    (closer to NumPy's pairwise summation), integers and bools in 64 bits."""
    dtype = np.dtype(dtype)
    if kind in ("sum", "prod"):
        if dtype.kind == "f":
            if kind == "sum" and terms is not None and terms <= F32_SUM_TERMS:
                return dtype
            return np.dtype(np.float64)
        if dtype == np.bool_ or dtype.kind == "i":
            return np.dtype(np.int64)
        if dtype.kind == "u":
            return np.dtype(np.uint64)
    return dtype


def identity(kind: str, dtype: np.dtype) -> str:
    """The literal a `kind` reduction starts from."""
    dtype = np.dtype(dtype)
    if kind == "sum":
        return literal(0, dtype)
    if kind == "prod":
        return literal(1, dtype)
    if dtype == np.bool_:
        return literal(kind == "min", dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return literal(info.min if kind == "max" else info.max, dtype)
    return literal(-np.inf if kind == "max" else np.inf, dtype)


def accumulate(kind: str, acc: str, value: str, dtype: np.dtype) -> str:
    """The statement folding `value` into `acc` (NaN-propagating for max/min).

    >>> accumulate("sum", "acc", "v", np.float64)
    'acc += v'
    """
    if kind == "sum":
        return f"{acc} += {value}"
    if kind == "prod":
        return f"{acc} *= {value}"
    if np.dtype(dtype).kind in "fc":
        cmp = ">" if kind == "max" else "<"
        return f"{acc} = {value} if ({value} {cmp} {acc} or {value} != {value}) else {acc}"
    return f"{acc} = {kind}({acc}, {value})"
