"""pow and sqrt, float64 and float32.

pow(x, y) = exp(y * log|x|), where the error of log|x| is multiplied by y (up to
745 where the result is finite): for the result to stay within an ulp, float64 pow
computes log|x| to about 2**-66 relative, as a double-double, with
``log(1+f) = 2s + s z (2/3 + z Q(z))``, s = f/(2+f), z = s^2: 2s and s z (2/3 + ...),
below 1% of the sum, are carried as pairs, and only z Q, below 2**-12 of it, is
plain float64 (fit ``log_pow``). The product with y is split exactly (FMA), and
exp takes its low part into the reduced argument. float32 pow needs none of this:
``2**(y log2|x|)`` in plain float64 is accurate far beyond a float32 result.

The special cases of C99's pow, which NumPy follows, mostly fall out of the
arithmetic: log|x| is set to -inf, inf or NaN for |x| = 0, inf or NaN, and to NaN
for a negative x to a non-integer power; at |x| = 1 y is replaced by 0, so that
y = +-inf gives 1; the clamped exponent gives 0 and inf. Selects
remain for the sign of an odd integer power of a negative x and for
``pow(x, 0) = pow(1, y) = 1``, even for NaN. No step converts a float to an
integer: exponents come out of the low bits of a sum with 1.5 * 2**52.

sqrt is the hardware instruction (correctly rounded).

>>> pow_f64(2.0, 0.5)  # doctest: +SKIP
1.4142135623730951
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_prod
from tracegrad.codegen.vecmath.exp import EXP_F64, LOG2E
from tracegrad.codegen.vecmath.exp import LN2_HI as LN2_HI_53
from tracegrad.codegen.vecmath.exp import LN2_LO as LN2_LO_53
from tracegrad.codegen.vecmath.intrinsics import (
    as_float64,
    as_int64,
    estrin,
    fabs,
    fma,
    horner,
    rint,
    sqrt,
)
from tracegrad.codegen.vecmath.jit import vecfn
from tracegrad.codegen.vecmath.log import LN2_HI, LN2_LO, SQRT_HALF_BITS, split_exponent

SHIFT = 6755399441055744.0  # 1.5 * 2**52: p + SHIFT rounds p to an integer n ...
SHIFT_BITS = 0x4338000000000000  # ... held in the low bits of these
MAX_BITS = 0x7FEFFFFFFFFFFFFF  # the bits of the largest float64

# --- float64 --------------------------------------------------------------------------

TWO_THIRDS_HI = 0.6666666666666666
TWO_THIRDS_LO = 3.700743415417188e-17
# Q(z) with log(1+f) = 2s + s z (2/3 + z Q(z)), z = s^2 (fit "log_pow"): error
# 1.1e-20 relative to log(1+f)
LOG_POW = (
    0.4000000000000225,
    0.2857142857010315,
    0.22222222519294846,
    0.18181784421204905,
    0.1538675487884955,
    0.13256873981881998,
    0.13195814485835816,
)
LOG_POW_TAIL = LOG_POW[1:]


@vecfn
def _log_dd(a):
    """``log(a)`` as a double-double ``(hi, lo)`` (lo not normalised), relative error
    ~2**-66, for finite a > 0, subnormal included."""
    k, f = split_exponent(a)
    d = 2.0 + f
    d_lo = f - (d - 2.0)  # 2 + f = d + d_lo exactly
    inv = 1.0 / d
    s = f * inv
    s_lo = (fma(-s, d, f) - s * d_lo) * inv  # s + s_lo = f/(2+f), from the remainder
    z = s * s
    z_lo = fma(2.0 * s, s_lo, fma(s, s, -z))  # (s + s_lo)^2 - z
    # the tail by Estrin's scheme (a shorter chain: faster here), the last step as
    # Horner's, which rounds q once at its own magnitude
    q = fma(z, estrin(LOG_POW_TAIL, z), LOG_POW[0])
    zq = fma(z, q, z_lo * q)
    w = TWO_THIRDS_HI + zq
    w_lo = ((TWO_THIRDS_HI - w) + zq) + TWO_THIRDS_LO  # the first difference is exact
    # s^3 = (s + s_lo)(z + z_lo), apart from the polynomial (a shorter chain), then
    # s z w = (s3 + s3_lo)(w + w_lo), each to ~2**-100
    s3 = s * z
    s3_lo = fma(s, z, -s3) + fma(s, z_lo, s_lo * z)
    t = s3 * w
    t_lo = fma(s3, w, -t) + fma(s3, w_lo, s3_lo * w)
    hi, e1 = fast_two_sum(2.0 * s, t)
    hi, e2 = fast_two_sum(k * LN2_HI, hi)  # |k ln2| > |hi| unless k = 0; k LN2_HI exact
    return hi, e2 + fma(k, LN2_LO, e1 + fma(2.0, s_lo, t_lo))


@vecfn
def _exp_dd(p, p_lo):
    """``exp(p + p_lo)`` for p in [-746, 710] and ``|p_lo| <= 2**-40``, to about
    2**-60 relative before its one rounding; NaN gives NaN.

    ``p = n ln2 + r``: n comes out of a sum's low bits (no integer conversion),
    ``p - n LN2_HI`` is exact, and the rest joins it as a pair ``r + r_lo``;
    ``exp(r) = h + (what rounding 1 + r lost + r^2/2 + r^3 q(r))`` then rounds
    once, and 2**n is applied in two factors, so that subnormal results round once.
    """
    z = fma(p, LOG2E, SHIFT)
    n = z - SHIFT
    r_hi = fma(-n, LN2_HI_53, p)  # exact
    delta = fma(-n, LN2_LO_53, p_lo)
    r = r_hi + delta
    r_lo = delta - (r - r_hi)  # (|delta| > |r_hi| only where both are tiny)
    r2 = r * r
    small = fma(fma(r, r, -r2), 0.5, fma(r_lo, r, r_lo))
    t = fma(r2 * r, horner(EXP_F64, r), small) + 0.5 * r2  # expm1(r + r_lo) - r
    h = 1.0 + r
    mant = h + ((r - (h - 1.0)) + t)
    ni = as_int64(z) - SHIFT_BITS
    a = ni >> 1
    return mant * as_float64((a + 1023) << 52) * as_float64((ni - a + 1023) << 52)


@vecfn
def pow_f64(x, y):
    """``x ** y`` for float64 (C99 pow, as ``np.power``), within 1 ulp (0.67 measured,
    where y log|x| is near +-745 and |x| near sqrt(2) 2**k: see the module docstring).

    >>> pow_f64(-8.0, 1.0 / 3.0)  # doctest: +SKIP
    nan
    """
    ax = fabs(x)
    yi = rint(y)
    hi, lo = _log_dd(ax)
    hi = np.nan if (x < 0.0) & (yi != y) else hi
    # 0 < |x| < inf as one unsigned comparison of the bits (|x| = 0 wraps around)
    finite = np.uint64(as_int64(ax) - 1) < np.uint64(MAX_BITS)
    hi = hi if finite else (ax - 1.0) * np.inf  # -inf, inf, NaN
    yc = 0.0 if ax == 1.0 else y  # 1 also for y = +-inf; (-1)**NaN keeps its NaN hi
    p, p_lo = two_prod(yc, hi)
    p_lo = fma(yc, lo, p_lo)
    pc = 710.0 if 710.0 < p else p  # exp overflows and underflows beyond
    pc = -746.0 if -746.0 > pc else pc
    res = _exp_dd(pc, p_lo if pc == p else 0.0)
    half = 0.5 * y
    odd = (yi == y) & (rint(half) != half)  # |y| >= 2**53 is even, so is inf
    res = -res if (as_int64(x) < 0) & odd else res
    return 1.0 if (y == 0.0) | (x == 1.0) else res


# --- float32 --------------------------------------------------------------------------

# log2(1 + f) = s P(s^2), s = f/(2+f), sqrt(1/2) <= 1 + f < sqrt(2) (fit
# "log2_pow_f32"): relative error 4.2e-12, so that y log2|x| (up to 150) is off by
# at most 2**-30 absolute
LOG2_POW_F32 = (
    2.88539008179008,
    0.9617966733501694,
    0.5770835832594705,
    0.41167282712498476,
    0.3407280081548231,
)
# 2**r = 1 + r Q(r) on |r| <= 1/2 (fit "exp2_pow_f32"): relative error 2.6e-9, 0.04
# ulp of float32; the 1 is exact, so that exact powers of two stay exact
EXP2_POW_F32 = (
    0.6931472149680392,
    0.24022652782875897,
    0.05550310550996569,
    0.009617692974921611,
    0.001340664390479855,
    0.00015594677539989673,
)


@vecfn
def _log2_wide(ax):
    """``log2(ax)`` in float64 for a float32 ``ax`` (widened, so never subnormal),
    relative error ~2**-38; 0 gives -1023 and inf 1024 (callers select those)."""
    bits = as_int64(ax)
    k = (bits - SQRT_HALF_BITS) >> 52
    f = as_float64(bits - (k << 52)) - 1.0
    s = f / (2.0 + f)
    return fma(s, horner(LOG2_POW_F32, s * s), np.float64(k))


@vecfn
def _exp2_wide(p, sign):
    """``2**p`` in float64 for ``-160 <= p <= 160``, relative error ~2**-28, with the
    sign bit `sign` (0 or 1 << 63) added in; NaN gives NaN.

    No integer conversion: n = rint(p) comes out of a sum's low bits, and adding
    ``n << 52`` (and the sign) to the bits of 2**r scales it (normal throughout).
    A NaN p stays NaN: its low 12 bits are zero (a widened float32's are), so the
    sum leaves its exponent alone.
    """
    z = p + SHIFT
    r = p - (z - SHIFT)  # exact, |r| <= 1/2
    two_r = fma(r, horner(EXP2_POW_F32, r), 1.0)
    return as_float64(as_int64(two_r) + ((as_int64(z) << 52) + sign))


@vecfn
def pow_f32(x, y):
    """``x ** y`` for float32: ``2**(y log2|x|)`` in float64, rounded once (0.54 ulp
    measured).

    The log polynomial's error (2**-38), times |y log2|x|| <= 160, stays near 2**-30
    of the result, far below what a float32 result needs, so nothing is carried as
    a pair. The special cases are those of `pow_f64` (module docstring); the sign
    is an integer sum on the result's bits.
    """
    xd = np.float64(x)
    yd = np.float64(y)
    ax = fabs(xd)
    # y + SHIFT rounds y to an integer in its low bits; the lowest is its parity,
    # also for |y| >= 2**52 (a float32 there is a multiple of 2**29: even) and inf
    zy = yd + SHIFT
    non_integer = (zy - SHIFT) != yd
    lg = _log2_wide(ax)
    lg = np.nan if (xd < 0.0) & non_integer else lg
    finite = np.uint64(as_int64(ax) - 1) < np.uint64(MAX_BITS)  # as in pow_f64
    lg = lg if finite else (ax - 1.0) * np.inf  # -inf, inf, NaN
    yc = 0.0 if ax == 1.0 else yd  # 1 also for y = +-inf; (-1)**NaN keeps its NaN lg
    p = yc * lg
    p = 160.0 if 160.0 < p else p  # float32 inf and 0 lie well inside
    p = -160.0 if -160.0 > p else p
    sign = (as_int64(zy) << 63) & as_int64(xd)  # a negative x to an odd power
    sign = 0 if non_integer else sign  # (x = -0, -inf; other x are NaN then)
    out = np.float32(_exp2_wide(p, sign))
    return np.float32(1.0) if (y == 0.0) | (x == 1.0) else out


@vecfn
def sqrt_f64(x):
    """``sqrt(x)``: the hardware square root (correctly rounded; NaN below 0)."""
    return sqrt(x)


@vecfn
def sqrt_f32(x):
    """``sqrt(x)`` for float32: the hardware square root."""
    return sqrt(x)
