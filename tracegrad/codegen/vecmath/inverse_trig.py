"""atan, atan2, asin and acos, float64 and float32.

Methods (fdlibm's reductions, our own coefficients):

- atan: ``|x|`` is brought to ``|t| <= 7/16`` by ``atan(x) = atan(c) + atan(t)``,
  ``t = (x - c)/(1 + c x)``, with c = 0, 1/2, 1, 3/2 or infinity chosen by
  comparisons (selects, not a table), then ``atan(t) = t + t^3 q(t^2)`` (fit
  ``atan_f64``) is added to the double-double ``atan(c)``.
- atan2: the same kernel on ``min(|x|,|y|) / max(|x|,|y|)`` (never overflows), with
  the division's remainder carried in, then ``pi/2 - .`` and ``pi - .`` by octant in
  double-double; the signed zeros and infinities as C99 and NumPy.
- asin, acos: ``asin(t) = t + t^3 q(t^2)`` (fit ``asin_f64``) for |x| < 1/2, and
  ``asin(x) = pi/2 - 2 asin(sqrt((1-|x|)/2))`` above, the square root carried as a
  double-double: one polynomial serves all four cases.

>>> atan2_f64(1.0, -1.0)  # doctest: +SKIP
2.356194490192345
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_sum
from tracegrad.codegen.vecmath.intrinsics import as_int64, copysign, estrin, fabs, fma, sqrt
from tracegrad.codegen.vecmath.jit import vecfn

PIO2_HI = 1.5707963267948966
PIO2_LO = 6.123233995736766e-17
PI_HI = 3.141592653589793
PI_LO = 1.2246467991473532e-16
PIO4 = 0.7853981633974483
THREE_PIO4 = 2.356194490192345
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
# float32 results (float32 needs 6e-8): atan(t) = t + t^3 q(t^2) on |t| <= 1,
# relative error 4.0e-10; asin on |t| <= 1/2 as above, 2.8e-10
ATAN_F32 = (
    -0.3333332689956411,
    0.19999671123664536,
    -0.14279833063753733,
    0.11058223773943757,
    -0.0881109176097432,
    0.06741598099851787,
    -0.04468995616474875,
    0.022539879886357004,
    -0.007317962778821426,
    0.001113790037927907,
)
ASIN_F32 = (
    0.16666659991287142,
    0.07500504185823698,
    0.044516954753562626,
    0.031807722824612764,
    0.014438586279708345,
    0.03751647789370788,
)

TINY_F64 = 7.450580596923828e-09  # 2^-27


@vecfn
def atan_parts(a, a_lo):
    """``atan(a + a_lo)`` as ``(hi, lo)`` for ``a >= 0`` (a_lo a small correction).

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
    # atan(a + a_lo) = atan(a) + a_lo/(1 + a^2), to first order
    tail = fma(t * z, estrin(ATAN_F64, z), off_lo + a_lo / fma(a, a, 1.0))
    s, e = fast_two_sum(off_hi, t)  # |off_hi| > |t| unless off_hi == 0
    return s, e + tail


@vecfn
def atan_f64(x):
    """``atan(x)`` for float64, within 1 ulp; +-0, +-inf, NaN as NumPy.

    >>> atan_f64(np.inf)  # doctest: +SKIP
    1.5707963267948966
    """
    a = fabs(x)
    hi, lo = atan_parts(a, 0.0)
    y = copysign(hi + lo, x)
    return x if not a >= TINY_F64 else y  # tiny (and -0.0) and NaN: x


@vecfn
def atan2_f64(y, x):
    """``atan2(y, x)`` (NumPy's ``arctan2(y, x)``) for float64, within 1 ulp.

    ``t = min/max`` of |x| and |y|, with ``t_lo`` the rounding error of that
    division (from its exact remainder), then octant by octant in double-double:
    ``atan(t)``, ``pi/2 - atan(t)``, ``pi - ...``. Zeros and infinities follow
    C99 Annex F, which NumPy follows.
    """
    ax = fabs(x)
    ay = fabs(y)
    swap = ay > ax
    num = ax if swap else ay
    den = ay if swap else ax
    t = num / den
    t_lo = fma(-t, den, num) / den
    t = 0.0 if t != t else t  # 0/0 and inf/inf: cases decided below
    t_lo = 0.0 if t_lo != t_lo else t_lo
    hi, lo = atan_parts(t, t_lo)
    # |y| > |x|: pi/2 - atan(t)
    s, e = fast_two_sum(PIO2_HI, -hi)
    hi2, lo2 = (s, e + (PIO2_LO - lo)) if swap else (hi, lo)
    # x < 0 (sign bit, so -0.0 too): pi - that
    s, e = fast_two_sum(PI_HI, -hi2)
    neg_x = as_int64(x) < 0
    hi3, lo3 = (s, e + (PI_LO - lo2)) if neg_x else (hi2, lo2)
    r = hi3 + lo3
    # both infinite: pi/4 or 3pi/4; both zero: 0 or pi (t = 0 gives these already)
    both_inf = (ax == np.inf) & (ay == np.inf)
    r = (THREE_PIO4 if neg_x else PIO4) if both_inf else r
    r = copysign(r, y)
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


# --- float32: in float64, rounded once -----------------------------------------------


@vecfn
def _atan_unit_f32(t):
    """``atan(t)`` in float64 to float32 accuracy, for ``0 <= t <= 1`` (NaN: NaN).

    One polynomial on the whole of [0, 1] (fit ``atan_f32``) instead of
    float64's ranges: no chain of selects, which cost more than the five extra
    terms.
    """
    z = t * t
    return fma(t * z, estrin(ATAN_F32, z), t)


@vecfn
def atan_f32(x):
    """``atan(x)`` for float32: ``atan(1/|x|)`` from pi/2 beyond 1 (one division)."""
    a = fabs(np.float64(x))
    big = a > 1.0
    y = _atan_unit_f32((1.0 if big else a) / (a if big else 1.0))
    return np.float32(copysign(PIO2_HI - y if big else y, np.float64(x)))


@vecfn
def atan2_f32(y, x):
    """``atan2(y, x)`` for float32 (float64 inside, so no remainder term is needed)."""
    xd = np.float64(x)
    yd = np.float64(y)
    ax = fabs(xd)
    ay = fabs(yd)
    swap = ay > ax
    t = (ax if swap else ay) / (ay if swap else ax)
    t = 0.0 if t != t else t  # 0/0, inf/inf: the selects below
    r = _atan_unit_f32(t)
    r = (PIO2_HI - r) if swap else r
    neg_x = as_int64(xd) < 0
    r = (PI_HI - r) if neg_x else r
    both_inf = (ax == np.inf) & (ay == np.inf)
    r = (THREE_PIO4 if neg_x else PIO4) if both_inf else r
    r = np.float32(copysign(r, yd))
    return r if (x == x) & (y == y) else x + y


@vecfn
def _asin_f32_parts(xd):
    a = fabs(xd)
    big = a >= 0.5
    zb = (1.0 - a) * 0.5
    t = sqrt(zb) if big else a
    z = zb if big else a * a
    q = estrin(ASIN_F32, z)
    return big, fma(t * z, q, t)  # asin(t)


@vecfn
def asin_f32(x):
    """``asin(x)`` for float32."""
    xd = np.float64(x)
    big, s = _asin_f32_parts(xd)
    y = copysign(np.float32(PIO2_HI - 2.0 * s if big else s), x)
    return y if fabs(x) <= 1.0 else (x - x) / (x - x)


@vecfn
def acos_f32(x):
    """``acos(x)`` for float32."""
    xd = np.float64(x)
    big, s = _asin_f32_parts(xd)
    y = (PI_HI - 2.0 * s if xd < 0.0 else 2.0 * s) if big else PIO2_HI - copysign(s, xd)
    y = np.float32(y)
    return y if fabs(x) <= 1.0 else (x - x) / (x - x)
