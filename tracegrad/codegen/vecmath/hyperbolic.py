"""tanh, sinh, cosh and the logistic sigmoid, float64 and float32.

All are built on the exp machinery of `exp.py`, kept as double-doubles until one
final rounding, so that none of them adds the errors of an exp, a division and a
sum:

- ``tanh(x) = E / (E + 2)`` with ``E = expm1(2|x|)`` (double-double), one division
  with a correction step; ``tanh(x) = x`` below 2**-27 and ``+-1`` from |x| = 19.5.
  float32 (in float32 arithmetic): a polynomial below 0.55, ``1 - 2/(1 + e)`` above.
- ``sinh`` and ``cosh``: with ``|x| = n*ln2 + r``, ``2**(n-1) (exp(r) +- 2**-2n
  exp(-r))``, where exp(r) and exp(-r) share exp's polynomial split into its even
  and odd parts (no division, no second exp), scaled like exp so that they overflow
  only when the result does (|x| > 710.47). For n = 0, sinh is exp's odd part.
  cosh_f32 keeps ``exp/2 + 1/(2 exp)`` in float64: measured faster.
- ``logistic(x) = 1 / (1 + exp(-x))`` for x >= 0 and ``exp(x) / (1 + exp(x))``
  below: ``exp(-|x|)`` never overflows, and the quotient is corrected once. Below
  -709.78 (float32: -88.72) the result is 0, as SciPy's ``expit`` gives.

>>> tanh_f64(0.5)  # doctest: +SKIP
0.46211715726000974
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_sum
from tracegrad.codegen.vecmath.exp import (
    EXP_F32,
    EXP_F64,
    LN2_HI,
    LN2_LO,
    LOG2E,
    ONE_F32,
    X_MIN,
    _clamp,
    exp_pair_f32,
    exp_parts,
    exp_tail_f32,
    expm1_parts,
    pow2,
    pow2_f32,
    reduce_ln2,
    reduce_ln2_f32,
    scale2,
)
from tracegrad.codegen.vecmath.intrinsics import copysign, estrin, fabs, fma, horner, rint
from tracegrad.codegen.vecmath.jit import vecfn

# exp's q(r) = qe(r^2) + r*qo(r^2) (fit "exp_f64", split): exp(+-r) share qe and qo
EXP_QE_F64 = EXP_F64[0::2]
EXP_QO_F64 = EXP_F64[1::2]
# the same of exp(r) = 1 + r + r^2 q(r) for float32 results (fit "exp_f32")
EXP_QE_F32 = EXP_F32[0::2]
EXP_QO_F32 = EXP_F32[1::2]

TINY_F64 = 7.450580596923828e-09  # 2^-27: below, tanh x and sinh x round to x
TANH_ONE = 19.5  # tanh rounds to 1 from 19.06 on
SINH_MAX = 710.5  # sinh and cosh overflow from 710.48 on
EXP_OVERFLOW = 709.782712893384  # the largest x with a finite exp(x)
EXP_OVERFLOW_F32 = 88.72283172607422  # the same for float32
TANH_ONE_F32 = np.float32(9.1)  # float32 tanh rounds to 1 from 9.01 on
TWO_F32 = np.float32(2.0)
HALF_F32 = np.float32(0.5)
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
def tanh_f64(x):
    """``tanh(x)`` for float64, within 1 ulp; +-0, +-inf and NaN as NumPy.

    >>> tanh_f64(-30.0)  # doctest: +SKIP
    -1.0
    """
    a = fabs(x)
    e_hi, e_lo, n = expm1_parts(2.0 * (a if a < TANH_ONE else TANH_ONE))
    d_hi, d_lo = two_sum(e_hi, 2.0)
    y = div_dd(e_hi, e_lo, d_hi, d_lo + e_lo)
    y = copysign(y, x)
    y = x if a < TINY_F64 else y  # also -0.0; NaN fails both tests below
    return y if a == a else x


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


# --- float32: in float64, rounded once (tanh_f32: in float32) --------------------------


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
    zn, n, r = reduce_ln2_f32(TWO_F32 * (a if a < TANH_ONE_F32 else TANH_ONE_F32))
    h, t = exp_pair_f32(r)
    s = pow2_f32(zn)
    d, d_lo = fast_two_sum(h * s, ONE_F32)  # e >= 1
    d_lo = d_lo + t * s  # not below an ulp of d: t holds r^2 q(r)
    q = TWO_F32 / (d + d_lo)
    rem = fma(-q, d, TWO_F32) - q * d_lo  # 2 - q (d + d_lo), to ~2**-27 absolute
    q = fma(rem, HALF_F32 * q, q)  # q/2 ~ 1/(d + d_lo)
    y = small if a < TANH_SMALL_F32 else ONE_F32 - q
    y = copysign(y, x)
    return y if a == a else x


@vecfn
def _exp_both_f32(a, sign):
    """``exp(a)/2 + sign*exp(-a)/2`` in float64 to float32 accuracy, for 0 <= a <= 90.

    As `_exp_both`, with EXP_F32's q split into even and odd parts; float64 leaves
    room enough that no part needs carrying: ``2**(n-1) ((1 + sd) E + (1 - sd) O)``
    with ``exp(+-r) = E +- O``. For n = 0 and sign -1 it is exp's odd part O itself.
    """
    n, r = reduce_ln2(a)
    z = r * r
    e = fma(z, estrin(EXP_QE_F32, z), 1.0)  # 1 + z qe(z)
    o = fma(r * z, estrin(EXP_QO_F32, z), r)  # r + r z qo(z)
    sd = sign * pow2(-2.0 * n)
    return fma(e, sd, e) + fma(-o, sd, o), n - 1.0


@vecfn
def sinh_f32(x):
    """``sinh(x)`` for float32 (in float64, rounded once; no division)."""
    a = np.float64(fabs(x))
    y, m = _exp_both_f32(a if a < 90.0 else 90.0, -1.0)  # NaN: 90
    y = copysign(np.float32(y * pow2(m)), x)
    return y if a == a else x


@vecfn
def cosh_f32(x):
    """``cosh(x)`` for float32 (in float64, rounded once). One exp and a division:
    measured faster here than `_exp_both_f32`, which sinh_f32 needs for small x."""
    a = np.float64(fabs(x))
    e = _exp_f32_wide(a if a < 90.0 else 90.0)
    y = np.float32(0.5 * e + 0.5 / e)
    return y if a == a else x


@vecfn
def logistic_f32(x):
    """``1 / (1 + exp(-x))`` for float32."""
    xd = np.float64(x)
    e = _exp_f32_wide(_clamp(-xd, -110.0, 110.0))  # 1/e**110 rounds to 0
    y = np.float32(1.0 / (1.0 + e))
    y = np.float32(0.0) if xd < -EXP_OVERFLOW_F32 else y  # as SciPy (see logistic_f64)
    return y if xd == xd else x
