"""Elementwise primitives: unary math, binary arithmetic, comparisons, select, convert.

Each op is defined once: `defop` with its type rule, NumPy `impl`, `vjp` and `jvp`
rules (written with this package's wrappers, so derivatives are IR too) and the
scalar `emit` template used by code generation, with the public wrapper right below.
Primitives see operands of equal shape and dtype; the wrappers promote and broadcast.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tracegrad.ir.types import TensorType
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE, bind, defop
from tracegrad.ops.promote import dtype_of, promote_args
from tracegrad.tracer.errors import DTypeError, ShapeError, user_error

# --- type rules -------------------------------------------------------------


def same_type(opname: str, *types: TensorType) -> TensorType:
    """The common type of operands that must agree exactly in shape and dtype."""
    first = types[0]
    for t in types[1:]:
        if t.shape != first.shape:
            raise user_error(ShapeError, f"{opname}: operand shapes differ: {first} vs {t}")
        if t.dtype != first.dtype:
            raise user_error(DTypeError, f"{opname}: operand dtypes differ: {first} vs {t}")
    return first


def _float_rule(opname: str):
    def rule(*types: TensorType) -> TensorType:
        t = same_type(opname, *types)
        if not np.issubdtype(t.dtype, np.inexact):
            raise user_error(DTypeError, f"{opname}: expected floating-point operands, got {t}")
        return t

    return rule


def _any_rule(opname: str):
    return lambda *types: same_type(opname, *types)


def _bool_rule(opname: str):
    return lambda *types: TensorType(same_type(opname, *types).shape, np.bool_)


# --- helpers used by rules and wrappers ---------------------------------------


def _unary(name: str, np_fn, deriv, emit: str, float_only: bool = True):
    """Define a unary op whose derivative is ``deriv(out, x)`` (None: not differentiable).

    The VJP and the JVP are the same product with the derivative, so they come
    from one expression.
    """
    rule = _float_rule(name) if float_only else _any_rule(name)
    if deriv is None:
        vjp = jvp = NOT_DIFFERENTIABLE
    else:
        def vjp(g, out, x):
            return (mul(g, deriv(out, x)),)

        def jvp(ts, out, x):
            return None if ts[0] is None else mul(ts[0], deriv(out, x))

    return defop(name, type_rule=rule, impl=np_fn, vjp=vjp, jvp=jvp, emit=emit, elementwise=True)


def _float_unary(prim):
    """The public wrapper of a float unary op: ints and bools are converted first."""

    def wrapper(x: Any) -> Any:
        (x,) = promote_args(prim.name, x, to_float=True)
        return bind(prim, x)

    wrapper.__name__ = prim.name
    wrapper.__doc__ = f"Elementwise ``{prim.name}``; NumPy's promotion of ints to float.\n\n" \
        f">>> {prim.name}(np.array([0.5]))  # doctest: +SKIP\n"
    return wrapper


def _zeros_like(x: Any) -> Any:
    from tracegrad.ops.layout import full

    return full(np.shape(x) if not hasattr(x, "shape") else x.shape, 0, dtype_of(x))


def _jvp_sum(*terms):
    """Sum of tangent terms, skipping symbolic zeros (None)."""
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        total = add(total, t)
    return total


def _scaled(t, factor):
    return None if t is None else mul(t, factor)


def _special():
    # scipy.special costs a tenth of a second to import: only erf and logistic need it.
    import scipy.special

    return scipy.special


# --- unary math --------------------------------------------------------------

neg_p = _unary("neg", np.negative, None, "(-{0})", float_only=False)
neg_p.vjp = lambda g, out, x: (neg(g),)
neg_p.jvp = lambda ts, out, x: None if ts[0] is None else neg(ts[0])


def neg(x: Any) -> Any:
    """Elementwise negation, ``-x``.

    >>> neg(np.array([1.0, -2.0]))
    array([-1.,  2.])
    """
    (x,) = promote_args("neg", x)
    return bind(neg_p, x)


exp_p = _unary("exp", np.exp, lambda out, x: out, "math.exp({0})")
exp = _float_unary(exp_p)
log_p = _unary("log", np.log, lambda out, x: reciprocal(x), "math.log({0})")
log = _float_unary(log_p)
log1p_p = _unary("log1p", np.log1p, lambda out, x: reciprocal(add(x, 1)), "math.log1p({0})")
log1p = _float_unary(log1p_p)
expm1_p = _unary("expm1", np.expm1, lambda out, x: add(out, 1), "math.expm1({0})")
expm1 = _float_unary(expm1_p)
sin_p = _unary("sin", np.sin, lambda out, x: cos(x), "math.sin({0})")
sin = _float_unary(sin_p)
cos_p = _unary("cos", np.cos, lambda out, x: neg(sin(x)), "math.cos({0})")
cos = _float_unary(cos_p)
tan_p = _unary("tan", np.tan, lambda out, x: add(mul(out, out), 1), "math.tan({0})")
tan = _float_unary(tan_p)
tanh_p = _unary("tanh", np.tanh, lambda out, x: sub(1, mul(out, out)), "math.tanh({0})")
tanh = _float_unary(tanh_p)
sinh_p = _unary("sinh", np.sinh, lambda out, x: cosh(x), "math.sinh({0})")
sinh = _float_unary(sinh_p)
cosh_p = _unary("cosh", np.cosh, lambda out, x: sinh(x), "math.cosh({0})")
cosh = _float_unary(cosh_p)
asin_p = _unary("asin", np.arcsin, lambda out, x: rsqrt(sub(1, mul(x, x))), "math.asin({0})")
asin = _float_unary(asin_p)
acos_p = _unary(
    "acos", np.arccos, lambda out, x: neg(rsqrt(sub(1, mul(x, x)))), "math.acos({0})"
)
acos = _float_unary(acos_p)
atan_p = _unary("atan", np.arctan, lambda out, x: reciprocal(add(mul(x, x), 1)), "math.atan({0})")
atan = _float_unary(atan_p)
sqrt_p = _unary("sqrt", np.sqrt, lambda out, x: div(0.5, out), "math.sqrt({0})")
sqrt = _float_unary(sqrt_p)
erf_p = _unary(
    "erf",
    lambda x: _special().erf(x),
    lambda out, x: mul(2.0 / math.sqrt(math.pi), exp(neg(mul(x, x)))),
    "math.erf({0})",
)
erf = _float_unary(erf_p)
logistic_p = _unary(
    "logistic",
    lambda x: _special().expit(x),
    lambda out, x: mul(out, sub(1, out)),
    "(1.0 / (1.0 + math.exp(-{0})))",
)
logistic = _float_unary(logistic_p)

abs_p = _unary("abs", np.abs, lambda out, x: sign(x), "abs({0})", float_only=False)
sign_p = _unary("sign", np.sign, None, "np.sign({0})", float_only=False)
floor_p = _unary("floor", np.floor, None, "math.floor({0})")
ceil_p = _unary("ceil", np.ceil, None, "math.ceil({0})")
# sign, floor and ceil are piecewise constant: their derivative is zero almost
# everywhere, a symbolic zero rather than "not differentiable" (as in JAX).
for _p in (sign_p, floor_p, ceil_p):
    _p.vjp = lambda g, out, x: (None,)
    _p.jvp = lambda ts, out, x: None


def abs(x: Any) -> Any:
    """Elementwise absolute value.

    >>> abs(np.array([-1.5, 2.0]))
    array([1.5, 2. ])
    """
    (x,) = promote_args("abs", x)
    return bind(abs_p, x)


def sign(x: Any) -> Any:
    """Elementwise sign (-1, 0 or 1); its derivative is zero.

    >>> sign(np.array([-3.0, 0.0, 2.0]))
    array([-1.,  0.,  1.])
    """
    (x,) = promote_args("sign", x)
    return bind(sign_p, x)


def floor(x: Any) -> Any:
    """Elementwise floor; ints are converted to float as NumPy does.

    >>> floor(np.array([1.5, -1.5]))
    array([ 1., -2.])
    """
    (x,) = promote_args("floor", x, to_float=True)
    return bind(floor_p, x)


def ceil(x: Any) -> Any:
    """Elementwise ceiling.

    >>> ceil(np.array([1.5, -1.5]))
    array([ 2., -1.])
    """
    (x,) = promote_args("ceil", x, to_float=True)
    return bind(ceil_p, x)


# --- binary arithmetic -------------------------------------------------------


def _binary(name: str, np_fn, vjp, jvp, emit: str, rule=None):
    return defop(
        name, type_rule=rule or _any_rule(name), impl=np_fn, vjp=vjp, jvp=jvp,
        emit=emit, elementwise=True,
    )


add_p = _binary(
    "add", np.add,
    lambda g, out, x, y: (g, g),
    lambda ts, out, x, y: _jvp_sum(*ts),
    "({0} + {1})",
)
sub_p = _binary(
    "sub", np.subtract,
    lambda g, out, x, y: (g, neg(g)),
    lambda ts, out, x, y: _jvp_sum(ts[0], None if ts[1] is None else neg(ts[1])),
    "({0} - {1})",
)
mul_p = _binary(
    "mul", np.multiply,
    lambda g, out, x, y: (mul(g, y), mul(x, g)),
    lambda ts, out, x, y: _jvp_sum(_scaled(ts[0], y), _scaled(ts[1], x)),
    "({0} * {1})",
)
div_p = _binary(
    "div", np.true_divide,
    lambda g, out, x, y: (div(g, y), neg(mul(g, div(out, y)))),
    lambda ts, out, x, y: _jvp_sum(
        None if ts[0] is None else div(ts[0], y),
        None if ts[1] is None else neg(mul(ts[1], div(out, y))),
    ),
    "({0} / {1})",
    rule=_float_rule("div"),
)


def _pow_dy(out, x, y):
    # d(x**y)/dy = x**y * log(x); where x == 0 the limit is 0 (JAX's convention).
    safe_x = select(eq(x, 0), _ones_like(x), x)
    return select(eq(x, 0), _zeros_like(x), mul(out, log(safe_x)))


def _pow_dx(out, x, y):
    # y * x**(y-1), written without dividing by x so that x == 0 is exact.
    return mul(y, pow(x, sub(y, 1)))


pow_p = _binary(
    "pow", np.power,
    lambda g, out, x, y: (mul(g, _pow_dx(out, x, y)), mul(g, _pow_dy(out, x, y))),
    lambda ts, out, x, y: _jvp_sum(
        None if ts[0] is None else mul(ts[0], _pow_dx(out, x, y)),
        None if ts[1] is None else mul(ts[1], _pow_dy(out, x, y)),
    ),
    "({0} ** {1})",
)


def _balanced_max_vjp(g, out, x, y):
    # Ties split the gradient equally between the operands (JAX's convention).
    wx = add(convert(gt(x, y), g.dtype), mul(0.5, convert(eq(x, y), g.dtype)))
    return mul(g, wx), mul(g, sub(1, wx))


def _balanced_min_vjp(g, out, x, y):
    wx = add(convert(lt(x, y), g.dtype), mul(0.5, convert(eq(x, y), g.dtype)))
    return mul(g, wx), mul(g, sub(1, wx))


def _vjp_as_jvp(vjp):
    """A JVP from a VJP whose cotangents are `g` times a per-element factor."""

    def jvp(ts, out, x, y):
        fx, fy = vjp(_ones_like(out), out, x, y)
        return _jvp_sum(_scaled(ts[0], fx), _scaled(ts[1], fy))

    return jvp


max_p = _binary("max", np.maximum, _balanced_max_vjp, _vjp_as_jvp(_balanced_max_vjp),
                "max({0}, {1})")
min_p = _binary("min", np.minimum, _balanced_min_vjp, _vjp_as_jvp(_balanced_min_vjp),
                "min({0}, {1})")


def _atan2_vjp(g, out, y, x):
    denom = add(mul(x, x), mul(y, y))
    return mul(g, div(x, denom)), mul(g, div(neg(y), denom))


atan2_p = _binary("atan2", np.arctan2, _atan2_vjp, _vjp_as_jvp(_atan2_vjp),
                  "math.atan2({0}, {1})", rule=_float_rule("atan2"))


def _binary_wrapper(prim, to_float: bool = False, doc: str = ""):
    def wrapper(x: Any, y: Any) -> Any:
        x, y = promote_args(prim.name, x, y, to_float=to_float)
        return bind(prim, x, y)

    wrapper.__name__ = prim.name
    wrapper.__doc__ = doc
    return wrapper


add = _binary_wrapper(add_p, doc="``x + y`` with NumPy promotion and broadcasting.\n\n"
                      ">>> add(np.float32(1), 2.0).dtype\ndtype('float32')")
sub = _binary_wrapper(sub_p, doc="``x - y`` with NumPy promotion and broadcasting.")
mul = _binary_wrapper(mul_p, doc="``x * y`` with NumPy promotion and broadcasting.")
div = _binary_wrapper(div_p, to_float=True, doc="True division ``x / y``; ints go to float.")
pow = _binary_wrapper(pow_p, doc="``x ** y`` with NumPy promotion and broadcasting.")
max = _binary_wrapper(max_p, doc="Elementwise maximum (``np.maximum``), NaN-propagating.")
min = _binary_wrapper(min_p, doc="Elementwise minimum (``np.minimum``), NaN-propagating.")
atan2 = _binary_wrapper(atan2_p, to_float=True, doc="Elementwise ``arctan2(y, x)``.")


def reciprocal(x: Any) -> Any:
    """``1 / x`` in `x`'s float dtype.

    >>> reciprocal(np.array([2.0]))
    array([0.5])
    """
    return div(1, x)


def rsqrt(x: Any) -> Any:
    """``1 / sqrt(x)``.

    >>> rsqrt(np.array([4.0]))
    array([0.5])
    """
    return div(1, sqrt(x))


def square(x: Any) -> Any:
    """``x * x``.

    >>> square(np.array([3.0]))
    array([9.])
    """
    return mul(x, x)


def _ones_like(x: Any) -> Any:
    from tracegrad.ops.layout import full

    return full(x.shape, 1, dtype_of(x))


# --- comparisons and logic -----------------------------------------------------


def _compare(name: str, np_fn, emit: str):
    prim = defop(
        name, type_rule=_bool_rule(name), impl=np_fn,
        vjp=NOT_DIFFERENTIABLE, jvp=NOT_DIFFERENTIABLE, emit=emit, elementwise=True,
    )
    doc = f"Elementwise ``{emit.format('x', 'y')}`` (bool result)."
    return prim, _binary_wrapper(prim, doc=doc)


eq_p, eq = _compare("eq", np.equal, "({0} == {1})")
ne_p, ne = _compare("ne", np.not_equal, "({0} != {1})")
lt_p, lt = _compare("lt", np.less, "({0} < {1})")
le_p, le = _compare("le", np.less_equal, "({0} <= {1})")
gt_p, gt = _compare("gt", np.greater, "({0} > {1})")
ge_p, ge = _compare("ge", np.greater_equal, "({0} >= {1})")


def _logic_rule(opname: str):
    def rule(*types: TensorType) -> TensorType:
        t = same_type(opname, *types)
        if not (t.dtype == np.bool_ or np.issubdtype(t.dtype, np.integer)):
            raise user_error(DTypeError, f"{opname}: expected bool or integer operands, got {t}")
        return t

    return rule


def _logic(name: str, np_fn, emit: str):
    prim = defop(
        name, type_rule=_logic_rule(name), impl=np_fn,
        vjp=NOT_DIFFERENTIABLE, jvp=NOT_DIFFERENTIABLE, emit=emit, elementwise=True,
    )
    return prim, _binary_wrapper(prim, doc=f"Elementwise ``{name}`` of bools or bits.")


and_p, logical_and = _logic("and", np.bitwise_and, "({0} & {1})")
or_p, logical_or = _logic("or", np.bitwise_or, "({0} | {1})")
xor_p, logical_xor = _logic("xor", np.bitwise_xor, "({0} ^ {1})")
not_p = defop(
    "not", type_rule=_logic_rule("not"), impl=np.invert,
    vjp=NOT_DIFFERENTIABLE, jvp=NOT_DIFFERENTIABLE, emit="(not {0})", elementwise=True,
)


def logical_not(x: Any) -> Any:
    """Elementwise logical/bitwise not (``~x``).

    >>> logical_not(np.array([True, False]))
    array([False,  True])
    """
    return bind(not_p, x)


# --- select and convert ----------------------------------------------------------


def _select_rule(pred: TensorType, on_true: TensorType, on_false: TensorType) -> TensorType:
    if pred.dtype != np.bool_:
        raise user_error(DTypeError, f"select: the condition must be bool, got {pred}")
    t = same_type("select", on_true, on_false)
    if pred.shape != t.shape:
        raise user_error(ShapeError, f"select: condition {pred} and branches {t} differ in shape")
    return t


select_p = defop(
    "select",
    type_rule=_select_rule,
    impl=np.where,
    vjp=lambda g, out, p, a, b: (None, select(p, g, _zeros_like(g)), select(p, _zeros_like(g), g)),
    jvp=lambda ts, out, p, a, b: None if ts[1] is None and ts[2] is None else select(
        p,
        ts[1] if ts[1] is not None else _zeros_like(out),
        ts[2] if ts[2] is not None else _zeros_like(out),
    ),
    emit="({1} if {0} else {2})",
    elementwise=True,
)


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """``np.where(pred, on_true, on_false)`` with promotion and broadcasting.

    >>> select(np.array([True, False]), 1.0, np.array([5.0, 6.0]))
    array([1., 6.])
    """
    a, b = promote_args("select", on_true, on_false)
    from tracegrad.ops.promote import broadcast_shapes, broadcast_to_shape, shape_of

    shape = broadcast_shapes("select", shape_of(pred), shape_of(a), shape_of(b))
    pred = broadcast_to_shape(pred if hasattr(pred, "dtype") else np.asarray(pred), shape)
    if dtype_of(pred) != np.bool_:
        pred = ne(pred, 0)
    return bind(select_p, pred, broadcast_to_shape(a, shape), broadcast_to_shape(b, shape))


def _convert_vjp(g, out, x, *, dtype):
    if not np.issubdtype(x.dtype, np.inexact):
        return (None,)
    return (convert(g, x.dtype),)


def _convert_jvp(ts, out, x, *, dtype):
    if ts[0] is None or not np.issubdtype(np.dtype(dtype), np.inexact):
        return None
    return convert(ts[0], dtype)


convert_p = defop(
    "convert",
    type_rule=lambda x, *, dtype: TensorType(x.shape, dtype),
    impl=lambda x, *, dtype: x.astype(dtype),
    vjp=_convert_vjp,
    jvp=_convert_jvp,
    emit="{dtype}({0})",
    elementwise=True,
)


def convert(x: Any, dtype: Any) -> Any:
    """``x.astype(dtype)``; the gradient flows back between float dtypes only.

    >>> convert(np.array([1.7]), np.int64)
    array([1])
    """
    dtype = np.dtype(dtype)
    if dtype_of(x) == dtype and hasattr(x, "shape"):
        return x
    return bind(convert_p, x, dtype=dtype)


stop_gradient_p = defop(
    "stop_gradient",
    type_rule=lambda x: x,
    impl=lambda x: x,
    vjp=lambda g, out, x: (None,),
    jvp=lambda ts, out, x: None,
    emit="{0}",
    elementwise=True,
)


def stop_gradient(x: Any) -> Any:
    """`x` unchanged, but no derivative flows through it (a constant to autodiff).

    >>> import tracegrad as tg
    >>> float(tg.grad(lambda x: x * stop_gradient(x))(np.float64(3.0)))
    3.0
    """
    return bind(stop_gradient_p, x)


__all__ = [
    "abs",
    "acos",
    "add",
    "asin",
    "atan",
    "atan2",
    "ceil",
    "convert",
    "cos",
    "cosh",
    "div",
    "eq",
    "erf",
    "exp",
    "expm1",
    "floor",
    "ge",
    "gt",
    "le",
    "log",
    "log1p",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logistic",
    "lt",
    "max",
    "min",
    "mul",
    "ne",
    "neg",
    "pow",
    "reciprocal",
    "rsqrt",
    "select",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "sub",
    "tan",
    "tanh",
]
