"""exp and expm1, float64 and float32.

Method (Cody and Waite, as in Cephes, fdlibm and Sleef): write
``x = n*ln2 + r`` with ``n = rint(x/ln2)`` and ``|r| <= ln2/2``; then
``exp(x) = 2**n * exp(r)`` with ``exp(r) = 1 + r + r*r*q(r)``, q a minimax
polynomial (coefficients from ``remez.py``, fits ``exp_f64``/``exp_f32``).
``x - n*ln2`` is exact in its first step: ``ln2`` is split into a 53-bit head and
a tail, and the FMA subtracts ``n*LN2_HI`` with a single rounding of an exactly
representable result. ``2**n`` is built from its exponent bits, in two factors so
that results near overflow and in the subnormal range are rounded once.

float32 functions compute in float64 with a shorter polynomial and round once at
the end: within 1 ulp of float32 by a wide margin, and overflow, underflow and
subnormal results come out of that single rounding as NumPy's do.

>>> exp_f64(1.0)  # doctest: +SKIP
2.718281828459045
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_sum
from tracegrad.codegen.vecmath.intrinsics import as_float64, estrin, fabs, fma, rint
from tracegrad.codegen.vecmath.jit import vecfn

LOG2E = 1.4426950408889634
LN2_HI = 0.6931471805599453  # ln 2 rounded to 53 bits
LN2_LO = 2.3190468138462996e-17  # ln 2 - LN2_HI

# exp(r) - 1 = r + r^2/2 + r^3 q(r) on |r| <= ln2/2 (fit "exp_f64"): the first
# terms are exact, so q's rounding hardly shows; error of the fit 2.7e-19 relative
EXP_F64 = (
    0.16666666666666677,
    0.04166666666666658,
    0.008333333333322167,
    0.0013888888888942625,
    0.00019841269884918715,
    2.480158719827915e-05,
    2.7557245321190778e-06,
    2.755738702074753e-07,
    2.510867608495676e-08,
    2.0878910643683082e-09,
)
# exp(r) = 1 + r + r^2 q(r) for float32 results (fit "exp_f32"): error 5.2e-11
# relative (float32 needs 6e-8)
EXP_F32 = (
    0.5000000067642721,
    0.1666666586941512,
    0.04166629509295622,
    0.00833349700874065,
    0.0013944648636471557,
    0.00019790352164353363,
)

# Beyond these, exp overflows to inf or underflows to 0 in float64; clamping the
# argument there keeps n within the range the scaling handles, and the scaling
# itself then produces inf or 0.
X_MAX = 710.0
X_MIN = -746.0


@vecfn
def pow2(n):
    """``2.0**n`` for an integral float ``-1022 <= n <= 1023``, from its exponent bits."""
    return as_float64((np.int64(n) + 1023) << 52)


@vecfn
def scale2(p, n):
    """``p * 2**n`` for ``0.5 <= |p| < 2`` and integral ``-1100 <= n <= 1024``.

    Two factors ``2**a * 2**b``: the first product is exact (stays normal), the
    second rounds once, also when the result is subnormal or overflows.
    """
    a = rint(n * 0.5)
    return p * pow2(a) * pow2(n - a)


@vecfn
def reduce_ln2(x):
    """``(n, r)`` with ``x = n*ln2 + r``, ``|r| <= ln2/2`` (r rounded once)."""
    n = rint(x * LOG2E)
    r = fma(-n, LN2_HI, x)  # exact
    return n, fma(-n, LN2_LO, r)


@vecfn
def _clamp(x, lo, hi):
    # NaN becomes 0 here; callers select their NaN result separately
    x = lo if x < lo else x
    x = hi if x > hi else x
    return x if x == x else 0.0


@vecfn
def exp_tail_f64(r):
    """``q(r)`` of ``exp(r) = 1 + r + r^2/2 + r^3 q(r)`` (Estrin's scheme: short chain)."""
    return estrin(EXP_F64, r)


@vecfn
def _expm1_of_reduced(r, r_lo):
    """``t`` with ``expm1(r + r_lo) = r + t``, for |r| <= ln2/2, |r_lo| <= ulp(r).

    t holds the terms of degree two and higher plus everything rounding lost (r_lo
    and the low part of r^2): summed last, it makes exp, expm1 and pow accurate to
    about half an ulp before their final roundings.
    """
    r2 = r * r
    r2_lo = fma(r, r, -r2)
    # r^2/2 + r^3 q + (r2_lo/2 + r_lo (1 + r)); 0.5*r2 is exact
    small = fma(r2_lo, 0.5, fma(r_lo, r, r_lo))
    return fma(r2 * r, exp_tail_f64(r), small) + 0.5 * r2


@vecfn
def expm1_reduced(x):
    """``(n, r, t)``: ``x = n*ln2 + r + (rest)`` and ``expm1(x - n*ln2) = r + t``."""
    n = rint(x * LOG2E)
    r_hi = fma(-n, LN2_HI, x)  # exact
    r = fma(-n, LN2_LO, r_hi)
    r_lo = fma(-n, LN2_LO, r_hi - r)  # what rounding r lost
    return n, r, _expm1_of_reduced(r, r_lo)


@vecfn
def expm1_reduced_dd(x, x_lo):
    """`expm1_reduced` of a double-double ``x + x_lo`` (x_lo up to an ulp of x).

    x_lo may exceed an ulp of r: it joins r with an exact sum, not the first-order
    correction.
    """
    n = rint(x * LOG2E)
    r_hi = fma(-n, LN2_HI, x)  # exact
    r1 = fma(-n, LN2_LO, r_hi)
    e1 = fma(-n, LN2_LO, r_hi - r1)
    r, e2 = two_sum(r1, x_lo)
    return n, r, _expm1_of_reduced(r, e1 + e2)


@vecfn
def exp_tail_f32(r):
    """``q(r)`` of ``exp(r) = 1 + r + r^2 q(r)`` to float32 accuracy (in float64)."""
    return estrin(EXP_F32, r)


@vecfn
def exp_parts(x):
    """``(n, h, t)`` with ``exp(x) = 2**n * (h + t)``, ``h = fl(1 + r)``, t the rest.

    For x in [X_MIN, X_MAX]; ``h + t`` is accurate to about 2**-60 relative, so
    callers that go on computing with exp(x) (sinh, logistic) keep that precision.
    t is not below an ulp of h (it holds r^2/2): normalise with `fast_two_sum`.
    """
    n, r, t = expm1_reduced(x)
    h = 1.0 + r
    return n, h, t + (r - (h - 1.0))  # what rounding 1 + r lost goes into t


@vecfn
def expm1_parts(x):
    """``(hi, lo, n)``: ``expm1(x) = hi + lo`` (double-double) for x in [X_MIN, 709.7].

    Summed as the exact ``2**n - 1``, plus ``2**n * r``, plus the small rest, with
    the rounding error of each sum kept; n is returned for callers near overflow.
    """
    n, r, t = expm1_reduced(x)
    m = 1023.0 if n > 1023.0 else n
    m = -60.0 if m < -60.0 else m  # below, 2^n no longer shows
    s = pow2(m)
    a_hi, a_lo = two_sum(-1.0, s)  # 2^m - 1, exactly
    b_hi, b_lo = two_sum(a_hi, s * r)
    hi, lo = fast_two_sum(b_hi, (b_lo + a_lo) + s * t)
    return hi, lo, n


@vecfn
def exp_f64(x):
    """``exp(x)`` for float64, within 1 ulp; inf, 0 and NaN as NumPy.

    >>> exp_f64(0.0)  # doctest: +SKIP
    1.0
    """
    n, h, t = exp_parts(_clamp(x, X_MIN, X_MAX))
    y = scale2(h + t, n)
    return x if x != x else y


@vecfn
def exp_f32(x):
    """``exp(x)`` for float32 (computed in float64, rounded once)."""
    xd = _clamp(np.float64(x), -104.0, 89.0)  # float32 underflows/overflows beyond
    n, r = reduce_ln2(xd)
    p = 1.0 + fma(r * r, exp_tail_f32(r), r)
    y = np.float32(p * pow2(n))
    return x if x != x else y


@vecfn
def expm1_f64(x):
    """``exp(x) - 1`` for float64, accurate also for tiny x; -0.0, inf, NaN as NumPy.

    See `expm1_parts`; n = 1024 (x near overflow) is done as 2 * (n = 1023), so
    that 2**n stays finite.

    >>> expm1_f64(1e-10)  # doctest: +SKIP
    1.00000000005e-10
    """
    hi, lo, n = expm1_parts(_clamp(x, X_MIN, X_MAX))
    y = hi + lo
    y = y + y if n > 1023.0 else y
    # 2^-54: expm1(x) rounds to x (also keeps -0.0); NaN fails the test too
    return y if fabs(x) >= 5.551115123125783e-17 else x


@vecfn
def expm1_f32(x):
    """``exp(x) - 1`` for float32 (computed in float64, rounded once)."""
    xd = _clamp(np.float64(x), -104.0, 89.0)
    n, r = reduce_ln2(xd)
    e = fma(r * r, exp_tail_f32(r), r)
    s = pow2(n)
    y = np.float32(fma(s, e, s - 1.0))  # s - 1 exact for |n| <= 52; else -1 or huge
    return x if not fabs(x) >= np.float32(2.9802322e-08) else y  # 2^-25: tiny, -0.0, NaN
