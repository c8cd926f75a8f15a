"""pow and sqrt, float64 and float32.

pow(x, y) = exp(y * log|x|), where the error of log|x| is multiplied by y (up to
745 where the result is finite): for the result to stay within an ulp, float64 pow
computes log|x| to about 2**-66 relative, as a double-double, with
``log(1+f) = 2s + s z (2/3 + z Q(z))``, s = f/(2+f), z = s^2: 2s and s z (2/3 + ...),
below 1% of the sum, are carried as pairs, and only z Q, below 2**-12 of it, is
plain float64 (fit ``log_pow``). The product with y is split exactly (FMA), and
exp takes its low part into the reduced argument. float32 pow needs none of this:
``2**(y log2|x|)`` in plain float64 is accurate far beyond a float32 result; on
AVX-512 it is a vector kernel with 16-entry tables in registers (ARM's powf), no
division (see "float32 by table" below).

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
from tracegrad.codegen.vecmath.vector_kernels import vector_function

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
# The idea of ARM's optimized-routines powf, as a vector kernel (`vector_kernels.py`):
# the tables sit in registers, one vpermt2pd per lookup, and the work is float64 on
# the two halves of each 16 float32 lanes, with the special cases done once on the
# 16 float32 lanes, and only where a lane needs them. No division, no integer
# conversion of a float.
#
# log2|x|: the float64 bits of |x| (a float32 subnormal is normal there) minus those
# of 0.69921875 give k (the exponent) and i (the next four bits), and z in
# [0.7, 1.4) with |x| = 2**k z; c is the centre of z's subinterval i (1 on the one
# holding 1), r = z/c - 1 = z invc - 1 (one FMA, |r| <= 4/135), and
# ``log2|x| = k + logc + r P(r)``. exp2(t): t = n + r, n a multiple of 1/16 (the low
# bits of t + 1.5 * 2**48 hold 16n), |r| <= 1/32, ``2**t = 2**floor(n) 2**(j/16)
# (1 + r Q(r))`` with j = 16n & 15, the first factor by vscalefpd, which over- and
# underflows as the result must (a float64 2**t for t down to -160 is normal: the
# rounding to float32 makes the subnormals, once).

# columns of 16 float64 entries (printed by ``remez pow_f32_table``)
POW_F32_TABLE = {
    "invc": (1.3989071038251366, 1.3403141361256545, 1.2864321608040201, 1.2367149758454106,
             1.1906976744186046, 1.147982062780269, 1.1082251082251082, 1.0711297071129706,
             1.0364372469635628, 1.0, 0.9481481481481482, 0.8951048951048951,
             0.847682119205298, 0.8050314465408805, 0.7664670658682635, 0.7314285714285714),
    "logc": (-0.4843001617159575, -0.4225711719642514, -0.3633753794563512,
             -0.3065130425006747, -0.2518071504105397, -0.19910010007969525,
             -0.14825095858394247, -0.09913319201925132, -0.05163276841532236, 0.0,
             0.07681559705083084, 0.1598713367783894, 0.2384047393250789,
             0.3128829552843553, 0.38370429247405213, 0.4512111118323288),
    "exp2": (1.0, 1.0442737824274138, 1.0905077326652577, 1.1387886347566916,
             1.189207115002721, 1.241857812073484, 1.2968395546510096, 1.3542555469368927,
             1.4142135623730951, 1.4768261459394993, 1.5422108254079407, 1.6104903319492543,
             1.681792830507429, 1.7562521603732995, 1.8340080864093424, 1.9152065613971474),
}
# log2(1 + r) = r P(r), |r| <= 4/135 (fit "log2_pow_f32_table"): relative error 3.0e-12
# (2**-38.3), so that y log2|x| (up to 160) is off by 2**-31 at most
POW_F32_LOG2 = (
    1.4426950408933268,
    -0.7213475204564821,
    0.4808982575151027,
    -0.3606736446714473,
    0.28881063213381486,
    -0.24072082284288068,
)
# 2**r = 1 + r Q(r), |r| <= 1/32 (fit "exp2_pow_f32_table"): relative error of 2**r
# 2.3e-9 (0.04 ulp of float32); the 1 is exact, so exact powers of two stay exact
POW_F32_EXP2 = (
    0.6931471810367861,
    0.24023355149643685,
    0.05550410866800351,
)
POW_F32_FIRST_BITS = 0x3FE6600000000000  # 0.69921875 (float32 bits 0x3f330000) as float64
POW_F32_SHIFT = 1.5 * 2.0**48  # t + this rounds t to a multiple of 1/16 (low bits: 16t)
# |y| is clamped to this: y log2|x| still over- or underflows wherever it would have
# (|log2|x|| >= 2**-24 for x != 1), and |t| <= 2**43 keeps the shift's rounding exact
POW_F32_MAX_Y = 2.0**32
FLOAT32_SIGN = -(1 << 31)


def _polynomial(w, coefficients, r):
    """``sum(c[k] r**k)`` by Horner's scheme."""
    p = w.const(coefficients[-1])
    for c in reversed(coefficients[:-1]):
        p = w.fma(p, r, w.const(c))
    return p


def _pow_f32_half(w, get, ax, y):
    """``2**(y log2 ax)`` on 8 float64 lanes (see above), for ax >= 0 and |y| <=
    POW_F32_MAX_Y (0, inf and NaN ax give finite logs near -1023 and 1025)."""
    bits = w.bits(ax)
    tmp = w.isub(bits, w.iconst(POW_F32_FIRST_BITS))
    k = w.to_float(w.ashr(tmp, w.iconst(52)))
    z = w.from_bits(w.isub(bits, w.and_(tmp, w.iconst(-1 << 52))))
    i = w.lshr(tmp, w.iconst(48))  # the permute reads the low four bits only
    r = w.fma(z, get("invc", i), w.const(-1.0))  # exact where c = 1
    t = w.fmul(y, w.fma(r, _polynomial(w, POW_F32_LOG2, r), w.fadd(k, get("logc", i))))
    shifted = w.fadd(t, w.const(POW_F32_SHIFT))  # 16t in the low bits: j = 16t & 15
    n = w.fsub(shifted, w.const(POW_F32_SHIFT))  # t rounded to a multiple of 1/16
    r = w.fsub(t, n)  # exact, |r| <= 1/32
    two_r = w.fma(r, _polynomial(w, POW_F32_EXP2, r), w.const(1.0))
    return w.scale2(w.fmul(two_r, get("exp2", w.bits(shifted))), n)  # 2**floor(n)


def _pow_f32_magnitude(v, w, get, ax, y):
    """``ax ** y`` rounded to float32 on 16 lanes, for ax = |x| > 0 finite (or the
    stand-ins of `_pow_f32_special`) and |y| <= POW_F32_MAX_Y."""
    (ax_lo, ax_hi), (y_lo, y_hi) = v.widen(ax), v.widen(y)
    return v.narrow(_pow_f32_half(w, get, ax_lo, y_lo), _pow_f32_half(w, get, ax_hi, y_hi))


def _pow_f32_special(v, w, get, x, y):
    """``x ** y`` on 16 lanes, any x and y (C99's special cases, as np.power)."""
    ax = v.from_bits(v.and_(v.bits(x), v.iconst(0x7FFFFFFF)))
    # x = 0, inf (and NaN, made NaN below): only y's sign counts (y = 0 below); the
    # logs near -1023 and 1025 times +-1 over- or underflow
    odd_x = v.not_(v.ult(v.isub(v.bits(ax), v.iconst(1)), v.iconst(0x7F7FFFFF)))
    # y clamped, NaN to the bound, so that 1**NaN = 1 (NaN is restored below)
    big = v.const(POW_F32_MAX_Y)
    yc = v.select(v.fcmp("<", y, big), y, big)
    yc = v.select(v.fcmp(">", yc, v.fsub(v.const(0.0), big)), yc, v.fsub(v.const(0.0), big))
    out = _pow_f32_magnitude(v, w, get, ax, v.select(odd_x, v.copysign(v.const(1.0), y), yc))
    # a negative x (-0, -inf included) to an odd power: its sign; |y| >= 2**24 is even
    is_int = v.fcmp("==", v.rint(y), y)
    half = v.fmul(y, v.const(0.5))
    odd = v.and_(is_int, v.fcmp("!=", v.rint(half), half))
    sign = v.select(odd, v.and_(v.bits(x), v.iconst(FLOAT32_SIGN)), v.iconst(0))
    out = v.from_bits(v.xor(v.bits(out), sign))
    # NaN: a negative finite x to a non-integer power, and NaN x or y unless x = 1
    negative = v.and_(v.fcmp("<", x, v.const(0.0)), v.not_(odd_x))
    nan = v.or_(v.and_(negative, v.not_(is_int)),
                v.and_(v.fcmp_unordered("uno", x, y), v.fcmp_unordered("!=", x, v.const(1.0))))
    out = v.select(nan, v.const(np.nan), out)
    return v.select(v.fcmp("==", y, v.const(0.0)), v.const(1.0), out)  # also for NaN x


def _pow_f32_vector(v, x, y):
    """The vector body of `pow_f32` (see there), 16 float32 lanes: where every x is
    positive and finite and every |y| below 2**24, `_pow_f32_magnitude` alone;
    otherwise `_pow_f32_special`, about 25 operations more for the special cases."""
    w = v.wide()
    get = w.table("pow_f32", POW_F32_TABLE)
    # 0 < x < inf and |y| < 2**24 (no NaN): no special case, no clamp needed
    ordinary = v.and_(v.ult(v.isub(v.bits(x), v.iconst(1)), v.iconst(0x7F7FFFFF)),
                      v.ult(v.and_(v.bits(y), v.iconst(0x7FFFFFFF)), v.iconst(0x4B800000)))
    b = v.b
    fast, slow, done = (b.append_basic_block(n) for n in ("ordinary", "special", "done"))
    b.cbranch(v.all_of(ordinary), fast, slow)
    results = []
    for block, compute in ((fast, _pow_f32_magnitude), (slow, _pow_f32_special)):
        b.position_at_end(block)
        results.append((compute(v, w, get, x, y), b.block))
        b.branch(done)
    b.position_at_end(done)
    out = b.phi(v.float)
    for value, block in results:
        out.add_incoming(value, block)
    return out


if vector_kernels.available():
    _pow_f32_table = vector_function("pow_f32", types.float32, _pow_f32_vector, arity=2)

    @vecfn
    def pow_f32(x, y):
        """``x ** y`` for float32 by table (AVX-512), within 1 ulp: ``2**(y log2|x|)``
        in float64 from 16-entry tables held in registers (`vector_kernels.py`),
        rounded once; the special cases of C99 (as np.power) by selects."""
        return _pow_f32_table(x, y)
else:

    @vecfn
    def pow_f32(x, y):
        """``x ** y`` for float32 (without AVX-512: `_pow_f32_portable`)."""
        return _pow_f32_portable(x, y)


@vecfn
def sqrt_f64(x):
    """``sqrt(x)``: the hardware square root (correctly rounded; NaN below 0)."""
    return sqrt(x)


@vecfn
def sqrt_f32(x):
    """``sqrt(x)`` for float32: the hardware square root."""
    return sqrt(x)
