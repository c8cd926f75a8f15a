"""The few machine operations the vector math is built from, as Numba intrinsics.

Each one lowers to a single LLVM instruction or LLVM intrinsic (``bitcast``,
``llvm.fma``, ``llvm.rint``...), never to a call into libm, so that a loop over
functions built from them stays one SIMD loop when LLVM vectorises it. Plain Numba
offers no bit reinterpretation of a scalar float, and ``math.floor`` returns an
int; hence these.

>>> from numba import njit
>>> njit(lambda x: as_float64(as_int64(x) + 1))(1.0)  # doctest: +SKIP
1.0000000000000002
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_FLOATS = (types.float32, types.float64)


def _llvm_float(ty: types.Type) -> ir.Type:
    return ir.FloatType() if ty == types.float32 else ir.DoubleType()


def _bitcast(from_ty: types.Type, to_ty: types.Type, width: int, name: str):
    """An intrinsic that reinterprets the bits of a `from_ty` scalar as a `to_ty`."""
    to_llvm = ir.IntType(width) if isinstance(to_ty, types.Integer) else _llvm_float(to_ty)

    @intrinsic
    def cast(typingctx, x):
        # Integers of any width are accepted (Numba widens int32 arithmetic to
        # int64): they are truncated to `width` bits first.
        if isinstance(from_ty, types.Integer) and isinstance(x, types.Integer):
            from_ll = ir.IntType(x.bitwidth)
        elif x == from_ty:
            from_ll = None
        else:
            return None
        sig = to_ty(x)

        def codegen(context, builder, signature, args):
            value = args[0]
            if from_ll is not None and from_ll.width > width:
                value = builder.trunc(value, ir.IntType(width))
            elif from_ll is not None and from_ll.width < width:
                value = builder.sext(value, ir.IntType(width))
            return builder.bitcast(value, to_llvm)

        return sig, codegen

    cast.__name__ = cast.__qualname__ = name
    return cast


as_int64 = _bitcast(types.float64, types.int64, 64, "as_int64")
as_float64 = _bitcast(types.int64, types.float64, 64, "as_float64")
as_int32 = _bitcast(types.float32, types.int32, 32, "as_int32")
as_float32 = _bitcast(types.int32, types.float32, 32, "as_float32")


def _float_intrinsic(llvm_name: str, arity: int, name: str):
    """An intrinsic applying the LLVM intrinsic `llvm_name` to `arity` same-typed floats."""

    def typer(args):
        if args[0] not in _FLOATS or any(a != args[0] for a in args):
            return None
        ll = _llvm_float(args[0])
        suffix = "f32" if args[0] == types.float32 else "f64"

        def codegen(context, builder, signature, llargs):
            fnty = ir.FunctionType(ll, [ll] * arity)
            fn = cgutils.get_or_insert_function(builder.module, fnty, f"{llvm_name}.{suffix}")
            return builder.call(fn, llargs)

        return args[0](*args), codegen

    return intrinsic_of_arity(name, arity, typer)


def intrinsic_of_arity(name: str, arity: int, typer):
    """A Numba intrinsic `name` of `arity` arguments (1 to 3) typed by
    ``typer(argument_types)``, which returns ``(signature, codegen)`` or None.
    Numba reads an intrinsic's arguments off its typer's own signature, which may
    not be ``*args``: hence one definition per arity."""
    if arity == 1:
        def op(typingctx, a):
            return typer((a,))
    elif arity == 2:
        def op(typingctx, a, b):
            return typer((a, b))
    elif arity == 3:
        def op(typingctx, a, b, c):
            return typer((a, b, c))
    else:
        raise ValueError(f"{name}: arity {arity}, not 1 to 3")
    op.__name__ = op.__qualname__ = name
    return intrinsic(op)


# fma(a, b, c) = a*b + c with one rounding: the backbone of accurate polynomials
# and of exact products (a*b - fma(a, b, -a*b) is the rounding error of a*b).
fma = _float_intrinsic("llvm.fma", 3, "fma")
# rint rounds to the nearest integer (ties to even) and stays a float.
rint = _float_intrinsic("llvm.rint", 1, "rint")
floor = _float_intrinsic("llvm.floor", 1, "floor")
trunc = _float_intrinsic("llvm.trunc", 1, "trunc")
fabs = _float_intrinsic("llvm.fabs", 1, "fabs")
copysign = _float_intrinsic("llvm.copysign", 2, "copysign")
sqrt = _float_intrinsic("llvm.sqrt", 1, "sqrt")


def _polynomial_intrinsic(evaluate):
    """An intrinsic ``f(coefficients, x)`` for a tuple of floats of x's type (a module
    constant, so LLVM folds the element reads), emitted by ``evaluate(builder, fma,
    terms, x)`` straight as LLVM ``fma`` calls: no loop that could keep the
    caller's loop from vectorising."""

    def typer(typingctx, coefficients, x):
        if not (isinstance(coefficients, types.UniTuple) and coefficients.dtype == x
                and x in _FLOATS and coefficients.count >= 1):
            return None
        ll = _llvm_float(x)
        suffix = "f32" if x == types.float32 else "f64"

        def codegen(context, builder, signature, args):
            tup, xv = args
            fnty = ir.FunctionType(ll, [ll] * 3)
            fn = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.fma.{suffix}")

            def fma_(a, b, c):
                return builder.call(fn, [a, b, c])

            terms = [builder.extract_value(tup, i) for i in range(coefficients.count)]
            return evaluate(builder, fma_, terms, xv)

        return x(coefficients, x), codegen

    typer.__name__ = evaluate.__name__
    typer.__doc__ = evaluate.__doc__
    return intrinsic(typer)


@_polynomial_intrinsic
def horner(builder, fma_, terms, x):
    """``c[0] + x*(c[1] + x*(c[2] + ...))`` with one FMA per step, fully unrolled."""
    acc = terms[-1]
    for c in reversed(terms[:-1]):
        acc = fma_(acc, x, c)
    return acc


@_polynomial_intrinsic
def estrin(builder, fma_, terms, power):
    """The polynomial of `horner`, evaluated by Estrin's scheme.

    Pairs ``c[2i] + c[2i+1] x`` are formed with FMAs, then pairs of pairs with x**2,
    x**4, ...: about log2(n) dependent steps instead of n, for a few more
    multiplications. Inside a long chain (exp of a log in pow, a fused kernel)
    the loop is bound by latency, and this shortens it.
    """
    while len(terms) > 1:
        paired = [fma_(terms[i + 1], power, terms[i]) for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
        if len(terms) > 1:
            power = builder.fmul(power, power)
    return terms[0]


def _python_fallbacks() -> None:
    """With ``NUMBA_DISABLE_JIT=1`` intrinsics cannot run, so the same operations in
    plain Python/NumPy replace them: generated code and the vector math can then be
    read and stepped through in a debugger (slowly: fma is exact via fractions)."""
    from fractions import Fraction

    import numpy as np

    def view(value, from_dtype, to_dtype, bits):
        if np.dtype(from_dtype).kind == "i":  # wrap to `bits` as the machine would
            value = (int(value) + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))
        return np.array(value, from_dtype).view(to_dtype)[()]

    def fma_(a, b, c):
        if not all(np.isfinite([a, b, c])):  # no Fraction of inf or nan
            return type(a)(a * b + c)
        exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
        return type(a)(float(exact))

    def horner_(coefficients, x):
        acc = coefficients[-1]
        for c in reversed(coefficients[:-1]):
            acc = fma_(acc, x, c)
        return acc

    names = {
        "as_int64": lambda x: view(x, np.float64, np.int64, 64),
        "as_float64": lambda i: view(i, np.int64, np.float64, 64),
        "as_int32": lambda x: view(x, np.float32, np.int32, 32),
        "as_float32": lambda i: view(i, np.int32, np.float32, 32),
        "fma": fma_, "rint": np.rint, "floor": np.floor, "trunc": np.trunc,
        "fabs": np.fabs, "copysign": np.copysign, "sqrt": np.sqrt,
        # Estrin's scheme differs from Horner's only in rounding, within the
        # functions' error bounds; Horner's order is enough for debugging.
        "horner": horner_, "estrin": horner_,
    }
    globals().update(names)


from numba.core import config as _numba_config  # noqa: E402

if _numba_config.DISABLE_JIT:
    _python_fallbacks()
