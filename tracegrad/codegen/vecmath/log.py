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

from dataclasses import dataclass

import numpy as np
from numba import types

from tracegrad.codegen.vecmath import vector_kernels
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
def _log_f64_portable(x):
    """``log(x)`` for float64 without tables (CPUs without AVX-512), within 1 ulp."""
    k, f = split_exponent(x)
    hi, lo = log1p_reduced(f)
    s, e = fast_two_sum(k * LN2_HI, hi)  # |k ln2| > |hi| unless k = 0
    y = s + (e + fma(k, LN2_LO, lo))
    return _log_special(x, y)


@vecfn
def _log2_f64_portable(x):
    """``log2(x)`` without tables: ``k + log(m)/ln2`` in double-double, one rounding."""
    k, f = split_exponent(x)
    hi, lo = log1p_reduced(f)
    p, p_lo = two_prod(hi, INV_LN2_HI)
    p_lo = fma(hi, INV_LN2_LO, fma(lo, INV_LN2_HI, p_lo))
    s, e = fast_two_sum(k, p)  # |k| >= 1 > |p| unless k = 0
    y = s + (e + p_lo)
    return _log_special(x, y)


@vecfn
def _log10_f64_portable(x):
    """``log10(x)`` without tables: ``k log10(2) + log(m)/ln10`` in double-double."""
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
def _log1p_f64_portable(x):
    """``log(1 + x)`` for float64 without tables (CPUs without AVX-512), accurate for
    tiny x; -1, below -1, inf, NaN as NumPy.

    ``u = 1 + x`` is rounded, but its rounding error c is known exactly
    (`two_sum`), and ``log(1+x) = log(u) + log(1 + c/u) ~ log(u) + c/u``, with
    ``c/u = c 2**-k / (1 + f)`` from `_inv_one_plus_m1` (one division fewer).
    u is at least 2**-53 (x > -1): a normal number, so no subnormal scaling.

    >>> _log1p_f64_portable(1e-20)  # doctest: +SKIP
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
def _log_f32_portable(x):
    """``log(x)`` for float32 without tables (CPUs without AVX-512), in float32
    arithmetic (16 lanes), within 1 ulp.

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
def _log2_f32_portable(x):
    """``log2(x)`` for float32 without tables, in float32 arithmetic, within 1 ulp.

    As `_log10_f32_portable`, times 1/ln2: ``k + f/ln2`` with the product exact as a pair and
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
def _log10_f32_portable(x):
    """``log10(x)`` for float32 without tables, in float32 arithmetic, within 1 ulp.

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
def _log1p_f32_portable(x):
    """``log(1 + x)`` for float32 without tables, in float64: ``1 + x`` is exact there for every
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


# --- log, log2, log10 and log1p by table (AVX-512) -------------------------------------
#
# float64 pow's log reduction (power.py), its first level alone: x = 2**k z with z in
# [0.69921875, 1.3984375) from the bits; the top bits of z's offset mantissa (four for
# float64, five for float32) pick invc ~ 1/c (c = 1 on the subinterval holding 1) and
# log(c) as a pair, hi on a grid (2**-42, 2**-15) where k LN2_HI and hi add up
# exactly. float64: z invc = p + p_lo exactly (FMA), r = p - 1 is exact, |r| <= 0.0297;
# float32: invc is a multiple of 1/32, so that r = z invc - 1 itself is exact (one
# FMA), |r| <= 0.0311. Then ``log x = k ln2 + log(c) + log1p(r) + p_lo/(1 + r)`` with
# ``log1p(r) = r + r^2 (-1/2 + r P(r))`` (P of degree 7 for float64, 2**-63 relative,
# and 2 for float32, 2**-30.6). r joins the exact k LN2_HI + hi by an error-free sum, and the
# rest, below 2**-5 of the result, is rounded and added once: about 0.52 ulp. No
# division: the portable method's s = f/(2 + f) costs most of its time. log2 and log10
# multiply the pair by 1/ln2 or 1/ln10 as a double-length product, so that log2 of a
# power of two is exact. Zero, negative, subnormal, inf and NaN arguments take a
# second path, for the register of lanes holding one.

# columns of 16 float64 entries (printed by ``remez log_f64_table``; float64 pow's
# first level) and of 32 float32 ones (``remez log_f32_table``)
LOG_F64_TABLE = {
    "invc": (1.3989070653915405, 1.3403141498565674, 1.286432147026062, 1.2367149591445923,
             1.1906976699829102, 1.147982120513916, 1.1082251071929932, 1.0711296796798706,
             1.0364372730255127, 1.0, 0.9481481313705444, 0.8951048851013184,
             0.8476821184158325, 0.805031418800354, 0.7664670944213867, 0.7314285635948181),
    "logc_hi": (-0.33569126416409745, -0.29290402667743365, -0.25187260904476716,
                -0.2124586377099149, -0.17453941262670014, -0.13800572331092553,
                -0.1027597330264598, -0.06871386693660497, -0.03578913299725173, 0.0,
                0.05324453221396652, 0.11081437751613521, 0.16524957382671346,
                0.2168739727594584, 0.2659635112443084, 0.3127557207139944),
    "logc_lo": (-2.7759559118072472e-14, -4.7222054020354153e-14, -9.325499248412517e-14,
                -1.0106826056237774e-13, 9.076925446091909e-14, 6.405080816714319e-14,
                1.3438839909700218e-14, -7.570589835495056e-14, -4.2750820128681305e-14,
                0.0, -2.516513063562066e-14, 2.5862441328670356e-14,
                -8.372047731148986e-14, 9.180308162244197e-14, -7.274202432552017e-14,
                1.1217536169894382e-13),
}
LOG_F32_TABLE = {
    "invc": (1.40625, 1.375, 1.34375, 1.3125, 1.3125, 1.28125, 1.25, 1.21875, 1.1875,
             1.1875, 1.15625, 1.125, 1.125, 1.09375, 1.09375, 1.0625, 1.03125, 1.03125,
             1.0, 1.0, 0.96875, 0.9375, 0.90625, 0.875, 0.84375, 0.84375, 0.8125,
             0.78125, 0.78125, 0.75, 0.75, 0.71875),
    "logc_hi": (-0.340911865234375, -0.318450927734375, -0.29547119140625,
                -0.271942138671875, -0.271942138671875, -0.247833251953125,
                -0.22314453125, -0.19781494140625, -0.171844482421875,
                -0.171844482421875, -0.145172119140625, -0.1177978515625,
                -0.1177978515625, -0.089599609375, -0.089599609375, -0.060638427734375,
                -0.03076171875, -0.03076171875, 0.0, 0.0, 0.03173828125,
                0.064544677734375, 0.09844970703125, 0.133544921875, 0.169891357421875,
                0.169891357421875, 0.2076416015625, 0.246856689453125,
                0.246856689453125, 0.287689208984375, 0.287689208984375,
                0.330230712890625),
    "logc_lo": (-1.4721736079081893e-05, -2.8033841772412416e-06,
                6.9785123741894495e-06, 8.423187864536885e-06, 8.423187864536885e-06,
                -2.9119514692865778e-06, 9.799357485462679e-07,
                -1.0801923963299487e-05, -5.774504643341061e-06,
                -5.774504643341061e-06, -9.890703950077295e-06, 1.4815906069998164e-05,
                1.4815906069998164e-05, -1.2549314305942971e-05,
                -1.2549314305942971e-05, 1.3805917660647538e-05,
                -9.939916708390228e-06, -9.939916708390228e-06, 0.0, 0.0,
                1.041706491378136e-05, -6.1565970099763945e-06, -9.634218258725014e-06,
                -1.3529250281862915e-05, 7.679373084101826e-06, 7.679373084101826e-06,
                -2.236784212072962e-06, 3.388478489796398e-06, 3.388478489796398e-06,
                -7.136532531148987e-06, -7.136532531148987e-06, 1.0973980351991486e-05),
}
# log1p(r) = r - r^2/2 + r^3 P(r), |r| <= 0.02963 (fit "log1p_f64_table"): relative
# error 1.1e-19 (2**-63)
LOG_F64_TAIL = (
    0.3333333333333296,
    -0.2499999999999938,
    0.20000000004166507,
    -0.16666666672042801,
    0.14285699935176052,
    -0.12499984146736351,
    0.1113057554797594,
    -0.1001931017741254,
)
# the same on float32 log's table, |r| <= 0.03101 (fit "log1p_f32_table"): relative
# error 6.3e-10 (2**-30.6)
LOG_F32_TAIL = (
    F32(0.3333333134651184),
    F32(-0.25013938546180725),
    F32(0.20015685260295868),
)


@dataclass(frozen=True)
class _LogTable:
    """What the table logarithm needs of one float type (see above)."""

    scalar: types.Float
    columns: dict
    tail: tuple  # P
    first_bits: int  # the bits of 0.69921875
    mantissa: int  # bits below the exponent
    index_shift: int  # tmp >> this holds the table index in its low bits
    ln2: tuple  # (hi, lo), hi exact times any k
    inv_ln2: tuple  # (hi, lo)
    inv_ln10: tuple  # (hi, lo)
    subnormal_scale: float  # 2**s, with k_offset -s
    exact_r: bool  # r = z invc - 1 is exact: no p_lo
    log1p_tiny: float  # |x| below: log1p(x) rounds to x

    @property
    def normal_bits(self) -> int:
        return 1 << self.mantissa

    @property
    def inf_bits(self) -> int:
        return ((1 << (self.scalar.bitwidth - 1 - self.mantissa)) - 1) << self.mantissa


LOG_TABLE_F64 = _LogTable(types.float64, LOG_F64_TABLE, LOG_F64_TAIL, 0x3FE6600000000000, 52,
                          48, (LN2_HI, LN2_LO), (INV_LN2_HI, INV_LN2_LO),
                          (INV_LN10_HI, INV_LN10_LO), 2.0**54, exact_r=False,
                          log1p_tiny=2.0**-54)
LOG_TABLE_F32 = _LogTable(types.float32, LOG_F32_TABLE, LOG_F32_TAIL, 0x3F330000, 23, 18,
                          (LN2_HI_F32, LN2_LO_F32), (INV_LN2_HI_F32, INV_LN2_LO_F32),
                          (INV_LN10_HI_F32, INV_LN10_LO_F32), 2.0**23, exact_r=True,
                          log1p_tiny=2.0**-25)


def reduce_by_table(v, spec: _LogTable, get, x, k_offset=None):
    """``(k, i, r, p_lo, hi)`` for a normal x > 0 (see above): x = 2**k z, i the
    table entry of z's subinterval, ``z invc = 1 + r + p_lo`` with r exact (p_lo None
    where r alone is exact) and ``hi = k LN2_HI + log(c) hi`` exact; k_offset is
    added to the exponent (subnormals scaled). float32 pow's log starts here too."""
    bits = v.bits(x)
    tmp = v.isub(bits, v.iconst(spec.first_bits))
    k = v.to_float(v.ashr(tmp, v.iconst(spec.mantissa)))
    k = k if k_offset is None else v.fadd(k, k_offset)
    z = v.from_bits(v.isub(bits, v.and_(tmp, v.iconst(-1 << spec.mantissa))))
    i = v.lshr(tmp, v.iconst(spec.index_shift))  # the permute reads the low bits only
    invc = get("invc", i)
    p_lo = None
    if spec.exact_r:
        r = v.fma(z, invc, v.const(-1.0))
    else:
        p = v.fmul(z, invc)
        p_lo = v.fma(z, invc, v.fneg(p))  # z invc = p + p_lo
        r = v.fsub(p, v.const(1.0))  # exact
    return k, i, r, p_lo, v.fma(k, v.const(spec.ln2[0]), get("logc_hi", i))


def normal_positive(v, spec: _LogTable, x):
    """Where x is a positive normal number (not 0, subnormal, inf, NaN, negative):
    one unsigned comparison of the bits."""
    return v.ult(v.isub(v.bits(x), v.iconst(spec.normal_bits)),
                 v.iconst(spec.inf_bits - spec.normal_bits))


def scale_subnormal(v, spec: _LogTable, x):
    """``(xs, k_offset)``: x with a positive subnormal scaled into the normal range
    (by ``spec.subnormal_scale``), and the exponent offset that undoes it, 0 for
    every other x (a negative x's bits are large as unsigned)."""
    subnormal = v.ult(v.isub(v.bits(x), v.iconst(1)), v.iconst(spec.normal_bits - 1))
    return (v.select(subnormal, v.fmul(x, v.const(spec.subnormal_scale)), x),
            v.select(subnormal, v.const(-np.log2(spec.subnormal_scale)), v.const(0.0)))


def _ln_by_table(v, spec: _LogTable, get, x, k_offset=None):
    """``log x = t + tail`` (see above) for a normal x > 0, t holding the leading
    part exactly; k_offset is added to the exponent (subnormals scaled)."""
    return _ln_reduced(v, spec, get, *reduce_by_table(v, spec, get, x, k_offset))


def _ln_reduced(v, spec: _LogTable, get, k, i, r, p_lo, hi):
    """`_ln_by_table` from the reduction (`reduce_by_table`)."""
    t, lo = v.fast_two_sum(hi, r)  # |hi| > |r| unless hi = 0
    q = v.horner((-0.5, *spec.tail), r)
    lows = v.fadd(v.fma(k, v.const(spec.ln2[1]), get("logc_lo", i)), lo)
    if p_lo is not None:  # log1p(r + p_lo) - log1p(r) = p_lo/(1 + r) ~ p_lo (1 - r)
        lows = v.fadd(lows, v.fma(v.fneg(p_lo), r, p_lo))
    return t, v.fma(v.fmul(r, r), q, lows)


def _natural(v, t, tail):
    return v.fadd(t, tail)


def _times(factor: tuple):
    """``(t + tail) * (hi + lo)`` of ``factor = (hi, lo)``, rounded once."""
    hi, lo = factor

    def finish(v, t, tail):
        y = v.fmul(t, v.const(hi))
        y_lo = v.fma(t, v.const(hi), v.fneg(y))
        y_lo = v.fma(t, v.const(lo), v.fma(tail, v.const(hi), y_lo))
        return v.fadd(y, y_lo)

    return finish


def _log_by_table(spec: _LogTable, finish):
    """The vector body of a logarithm, ``finish(v, t, tail)`` of the natural log's
    pair: where every x is normal and positive, `_ln_by_table` alone; otherwise
    subnormals scaled and the special values selected as NumPy gives them."""
    def body(v, x):
        get = v.table(f"log_f{spec.scalar.bitwidth}", spec.columns)
        ordinary = normal_positive(v, spec, x)

        def special():
            # zero, negative, inf and NaN lanes give finite nonsense, selected away
            y = finish(v, *_ln_by_table(v, spec, get, *scale_subnormal(v, spec, x)))
            y = v.select(v.fcmp("==", x, v.const(0.0)), v.const(-np.inf), y)
            y = v.select(v.fcmp("<", x, v.const(0.0)), v.const(np.nan), y)
            return v.select(v.fcmp("<", x, v.const(np.inf)), y, v.fadd(x, x))

        return v.if_all(ordinary, lambda: finish(v, *_ln_by_table(v, spec, get, x)), special)
    return body


def _log_kernels(spec: _LogTable, portables) -> tuple:
    """log, log2 and log10 of one float type: their vector kernels where the machine
    has AVX-512, else `portables`, the table-free versions (`kernel_or`)."""
    bits = spec.scalar.bitwidth
    finishes = (_natural, _times(spec.inv_ln2), _times(spec.inv_ln10))
    return tuple(vector_kernels.kernel_or(f"{name}_f{bits}", spec.scalar,
                                          _log_by_table(spec, finish), portable)
                 for name, finish, portable in zip(("log", "log2", "log10"), finishes,
                                                   portables))


def _log1p_by_table(spec: _LogTable):
    """The vector body of log1p: ``log(u) + c/u`` with ``u = 1 + x`` rounded and c
    its rounding error (`two_sum`): log(u) by `_ln_by_table`, and ``c/u = c 2**-k
    invc/(1 + r) ~ c 2**-k invc (1 - r)`` from the same reduction, no division (c is
    below an ulp of u: a relative error r^2 of c/u moves the result by r^2 of an
    ulp where u is near 1, less elsewhere). u >= 2**-53 is normal. x <= -1, inf,
    NaN and |x| below `log1p_tiny` (the result rounds to x) take a second path."""
    tiny = spec.log1p_tiny

    def log1p(v, get, x):
        u, c = v.two_sum(v.const(1.0), x)
        k, i, r, p_lo, hi = reduce_by_table(v, spec, get, u)
        t, tail = _ln_reduced(v, spec, get, k, i, r, p_lo, hi)
        cr = v.fmul(c, get("invc", i))
        # c invc (1 - r) rounded once: near 1, c may be as large as the result
        cu = v.scale2(v.fma(v.fneg(r), cr, cr), v.fneg(k))
        return v.fadd(t, v.fadd(tail, cu))

    def body(v, x):
        get = v.table(f"log_f{spec.scalar.bitwidth}", spec.columns)
        ordinary = v.and_(v.and_(v.fcmp(">", x, v.const(-1.0)), v.fcmp("<", x, v.const(np.inf))),
                          v.fcmp(">=", v.fabs(x), v.const(tiny)))

        def special():
            y = log1p(v, get, x)  # nonsense for the lanes selected below
            y = v.select(v.fcmp("==", x, v.const(-1.0)), v.const(-np.inf), y)
            y = v.select(v.fcmp("<", x, v.const(-1.0)), v.const(np.nan), y)
            y = v.select(v.fcmp("<", x, v.const(np.inf)), y, v.fadd(x, x))
            return v.select(v.fcmp("<", v.fabs(x), v.const(tiny)), x, y)

        return v.if_all(ordinary, lambda: log1p(v, get, x), special)
    return body


_log_f64, _log2_f64, _log10_f64 = _log_kernels(
    LOG_TABLE_F64, (_log_f64_portable, _log2_f64_portable, _log10_f64_portable))
_log_f32, _log2_f32, _log10_f32 = _log_kernels(
    LOG_TABLE_F32, (_log_f32_portable, _log2_f32_portable, _log10_f32_portable))
_log1p_f64 = vector_kernels.kernel_or("log1p_f64", types.float64,
                                      _log1p_by_table(LOG_TABLE_F64), _log1p_f64_portable)
_log1p_f32 = vector_kernels.kernel_or("log1p_f32", types.float32,
                                      _log1p_by_table(LOG_TABLE_F32), _log1p_f32_portable)


@vecfn
def log_f64(x):
    """``log(x)`` for float64, within 1 ulp; 0, negatives, inf, NaN as NumPy. With
    AVX-512 by table (see above): ``invc`` and ``log(c)`` from registers
    (`vector_kernels.py`), a degree-10 polynomial, no division, one rounding;
    elsewhere `_log_f64_portable`.

    >>> log_f64(1.0)  # doctest: +SKIP
    0.0
    """
    return _log_f64(x)


@vecfn
def log2_f64(x):
    """``log2(x)`` for float64, within 1 ulp, exact at powers of two; as `log_f64`,
    the natural log's pair times 1/ln2 as a double-double (`_log2_f64_portable`
    without AVX-512)."""
    return _log2_f64(x)


@vecfn
def log10_f64(x):
    """``log10(x)`` for float64, within 1 ulp; as `log2_f64`, times 1/ln10
    (`_log10_f64_portable` without AVX-512)."""
    return _log10_f64(x)


@vecfn
def log_f32(x):
    """``log(x)`` for float32, within 1 ulp; 0, negatives, inf, NaN as NumPy. With
    AVX-512 by table as `log_f64`, in float32 arithmetic on 16 lanes (32 entries, a
    degree-5 polynomial, r exact); elsewhere `_log_f32_portable`."""
    return _log_f32(x)


@vecfn
def log2_f32(x):
    """``log2(x)`` for float32, within 1 ulp, exact at powers of two; as `log_f32`,
    times 1/ln2 as a float32 pair (`_log2_f32_portable` without AVX-512)."""
    return _log2_f32(x)


@vecfn
def log10_f32(x):
    """``log10(x)`` for float32, within 1 ulp; as `log2_f32`, times 1/ln10
    (`_log10_f32_portable` without AVX-512)."""
    return _log10_f32(x)


@vecfn
def log1p_f64(x):
    """``log(1 + x)`` for float64, within 1 ulp, accurate for tiny x; -1, below -1,
    inf, NaN as NumPy. With AVX-512 from log's table (`_log1p_by_table`); elsewhere
    `_log1p_f64_portable`.

    >>> log1p_f64(1e-20)  # doctest: +SKIP
    1e-20
    """
    return _log1p_f64(x)


@vecfn
def log1p_f32(x):
    """``log(1 + x)`` for float32, within 1 ulp; as `log1p_f64`, in float32 arithmetic
    on 16 lanes (`_log1p_f32_portable`, in float64, without AVX-512)."""
    return _log1p_f32(x)
