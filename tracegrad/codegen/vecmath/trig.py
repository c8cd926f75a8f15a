"""sin, cos, sincos and tan, float64 and float32.

Method: reduce ``|x| = k*pi/2 + r`` (`reduce_pi.py`: exact enough for every finite
x), evaluate ``sin(r) = r + r^3 p(r^2)`` and ``cos(r) = 1 - r^2/2 + r^4 q(r^2)`` on
``|r| <= pi/4`` (minimax fits ``sin_f64``/``cos_f64``), each as a pair
``hi + lo`` whose small part gathers the low part of r and the rounding error of
``1 - r^2/2``, then pick by quadrant: ``sin(x)`` is ``sin r, cos r, -sin r,
-cos r`` for k = 0..3, and so on. Quadrants and signs are selects, not branches.
sincos shares the reduction (so does LLVM when sin and cos of the same x are
both inlined in one loop body). tan is one rational, ``tan(r) = r + r^3 p/q``
(fit ``tan_f64``), written ``n/q`` with ``n = r q + r^3 p``: ``-cot(r)`` is then
``-q/n``, so the quadrant swaps numerator and denominator and one corrected
division serves both (1.31 ulp at most, measured; the issue's bound is 2).

float32 functions compute in float64 and round once: sin and cos reduce by half
turns (one polynomial each), tan by quarter turns (a shorter rational, ``tan_f32``);
the reduction is Cody-Waite up to 2**30 and an integer Payne-Hanek with no table
loads beyond (`reduce_pi.py`). Checked exhaustively: within 0.502 ulp for all
2**32 float32 arguments (tan: 0.5005).

>>> sin_f64(1e22)  # doctest: +SKIP
-0.8522008497671888
"""

from __future__ import annotations

import numpy as np

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
from tracegrad.codegen.vecmath.reduce_pi import (
    FAST_LIMIT,
    MAGIC,
    TWO_OVER_PI,
    half_turns_f32,
    half_turns_fast_f32,
    quadrants_f32,
    quadrants_fast_f32,
    reduce_pio2,
    reduce_pio2_fast,
)

# sin(r) = r + r^3 p(r^2) on |r| <= pi/4: relative error of the fit 3.6e-18
SIN_F64 = (
    -0.1666666666666663,
    0.008333333333322118,
    -0.00019841269829589542,
    2.7557313621386337e-06,
    -2.505074776291434e-08,
    1.589623015937525e-10,
)
# cos(r) = 1 - r^2/2 + r^4 q(r^2): relative error 5.6e-20
COS_F64 = (
    0.041666666666666595,
    -0.0013888888888873056,
    2.4801587288851704e-05,
    -2.7557314179296475e-07,
    2.087570084193734e-09,
    -1.1358536519408496e-11,
)
# sin(r) = r + r^3 p(r^2) on |r| <= pi/2, for float32 sin and cos: relative error 2.4e-11
SIN_WIDE_F32 = (
    -0.16666666626149498,
    0.00833333110859684,
    -0.00019840868209068427,
    2.7525384381873215e-06,
    -2.388890852508412e-08,
)

# tan(r) = r + r^3 p(r^2)/q(r^2) on |r| <= pi/4, q(0) = 1: the five coefficients of p,
# then q's two beyond its 1; relative error of tan 5.6e-18
TAN_F64 = (
    0.33333333333333337,
    -0.016706365335947406,
    9.268603456655578e-06,
    1.0448790037772923e-07,
    1.1178061372249965e-09,
    -0.45011909600783867,
    0.018170682308695278,
)
TAN_P_F64 = TAN_F64[:5]
TAN_Q_F64 = (1.0, *TAN_F64[5:])

# the same for float32 results, computed in float64: p of degree 1, q of degree 2,
# relative error 2.9e-11
TAN_F32 = (
    0.33333333224972533,
    -0.014894985986728584,
    -0.44468500716643017,
    0.015969464693933965,
)
TAN_P_F32 = TAN_F32[:2]
TAN_Q_F32 = (1.0, *TAN_F32[2:])

TINY_F64 = 7.450580596923828e-09  # 2^-27: below, sin x and tan x round to x
SIGN_BIT = -(2**63)  # the sign bit of a float64, as an int64


@vecfn
def sin_pair(r, r_lo):
    """``sin(r + r_lo)`` as ``(hi, lo)``, for ``|r| <= pi/4``, ``|r_lo| <= ulp(r)``."""
    z = r * r
    p = horner(SIN_F64, z)
    # r + r^3 p + r_lo cos(r), the last to first order in z
    return r, fma(r * z, p, fma(-0.5 * z, r_lo, r_lo))


@vecfn
def cos_pair(r, r_lo):
    """``cos(r + r_lo)`` as ``(hi, lo)``, for ``|r| <= pi/4``, ``|r_lo| <= ulp(r)``."""
    z = r * r
    z_lo = fma(r, r, -z)
    q = horner(COS_F64, z)
    hz = 0.5 * z
    w = 1.0 - hz
    # what rounding 1 - z/2 lost (exact), the z^2 tail, and -(z_lo/2 + r r_lo)
    return w, ((1.0 - w) - hz) + fma(z * z, q, -fma(0.5, z_lo, r * r_lo))


@vecfn
def _quadrant_bits(k):
    """``(odd, upper)`` for a quadrant k in {0, 1, 2, 3}: k is 1 or 3; k is 2 or 3."""
    return (k == 1.0) | (k == 3.0), k >= 2.0


@vecfn
def _finite_or_zero(x):
    return x if fabs(x) < np.inf else 0.0


# --- float64: the results from a reduction (k, r, r_lo) -------------------------------


@vecfn
def _sin_from(x, k, r, r_lo):
    s_hi, s_lo = sin_pair(r, r_lo)
    c_hi, c_lo = cos_pair(r, r_lo)
    odd, upper = _quadrant_bits(k)
    y = (c_hi + c_lo) if odd else (s_hi + s_lo)
    y = (-y if upper else y) * copysign(1.0, x)  # sin(-x) = -sin(x), also at -0.0
    y = x if fabs(x) < TINY_F64 else y
    return y if fabs(x) < np.inf else x - x  # inf - inf and NaN - NaN: NaN


@vecfn
def _cos_from(x, k, r, r_lo):
    s_hi, s_lo = sin_pair(r, r_lo)
    c_hi, c_lo = cos_pair(r, r_lo)
    odd, upper = _quadrant_bits(k)
    y = (s_hi + s_lo) if odd else (c_hi + c_lo)
    y = -y if odd ^ upper else y  # k = 1 or 2
    y = 1.0 if fabs(x) < TINY_F64 else y
    return y if fabs(x) < np.inf else x - x


@vecfn
def _sincos_from(x, k, r, r_lo):
    s_hi, s_lo = sin_pair(r, r_lo)
    c_hi, c_lo = cos_pair(r, r_lo)
    s = s_hi + s_lo
    c = c_hi + c_lo
    odd, upper = _quadrant_bits(k)
    ys = c if odd else s
    yc = s if odd else c
    ys = (-ys if upper else ys) * copysign(1.0, x)
    yc = -yc if odd ^ upper else yc
    tiny = fabs(x) < TINY_F64
    ys = x if tiny else ys
    yc = 1.0 if tiny else yc
    finite = fabs(x) < np.inf
    return (ys if finite else x - x), (yc if finite else x - x)


@vecfn
def _tan_from(x, odd, r, r_lo):
    """``tan(x)`` from ``|x| = k pi/2 + r + r_lo``, `odd` whether k is odd, x finite.

    One rational for both parities: with ``n = r q + t``, ``t = r^3 p``, ``tan(r) =
    n/q`` and ``-cot(r) = -q/n``, so the quadrant only swaps numerator and
    denominator: one division ``y = num/den``, then one correction
    ``y + rem/den``. The remainder ``num - y den`` is formed from r, q and t, not
    from the rounded n: ``q (r - y) + t`` (r - y is exact, y being within
    ``[r, 1.3 r]``) or ``-(q (1 + y r) + y t)``, so n's rounding does not reach
    the result, and q's errors cancel in both. r_lo enters through the derivative
    ``1 + y^2``, times den: ``den + y num``. What is left is the rounding of
    ``t = r^3 p``, damped by ``t / n <= 0.22``, and the final rounding: 1.31 ulp at
    most, measured (the issue allows 2; the exact double-double form costs a fifth
    more time).
    """
    z = r * r
    p = horner(TAN_P_F64, z)
    q = horner(TAN_Q_F64, z)
    t = r * z * p
    n = fma(r, q, t)
    num = -q if odd else n
    den = n if odd else q
    inv = 1.0 / den
    y = num * inv
    rem = fma(-y, t, -(q * fma(y, r, 1.0))) if odd else fma(q, r - y, t)
    rem = fma(r_lo, fma(y, num, den), rem)
    y = fma(rem, inv, y)
    return as_float64(as_int64(y) ^ (as_int64(x) & SIGN_BIT))  # tan(-x) = -tan(x)


@vecfn
def sin_f64(x):
    """``sin(x)`` for float64, within 1 ulp for every finite x; NaN for inf and NaN.

    >>> sin_f64(-0.0)  # doctest: +SKIP
    -0.0
    """
    k, r, r_lo = reduce_pio2(_finite_or_zero(x))
    return _sin_from(x, k, r, r_lo)


@vecfn
def cos_f64(x):
    """``cos(x)`` for float64, within 1 ulp for every finite x; NaN for inf and NaN."""
    k, r, r_lo = reduce_pio2(_finite_or_zero(x))
    return _cos_from(x, k, r, r_lo)


@vecfn
def sincos_f64(x):
    """``(sin(x), cos(x))`` for float64 with one reduction; as `sin_f64`, `cos_f64`."""
    k, r, r_lo = reduce_pio2(_finite_or_zero(x))
    return _sincos_from(x, k, r, r_lo)


@vecfn
def tan_f64(x):
    """``tan(x)`` for float64, within 1.5 ulp for every finite x; NaN for inf and NaN."""
    k, r, r_lo = reduce_pio2(_finite_or_zero(x))
    y = _tan_from(x, (k == 1.0) | (k == 3.0), r, r_lo)
    y = x if fabs(x) < TINY_F64 else y  # the table reduction's r_lo underflows there
    return y if fabs(x) < np.inf else x - x


# --- the fast variants: exact for |x| <= FAST_LIMIT, NaN beyond ------------------------
#
# Every lane of a vector loop pays for the table-driven reduction, though it only
# matters for |x| > 2**30. Code generation can run a kernel with these first, keep
# `trig_fast_ok` of every argument in one flag (an AND-reduction, which vectorises),
# and run the kernel again with the exact functions in the rare case the flag is
# false. Beyond the limit the fast functions return NaN, so that a missing check
# shows instead of giving wrong numbers.


@vecfn
def trig_fast_ok_f64(x):
    """Whether the fast trig functions are exact for x: ``|x| <= 2**30``, inf or NaN."""
    return not ((fabs(x) > FAST_LIMIT) & (fabs(x) < np.inf))


@vecfn
def _fast_arg(x):
    # beyond the limit (and for inf, NaN) the reduction sees 0: results are selected
    return x if fabs(x) <= FAST_LIMIT else 0.0


@vecfn
def _nan_beyond(x, y):
    # a constant NaN: (x - x) / (x - x) would cost a division in every iteration
    return y if not fabs(x) > FAST_LIMIT else np.nan


@vecfn
def sin_fast_f64(x):
    """``sin(x)`` as `sin_f64` for ``|x| <= 2**30`` (and inf, NaN); NaN beyond."""
    k, r, r_lo = reduce_pio2_fast(_fast_arg(x))
    return _nan_beyond(x, _sin_from(x, k, r, r_lo))


@vecfn
def cos_fast_f64(x):
    """``cos(x)`` as `cos_f64` for ``|x| <= 2**30`` (and inf, NaN); NaN beyond."""
    k, r, r_lo = reduce_pio2_fast(_fast_arg(x))
    return _nan_beyond(x, _cos_from(x, k, r, r_lo))


@vecfn
def sincos_fast_f64(x):
    """``(sin(x), cos(x))`` as `sincos_f64` for ``|x| <= 2**30``; NaN beyond."""
    k, r, r_lo = reduce_pio2_fast(_fast_arg(x))
    s, c = _sincos_from(x, k, r, r_lo)
    return _nan_beyond(x, s), _nan_beyond(x, c)


@vecfn
def tan_fast_f64(x):
    """``tan(x)`` as `tan_f64` for ``|x| <= 2**30`` (and inf, NaN); NaN beyond."""
    # beyond the limit and for inf the reduction gets NaN, which goes through to
    # the result as NaN itself does: no select on the result
    xa = x if not fabs(x) > FAST_LIMIT else np.nan
    k, r, r_lo = reduce_pio2_fast(xa)
    # k's parity from the quadrant count n, which LLVM shares with the reduction
    n = rint(fabs(xa) * TWO_OVER_PI)
    return _tan_from(x, (as_int64(n + MAGIC) & 1) != 0, r, r_lo)


# --- float32: in float64, rounded once -----------------------------------------------
#
# sin and cos reduce by half turns, ``|x| = m*pi + r`` with |r| <= pi/2 (cos(x) as
# sin(x + pi/2)), so that each needs one odd polynomial and a sign, no select
# between two; tan reduces by quarter turns and divides as float64 tan. The reduction
# is exact for every float32 (`reduce_pi.py`), and the fast functions use its
# Cody-Waite half, which the exact ones select for |x| <= 2**30: same bits there.


@vecfn
def _signed_sin(r, flip):
    """``sin(r)`` in float64 for ``|r| <= pi/2``, its sign bit flipped by `flip`."""
    z = r * r
    # copysign: sin(r) has the sign of r, and r + r^3 p(r^2) would lose that of -0.0
    y = copysign(fma(r * z, estrin(SIN_WIDE_F32, z), r), r)
    return np.float32(as_float64(as_int64(y) ^ flip))


@vecfn
def _tan_quadrant(r, flip):
    """``tan(r)`` (flip = 0) or ``-1/tan(r)`` (flip = the sign bit), ``|r| <= pi/4``.

    ``n/q`` or ``-q/n`` with ``n = r q + r^3 p``, one rational for both (see
    `_tan_from`); both have the sign they should, that of r (-0.0 included) or
    the other one. In float64, rounded once.
    """
    z = r * r
    q = horner(TAN_Q_F32, z)
    n = fma(r * z, horner(TAN_P_F32, z), r * q)
    odd = flip != 0
    return np.float32((-q if odd else n) / (n if odd else q))


@vecfn
def sin_f32(x):
    """``sin(x)`` for float32, within 1 ulp for every finite x; NaN for inf and NaN."""
    r, flip = half_turns_f32(x, 0)
    return _signed_sin(r, flip)


@vecfn
def cos_f32(x):
    """``cos(x)`` for float32, within 1 ulp for every finite x; NaN for inf and NaN."""
    r, flip = half_turns_f32(x, 1)
    return _signed_sin(r, flip)


@vecfn
def sincos_f32(x):
    """``(sin(x), cos(x))`` for float32: the same bits as `sin_f32` and `cos_f32`
    (LLVM shares what the two reductions have in common: the Payne-Hanek part)."""
    return sin_f32(x), cos_f32(x)


@vecfn
def tan_f32(x):
    """``tan(x)`` for float32 (one float64 division, rounded once)."""
    r, flip = quadrants_f32(x)
    return _tan_quadrant(r, flip)


@vecfn
def trig_fast_ok_f32(x):
    """Whether the fast float32 trig functions are exact for x: ``|x| <= 2**30``, inf, NaN."""
    return not ((np.float64(fabs(x)) > FAST_LIMIT) & (fabs(x) < np.inf))


@vecfn
def _nan_beyond_f32(x, y):
    return y if not np.float64(fabs(x)) > FAST_LIMIT else np.float32(np.nan)


@vecfn
def sin_fast_f32(x):
    """``sin(x)`` as `sin_f32` for ``|x| <= 2**30``; NaN beyond."""
    r, flip = half_turns_fast_f32(x, 0)
    return _nan_beyond_f32(x, _signed_sin(r, flip))


@vecfn
def cos_fast_f32(x):
    """``cos(x)`` as `cos_f32` for ``|x| <= 2**30``; NaN beyond."""
    r, flip = half_turns_fast_f32(x, 1)
    return _nan_beyond_f32(x, _signed_sin(r, flip))


@vecfn
def sincos_fast_f32(x):
    """``(sin(x), cos(x))`` as `sincos_f32` for ``|x| <= 2**30``; NaN beyond."""
    return sin_fast_f32(x), cos_fast_f32(x)


@vecfn
def tan_fast_f32(x):
    """``tan(x)`` as `tan_f32` for ``|x| <= 2**30``; NaN beyond."""
    r, flip = quadrants_fast_f32(x)
    return _nan_beyond_f32(x, _tan_quadrant(r, flip))
