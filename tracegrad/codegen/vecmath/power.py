"""pow and sqrt, float64 and float32.

pow(x, y) = exp(y * log|x|), where the error of log|x| is multiplied by y: for the
result to stay within an ulp, log|x| is computed to about 2**-70 (absolute) as a
double-double: ``log(1+f) = 2s + 2s^3/3 + 2s^5/5 + s^7 R(s^2)`` with s = f/(2+f)
carried as a double-double and the first three terms summed exactly (fit
``log_pow``). The
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
from tracegrad.codegen.vecmath.intrinsics import as_int64, estrin, fabs, fma, rint, sqrt
from tracegrad.codegen.vecmath.jit import vecfn
from tracegrad.codegen.vecmath.log import LN2_HI, LN2_LO, log1p_reduced, split_exponent

TWO_THIRDS_HI = 0.6666666666666666
TWO_THIRDS_LO = 3.700743415417188e-17
TWO_FIFTHS_HI = 0.4
TWO_FIFTHS_LO = -2.2204460492503132e-17

# R(z) with log(1+f) = 2s + 2s^3/3 + 2s^5/5 + s^7 R(s^2): relative error of the fit
# 5.9e-18 (of a term below 1.3e-6)
LOG_POW = (
    0.2857142857142857,
    0.22222222222222948,
    0.18181818181300333,
    0.15384615525010048,
    0.13333314667271542,
    0.11766050514890895,
    0.10472890581163663,
    0.10617182995377046,
)


@vecfn
def log_dd(a):
    """``log(a)`` as a double-double ``(hi, lo)``, absolute error ~2**-70, finite a > 0."""
    k, f = split_exponent(a)
    d_hi, d_lo = fast_two_sum(2.0, f)  # 2 + f, exactly
    inv = 1.0 / d_hi
    s = f * inv
    s_lo = (fma(-s, d_hi, f) - s * d_lo) * inv  # s + s_lo = f/(2+f), from the remainder
    z = s * s
    z_lo = fma(s, s, -z) + 2.0 * s * s_lo
    # 2s^3/3 and 2s^5/5 in double-double (s^3 = s z, s^5 = s^3 z, each exact to
    # ~2**-105), and the rest s^7 R(z), below 1.3e-6, in plain float64
    p, p_lo = two_prod(s, z)
    p_lo = fma(s, z_lo, fma(s_lo, z, p_lo))
    c, c_lo = two_prod(p, TWO_THIRDS_HI)
    c_lo = fma(p, TWO_THIRDS_LO, fma(p_lo, TWO_THIRDS_HI, c_lo))
    q, q_lo = two_prod(p, z)
    q_lo = fma(p, z_lo, fma(p_lo, z, q_lo))
    d, d_lo = two_prod(q, TWO_FIFTHS_HI)
    d_lo = fma(q, TWO_FIFTHS_LO, fma(q_lo, TWO_FIFTHS_HI, d_lo))
    tail = q * z * estrin(LOG_POW, z)
    # k ln2 + 2s + 2s^3/3 + 2s^5/5 + tail; k*LN2_HI is exact, 2s too
    u, e1 = two_sum(k * LN2_HI, 2.0 * s)
    u, e2 = two_sum(u, c)
    u, e3 = two_sum(u, d)
    lo = ((e1 + e2) + e3) + (fma(k, LN2_LO, 2.0 * s_lo) + ((c_lo + d_lo) + tail))
    return fast_two_sum(u, lo)


@vecfn
def _is_odd_integer(y):
    # |y| >= 2^53 is even; rint(y) == y also holds for inf, whose half is "even"
    half = 0.5 * y
    return (rint(y) == y) & (rint(half) != half)


@vecfn
def pow_f64(x, y):
    """``x ** y`` for float64 (C99 pow, as ``np.power``), within 1 ulp (0.56 measured).

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
    """``x ** y`` for float32: exp(y log|x|) in float64, rounded once."""
    xd = np.float64(x)
    yd = np.float64(y)
    ax = fabs(xd)
    finite_x = (ax > 0.0) & (ax < np.inf)
    # log|x| to float64 accuracy: y log|x| reaches 150, and exp turns an absolute
    # error there into a relative one
    k, f = split_exponent(ax if finite_x else 1.0)
    hi, lo = log1p_reduced(f)
    p = yd * fma(k, LN2_HI, hi + fma(k, LN2_LO, lo))
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
