"""pow and sqrt, float64 and float32.

pow(x, y) = exp(y * log|x|), where the error of log|x| is multiplied by y: for the
result to stay within an ulp, log|x| is computed to about 2**-66 (absolute) as a
double-double: ``log(1+f) = 2s + 2s^3/3 + s^5 R(s^2)`` with s = f/(2+f) carried as
a double-double and the first two terms summed exactly (fit ``log_pow``). The
product with y is split exactly (FMA), and exp takes its low part into the
reduced argument (`exp.expm1_reduced_dd`). The special cases of C99's pow, which
NumPy follows, are selects: ``pow(x, 0) = 1`` and ``pow(1, y) = 1`` even for NaN,
the sign of an odd integer power of a negative x, NaN for a negative x to a
non-integer power, the signed zeros and infinities.

sqrt is the hardware instruction (correctly rounded).

>>> pow_f64(2.0, 0.5)  # doctest: +SKIP
1.4142135623730951
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_prod, two_sum
from tracegrad.codegen.vecmath.exp import (
    _clamp,
    exp_tail_f32,
    expm1_reduced_dd,
    pow2,
    reduce_ln2,
    scale2,
)
from tracegrad.codegen.vecmath.intrinsics import as_int64, fabs, fma, rint, sqrt
from tracegrad.codegen.vecmath.jit import vecfn
from tracegrad.codegen.vecmath.log import LN2_HI, LN2_LO, log_reduced_f32, split_exponent

TWO_THIRDS_HI = 0.6666666666666666
TWO_THIRDS_LO = 3.700743415417188e-17

# R(z) with log(1+f) = 2s + 2s^3/3 + s^5 R(s^2): relative error of the fit 4.6e-18
LOG_POW = (
    0.4,
    0.2857142857142937,
    0.22222222221655236,
    0.1818181833551788,
    0.15384594951120156,
    0.13334805224565424,
    0.11706224150566934,
    0.11723287938523372,
)


@vecfn
def log_dd(a):
    """``log(a)`` as a double-double ``(hi, lo)``, absolute error ~2**-66, finite a > 0."""
    k, f = split_exponent(a)
    d_hi, d_lo = fast_two_sum(2.0, f)  # 2 + f, exactly
    s = f / d_hi
    s_lo = (fma(-s, d_hi, f) - s * d_lo) / d_hi  # s + s_lo = f/(2+f)
    z = s * s
    z_lo = fma(s, s, -z) + 2.0 * s * s_lo
    # 2s^3/3 in double-double: (s z) * 2/3
    p, p_lo = two_prod(s, z)
    p_lo = fma(s, z_lo, fma(s_lo, z, p_lo))
    c, c_lo = two_prod(p, TWO_THIRDS_HI)
    c_lo = fma(p, TWO_THIRDS_LO, fma(p_lo, TWO_THIRDS_HI, c_lo))
    # s^5 R(z), small enough (< 6e-5) for plain float64
    q = LOG_POW
    r = fma(q[7], z, q[6])
    r = fma(r, z, q[5])
    r = fma(r, z, q[4])
    r = fma(r, z, q[3])
    r = fma(r, z, q[2])
    r = fma(r, z, q[1])
    r = fma(r, z, q[0])
    tail = p * z * r
    # k ln2 + 2s + 2s^3/3 + tail; k*LN2_HI is exact, 2s too
    u, e1 = two_sum(k * LN2_HI, 2.0 * s)
    u, e2 = two_sum(u, c)
    lo = (e1 + e2) + (fma(k, LN2_LO, 2.0 * s_lo) + (c_lo + tail))
    return fast_two_sum(u, lo)


@vecfn
def _is_odd_integer(y):
    # |y| >= 2^53 is even; rint(y) == y also holds for inf, whose half is "even"
    half = 0.5 * y
    return (rint(y) == y) & (rint(half) != half)


@vecfn
def pow_f64(x, y):
    """``x ** y`` for float64 (C99 pow, as ``np.power``), within 1 ulp.

    >>> pow_f64(-8.0, 1.0 / 3.0)  # doctest: +SKIP
    nan
    """
    ax = fabs(x)
    finite_x = (ax > 0.0) & (ax < np.inf)
    l_hi, l_lo = log_dd(ax if finite_x else 1.0)
    p, p_lo = two_prod(y, l_hi)
    p_lo = fma(y, l_lo, p_lo)
    p_lo = p_lo if fabs(p) < np.inf else 0.0
    # beyond these the result is inf or 0 anyway; the clamp keeps n in range
    big = p > 710.0
    tiny = p < -746.0
    pc = 710.0 if big else (-746.0 if tiny else (p if p == p else 0.0))
    p_lo = 0.0 if big | tiny else p_lo
    n, r, t = expm1_reduced_dd(pc, p_lo)
    h = 1.0 + r
    t = t + (r - (h - 1.0))
    res = scale2(h + t, n)
    # |x| = 0 or inf (log is -inf or inf); |x| = 1 with y = +-inf (log 0 times inf)
    pos_y = y > 0.0
    res = (0.0 if pos_y else np.inf) if ax == 0.0 else res
    res = (np.inf if pos_y else 0.0) if ax == np.inf else res
    res = 1.0 if (ax == 1.0) & (fabs(y) == np.inf) else res
    # signs and NaNs
    odd = _is_odd_integer(y)
    res = -res if (as_int64(x) < 0) & odd else res
    non_integer = rint(y) != y
    res = np.nan if (x < 0.0) & (x > -np.inf) & non_integer else res
    res = x + y if (x != x) | (y != y) else res
    res = 1.0 if (y == 0.0) | (x == 1.0) else res
    return res


@vecfn
def pow_f32(x, y):
    """``x ** y`` for float32: exp(y log|x|) in float64 (error ~2**-46), rounded once."""
    xd = np.float64(x)
    yd = np.float64(y)
    ax = fabs(xd)
    finite_x = (ax > 0.0) & (ax < np.inf)
    p = yd * log_reduced_f32(ax if finite_x else 1.0)
    pc = _clamp(p, -160.0, 160.0)  # float32 overflows/underflows well inside
    n, r = reduce_ln2(pc)
    res = (1.0 + fma(r * r, exp_tail_f32(r), r)) * pow2(n)
    pos_y = yd > 0.0
    res = (0.0 if pos_y else np.inf) if ax == 0.0 else res
    res = (np.inf if pos_y else 0.0) if ax == np.inf else res
    res = 1.0 if (ax == 1.0) & (fabs(yd) == np.inf) else res
    odd = _is_odd_integer(yd)
    res = -res if (as_int64(xd) < 0) & odd else res
    non_integer = rint(yd) != yd
    res = np.nan if (xd < 0.0) & (xd > -np.inf) & non_integer else res
    out = np.float32(res)
    out = x + y if (x != x) | (y != y) else out
    return np.float32(1.0) if (yd == 0.0) | (xd == 1.0) else out


@vecfn
def sqrt_f64(x):
    """``sqrt(x)``: the hardware square root (correctly rounded; NaN below 0)."""
    return sqrt(x)


@vecfn
def sqrt_f32(x):
    """``sqrt(x)`` for float32: the hardware square root."""
    return sqrt(x)
