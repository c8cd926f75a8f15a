"""log, log1p, log2, log10, float64 and float32.

Method (fdlibm's, with our own coefficients): split ``x = 2**k * m`` with
``sqrt(1/2) <= m < sqrt(2)`` by integer arithmetic on the bits, so ``f = m - 1``
is exact; then ``log(1+f) = 2s + s*R(s*s)`` with ``s = f/(2+f)``, R a minimax
polynomial (fit ``log_f64``), rearranged as ``f - f*f/2 + s*(f*f/2 + R)`` so
that the large part ``f - f*f/2`` is carried exactly as a double-double and only
the small tail is rounded. ``log(x) = k*ln2 + log(m)`` sums the parts in
double-double too, so every function here is within about 0.6 ulp; log2 and log10
multiply the double-double by 1/ln2 or 1/ln10 before the one final rounding.

log_f32 is the same method in float32 arithmetic (fdlibm's float variant, 16 lanes;
0.84 ulp measured over every float32), and so are log10_f32 (0.76 ulp) and
log2_f32 (0.82 ulp), with the leading products by 1/ln10, log10(2) and 1/ln2 exact.
log1p for float32 computes in float64 (where no float32 input is subnormal) with a
shorter polynomial and rounds once.

>>> log_f64(2.718281828459045)  # doctest: +SKIP
1.0
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_prod, two_sum
from tracegrad.codegen.vecmath.exp import LN2_HI_F32, LN2_LO_F32, SHIFT_BITS_F32, SHIFT_F32
from tracegrad.codegen.vecmath.intrinsics import (
    as_float32,
    as_float64,
    as_int32,
    as_int64,
    estrin,
    fabs,
    fma,
    horner,
)
from tracegrad.codegen.vecmath.jit import vecfn

# ln 2 with 11 trailing zero bits, so k*LN2_HI is exact for every exponent k
LN2_HI = 0.6931471805598903
LN2_LO = 5.497923018708371e-14
INV_LN2_HI = 1.4426950408889634  # 1/ln2 as a double-double
INV_LN2_LO = 2.0355273740931033e-17
INV_LN10_HI = 0.4342944819032518  # 1/ln10
INV_LN10_LO = 1.098319650216765e-17
LOG10_2_HI = 0.30102999566395283  # log10(2) with 11 trailing zero bits
LOG10_2_LO = 2.8363394551044964e-14

SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # the bits of sqrt(1/2)
TWO54 = 18014398509481984.0
TINY = 2.2250738585072014e-308  # smallest normal float64

# R(z) with log(1+f) = 2s + s R(s^2): weighted error of the fit 1.2e-18
LOG_F64 = (
    0.6666666666666734,
    0.39999999999416375,
    0.285714287420149,
    0.22222198610845367,
    0.18183562401999762,
    0.1531409891348923,
    0.14795474400769051,
)
# the same for float32 results: error 8.0e-10 (float32 needs 6e-8)
LOG_F32 = (
    0.6666677608549456,
    0.39977574015434064,
    0.2987093725179308,
)


@vecfn
def split_exponent(x):
    """``(k, f)`` with ``x = 2**k * (1 + f)``, ``sqrt(1/2) <= 1 + f < sqrt(2)``.

    For positive finite x; subnormal x are scaled up by 2**54 first. f is exact.
    """
    small = x < TINY
    xs = x * TWO54 if small else x
    # subtracting the bits of sqrt(1/2) makes the exponent field count from there
    ix = as_int64(xs) - SQRT_HALF_BITS
    k = ix >> 52
    m = as_float64(as_int64(xs) - (k << 52))
    kf = np.float64(k) - (54.0 if small else 0.0)
    return kf, m - 1.0


@vecfn
def log1p_reduced(f):
    """``log(1+f)`` as a double-double ``(hi, lo)`` for ``sqrt(1/2) <= 1+f <= sqrt(2)``."""
    s = f / (2.0 + f)
    z = s * s
    r = estrin(LOG_F64, z) * z
    ff, ff_lo = two_prod(f, f)
    hfsq = 0.5 * ff  # exact, as is 0.5 * ff_lo
    hi, lo = fast_two_sum(f, -hfsq)  # |f| >= f*f/2 here
    return hi, (lo - 0.5 * ff_lo) + s * (hfsq + r)


@vecfn
def _log_special(x, y):
    # NumPy's results outside (0, inf): -inf at +-0, nan below 0, x for inf and nan
    y = -np.inf if x == 0.0 else y
    y = np.nan if x < 0.0 else y
    return y if x < np.inf else x + x  # +inf -> inf; nan -> nan


@vecfn
def log_f64(x):
    """``log(x)`` for float64, within 1 ulp; 0, negatives, inf, NaN as NumPy.

    >>> log_f64(1.0)  # doctest: +SKIP
    0.0
    """
    k, f = split_exponent(x)
    hi, lo = log1p_reduced(f)
    s, e = fast_two_sum(k * LN2_HI, hi)  # |k ln2| > |hi| unless k = 0
    y = s + (e + fma(k, LN2_LO, lo))
    return _log_special(x, y)


@vecfn
def log2_f64(x):
    """``log2(x)`` for float64: ``k + log(m)/ln2`` in double-double, one rounding."""
    k, f = split_exponent(x)
    hi, lo = log1p_reduced(f)
    p, p_lo = two_prod(hi, INV_LN2_HI)
    p_lo = fma(hi, INV_LN2_LO, fma(lo, INV_LN2_HI, p_lo))
    s, e = fast_two_sum(k, p)  # |k| >= 1 > |p| unless k = 0
    y = s + (e + p_lo)
    return _log_special(x, y)


@vecfn
def log10_f64(x):
    """``log10(x)`` for float64: ``k log10(2) + log(m)/ln10`` in double-double."""
    k, f = split_exponent(x)
    hi, lo = log1p_reduced(f)
    p, p_lo = two_prod(hi, INV_LN10_HI)
    p_lo = fma(hi, INV_LN10_LO, fma(lo, INV_LN10_HI, p_lo))
    s, e = fast_two_sum(k * LOG10_2_HI, p)  # |k log10(2)| > |p| unless k = 0
    y = s + (e + fma(k, LOG10_2_LO, p_lo))
    return _log_special(x, y)


@vecfn
def _inv_one_plus_m1(f):
    """``1/(1 + f) - 1 = -f/(1 + f)`` to about 2**-10 relative for ``|f| <= 0.415``,
    with no division: ``(1 - f)(1 + f^2)(1 + f^4) = (1 - f^8)/(1 + f)``, f^8 <= 2**-10.

    Enough for log1p's correction ``c/u = c 2**-k (1 + h)``: c is below an ulp of u,
    so a relative error e of h moves the result by at most e*f^8 of its own ulp
    where k = 0, and e/64 elsewhere. Returned as h, not 1 + h, so that for tiny f
    (where c may be as large as the result) nothing is lost to rounding 1 + h.
    """
    f2 = f * f
    g = 1.0 - f
    return -f * fma(g, fma(f2, f2, f2), g)


@vecfn
def log1p_f64(x):
    """``log(1 + x)`` for float64, accurate for tiny x; -1, below -1, inf, NaN as NumPy.

    ``u = 1 + x`` is rounded, but its rounding error c is known exactly
    (`two_sum`), and ``log(1+x) = log(u) + log(1 + c/u) ~ log(u) + c/u``, with
    ``c/u = c 2**-k / (1 + f)`` from `_inv_one_plus_m1` (one division fewer).
    u is at least 2**-53 (x > -1): a normal number, so no subnormal scaling.

    >>> log1p_f64(1e-20)  # doctest: +SKIP
    1e-20
    """
    u, c = two_sum(1.0, x)
    # x <= -1 or NaN: the bit arithmetic below stays finite (1 + f is within
    # [sqrt(1/2), sqrt(2)) for any bits) and the result is selected away
    ix = as_int64(u) - SQRT_HALF_BITS
    k = ix >> 52
    f = as_float64(as_int64(u) - (k << 52)) - 1.0
    kf = np.float64(k)
    hi, lo = log1p_reduced(f)
    s, e = fast_two_sum(kf * LN2_HI, hi)
    # log(1 + c/u), to second order: matters where u rounded to 1 (c = x there)
    # 2**-k; 0 from k = 53 on, where c/u no longer shows (and 2**-1024 is no double)
    scale = as_float64(((1023 - k) if k < 53 else 0) << 52)
    cs = c * scale
    cu = fma(cs, _inv_one_plus_m1(f), cs)
    y = s + (e + fma(kf, LN2_LO, lo + fma(-0.5 * cu, cu, cu)))
    y = -np.inf if x == -1.0 else y
    y = np.nan if x < -1.0 else y
    y = y if x < np.inf else x + x
    # 2^-54: log1p(x) rounds to x (also -0.0); NaN fails the test and stays NaN
    return y if not fabs(x) < 5.551115123125783e-17 else x


# --- float32 ------------------------------------------------------------------------

F32 = np.float32
ZERO_F32, HALF_F32, ONE_F32, TWO_F32 = F32(0.0), F32(0.5), F32(1.0), F32(2.0)
TINY_F32 = F32(1.1754944e-38)  # smallest normal float32
TWO23_F32 = F32(8388608.0)
K_SUBNORMAL_F32 = F32(23.0)
SQRT2_F32 = F32(1.4142135)
# R(z) = z P(z) of LOG_F32, rounded to float32 (in float32 arithmetic, still 1e-9)
LOG_F32_SINGLE = tuple(F32(c) for c in LOG_F32)


@vecfn
def log_reduced_f32(x):
    """``log(x)`` in float64 to float32 accuracy, for a positive finite float32 x."""
    ix = as_int64(x) - SQRT_HALF_BITS  # float32 x are normal float64: no scaling
    k = ix >> 52
    f = as_float64(as_int64(x) - (k << 52)) - 1.0
    s = f / (2.0 + f)
    z = s * s
    r = estrin(LOG_F32, z) * z
    return fma(np.float64(k), LN2_HI + LN2_LO, fma(s, r, s + s))


@vecfn
def _log_special_f32(x, y):
    # as _log_special; y may be a float64 result, rounded here
    y = -np.inf if x == 0.0 else y
    y = np.nan if x < 0.0 else y
    return np.float32(y) if x < np.inf else x + x


@vecfn
def log_f32(x):
    """``log(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp.

    fdlibm's float method: ``x = 2**k (1 + f)`` and ``log(1+f) = f - hfsq +
    s (hfsq + R(s^2))`` with ``hfsq = f^2/2``, s = f/(2+f), so that the large part f
    is exact and only the small terms carry rounding; ``k*LN2_HI_F32`` is exact and
    added last. Subnormal x are scaled by 2**23 first.
    """
    small = x < TINY_F32
    xs = x * TWO23_F32 if small else x
    # the integer arithmetic stays within 32 bits (LLVM then narrows Numba's int64):
    # the biased exponent by a shift, 1 <= m < 2 by masks, and k as a float from its
    # bits added to those of 1.5 * 2**23, with no integer conversion
    bits = as_int32(xs)
    m = as_float32((bits & 0x007FFFFF) | 0x3F800000)
    big = m > SQRT2_F32
    f = (HALF_F32 * m if big else m) - ONE_F32  # exact
    kf = as_float32((bits >> 23) + SHIFT_BITS_F32) - (SHIFT_F32 + F32(127.0))
    kf = kf + (ONE_F32 if big else ZERO_F32) - (K_SUBNORMAL_F32 if small else ZERO_F32)
    s = f / (TWO_F32 + f)
    z = s * s
    hfsq = HALF_F32 * f * f
    tail = fma(s, fma(z, horner(LOG_F32_SINGLE, z), hfsq), kf * LN2_LO_F32)
    y = fma(kf, LN2_HI_F32, f - (hfsq - tail))
    return _log_special_f32(x, y)


@vecfn
def log2_f32(x):
    """``log2(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp.

    As `log10_f32`, times 1/ln2: ``k + f/ln2`` with the product exact as a pair and
    summed exactly with the integer k (|k| >= 1 > |f/ln2| unless k = 0); the small
    terms round once into the result.
    """
    kf, f, ff, hfsq, v = _log_terms_f32(x)
    p = f * INV_LN2_HI_F32
    hi, lo = fast_two_sum(kf, p)
    rest = fma(f, INV_LN2_HI_F32, -p)
    rest = fma(fma(f, f, -ff), -HALF_INV_LN2_F32, fma(f - hfsq, INV_LN2_LO_F32, rest))
    rest = fma(-hfsq, INV_LN2_HI_F32, fma(v, INV_LN2_HI_F32, rest))  # the largest last
    return _log_special_f32(x, hi + (lo + rest))


# 1/ln2 as a float32 pair
INV_LN2_HI_F32 = F32(1.4426950216293335)
INV_LN2_LO_F32 = F32(1.925963033500011e-08)
HALF_INV_LN2_F32 = F32(0.5) * INV_LN2_HI_F32


# log10(2) with 13 trailing zero bits (k*LOG10_2_HI_F32 is exact for every k), and
# 1/ln10, each as a float32 pair
LOG10_2_HI_F32 = F32(0.301025390625)
LOG10_2_LO_F32 = F32(4.605039e-06)
INV_LN10_HI_F32 = F32(0.4342945)
INV_LN10_LO_F32 = F32(-1.010305e-08)
HALF_INV_LN10_F32 = F32(0.5) * INV_LN10_HI_F32


@vecfn
def _split_f32(x):
    """``(kf, f)``, float32: ``x = 2**kf (1 + f)``, sqrt(1/2) < 1 + f <= sqrt(2), f
    exact, for positive finite x (as in `log_f32`; subnormals scaled by 2**23)."""
    small = x < TINY_F32
    bits = as_int32(x * TWO23_F32 if small else x)
    m = as_float32((bits & 0x007FFFFF) | 0x3F800000)
    big = m > SQRT2_F32
    kf = as_float32((bits >> 23) + SHIFT_BITS_F32) - (SHIFT_F32 + F32(127.0))
    kf = kf + (ONE_F32 if big else ZERO_F32) - (K_SUBNORMAL_F32 if small else ZERO_F32)
    return kf, (HALF_F32 * m if big else m) - ONE_F32


@vecfn
def _log_terms_f32(x):
    """``(kf, f, ff, hfsq, v)`` of `log_f32`'s method, for the float32 log10 and log2:
    ``log(x) = kf ln2 + f - hfsq + v`` with ``ff = fl(f*f)``, ``hfsq = ff/2`` and
    ``v = s (hfsq + R(s^2))``, s = f/(2+f)."""
    kf, f = _split_f32(x)
    s = f / (TWO_F32 + f)
    z = s * s
    ff = f * f
    hfsq = HALF_F32 * ff
    return kf, f, ff, hfsq, s * fma(z, horner(LOG_F32_SINGLE, z), hfsq)


@vecfn
def log10_f32(x):
    """``log10(x)`` for float32, in float32 arithmetic (16 lanes), within 1 ulp.

    `log_f32`'s ``log(1+f) = f - hfsq + v``, ``v = s (hfsq + R(s^2))``, times 1/ln10
    with the leading product ``f/ln10`` exact as a pair (FMA), and
    ``k log10(2)`` exact in its leading part: the two large terms are summed exactly,
    everything else is small and rounds once into the result.
    """
    kf, f, ff, hfsq, v = _log_terms_f32(x)
    p = f * INV_LN10_HI_F32
    p_lo = fma(f, INV_LN10_HI_F32, -p)
    hi, lo = fast_two_sum(kf * LOG10_2_HI_F32, p)  # |k log10(2)| > |p| unless k = 0
    # the small terms, each rounded at a fraction of the result's ulp: k's and f's
    # low parts, (v - hfsq)/ln10, and what rounding f*f lost
    rest = fma(kf, LOG10_2_LO_F32, p_lo)
    rest = fma(fma(f, f, -ff), -HALF_INV_LN10_F32, fma(f - hfsq, INV_LN10_LO_F32, rest))
    rest = fma(-hfsq, INV_LN10_HI_F32, fma(v, INV_LN10_HI_F32, rest))  # the largest last
    return _log_special_f32(x, hi + (lo + rest))


@vecfn
def log1p_f32(x):
    """``log(1 + x)`` for float32, in float64: ``1 + x`` is exact there for every
    float32 x from 2**-25 (below, the result is x) up to 2**53, and beyond, its
    rounding no longer shows in a float32 result. So `log_reduced_f32` of it, one
    rounding."""
    xd = np.float64(x)
    # x <= -1 or NaN: u's bits give some finite 1 + f all the same; selected away
    y = log_reduced_f32(1.0 + xd)
    y = -np.inf if xd == -1.0 else y
    y = np.nan if xd < -1.0 else y
    y = np.float32(y) if xd < np.inf else x + x
    return y if not fabs(x) < np.float32(2.9802322e-08) else x  # 2^-25: tiny, -0.0, NaN
