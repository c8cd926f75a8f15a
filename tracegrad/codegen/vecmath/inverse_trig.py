"""atan, atan2, asin and acos, float64 and float32.

Methods (fdlibm's reductions, our own coefficients):

- atan: ``|x|`` is brought to ``|t| <= 7/16`` by ``atan(x) = atan(c) + atan(t)``,
  ``t = (x - c)/(1 + c x)``, with c = 0, 1/2, 1, 3/2 or infinity chosen by
  comparisons (selects, not a table), then ``atan(t) = t + t^3 q(t^2)`` (fit
  ``atan_f64``) is added to the double-double ``atan(c)``.
- atan2: with a <= b the smaller and larger of |x| and |y|, ``t = a/b`` up to
  tan(pi/8) and ``t = (a - b)/(a + b)`` (``atan(a/b) - pi/4``) beyond, from one
  division of double-doubles with its remainder carried in; ``|t| <= tan(pi/8)``
  takes the atan polynomial, and the octant adds ``m pi/4`` and a sign; the signed
  zeros and infinities as C99 and NumPy.
- asin, acos: ``asin(t) = t + t^3 q(t^2)`` (fit ``asin_f64``) for |x| < 1/2, and
  ``asin(x) = pi/2 - 2 asin(sqrt((1-|x|)/2))`` above, the square root carried as a
  double-double: one polynomial serves all four cases.

float32: atan, atan2, asin and acos compute in float32 arithmetic (16 lanes of a zmm
register, not 8), the same reductions with pairs of floats where float64 needs
double-doubles, and polynomials whose rounding errors are damped by the reduction
(``|t| <= 1/2``). Checked on every float32 argument: within 0.63 ulp (atan, asin,
acos); atan2 on millions of random and hard pairs, 0.62.

>>> atan2_f64(1.0, -1.0)  # doctest: +SKIP
2.356194490192345
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_sum
from tracegrad.codegen.vecmath.intrinsics import (
    as_float32,
    as_int32,
    as_int64,
    copysign,
    estrin,
    fabs,
    fma,
    horner,
    sqrt,
)
from tracegrad.codegen.vecmath.jit import vecfn

PIO2_HI = 1.5707963267948966
PIO2_LO = 6.123233995736766e-17
PI_HI = 3.141592653589793
PI_LO = 1.2246467991473532e-16
PIO4_HI = 0.7853981633974483  # pi/4 as a double-double
PIO4_LO = 3.061616997868383e-17
TAN_PIO8 = 0.41421356237309503  # tan(pi/8) = sqrt(2) - 1
# atan(1/2), atan(1), atan(3/2) as double-doubles
ATAN_HALF_HI = 0.4636476090008061
ATAN_HALF_LO = 2.2698777452961687e-17
ATAN_ONE_HI = 0.7853981633974483
ATAN_ONE_LO = 3.061616997868383e-17
ATAN_3HALF_HI = 0.982793723247329
ATAN_3HALF_LO = 1.3903311031230998e-17

# atan(t) = t + t^3 q(t^2) on |t| <= 7/16: relative error of the fit 4.3e-18
ATAN_F64 = (
    -0.3333333333333292,
    0.19999999999873674,
    -0.14285714272261774,
    0.11111110395076439,
    -0.09090886875919672,
    0.07691872246544462,
    -0.06661034184939241,
    0.058333244079659424,
    -0.049759167782367116,
    0.03651034482189241,
    -0.016265590070767222,
)
# asin(t) = t + t^3 q(t^2) on |t| <= 1/2: relative error 9.5e-19
ASIN_F64 = (
    0.1666666666666676,
    0.07499999999970798,
    0.04464285717461313,
    0.03038194270773775,
    0.022372214988609168,
    0.017351612001131535,
    0.013980820653507784,
    0.011398911603977586,
    0.010780255445877728,
    0.0037064003106164196,
    0.021707465819040126,
    -0.02099908825015961,
    0.03262864001648198,
)

TINY_F64 = 7.450580596923828e-09  # 2^-27

# --- float32 arithmetic: every constant a float32, or Numba widens to float64 ---------
F32 = np.float32
ZERO_F32, HALF_F32, ONE_F32, TWO_F32 = F32(0.0), F32(0.5), F32(1.0), F32(2.0)
HUGE_F32 = F32(2.0**100)
FOUR_F32 = F32(4.0)
# atan2_f32's scaling: by 2**60 below 2**-100, else by 1/4
SMALL_F32, UP_F32, QUARTER_F32 = F32(2.0**-100), F32(2.0**60), F32(0.25)
NAN_F32, INF_F32 = F32(np.nan), F32(np.inf)
SIGN_F32 = np.int32(-(2**31))  # the sign bit of a float32, as an int32
# pi/4, pi/2, pi as pairs of float32
PIO4_HI_F32, PIO4_LO_F32 = F32(0.7853982), F32(-2.1855694e-08)
PIO2_HI_F32, PIO2_LO_F32 = F32(1.5707964), F32(-4.371139e-08)
PI_HI_F32, PI_LO_F32 = F32(3.1415927), F32(-8.742278e-08)
# pi/4 to 22 bits, so that 3 pi/4 is exact too, and the rest
PIO4_22_F32, PIO4_22_LO_F32 = F32(0.78539824), F32(-8.146034e-08)
# atan(t) = t + t^3 q(t^2) on |t| <= 1/2 in float32 arithmetic: q(0) the float32 nearest
# -1/3, the rest fitted to what it leaves (fit "atan_f32") and rounded to float32, so
# that the rounding of q(0) costs nothing: relative error 6.3e-10 (float32 needs 6e-8)
ATAN_F32 = (
    F32(0.19999843835830688),
    F32(-0.14277897775173187),
    F32(0.10984127223491669),
    F32(-0.08132168650627136),
    F32(0.040639590471982956),
)
ATAN_Q_F32 = (F32(-1 / 3), *ATAN_F32)
# asin(t) = t + t^3 q(t^2) on |t| <= 1/2, the fit rounded to float32: 1.1e-9
ASIN_F32 = (
    F32(0.16666659712791443),
    F32(0.07500503957271576),
    F32(0.04451695457100868),
    F32(0.03180772438645363),
    F32(0.014438586309552193),
    F32(0.037516478449106216),
)


@vecfn
def atan_parts(a):
    """``atan(a)`` as ``(hi, lo)`` for ``a >= 0``.

    The five ranges of fdlibm, picked with comparisons: ``t = (a - c)/(1 + c a)``
    has an exact numerator in each, and ``atan(c)`` is a double-double constant.
    """
    r1 = a >= 0.4375
    r2 = a >= 0.6875
    r3 = a >= 1.1875
    r4 = a >= 2.4375
    num = -1.0 if r4 else (a - 1.5 if r3 else (a - 1.0 if r2 else (2.0 * a - 1.0 if r1 else a)))
    den = a if r4 else (fma(1.5, a, 1.0) if r3 else (a + 1.0 if r2 else (2.0 + a if r1 else 1.0)))
    off_hi = PIO2_HI if r4 else (ATAN_3HALF_HI if r3 else (
        ATAN_ONE_HI if r2 else (ATAN_HALF_HI if r1 else 0.0)))
    off_lo = PIO2_LO if r4 else (ATAN_3HALF_LO if r3 else (
        ATAN_ONE_LO if r2 else (ATAN_HALF_LO if r1 else 0.0)))
    t = num / den
    z = t * t
    tail = fma(t * z, estrin(ATAN_F64, z), off_lo)
    s, e = fast_two_sum(off_hi, t)  # |off_hi| > |t| unless off_hi == 0
    return s, e + tail


@vecfn
def atan_f64(x):
    """``atan(x)`` for float64, within 1 ulp; +-0, +-inf, NaN as NumPy.

    >>> atan_f64(np.inf)  # doctest: +SKIP
    1.5707963267948966
    """
    a = fabs(x)
    hi, lo = atan_parts(a)
    y = copysign(hi + lo, x)
    return x if not a >= TINY_F64 else y  # tiny (and -0.0) and NaN: x


@vecfn
def atan2_f64(y, x):
    """``atan2(y, x)`` (NumPy's ``arctan2(y, x)``) for float64, within 1 ulp.

    With ``a <= b`` the smaller and the larger of |x| and |y|, ``atan(a/b)`` is
    ``atan(t)`` for ``t = a/b`` up to tan(pi/8), and ``pi/4 + atan(t)`` for
    ``t = (a - b)/(a + b)`` beyond: ``|t| <= tan(pi/8)`` from one division of
    double-doubles, its rounding error carried in ``t_lo``. The octant then adds
    ``m pi/4`` (m in 0..4) and flips the sign of atan(t): every case is one
    double-double sum. Zeros and infinities follow C99 Annex F, as NumPy does.
    """
    ax = fabs(x)
    ay = fabs(y)
    swap = ay > ax
    a = ax if swap else ay
    b = ay if swap else ax
    # by powers of two: a + b must not overflow, 1/b nor the remainder underflow
    scale = 0.25 if b > 2.0**1020 else (2.0**600 if a < 2.0**-900 else 1.0)
    a = a * scale  # exact, or t below 2**-1300 (0) whatever a's rounding
    b = b * scale  # inf if a < 2**-900 and b > 2**424: t = 0 all the same
    big = (a >= TAN_PIO8 * b) & (b > 0.0)  # inf and inf too: pi/4 with t = 0
    # a - b and a + b exactly as double-doubles
    d, d_lo = fast_two_sum(-b, a)
    e, e_lo = fast_two_sum(b, a)
    num = d if big else a
    num_lo = d_lo if big else 0.0
    den = e if big else b
    den_lo = e_lo if big else 0.0
    inv = 1.0 / den
    t = num * inv
    t_lo = (fma(-t, den, num) + fma(-t, den_lo, num_lo)) * inv
    finite = (b > 0.0) & (b < np.inf)  # else 0/0, inf/inf, NaN remainders: t = 0
    t = t if finite else 0.0
    t_lo = t_lo if finite else 0.0
    z = t * t
    # atan(t + t_lo) = atan(t) + t_lo/(1 + t^2), to first order
    u_lo = fma(t * z, estrin(ATAN_F64, z), t_lo * (1.0 - z))
    neg_x = as_int64(x) < 0  # the sign bit, so -0.0 too
    m = 1.0 if big else (2.0 if swap else 0.0)  # atan(a/b) - atan(t), then pi/2 - that
    m = 4.0 - m if neg_x else m  # pi - that
    c = m * PIO4_HI
    c_lo = fma(m, PIO4_HI, -c) + m * PIO4_LO
    flip = swap ^ neg_x
    u = -t if flip else t
    u_lo = -u_lo if flip else u_lo
    s, s_lo = fast_two_sum(c, u)  # c = 0 or |c| >= pi/4 > |u|
    r = copysign(s + (s_lo + (c_lo + u_lo)), y)
    return r if (x == x) & (y == y) else x + y


@vecfn
def asin_parts(x):
    """``(big, t, w_lo, p)`` for the asin/acos family, ``a = |x| <= 1``.

    big: ``a >= 1/2``; then ``t = w = sqrt((1-a)/2)`` (w_lo its rounding error,
    from the exact remainder), else ``t = a``. ``p = t^3 q(t^2)``, so that
    ``asin(t) = t + p``.
    """
    a = fabs(x)
    big = a >= 0.5
    zb = (1.0 - a) * 0.5  # exact for a in [1/2, 1]
    w = sqrt(zb)
    w_lo = fma(-w, w, zb) / (w + w)
    w_lo = w_lo if w > 0.0 else 0.0  # a == 1: 0/0
    t = w if big else a
    z = zb if big else a * a
    q = estrin(ASIN_F64, z)
    return big, t, w_lo, t * z * q


@vecfn
def asin_f64(x):
    """``asin(x)`` for float64, within 1 ulp; NaN outside [-1, 1] as NumPy."""
    big, t, w_lo, p = asin_parts(x)
    # big: pi/2 - 2 (w + w_lo + p), summed in double-double
    s, e = two_sum(PIO2_HI, -2.0 * t)
    y_big = s + (e + (PIO2_LO - 2.0 * (w_lo + p)))
    y = y_big if big else t + p
    y = copysign(y, x)
    return y if fabs(x) <= 1.0 else (x - x) / (x - x)  # NaN, for NaN too


@vecfn
def acos_f64(x):
    """``acos(x)`` for float64, within 1 ulp; NaN outside [-1, 1] as NumPy."""
    big, t, w_lo, p = asin_parts(x)
    neg = x < 0.0
    # |x| < 1/2: pi/2 - asin(x) = pi/2 - (x + p), p with the sign of x
    ps = copysign(p, x)
    s, e = two_sum(PIO2_HI, -x)
    y_small = s + (e + (PIO2_LO - ps))
    # x >= 1/2: 2 asin(w); x <= -1/2: pi - 2 asin(w)
    y_pos = 2.0 * t + 2.0 * (w_lo + p)
    s, e = two_sum(PI_HI, -2.0 * t)
    y_neg = s + (e + (PI_LO - 2.0 * (w_lo + p)))
    y = (y_neg if neg else y_pos) if big else y_small
    return y if fabs(x) <= 1.0 else (x - x) / (x - x)


# --- float32, in float32 arithmetic --------------------------------------------------


@vecfn
def atan_f32(x):
    """``atan(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp.

    ``|x|`` is brought to ``|t| <= 1/2`` by ``t = (a - 1)/(a + 1)`` on [1/2, 2]
    (``pi/4 + atan(t)``; a - 1 exact there, a + 1 a pair of floats) and
    ``t = -1/a`` beyond (``pi/2 + atan(t)``): one division, corrected by its
    remainder, and a short polynomial whose rounding errors are damped by
    ``t^2/3 <= 1/12``; the constant and t are summed exactly.
    """
    a = fabs(x)
    a = HUGE_F32 if a > HUGE_F32 else a  # 1/a stays normal; atan rounds to pi/2 there
    mid = a >= HALF_F32
    far = a > TWO_F32
    h, h_lo = fast_two_sum(ONE_F32, a)  # exponent of a <= that of 1 on [1/2, 2)
    num = -ONE_F32 if far else (a - ONE_F32 if mid else a)
    den = a if far else (h if mid else ONE_F32)
    den_lo = h_lo if mid & ~far else ZERO_F32
    inv = ONE_F32 / den
    t = num * inv
    t_lo = (fma(-t, den, num) - t * den_lo) * inv
    z = t * t
    q = horner(ATAN_Q_F32, z)
    w = fma(z, q, fma(t, t, -z) * q)  # atan(t) = t + t w, with the rounding error of z
    c = PIO2_HI_F32 if far else PIO4_HI_F32
    c_lo = PIO2_LO_F32 if far else PIO4_LO_F32
    y, y_lo = fast_two_sum(c, t)  # c >= pi/4 > 2|t|
    # atan(t + t_lo) = atan(t) + t_lo/(1 + t^2), to first order
    y = y + (y_lo + (c_lo + fma(t, w, t_lo * (ONE_F32 - z))))
    return copysign(fma(t, w, t) if not mid else y, x)  # below 1/2: one rounding


@vecfn
def atan2_f32(y, x):
    """``atan2(y, x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp.

    `atan2_f64`'s method with `atan_f32`'s polynomial: ``t = a/b`` below 1/2,
    ``t = (a - b)/(a + b)`` (a - b exact, a + b a pair of floats) above, one
    division corrected by its remainder; then ``m pi/4 +- atan(t)``. a and b
    are scaled by a power of two so that the remainder cannot underflow nor
    a + b overflow.
    """
    ax = fabs(x)
    ay = fabs(y)
    swap = ay > ax
    a = ax if swap else ay
    b = ay if swap else ax
    # exact scalings: a quarter, so that a + b cannot overflow, or 2**60 up where the
    # remainder would underflow (b then inf beyond 2**68: t = 0, right within 2**-168)
    scale = UP_F32 if a < SMALL_F32 else QUARTER_F32
    a = a * scale
    b = b * scale
    mid = (a >= HALF_F32 * b) & (b > ZERO_F32)  # inf and inf too: pi/4 with t = 0
    h, h_lo = fast_two_sum(b, a)
    num = a - b if mid else a
    den = h if mid else b
    den_lo = h_lo if mid else ZERO_F32
    inv = ONE_F32 / den
    t = num * inv
    t_lo = (fma(-t, den, num) - t * den_lo) * inv
    finite = (b > ZERO_F32) & (b < INF_F32)  # else 0/0, inf/inf, inf - inf: t = 0
    t = t if finite else ZERO_F32
    t_lo = t_lo if finite else ZERO_F32
    z = t * t
    tail = fma(t * z, horner(ATAN_Q_F32, z), t_lo * (ONE_F32 - z))
    neg_x = as_int32(x) < 0  # the sign bit, so -0.0 too
    m = ONE_F32 if mid else (TWO_F32 if swap else ZERO_F32)  # as in atan2_f64
    m = FOUR_F32 - m if neg_x else m
    c = m * PIO4_22_F32  # exact
    c_lo = m * PIO4_22_LO_F32
    # atan(t) negated when one of swap and neg_x holds: a sign bit to xor
    flip = (as_int32(x) & SIGN_F32) ^ (SIGN_F32 if swap else 0)
    u = as_float32(as_int32(t) ^ flip)
    tail = as_float32(as_int32(tail) ^ flip)
    r, r_lo = fast_two_sum(c, u)  # c = 0 or c >= pi/4 > |u|
    r = copysign(r + (r_lo + (c_lo + tail)), y)
    return r if (x == x) & (y == y) else x + y


@vecfn
def _asin_parts_f32(x):
    """`asin_parts` in float32 arithmetic: ``(big, t, t_lo, p)`` with
    ``asin(t + t_lo) = t + (t_lo + p)`` to float32 accuracy, for ``a = |x| <= 1``.

    big: ``a >= 1/2``, ``t + t_lo = sqrt((1 - a)/2)`` (t_lo from the exact
    remainder; asin's slope there, 1 to 1.15, taken as 1), else ``t = a``.
    """
    a = fabs(x)
    big = a >= HALF_F32
    zb = (ONE_F32 - a) * HALF_F32  # exact for a in [1/2, 1]
    w = sqrt(zb)
    w_lo = fma(-w, w, zb) / (w + w)
    t = w if big else a
    t_lo = (w_lo if w > ZERO_F32 else ZERO_F32) if big else ZERO_F32  # a == 1: 0/0
    z = zb if big else a * a
    return big, t, t_lo, t * z * horner(ASIN_F32, z)


@vecfn
def asin_f32(x):
    """``asin(x)`` for float32, in float32 arithmetic (16 lanes); NaN outside [-1, 1].

    ``asin(t) = t + p`` below 1/2, ``pi/2 - 2 asin(w)`` above: ``c + k t`` summed
    exactly, the small parts after it.
    """
    big, t, t_lo, p = _asin_parts_f32(x)
    c = PIO2_HI_F32 if big else ZERO_F32
    c_lo = PIO2_LO_F32 if big else ZERO_F32
    k = -TWO_F32 if big else ONE_F32
    y, y_lo = fast_two_sum(c, k * t)  # c = 0 or |k t| <= 1 < c
    y = copysign(y + (y_lo + (c_lo + k * (t_lo + p))), x)
    return y if fabs(x) <= ONE_F32 else NAN_F32  # NaN for NaN too


@vecfn
def acos_f32(x):
    """``acos(x)`` for float32, in float32 arithmetic; NaN outside [-1, 1].

    ``pi/2 - asin(x)`` below 1/2; ``2 asin(w)`` above, ``pi - 2 asin(w)`` below
    -1/2: each ``c + k t`` with t from `_asin_parts_f32`, as in `asin_f32`.
    """
    big, t, t_lo, p = _asin_parts_f32(x)
    neg = x < ZERO_F32
    c = (PI_HI_F32 if neg else ZERO_F32) if big else PIO2_HI_F32
    c_lo = (PI_LO_F32 if neg else ZERO_F32) if big else PIO2_LO_F32
    k = (-TWO_F32 if neg else TWO_F32) if big else (ONE_F32 if neg else -ONE_F32)
    y, y_lo = fast_two_sum(c, k * t)  # c = 0 or |k t| <= 1 < c
    y = y + (y_lo + (c_lo + k * (t_lo + p)))
    return y if fabs(x) <= ONE_F32 else NAN_F32
