"""pow and sqrt, float64 and float32.

pow(x, y) = exp(y * log|x|), where the error of log|x| is multiplied by y (up to
745 where the result is finite): for the result to stay within an ulp, float64 pow
computes log|x| to about 2**-66 relative, as a double-double, with
``log(1+f) = 2s + s z (2/3 + z Q(z))``, s = f/(2+f), z = s^2: 2s and s z (2/3 + ...),
below 1% of the sum, are carried as pairs, and only z Q, below 2**-12 of it, is
plain float64 (fit ``log_pow``). The product with y is split exactly (FMA), and
exp takes its low part into the reduced argument. That is the table-free version
(`_pow_f64_portable`); on AVX-512 float64 pow is a vector kernel with 16-entry
tables in registers (two table reductions for the log), no division, about twice
as fast (see "float64 by table" below). float32 pow needs none of this:
``2**(y log2|x|)`` in plain float64 is accurate far beyond a float32 result; on
AVX-512 it is a vector kernel too (ARM's powf, see "float32 by table" below).

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
from numba import types

from tracegrad.codegen.vecmath import vector_kernels
from tracegrad.codegen.vecmath.dd import fast_two_sum, two_prod
from tracegrad.codegen.vecmath.exp import (
    EXP_F64,
    LN2_LO_F32,
    LOG2E,
    SHIFT_F32,
    estrin_vector,
    exp_by_table,
    scale_once,
    scale_once_branch,
)
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
from tracegrad.codegen.vecmath.log import (
    LN2_HI,
    LN2_LO,
    LOG_F32_TABLE,
    LOG_F64_TABLE,
    LOG_TABLE_F32,
    LOG_TABLE_F64,
    SQRT_HALF_BITS,
    normal_positive,
    reduce_by_table,
    scale_subnormal,
    split_exponent,
)

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
def _pow_f64_portable(x, y):
    """``x ** y`` for float64 without tables (CPUs without AVX-512; C99 pow, as
    ``np.power``), within 1 ulp (0.67 measured, where y log|x| is near +-745 and |x|
    near sqrt(2) 2**k: see the module docstring).

    >>> _pow_f64_portable(-8.0, 1.0 / 3.0)  # doctest: +SKIP
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

F32 = np.float32

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
def _pow_f32_portable(x, y):
    """``x ** y`` for float32 without tables (CPUs without AVX-512):
    ``2**(y log2|x|)`` in float64, rounded once (0.54 ulp measured).

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


# --- float32 by table (AVX-512) ---------------------------------------------------------
#
# All in float32 arithmetic on 16 lanes, with pairs where precision is needed (as
# Intel's SVML does its powf; ARM's optimized-routines powf works in float64 on half
# as many lanes, which on this machine ran 1.3x slower than NumPy's). No division.
#
# log|x| as a pair: float32 log's table reduction (log.py, `reduce_by_table`), |x| =
# 2**k z, r = z invc - 1 exact (|r| <= 0.0311), hi = k LN2_HI + log(c) hi exact; then
# ``log|x| = hi + r - r^2/2 + r^3 P(r) + lows`` with r^2 as an exact pair and the two
# leading sums error-free, so that the pair (s, tail) holds log|x| to ~2**-35 relative
# (P of degree 3, fit "log1p_pow_f32_table", 2**-37.6): y log|x| (at most 104 where
# the result is neither 0 nor inf) is then off by ~2**-29, 0.03 ulp of the result.
# y log|x| = p + p_lo by FMA. exp: p clamped to +-120 (inf and 0 beyond; p_lo dropped
# there), m = round(32 (p + p_lo)/ln2) from the low bits of a sum (tail is not
# normalised: y tail may reach 0.15), r = p - m C_HI (ln2/32 to 11 bits: exact) - m
# C_LO + p_lo, |r| <= ln2/64 + 2**-16, ``exp(r) - 1 = r + r^2
# Q(r)`` (Q of degree 1, fit "exp_pow_f32_table", 2**-33), 2**(j/32) as a float32
# pair from registers (j = m & 31), ``T hi + (T hi (exp(r) - 1) + T lo)`` rounded
# once, and 2**floor(m/32) by vscalefps, which over- and underflows as the result
# must (a subnormal result is rounded twice: within 0.75 ulp).

# columns of 32 float32 entries, 2**(j/32) = hi + lo (printed by ``remez pow_f32_table``)
POW_F32_EXP_TABLE = {
    "exp_hi": (1.0, 1.0218971967697144, 1.0442737340927124, 1.0671404600143433,
               1.0905077457427979, 1.114386796951294, 1.1387885808944702,
               1.1637248992919922, 1.1892070770263672, 1.215247392654419,
               1.2418577671051025, 1.2690509557724, 1.2968395948410034,
               1.3252366781234741, 1.3542555570602417, 1.3839099407196045,
               1.4142135381698608, 1.4451807737350464, 1.4768261909484863,
               1.5091644525527954, 1.5422108173370361, 1.5759809017181396,
               1.610490322113037, 1.6457555294036865, 1.6817928552627563,
               1.7186193466186523, 1.7562521696090698, 1.7947090864181519,
               1.8340080976486206, 1.8741676807403564, 1.9152065515518188,
               1.9571441411972046),
    "exp_lo": (0.0, -4.811559861650494e-08, 4.8334701574503924e-08,
               -5.9337519786595294e-08, -1.3077539939843064e-08,
               -5.435540018083884e-08, 5.386222312608879e-08, -4.051441493402308e-08,
               3.797635272917432e-08, -3.267394887984665e-08, 4.496838101886169e-08,
               1.419333317542737e-09, -4.018999533172973e-08, -3.496373324196611e-08,
               -1.0123349269974824e-08, -5.875577357983275e-08, 2.4203234971764687e-08,
               3.324199937537742e-08, -4.500898853621038e-08, -2.4959373234878512e-08,
               8.070904833346049e-09, -5.661025426206834e-08, 9.836217174097328e-09,
               -5.124972091152813e-08, -2.4755326677450284e-08,
               -4.8496175963919086e-08, -9.235770370707996e-09, -1.141504490931311e-08,
               -1.1239277952768134e-08, -4.663005626071026e-08, 9.845328108326612e-09,
               -1.7021804410433106e-08),
}
# log1p(r) = r - r^2/2 + r^3 P(r) on float32 log's table (fit "log1p_pow_f32_table")
POW_F32_LOG_TAIL = (  # relative error 4.9e-12 (2**-37.6)
    F32(0.333333283662796),
    F32(-0.24999994039535522),
    F32(0.2001911848783493),
    F32(-0.16685155034065247),
)
# exp(r) = 1 + r + r^2 Q(r), |r| <= ln2/64 + 2**-16 (fit "exp_pow_f32_table")
POW_F32_EXP_TAIL = (  # relative error 9.9e-11 (2**-33.2)
    F32(0.5000040531158447),
    F32(0.16666680574417114),
)
POW_F32_C_HI = F32(0.021667480)  # ln2/32 to 11 bits: m C_HI is exact for |m| <= 2**13
POW_F32_C_LO = F32(-6.6310763e-06)  # ln2/32 - C_HI
POW_F32_INV_C = F32(46.16624)  # 32/ln2
POW_F32_P_MAX = F32(120.0)  # |y log|x|| beyond: inf or 0 (exp(+-104) already are)
POW_F32_MAX_Y = F32(2.0**32)  # |y| clamped to this in the special path


def _pow_f32_log(v, get, ax, k_offset=None):
    """``log(ax) = s + tail`` to ~2**-35 relative (see above) on 16 float32 lanes, for
    a normal ax > 0 (k_offset: subnormals scaled)."""
    k, i, r, _, hi = reduce_by_table(v, LOG_TABLE_F32, get, ax, k_offset)
    t, lo = v.fast_two_sum(hi, r)  # |hi| > |r| unless hi = 0
    rr = v.fmul(r, r)
    rr_lo = v.fma(r, r, v.fneg(rr))  # r^2 = rr + rr_lo
    s = v.fma(rr, v.const(-0.5), t)  # t - r^2/2 ...
    e = v.fma(rr, v.const(-0.5), v.fsub(t, s))  # ... and what its rounding lost
    q = v.horner(POW_F32_LOG_TAIL, r)
    lows = v.fma(rr_lo, v.const(-0.5), v.fma(k, v.const(LN2_LO_F32), get("logc_lo", i)))
    lows = v.fadd(v.fadd(lows, lo), e)
    return s, v.fma(v.fmul(rr, r), q, lows)


def _pow_f32_magnitude(v, get, ax, y, k_offset=None):
    """``ax ** y`` on 16 float32 lanes (see above), for a normal ax > 0 and |y| <=
    POW_F32_MAX_Y (or a stand-in for a special case)."""
    s, tail = _pow_f32_log(v, get, ax, k_offset)
    p = v.fmul(y, s)
    p_lo = v.fma(y, tail, v.fma(y, s, v.fneg(p)))  # y log ax = p + p_lo
    big = v.const(POW_F32_P_MAX)
    pc = v.select(v.fcmp("<", p, big), p, big)
    pc = v.select(v.fcmp(">", pc, v.fneg(big)), pc, v.fneg(big))
    p_lo = v.select(v.fcmp("==", pc, p), p_lo, v.const(0.0))  # |y p_lo| can be large
    p = pc
    # m in the low bits, from p + p_lo: log's low part times y may reach 0.15
    shifted = v.fma(v.fadd(p, p_lo), v.const(POW_F32_INV_C), v.const(SHIFT_F32))
    m = v.fsub(shifted, v.const(SHIFT_F32))
    r = v.fma(m, v.const(-POW_F32_C_HI), p)  # exact: |r| <= 0.011 + |p|/1000
    r = v.fadd(v.fma(m, v.const(-POW_F32_C_LO), r), p_lo)
    em1 = v.fma(v.fmul(r, r), v.fma(v.const(POW_F32_EXP_TAIL[1]), r,
                                    v.const(POW_F32_EXP_TAIL[0])), r)
    j = v.bits(shifted)  # the permute reads its low five bits: m & 31
    t_hi = get("exp_hi", j)
    out = v.fadd(v.fma(t_hi, em1, get("exp_lo", j)), t_hi)
    return v.scale2(out, v.fmul(m, v.const(1.0 / 32)))  # 2**floor(m/32)


def _c99_signs_and_nans(v, x, y, odd_x, out):
    """`out`, the magnitude of ``x ** y`` on a register of lanes (odd_x: x is 0, inf
    or NaN), with what C99's pow (as np.power) settles by selects afterwards: the
    sign of a negative x (-0 and -inf included) to an odd power, NaN for a negative
    finite x to a non-integer power and for NaN x or y unless x = 1, and 1 for y = 0
    (NaN x too)."""
    is_int = v.fcmp("==", v.rint(y), y)
    half = v.fmul(y, v.const(0.5))
    odd = v.and_(is_int, v.fcmp("!=", v.rint(half), half))  # a float this large is even
    sign_bit = v.iconst(-(1 << (v.scalar.bitwidth - 1)))
    sign = v.select(odd, v.and_(v.bits(x), sign_bit), v.iconst(0))
    out = v.from_bits(v.xor(v.bits(out), sign))
    negative = v.and_(v.fcmp("<", x, v.const(0.0)), v.not_(odd_x))
    nan = v.or_(v.and_(negative, v.not_(is_int)),
                v.and_(v.fcmp_unordered("uno", x, y), v.fcmp_unordered("!=", x, v.const(1.0))))
    out = v.select(nan, v.const(np.nan), out)
    return v.select(v.fcmp("==", y, v.const(0.0)), v.const(1.0), out)


def _special_base(v, spec, x):
    """``(ax, odd_x, k_offset)`` for pow's special path, from any x: odd_x where x is
    0, inf or NaN, which get the stand-ins 1/2 and 2 (with y = +-big they under- and
    overflow as 0 and inf must; NaN is restored by `_c99_signs_and_nans`); elsewhere
    ax = |x|, a subnormal scaled by `scale_subnormal` (k_offset undoes it)."""
    abs_bits = v.and_(v.bits(x), v.iconst((1 << (spec.scalar.bitwidth - 1)) - 1))
    odd_x = v.not_(v.ult(v.isub(abs_bits, v.iconst(1)), v.iconst(spec.inf_bits - 1)))
    ax, k_offset = scale_subnormal(v, spec, v.from_bits(abs_bits))
    stand_in = v.select(v.ilt(abs_bits, v.iconst(spec.normal_bits)), v.const(0.5),
                        v.const(2.0))
    return v.select(odd_x, stand_in, ax), odd_x, k_offset


def _pow_f32_special(v, get, x, y):
    """``x ** y`` on 16 lanes, any x and y (C99's special cases, as np.power)."""
    ax, odd_x, k_offset = _special_base(v, LOG_TABLE_F32, x)
    # y clamped (NaN to the bound); 1 for x = 1 whatever y (NaN is restored below)
    big = v.const(POW_F32_MAX_Y)
    yc = v.select(v.fcmp("<", y, big), y, big)
    yc = v.select(v.fcmp(">", yc, v.fneg(big)), yc, v.fneg(big))
    yc = v.select(odd_x, v.copysign(v.const(200.0), y), yc)  # 0 and inf: see above
    yc = v.select(v.fcmp("==", ax, v.const(1.0)), v.const(0.0), yc)
    out = _pow_f32_magnitude(v, get, ax, yc, k_offset)
    return _c99_signs_and_nans(v, x, y, odd_x, out)


def _pow_f32_vector(v, x, y):
    """The vector body of `pow_f32` (see there), 16 float32 lanes: where every x is
    normal, positive and finite and every |y| below 2**24, `_pow_f32_magnitude`
    alone; otherwise `_pow_f32_special`, about 25 operations more."""
    get = v.table("pow_f32", {**LOG_F32_TABLE, **POW_F32_EXP_TABLE})
    ordinary = v.and_(normal_positive(v, LOG_TABLE_F32, x),
                      v.ult(v.and_(v.bits(y), v.iconst(0x7FFFFFFF)), v.iconst(0x4B800000)))
    return v.if_all(ordinary, lambda: _pow_f32_magnitude(v, get, x, y),
                    lambda: _pow_f32_special(v, get, x, y))


_pow_f32 = vector_kernels.kernel_or("pow_f32", types.float32, _pow_f32_vector,
                                    _pow_f32_portable, arity=2)


@vecfn
def pow_f32(x, y):
    """``x ** y`` for float32, within 1 ulp; the special cases of C99 (as np.power).
    With AVX-512 in float32 arithmetic on 16 lanes, log and exp by tables held in
    registers (`vector_kernels.py`) with pairs where precision is needed, the
    special cases by selects on a path taken only by a register holding one;
    elsewhere `_pow_f32_portable` (in float64).
    """
    return _pow_f32(x, y)


# --- float64 by table (AVX-512) ---------------------------------------------------------
#
# The ideas of ARM's optimized-routines pow (and SVML's), with 16-entry tables held in
# registers (`vector_kernels.py`), all in float64; special cases as for float32, on a
# separate path taken only by a register of 8 lanes holding one.
#
# log|x| to ~2**-68 relative, in two table reductions: |x| = 2**k z, z in [0.7, 1.4)
# as for float32; level 1 (i: the next four bits) gives invc1 ~ 1/c1 and r1 = z invc1
# - 1, |r1| <= 0.0297; level 2 (j = round(252 r1), -7 ... 7, by one FMA from a column
# 252 invc1) gives invc2 ~ 1/(1 + j/252). z invc1 invc2 = p + p_lo to 2**-106 by FMAs
# (z invc1 as a pair, in parallel with j), and r = p - 1 is exact (|r| <= 0.00205).
# Then ``log|x| = k ln2 + logc1 + logc2 + log1p(r + p_lo)``, where the highs of k ln2 and
# the logc add up exactly (multiples of 2**-42 below 2**10), r and -r^2/2 join them
# by error-free sums, and the rest (r^3 P(r), p_lo/(1 + r), the lows) is plain
# float64, below 2**-28 (normalised into the high part only for |y| >= 2**16, where
# y times it could leave exp's range: that addition would lengthen the longest
# chain, which sets the speed here more than the count of operations). Near 1
# (c1 = c2 = 1) the sum is log1p(r) alone, relative to itself.
#
# exp of the pair p + p_lo = y log|x| (FMA): float64 exp's table kernel
# (`exp.exp_by_table`), whose reduced argument takes the low part in.

# columns of 16 float64 entries (printed by ``remez pow_f64_table``)
POW_F64_TABLE = {
    # level 1 is float64 log's table
    "invc1": LOG_F64_TABLE["invc"], "logc1_hi": LOG_F64_TABLE["logc_hi"],
    "logc1_lo": LOG_F64_TABLE["logc_lo"],
    "invc1_k": (352.5245804786682, 337.759165763855, 324.1809010505676, 311.65216970443726,
             300.05581283569336, 289.29149436950684, 279.2727270126343, 269.9246792793274,
             261.1821928024292, 252.0, 238.9333291053772, 225.56643104553223,
             213.6158938407898, 202.8679175376892, 193.14970779418945, 184.31999802589417),
    "invc2": (1.0, 0.9960474371910095, 0.9921259880065918, 0.9882352948188782, 0.984375,
             0.9805447459220886, 0.9767441749572754, 0.9729729890823364, 1.0,
             1.0285714864730835, 1.0243902206420898, 1.0202429294586182, 1.0161290168762207,
             1.0120482444763184, 1.0080000162124634, 1.0039840936660767),
    "logc2_hi": (0.0, 0.0039603948298463365, 0.007905175722726199, 0.011834456937322102,
             0.01574835696806076, 0.019646998566486218, 0.023530508763542457,
             0.027398957631248777, 0.0, -0.02817093326007125, -0.024097528872516705,
             -0.020040765075009404, -0.016000326208768456, -0.011976242136370274,
             -0.007968185733034261, -0.003976178182028889),
    "logc2_lo": (0.0, 3.867180350910322e-14, -3.4806333898412855e-14, 1.0163327662100609e-13,
             7.840703382506278e-14, -5.788479409812587e-14, -8.260351173777752e-14,
             2.003183210896128e-14, 0.0, 1.0089277024182665e-13, -1.2196528588684976e-14,
             -1.8695828542914035e-14, 1.500015587825239e-14, -3.963430624465204e-14,
             6.448212443312027e-14, 6.752472332594736e-14),
}
# log1p(r) = r - r^2/2 + r^3 P(r), |r| <= 0.002041 (fit "log1p_pow_f64_table"):
# relative error 4.8e-22 (2**-70.8)
POW_F64_LOG = (
    0.3333333333333333,
    -0.24999999999888323,
    0.1999999999983585,
    -0.1666674418537817,
    0.14285794828117584,
)
POW_F64_FIRST_BITS = LOG_TABLE_F64.first_bits  # 0.69921875, as for float32
POW_F64_LEVEL2 = 252.0  # j = round(252 r1): |j| <= 7 (remez.pow_f64_bounds)
POW_F64_MAX_Y = 0x40F0000000000000  # the bits of 2**16: |y lo| < 2**-12 below
POW_F64_CLAMP = 2000.0  # |y log|x|| beyond this over- or underflows (special path)


def _pow_f64_log(w, get, ax, k_offset=None):
    """``log(ax) = hi + lo + tail`` to ~2**-68 relative, for a normal ax > 0 (see
    above); k_offset is added to the exponent (subnormals scaled). tail (r^3 P and
    p_lo/(1 + r)) reaches 2**-28, lo 2**-32; the three are left apart, as the
    longest chain runs through tail."""
    bits = w.bits(ax)
    tmp = w.isub(bits, w.iconst(POW_F64_FIRST_BITS))
    k = w.to_float(w.ashr(tmp, w.iconst(52)))
    k = k if k_offset is None else w.fadd(k, k_offset)
    z = w.from_bits(w.isub(bits, w.and_(tmp, w.iconst(-1 << 52))))
    i = w.lshr(tmp, w.iconst(48))  # the permute reads the low four bits only
    invc1 = get("invc1", i)
    # j = round(252 r1) in the low bits (r1 rounded: a neighbouring j does as well)
    j = w.bits(w.fma(z, get("invc1_k", i), w.const(SHIFT - POW_F64_LEVEL2)))
    zi = w.fmul(z, invc1)
    zi_lo = w.fma(z, invc1, w.fneg(zi))  # z invc1 = zi + zi_lo, while j is on its way
    invc2 = get("invc2", j)
    p = w.fmul(zi, invc2)
    p_lo = w.fma(zi_lo, invc2, w.fma(zi, invc2, w.fneg(p)))  # z invc1 invc2 = p + p_lo
    r = w.fsub(p, w.const(1.0))  # exact (p within 2**-8 of 1)
    # k ln2 + logc1 + logc2: the highs exactly, the lows (below 2**-32) rounded
    t1 = w.fadd(w.fma(k, w.const(LN2_HI), get("logc1_hi", i)), get("logc2_hi", j))
    lo1 = w.fma(k, w.const(LN2_LO), w.fadd(get("logc1_lo", i), get("logc2_lo", j)))
    t2, lo2 = w.fast_two_sum(t1, r)  # |t1| > |r| unless t1 = 0
    rr = w.fmul(r, r)
    rr_lo = w.fma(r, r, w.fneg(rr))  # r^2 = rr + rr_lo
    # t2 - rr/2 (rr/2 exact) and what its rounding lost, as `fast_two_sum` does
    hi = w.fma(rr, w.const(-0.5), t2)
    lo3 = w.fma(rr, w.const(-0.5), w.fsub(t2, hi))
    # log1p(r + p_lo) - log1p(r) = p_lo/(1 + r) = p_lo (1 - r + r^2), to 2**-75
    tail = w.fma(w.fmul(rr, r), estrin_vector(w, POW_F64_LOG, r, rr),
                 w.fma(p_lo, w.fsub(rr, r), p_lo))
    return hi, w.fadd(w.fadd(lo1, lo2), w.fma(rr_lo, w.const(-0.5), lo3)), tail


def _pow_f64_magnitude(w, get, ax, y):
    """``ax ** y`` for a normal ax > 0 and |y| < 2**16: log ax is left unnormalised
    (its low parts below 2**-28), as y times them stays below 2**-12."""
    hi, lo, tail = _pow_f64_log(w, get, ax)
    p = w.fmul(y, hi)
    p_lo = w.fma(y, tail, w.fma(y, lo, w.fma(y, hi, w.fneg(p))))  # y log ax = p + p_lo
    return scale_once_branch(w, *exp_by_table(w, p, p_lo))


def _pow_f64_special(v, get, x, y):
    """``x ** y`` on 8 lanes, any x and y (C99's special cases, as np.power)."""
    ax, odd_x, k_offset = _special_base(v, LOG_TABLE_F64, x)
    yc = v.select(odd_x, v.copysign(v.const(POW_F64_CLAMP), y), y)  # 0 and inf
    yc = v.select(v.fcmp("==", ax, v.const(1.0)), v.const(0.0), yc)  # 1 for y = +-inf
    hi, lo, tail = _pow_f64_log(v, get, ax, k_offset)
    hi, lo = v.fast_two_sum(hi, v.fadd(lo, tail))  # normalised, for any y
    p = v.fmul(yc, hi)
    p_lo = v.fma(yc, lo, v.fma(yc, hi, v.fneg(p)))
    # |p| clamped (NaN to the bound), its low part dropped where it was
    big, small = v.const(POW_F64_CLAMP), v.const(-POW_F64_CLAMP)
    pc = v.select(v.fcmp("<", p, big), p, big)
    pc = v.select(v.fcmp(">", pc, small), pc, small)
    p_lo = v.select(v.fcmp("==", pc, p), p_lo, v.const(0.0))
    out = scale_once(v, *exp_by_table(v, pc, p_lo))
    return _c99_signs_and_nans(v, x, y, odd_x, out)


def _pow_f64_vector(v, x, y):
    """The vector body of `pow_f64` (see there), 8 float64 lanes: where every x is
    normal and positive and every |y| below 2**16, `_pow_f64_magnitude` alone;
    otherwise `_pow_f64_special`."""
    get = v.table("pow_f64", POW_F64_TABLE)
    ordinary = v.and_(
        normal_positive(v, LOG_TABLE_F64, x),
        v.ult(v.and_(v.bits(y), v.iconst(0x7FFFFFFFFFFFFFFF)), v.iconst(POW_F64_MAX_Y)))
    return v.if_all(ordinary, lambda: _pow_f64_magnitude(v, get, x, y),
                    lambda: _pow_f64_special(v, get, x, y))


_pow_f64 = vector_kernels.kernel_or("pow_f64", types.float64, _pow_f64_vector,
                                    _pow_f64_portable, arity=2)


@vecfn
def pow_f64(x, y):
    """``x ** y`` for float64 (C99 pow, as np.power), within 1 ulp. With AVX-512 a
    double-double log and exp from 16-entry tables held in registers
    (`vector_kernels.py`), rounded once, the special cases by selects on a path
    taken only by 8 lanes holding one; elsewhere `_pow_f64_portable`.

    >>> pow_f64(-8.0, 1.0 / 3.0)  # doctest: +SKIP
    nan
    """
    return _pow_f64(x, y)


@vecfn
def sqrt_f64(x):
    """``sqrt(x)``: the hardware square root (correctly rounded; NaN below 0)."""
    return sqrt(x)


@vecfn
def sqrt_f32(x):
    """``sqrt(x)`` for float32: the hardware square root."""
    return sqrt(x)
