"""tanh, sinh, cosh and the logistic sigmoid, float64 and float32.

All are built on the exp machinery of `exp.py`, kept as double-doubles until one
final rounding, so that none of them adds the errors of an exp, a division and a
sum:

- ``tanh(x) = (e - 1)/(e + 1)`` with ``e = exp(2|x|)``: numerator and denominator
  as double-doubles from one reduction (e - 1 without cancellation), one division
  with a correction step, no branch; ``+-1`` from |x| = 19.5.
  float32 (in float32 arithmetic): a polynomial below 0.55, ``1 - 2/(1 + e)`` above.
- ``sinh`` and ``cosh``: with ``|x| = n*ln2 + r``, ``2**(n-1) (exp(r) +- 2**-2n
  exp(-r))``, where exp(r) and exp(-r) share exp's polynomial split into its even
  and odd parts (no division, no second exp), scaled like exp so that they overflow
  only when the result does (|x| > 710.47). For n = 0, sinh is exp's odd part.
  float32: the same in float32 arithmetic, the leading parts summed exactly.
- ``logistic(x) = 1 / (1 + exp(-x))`` for x >= 0 and ``exp(x) / (1 + exp(x))``
  below: ``exp(-|x|)`` never overflows, and the quotient is corrected once. Below
  -709.78 (float32: -88.72) the result is 0, as SciPy's ``expit`` gives.

>>> tanh_f64(0.5)  # doctest: +SKIP
0.46211715726000974
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum
from tracegrad.codegen.vecmath.exp import (
    EXP_F32_SINGLE,
    EXP_F64,
    LN2_HI,
    LN2_LO,
    LN2_LO_F32,
    LOG2E,
    ONE_F32,
    SHIFT_F32,
    X_MIN,
    _clamp,
    exp_pair_f32,
    exp_parts,
    exp_tail_f32,
    exp_tail_f64,
    pow2,
    pow2_f32,
    reduce_ln2,
    reduce_ln2_f32,
    reduce_ln2_hi_f32,
    scale2,
)
from tracegrad.codegen.vecmath.intrinsics import (
    as_float64,
    as_int64,
    copysign,
    estrin,
    fabs,
    fma,
    horner,
    rint,
)
from tracegrad.codegen.vecmath.jit import vecfn

# exp's q(r) = qe(r^2) + r*qo(r^2) (fit "exp_f64", split): exp(+-r) share qe and qo
EXP_QE_F64 = EXP_F64[0::2]
EXP_QO_F64 = EXP_F64[1::2]
# the same of exp(r) = 1 + r + r^2 q(r) in float32 arithmetic (EXP_F32_SINGLE)
EXP_QE_SINGLE = EXP_F32_SINGLE[0::2]
EXP_QO_SINGLE = EXP_F32_SINGLE[1::2]

TANH_ONE = 19.5  # tanh rounds to 1 from 19.06 on
SHIFT_F64 = 6755399441055744.0  # 1.5 * 2**52: t + SHIFT rounds t to an integer in the low bits
SHIFT_BITS_F64 = 0x4338000000000000  # its bits
TANH_LARGE = 18.0  # from here on (2**-50 > 2/e), 1 - 2/e is tanh to 2**-100
SINH_MAX = 710.5  # sinh and cosh overflow from 710.48 on
EXP_OVERFLOW = 709.782712893384  # the largest x with a finite exp(x)
EXP_OVERFLOW_F32 = 88.72283172607422  # the same for float32
TANH_ONE_F32 = np.float32(9.1)  # float32 tanh rounds to 1 from 9.01 on
TWO_F32 = np.float32(2.0)
HALF_F32 = np.float32(0.5)
SINH_TINY_F32 = np.float32(2.0**-12)
SINH_MAX_F32 = np.float32(89.5)  # float32 sinh and cosh overflow from 89.42 on
SHIFT_MIN_F32 = SHIFT_F32 - np.float32(126.0)  # n = -126 in `reduce_ln2_hi_f32`'s z
TANH_SMALL_F32 = np.float32(0.55)  # tanh_f32: the polynomial below, from exp above
# tanh(x) = x + x^3 P(x^2) on |x| <= 0.55, float32 (fit of (tanh(x) - x)/x^3 in x^2,
# relative to tanh, 5 coefficients): error 1.0e-9
TANH_F32 = (
    np.float32(-0.33333316445350647),
    np.float32(0.13332585990428925),
    np.float32(-0.05385230854153633),
    np.float32(0.021071679890155792),
    np.float32(-0.0062742396257817745),
)


@vecfn
def div_dd(n_hi, n_lo, d_hi, d_lo):
    """``(n_hi + n_lo) / (d_hi + d_lo)`` rounded once more than the exact quotient.

    One reciprocal, and one correction from the remainder ``n - q*d`` (exact in its
    leading part by FMA): about half an ulp plus the inputs' own errors.
    """
    inv = ONE_F32 / d_hi  # a float32 one: float64 in, float64 out; float32 stays float32
    q = n_hi * inv
    rem = fma(-q, d_hi, n_hi) + (n_lo - q * d_lo)
    return fma(rem, inv, q)


@vecfn
def _expm1_pm1(x):
    """``(n_hi, n_lo, d_hi, d_lo)``: ``exp(x) - 1`` and ``exp(x) + 1`` as pairs, each
    to about 2**-60 relative, for ``0 <= x <= 40``.

    With ``x = n*ln2 + r`` and ``expm1(r) = p_hi + p_lo`` (r's rounding error r_lo
    included), ``exp(x) -+ 1 = (2**n -+ 1) + 2**n p``: ``2**n -+ 1`` is exact (n <= 52;
    beyond, the lost 1 is below 2**-52 of the result), and ``|2**n p| <= |2**n -+ 1|``.
    For n = 0, e - 1 is p itself: no cancellation, however small x.
    """
    zn = fma(x, LOG2E, SHIFT_F64)  # n in the low bits: x/ln2 rounded once
    n = zn - SHIFT_F64
    r_hi = fma(-n, LN2_HI, x)  # exact
    r = fma(-n, LN2_LO, r_hi)
    r_lo = fma(-n, LN2_LO, r_hi - r)  # what rounding r lost
    # expm1(r) = r + r^2 (1/2 + r q(r)), EXP_F64's q; r_lo moves it by r_lo exp(r)
    t = fma(r * r, fma(r, exp_tail_f64(r), 0.5), fma(r_lo, r, r_lo))
    p_hi, p_lo = fast_two_sum(r, t)
    s = as_float64((as_int64(zn) - (SHIFT_BITS_F64 - 1023)) << 52)  # 2**n
    sp = s * p_hi
    n_hi, n_lo = fast_two_sum(s - 1.0, sp)
    d_hi, d_lo = fast_two_sum(s + 1.0, sp)
    return n_hi, fma(s, p_lo, n_lo), d_hi, fma(s, p_lo, d_lo)


@vecfn
def tanh_f64(x):
    """``tanh(x)`` for float64, within 1 ulp; +-0, +-inf and NaN as NumPy.

    ``tanh(x) = (e - 1)/(e + 1)``, ``e = exp(2|x|)``, with numerator and denominator
    as pairs from one reduction (`_expm1_pm1`: e - 1 has no cancellation, so this
    holds down to the smallest x) and the quotient corrected once from its remainder
    (as `div_dd`): one division and no branches. From |x| = 18 on, ``e -+ 1`` are no
    longer exact pairs, but there ``1 - 2/e`` serves. From 19.06 on, +-1.

    >>> tanh_f64(-30.0)  # doctest: +SKIP
    -1.0
    """
    a = fabs(x)
    # NaN passes the clamp and every step after it, and comes out NaN
    n_hi, n_lo, d_hi, d_lo = _expm1_pm1(2.0 * (TANH_ONE if a > TANH_ONE else a))
    inv = 1.0 / d_hi
    q = n_hi * inv
    rem = fma(-q, d_hi, n_hi) + fma(-q, d_lo, n_lo)  # the first term is exact
    y = fma(rem, inv, q) if a < TANH_LARGE else fma(inv, -2.0, 1.0)
    return copysign(y, x)


@vecfn
def _exp_both(a, sign):
    """``(hi, lo, m)``: ``exp(a)/2 + sign*exp(-a)/2 = 2**m * (hi + lo)``, double-double.

    For ``0 <= a <= SINH_MAX`` (NaN: anything) and sign +-1. With ``a = n*ln2 + r``
    the sum is ``2**(n-1) * (exp(r) + sign*d*exp(-r))``, ``d = 2**-2n``, and exp(+-r)
    share one polynomial split into its even part P and odd part Q (no division and
    no second exp): ``(1 + r) + sign*d*(1 - r)`` is carried exactly, the rest is small.
    """
    n = rint(a * LOG2E)
    r_hi = fma(-n, LN2_HI, a)  # exact
    r = fma(-n, LN2_LO, r_hi)
    r_lo = fma(-n, LN2_LO, r_hi - r)  # what rounding r lost
    z = r * r
    # exp(+-r) = 1 +- r + P +- Q: q(r) = qe(z) + r*qo(z) of EXP_F64's fit
    p = fma(z * z, estrin(EXP_QO_F64, z), 0.5 * z)
    q = (z * r) * estrin(EXP_QE_F64, z)
    sd = sign * pow2(-2.0 * (n if n < 60.0 else 60.0))  # 2^-120: no longer shows
    h1, l1 = fast_two_sum(1.0, r)
    u, u_lo = fast_two_sum(1.0, -r)
    hi, lo = fast_two_sum(h1, sd * u)  # |1 + r| >= 0.65 > |d (1 - r)| unless d = 1
    # d-weighted parts: P (1 + sd) + Q (1 - sd), and r_lo moves exp(r) and exp(-r)
    small = fma(p, sd, p) + fma(-q, sd, q) + fma(r_lo, 1.0 - sd, sd * u_lo)
    return hi, (lo + l1) + small, n - 1.0


@vecfn
def _scale_hyp(y, m):
    """``y * 2**m`` for ``0 <= y < 4``, ``-1 <= m <= 1024``: rounds once, inf beyond."""
    k = 2.0 if m > 1023.0 else 1.0  # 2^1024 is no double: its last factor 2 apart
    return (y * pow2(m - (k - 1.0))) * k


@vecfn
def sinh_f64(x):
    """``sinh(x)`` for float64, within 1 ulp; overflow to +-inf as NumPy.

    All of it from `_exp_both`: below |x| = ln2/2 (n = 0) the exact leading parts
    cancel to ``2r`` and what is left is exp's odd part, ``r + r^3 qe(r^2)``; above,
    the difference of the two exponentials keeps at least half of exp(|x|)/2.
    """
    a = fabs(x)
    hi, lo, m = _exp_both(a if a < SINH_MAX else SINH_MAX, -1.0)  # NaN: SINH_MAX
    y = copysign(_scale_hyp(hi + lo, m), x)
    return y if a == a else x


@vecfn
def cosh_f64(x):
    """``cosh(x)`` for float64, within 1 ulp; overflow to inf as NumPy."""
    a = fabs(x)
    hi, lo, m = _exp_both(a if a < SINH_MAX else SINH_MAX, 1.0)  # NaN: SINH_MAX
    y = _scale_hyp(hi + lo, m)
    return y if a == a else x


@vecfn
def logistic_f64(x):
    """``1 / (1 + exp(-x))`` for float64 (scipy's ``expit``), within 1 ulp.

    With ``e = exp(-|x|) <= 1``: ``1/(1 + e)`` for x >= 0, ``e/(1 + e)`` below,
    e and ``1 + e`` kept as double-doubles.

    >>> logistic_f64(0.0)  # doctest: +SKIP
    0.5
    """
    a = fabs(x)
    n, h, t = exp_parts(_clamp(-a, X_MIN, 0.0))
    s = pow2(n if n > -1000.0 else -1000.0)  # e = s*(h + t); 2^-1000: e is 0 anyway
    e_hi, e_lo = fast_two_sum(s * h, s * t)
    d_hi, d_lo = fast_two_sum(1.0, e_hi)
    negative = x < 0.0
    y = div_dd(e_hi if negative else 1.0, e_lo if negative else 0.0, d_hi, d_lo + e_lo)
    # the tail below 2^-1000 (exp of -693 and less) underflows: e/(1+e) = e there
    tail = scale2(h + t, n)
    y = tail if negative & (n <= -1000.0) else y
    # SciPy's expit is 1/(1 + exp(-x)), which is 0 once exp(-x) overflows, though
    # the true value is a subnormal there: as SciPy, for the same results everywhere
    y = 0.0 if x < -EXP_OVERFLOW else y
    return y if a == a else x


# --- float32: in float32 arithmetic (logistic_f32: in float64, rounded once) ----------


@vecfn
def _exp_f32_wide(a):
    """``exp(a)`` in float64 to float32 accuracy, for ``-110 <= a <= 110``."""
    n, r = reduce_ln2(a)
    return (1.0 + fma(r * r, exp_tail_f32(r), r)) * pow2(n)


@vecfn
def tanh_f32(x):
    """``tanh(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp.

    Below |x| = 0.55, ``x + x^3 P(x^2)`` (0.55 ulp: x is added last). Above,
    ``1 - 2/(1 + e)`` with ``e = exp(2|x|)`` kept as a float32 pair and the quotient
    corrected once from its remainder, so that q = 2/(1 + e) is accurate to about
    2**-28 and ``1 - q`` rounds once. From |x| = 9.01 on the result rounds to +-1.
    """
    a = fabs(x)
    z = a * a
    small = fma(a * z, horner(TANH_F32, z), a)
    # NaN passes the clamp and every step after it, and comes out NaN
    zn, n, r = reduce_ln2_f32(TWO_F32 * (TANH_ONE_F32 if a > TANH_ONE_F32 else a))
    h, t = exp_pair_f32(r)
    s = pow2_f32(zn)
    d, d_lo = fast_two_sum(h * s, ONE_F32)  # e >= 1
    d_lo = fma(t, s, d_lo)  # not below an ulp of d: t holds r^2 q(r)
    q = TWO_F32 / (d + d_lo)
    rem = fma(-q, d, TWO_F32) - q * d_lo  # 2 - q (d + d_lo), to ~2**-27 absolute
    q = fma(rem, HALF_F32 * q, q)  # q/2 ~ 1/(d + d_lo)
    y = small if a < TANH_SMALL_F32 else ONE_F32 - q
    return copysign(y, x)


@vecfn
def _exp_both_single(a, sign):
    """``(exp(a) + sign*exp(-a))/2`` (cosh, sinh) for float32 ``0 <= a <= 89.5`` and
    sign +-1, in float32 arithmetic; overflows to inf as they do.

    With ``a = n*ln2 + r``, ``S = 2**(n-2)``, ``s = sign*2**(-n-2)``, and
    ``exp(r) = h + h_lo + z (E(z) + r O(z))``, ``exp(-r) = g + g_lo + z (E(z) - r O(z))``
    (``h = fl(1 + r)``, ``g = fl(1 - r)`` with their exact errors, z = r^2,
    EXP_F32_SINGLE's q split into even and odd parts): the result is
    ``2 (S h + s g + small)``, the leading pair summed exactly (S h is the larger:
    r >= 0 where n = 0), and ``small = S (h_lo + r_lo) + s (g_lo - r_lo) +
    (S + s) z E + (S - s) z r O`` rounded once into it. For n = 0 and sign -1 the
    leading parts give exactly 2r and the rest is the odd part: no cancellation.
    The quarters keep 2**n finite up to n = 129 (the final doubling overflows).
    """
    zn, n, r1 = reduce_ln2_hi_f32(a)
    r = fma(-n, LN2_LO_F32, r1)
    r_lo = fma(-n, LN2_LO_F32, r1 - r)  # what rounding r lost
    z = r * r
    ze = z * horner(EXP_QE_SINGLE, z)
    zro = (z * r) * horner(EXP_QO_SINGLE, z)
    h, h_lo = fast_two_sum(ONE_F32, r)
    g, g_lo = fast_two_sum(ONE_F32, -r)
    big = pow2_f32(zn - TWO_F32)  # 2**(n-2)
    # 2**(-n-2), held at 2**-126 (n >= 125: far below the result's ulp anyway)
    zm = (SHIFT_F32 + SHIFT_F32) - zn - TWO_F32
    sml = sign * pow2_f32(zm if zm > SHIFT_MIN_F32 else SHIFT_MIN_F32)
    hi, lo = fast_two_sum(big * h, sml * g)
    small = fma(big, h_lo + r_lo, fma(sml, g_lo - r_lo, lo))
    small = fma(big + sml, ze, fma(big - sml, zro, small))
    return TWO_F32 * (hi + small)


@vecfn
def sinh_f32(x):
    """``sinh(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp; no
    division (`_exp_both_single`)."""
    a = fabs(x)
    y = _exp_both_single(a if a < SINH_MAX_F32 else SINH_MAX_F32, -ONE_F32)  # NaN: max
    y = copysign(y, x)
    # below 2**-12 sinh rounds to x (and the quarters would lose subnormals); NaN too
    return y if a >= SINH_TINY_F32 else x


@vecfn
def cosh_f32(x):
    """``cosh(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp."""
    a = fabs(x)
    # NaN passes the clamp and every step after it, and comes out NaN
    return _exp_both_single(SINH_MAX_F32 if a > SINH_MAX_F32 else a, ONE_F32)


@vecfn
def logistic_f32(x):
    """``1 / (1 + exp(-x))`` for float32."""
    xd = np.float64(x)
    e = _exp_f32_wide(_clamp(-xd, -110.0, 110.0))  # 1/e**110 rounds to 0
    y = np.float32(1.0 / (1.0 + e))
    y = np.float32(0.0) if xd < -EXP_OVERFLOW_F32 else y  # as SciPy (see logistic_f64)
    return y if xd == xd else x
