"""exp and expm1, float64 and float32.

Method (Cody and Waite, as in Cephes, fdlibm and Sleef): write
``x = n*ln2 + r`` with ``n = rint(x/ln2)`` and ``|r| <= ln2/2``; then
``exp(x) = 2**n * exp(r)`` with ``exp(r) = 1 + r + r*r*q(r)``, q a minimax
polynomial (coefficients from ``remez.py``, fits ``exp_f64``/``exp_f32``).
``x - n*ln2`` is exact in its first step: ``ln2`` is split into a 53-bit head and
a tail, and the FMA subtracts ``n*LN2_HI`` with a single rounding of an exactly
representable result. ``2**n`` is built from its exponent bits, in two factors so
that results near overflow and in the subnormal range are rounded once.

exp_f32 computes in float32 arithmetic (16 lanes of a zmm register, not 8): the same
reduction with a float32 split of ln2, ``1 + r`` kept as a pair of floats so that
the result rounds once, and a two-factor scaling (0.79 ulp, measured over every
float32). expm1_f32 is float32 arithmetic too: ``(2**n - 1) + 2**n r`` summed exactly
and the small rest rounded once into it (0.79 ulp over every float32).

>>> exp_f64(1.0)  # doctest: +SKIP
2.718281828459045
"""

from __future__ import annotations

import numpy as np
from numba import types

from tracegrad.codegen.vecmath import vector_kernels
from tracegrad.codegen.vecmath.dd import fast_two_sum, two_sum
from tracegrad.codegen.vecmath.intrinsics import (
    as_float32,
    as_float64,
    as_int32,
    estrin,
    fabs,
    fma,
    horner,
    rint,
)
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


@vecfn(alone=True)  # see jit.vecfn
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
def _exp_f64_portable(x):
    """``exp(x)`` for float64 without tables (CPUs without AVX-512), within 1 ulp;
    inf, 0 and NaN as NumPy.

    >>> _exp_f64_portable(0.0)  # doctest: +SKIP
    1.0
    """
    n, h, t = exp_parts(_clamp(x, X_MIN, X_MAX))
    y = scale2(h + t, n)
    return x if x != x else y


@vecfn
def _expm1_f64_portable(x):
    """``exp(x) - 1`` for float64 without tables (CPUs without AVX-512), accurate
    also for tiny x; -0.0, inf, NaN as NumPy.

    See `expm1_parts`; n = 1024 (x near overflow) is done as 2 * (n = 1023), so
    that 2**n stays finite.

    >>> _expm1_f64_portable(1e-10)  # doctest: +SKIP
    1.00000000005e-10
    """
    hi, lo, n = expm1_parts(_clamp(x, X_MIN, X_MAX))
    y = hi + lo
    y = y + y if n > 1023.0 else y
    # 2^-54: expm1(x) rounds to x (also keeps -0.0); NaN fails the test too
    return y if fabs(x) >= 5.551115123125783e-17 else x


# --- float32 in single precision ------------------------------------------------------
#
# 16 lanes of a zmm register instead of 8: the reduction, the polynomial and the
# scaling are float32 operations throughout. Within 1 ulp all the same (0.52 measured
# over every float32 argument): the reduced r is kept to a fraction of its ulp, and
# ``1 + (r + r^2 q)`` rounds once with the small part below 0.42.

F32 = np.float32
SHIFT_F32 = F32(12582912.0)  # 1.5 * 2**23: t + SHIFT rounds t to an integer in the low bits
LOG2E_F32 = F32(1.442695)
LN2_HI_F32 = F32(0.693145751953125)  # ln 2 with 9 trailing zero bits: n*LN2_HI_F32 exact
LN2_LO_F32 = F32(1.4286068e-06)  # ln 2 - LN2_HI_F32
ONE_F32 = F32(1.0)
HALF_F32 = F32(0.5)
TWO_F32 = F32(2.0)
EXPM1_Z_MIN_F32 = SHIFT_F32 - F32(24.0)  # n = -24 (expm1_f32)
SHIFT_BITS_F32 = 0x4B400000  # the bits of SHIFT_F32

# exp(r) = 1 + r + r^2 q(r) on |r| <= ln2/2 in float32 arithmetic (the fit of
# "exp_f32" with 5 coefficients, rounded to float32): error 3.1e-9 relative
EXP_F32_SINGLE = (
    F32(0.4999999403953552),
    F32(0.1666652113199234),
    F32(0.04166838899254799),
    F32(0.008368710055947304),
    F32(0.001381461275741458),
)
# EXP_F32 rounded to float32 (expm1_f32: 1e-9 relative, cancellation leaves less room)
EXPM1_F32_SINGLE = tuple(F32(c) for c in EXP_F32)


@vecfn(alone=True)  # see jit.vecfn
def clamp_f32(x, lo, hi):
    """x limited to [lo, hi] in float32; NaN becomes 0 (callers select their NaN)."""
    x = lo if x < lo else x
    x = hi if x > hi else x
    return x if x == x else F32(0.0)


@vecfn
def reduce_ln2_hi_f32(x):
    """``(z, n, r1)``, float32: n = rint(x/ln2), held also in z's low bits (z = SHIFT_F32
    + n, for `scale2_f32`), and the exact ``r1 = x - n*LN2_HI_F32``.

    The FMA rounds x*log2(e) to an integer once, with no rounding of the product.
    """
    z = fma(x, LOG2E_F32, SHIFT_F32)
    n = z - SHIFT_F32
    return z, n, fma(-n, LN2_HI_F32, x)


@vecfn
def reduce_ln2_f32(x):
    """``(z, n, r)`` with ``x = n*ln2 + r``, |r| <= ln2/2 (r rounded once), in float32;
    z as in `reduce_ln2_hi_f32`."""
    z, n, r1 = reduce_ln2_hi_f32(x)
    return z, n, fma(-n, LN2_LO_F32, r1)


@vecfn
def scale2_f32(p, z):
    """``p * 2**n`` in float32 for ``0.5 <= p < 2`` and n (in z, see `reduce_ln2_f32`)
    in [-152, 128]: two factors, the first product exact, so subnormal results and
    overflow round once. The integer arithmetic narrows to 32 bits in LLVM."""
    n = as_int32(z) - SHIFT_BITS_F32
    a = n >> 1
    return p * as_float32((a + 127) << 23) * as_float32((n - a + 127) << 23)


@vecfn
def exp_pair_f32(r):
    """``(h, t)`` with ``exp(r) = h + t`` for |r| <= ln2/2, in float32: ``h = fl(1 + r)``
    and t what its rounding lost plus ``r^2 q(r)``, summed to about 2**-30.

    ``h + t`` then rounds once (0.5 ulp and the fit's error); tanh keeps the pair.
    """
    h, h_lo = fast_two_sum(ONE_F32, r)
    return h, fma(r * r, horner(EXP_F32_SINGLE, r), h_lo)


@vecfn
def pow2_f32(z):
    """``2.0**n`` in float32 for n (in z, see `reduce_ln2_hi_f32`) in [-126, 127]."""
    return as_float32((as_int32(z) - (SHIFT_BITS_F32 - 127)) << 23)


@vecfn
def exp_f32(x):
    """``exp(x)`` for float32, in float32 arithmetic (16 lanes); inf, 0, NaN as NumPy.

    >>> exp_f32(np.float32(1.0))  # doctest: +SKIP
    2.7182817
    """
    # float32 overflows above 88.73 and underflows to 0 below -103.98
    z, n, r = reduce_ln2_f32(clamp_f32(x, F32(-104.0), F32(89.0)))
    h, t = exp_pair_f32(r)
    y = scale2_f32(h + t, z)
    return x if x != x else y


@vecfn
def expm1_f32(x):
    """``exp(x) - 1`` for float32, in float32 arithmetic (16 lanes), within 1 ulp.

    With ``x = n*ln2 + r`` and ``h = 2**(n-1)``: ``expm1(x) = 2 ((h - 1/2) + h r +
    h (r^2 q(r) + r_lo))``. ``h - 1/2`` is exact for |n| <= 24 (above, its rounding
    error joins the small terms, exactly), ``h r`` is exact, and the two are summed
    exactly: only the small terms and the one final sum round, and small x (n = 0)
    give ``r + r^2 q`` with no cancellation. q is EXP_F32's fit (one degree above
    EXP_F32_SINGLE's), rounded to float32: 1e-9. The halves keep 2**n finite up to
    n = 128 (overflow comes from the final doubling). n is held at -24 or above:
    there 2**n is below half an ulp of the result -1, so that r may leave the
    polynomial's range without its part of the result showing.
    """
    xc = clamp_f32(x, F32(-18.0), F32(89.0))  # expm1 rounds to -1 below -17.33
    z = fma(xc, LOG2E_F32, SHIFT_F32)
    z = z if z > EXPM1_Z_MIN_F32 else EXPM1_Z_MIN_F32  # n >= -24
    n = z - SHIFT_F32
    r1 = fma(-n, LN2_HI_F32, xc)  # exact
    r = fma(-n, LN2_LO_F32, r1)
    r_lo = fma(-n, LN2_LO_F32, r1 - r)  # what rounding r lost
    h = pow2_f32(z - ONE_F32)  # 2**(n-1)
    a = h - HALF_F32
    a_lo = (h - a) - HALF_F32  # 0, or the -1/2 that a lost (n >= 25)
    hi, lo = fast_two_sum(a, h * r)  # |h - 1/2| >= |h r| (or a = 0)
    # h (r^2 q(r) + r_lo), rounded once into the small terms: where hi cancels
    # (n = 1, r ~ -ln2/2) they are a third of the result
    r2 = r * r
    small = fma(h, r_lo, lo + a_lo)
    small = fma(HALF_F32 * h, fma(r, r, -r2), small)  # r^2's rounding error, times ~1/2
    small = fma(h * r2, horner(EXPM1_F32_SINGLE, r), small)
    y = TWO_F32 * (hi + small)
    return x if not fabs(x) >= F32(2.9802322e-08) else y  # 2^-25: tiny, -0.0, NaN


# --- float64 by table (AVX-512) ---------------------------------------------------------
#
# With 2**(j/16) from a 16-entry table held in registers (`vector_kernels.py`), the
# reduced argument shrinks to |r| <= ln2/32 and exp(r) needs a degree-7 polynomial
# instead of degree 12; 2**floor(e) is one vscalefpd, which also makes inf and 0
# beyond the range. float64 pow uses the same pieces for its exp.
#
# p + p_lo = e ln2 + r, e a multiple of 1/16 from a sum with 1.5 * 2**48 (whose low
# bits hold 16e), p - e LN2_HI exact, p_lo and the rest of e ln2 added with one
# rounding, |r| <= ln2/32 + 2**-12 (pow's p_lo reaches 2**-12);
# ``exp(p) = 2**floor(e) hi (1 + tail + r + r^2 Q(r))`` with 2**(j/16) = hi (1 + tail),
# j = 16e & 15, rounded once by an FMA; a subnormal result is rounded once at its own
# grid (`_scale_subnormal`), on a path taken only by 8 lanes holding one.

EXP_SHIFT = 1.5 * 2.0**48  # t + this rounds t to a multiple of 1/16 (low bits: 16t)
# 2**(j/16) = hi (1 + tail), j = 0 ... 15 (printed by ``remez exp_f64_table``)
EXP_F64_TABLE = {
    "hi": (1.0, 1.0442737824274138, 1.0905077326652577, 1.1387886347566916,
           1.189207115002721, 1.241857812073484, 1.2968395546510096, 1.3542555469368927,
           1.4142135623730951, 1.4768261459394993, 1.5422108254079407, 1.6104903319492543,
           1.681792830507429, 1.7562521603732995, 1.8340080864093424, 1.9152065613971474),
    "tail": (0.0, 8.189317638195515e-17, -2.7939114859515733e-17, 7.826573258636076e-17,
             3.3484623336251524e-17, 3.750854201303127e-17, 1.9572585293112036e-17,
             5.68648095791174e-17, -6.835808657661922e-17, -2.3591094770850053e-17,
             5.1548301170786783e-17, 1.5341410053603723e-17, 4.875160526227062e-17,
             1.685487290628973e-17, 1.790126907604513e-17, -5.545065618639427e-17),
}
# exp(r) = 1 + r + r^2 Q(r), |r| <= ln2/32 + 2**-12 (fit "exp_f64_table_poly"):
# relative error 1.2e-20 (2**-66.2)
EXP_F64_TABLE_POLY = (
    0.5000000000000004,
    0.16666666666666619,
    0.04166666666033193,
    0.008333333335792618,
    0.0013889117162153924,
    0.0001984109149479272,
)
EXP_F64_NORMAL = 708.0  # |x| below: exp(x) is a normal number


def estrin_vector(w, coefficients, r, r2):
    """``sum(c[k] r**k)`` by Estrin's scheme (pairs, then powers of r2) in a vector
    body: a shorter chain than Horner's; r2 = r * r."""
    terms = [w.fma(w.const(coefficients[k + 1]), r, w.const(coefficients[k]))
             if k + 1 < len(coefficients) else w.const(coefficients[k])
             for k in range(0, len(coefficients), 2)]
    power = r2
    while len(terms) > 1:
        terms = [w.fma(power, terms[k + 1], terms[k]) if k + 1 < len(terms) else terms[k]
                 for k in range(0, len(terms), 2)]
        power = w.fmul(power, power)
    return terms[0]


def reduce_by_table(w, p, p_lo=None):
    """``(e, r, j)`` with ``p + p_lo = e ln2 + r`` (see above; p_lo None: 0): e a
    multiple of 1/16, r rounded once, and j holding 16e in its low bits, the index
    of ``2**(j/16)`` in the table."""
    shifted = w.fma(p, w.const(LOG2E), w.const(EXP_SHIFT))  # 16e in the low bits
    e = w.fsub(shifted, w.const(EXP_SHIFT))  # p/ln2 rounded to a multiple of 1/16
    r = w.fma(e, w.const(-LN2_HI), p)  # exact where the result is finite and not 0
    if p_lo is None:
        r = w.fma(e, w.const(-LN2_LO), r)
    else:
        r = w.fadd(r, w.fma(e, w.const(-LN2_LO), p_lo))
    return e, r, w.bits(shifted)


def exp_by_table(w, p, p_lo=None, table=("exp_f64", EXP_F64_TABLE), tail_times_r=False):
    """``exp(p + p_lo) = hi (1 + tmp) 2**floor(e)`` for |p| < 2**42 and |p_lo| <=
    2**-12 (see above; None: 0), as ``(hi, tmp, e)`` for `scale_once`; NaN gives
    NaN. `table` (name, columns) may hold 2**(j/16) split otherwise (tanh's, with a
    shorter hi), where the term r tail counts (`tail_times_r`)."""
    get = w.table(*table)
    e, r, j = reduce_by_table(w, p, p_lo)
    rr = w.fmul(r, r)
    tail = get("tail", j)
    r_tail = w.fadd(r, tail)
    r_tail = w.fma(r, tail, r_tail) if tail_times_r else r_tail
    tmp = w.fma(rr, estrin_vector(w, EXP_F64_TABLE_POLY, r, rr), r_tail)
    return get("hi", j), tmp, e


def _scale_normal(w, hi, tmp, e):
    """``hi (1 + tmp) 2**floor(e)``, rounded once where the result is normal (inf
    and 0 beyond the range: vscalefpd); a subnormal result is rounded twice."""
    return w.scale2(w.fma(hi, tmp, hi), e)


def _scale_subnormal(w, hi, tmp, e):
    """``hi (1 + tmp) 2**floor(e)`` where it is below 2**-1022 (subnormal or 0),
    rounded once: v = the result times 2**1022 (below 1) as a pair, then 1 + v rounds
    at 2**-52, where the subnormals of the result round (ARM's exp does the same)."""
    scaled = w.scale2(hi, w.fadd(e, w.const(1022.0)))
    v = w.fma(scaled, tmp, scaled)
    v_lo = w.fma(scaled, tmp, w.fsub(scaled, v))  # what v's rounding lost
    h = w.fadd(w.const(1.0), v)
    h_lo = w.fadd(w.fsub(w.const(1.0), h), v)  # 1 >= v: the sum's rounding error
    one_plus_v = w.fadd(h, w.fadd(h_lo, v_lo))  # the one rounding
    return w.fmul(w.fsub(one_plus_v, w.const(1.0)), w.const(2.0**-1022))  # exact


def scale_once(w, hi, tmp, e):
    """The result of `exp_by_table`, rounded once: lane by lane the normal or (below
    2**-1022, where the normal way rounded twice) the subnormal way."""
    normal = _scale_normal(w, hi, tmp, e)
    tiny = w.fcmp("<", normal, w.const(2.0**-1022))
    return w.select(tiny, _scale_subnormal(w, hi, tmp, e), normal)


def scale_once_branch(w, hi, tmp, e):
    """`scale_once`, the subnormal way only where a lane needs it: a branch on
    all 8 lanes, so that ordinary registers skip it."""
    normal = _scale_normal(w, hi, tmp, e)
    tiny = w.fcmp("<", normal, w.const(2.0**-1022))
    return w.if_all(w.not_(tiny), lambda: normal,
                    lambda: w.select(tiny, _scale_subnormal(w, hi, tmp, e), normal))


def _exp_f64_vector(v, x):
    """The vector body of `exp_f64` (see there), 8 float64 lanes: where every |x| is
    below 708 (a normal result), the table and one rounding; otherwise x clamped to
    [-746, 710] (inf and 0 beyond, NaN kept) and the subnormal rounding where needed."""
    ordinary = v.fcmp("<", v.fabs(x), v.const(EXP_F64_NORMAL))  # NaN: not ordinary

    def special():
        low, high = v.const(X_MIN), v.const(X_MAX)
        xc = v.select(v.fcmp("<", x, low), low, x)
        xc = v.select(v.fcmp(">", xc, high), high, xc)
        return scale_once(v, *exp_by_table(v, xc))

    return v.if_all(ordinary, lambda: _scale_normal(v, *exp_by_table(v, x)), special)


_exp_f64 = vector_kernels.kernel_or("exp_f64", types.float64, _exp_f64_vector,
                                   _exp_f64_portable)


# expm1 by the same table, the step e (a multiple of 1/16) rounded toward zero so that
# 2**e - 1 and exp(r) - 1 have the same sign and never cancel: x = e ln2 + r with
# |r| < ln2/16, 2**e = hi 2**m with m = floor(e), and ``expm1(x) = 2**m ((hi - 2**-m)
# + hi r + hi (tail + r^2 Q(r)))`` (Q of degree 6, fit "expm1_f64_table_poly",
# 2**-66). hi - 2**-m (a pair: it rounds for m < -1 and m > 52) and hi r are summed
# exactly, the rest is small, and the result is rounded once and scaled exactly.
# Near 0 (e = 0) the sum is hi r = r itself.
EXPM1_TINY = 2.0**-54  # |x| below: expm1(x) rounds to x
EXPM1_LOW = -40.0  # x below: expm1(x) rounds to -1 (2**-m stays finite above)
EXPM1_HIGH = 709.0  # x above: near overflow (m = 1023, 1024), or inf
EXPM1_F64_TABLE_POLY = (
    0.5,
    0.16666666666667124,
    0.04166666666665796,
    0.008333333320655284,
    0.0013888888964769615,
    0.0001984233004163926,
    2.4800113601164404e-05,
)


def _expm1_f64_table(v, x):
    get = v.table("exp_f64", EXP_F64_TABLE)
    e = v.trunc_to(v.fmul(x, v.const(LOG2E)), 4)  # x/ln2 toward 0, a multiple of 1/16
    j = v.bits(v.fadd(e, v.const(EXP_SHIFT)))  # 16e in the low bits
    r_hi = v.fma(e, v.const(-LN2_HI), x)  # exact
    r = v.fma(e, v.const(-LN2_LO), r_hi)
    r_lo = v.fma(e, v.const(-LN2_LO), v.fsub(r_hi, r))  # r + r_lo = x - e ln2
    rr = v.fmul(r, r)
    hi = get("hi", j)
    m = v.floor(e)
    d, d_lo = v.two_sum(hi, v.fneg(v.scale2(v.const(1.0), v.fneg(m))))  # hi - 2**-m
    # d + hi r exactly (hi r as a pair, and d's exponent is at least hi r's), the
    # rest (hi (tail + r^2 Q) and the low parts) small: one rounding that counts
    p = v.fmul(hi, r)
    s, s_lo = v.fast_two_sum(d, p)
    lows = v.fma(hi, r_lo, v.fadd(v.fadd(v.fma(hi, r, v.fneg(p)), s_lo), d_lo))
    tail = get("tail", j)  # 2**(j/16) = hi (1 + tail): times exp(r), tail r counts here
    rest = v.fma(hi, v.fma(rr, estrin_vector(v, EXPM1_F64_TABLE_POLY, r, rr),
                           v.fma(tail, r, tail)), lows)
    return v.scale2(v.fadd(s, rest), m)


def _expm1_f64_vector(v, x):
    """The vector body of `expm1_f64`: `_expm1_f64_table` where every x is in
    [-40, 709] and |x| >= 2**-54, else x clamped and -1, inf, NaN and x itself
    selected where they are the result."""
    inside = v.and_(v.fcmp(">", x, v.const(EXPM1_LOW)), v.fcmp("<", x, v.const(EXPM1_HIGH)))
    ordinary = v.and_(inside, v.fcmp(">=", v.fabs(x), v.const(EXPM1_TINY)))

    def special():
        low, high = v.const(EXPM1_LOW), v.const(X_MAX)
        xc = v.select(v.fcmp("<", x, low), low, x)
        xc = v.select(v.fcmp(">", xc, high), high, xc)  # NaN stays NaN
        y = _expm1_f64_table(v, xc)  # inf from 709.79 on (vscalefpd)
        y = v.select(v.fcmp("<", x, low), v.const(-1.0), y)
        return v.select(v.fcmp_unordered(">=", v.fabs(x), v.const(EXPM1_TINY)), y, x)

    return v.if_all(ordinary, lambda: _expm1_f64_table(v, x), special)


_expm1_f64 = vector_kernels.kernel_or("expm1_f64", types.float64, _expm1_f64_vector,
                                     _expm1_f64_portable)


@vecfn
def expm1_f64(x):
    """``exp(x) - 1`` for float64, within 1 ulp, accurate also for tiny x; -0.0, inf,
    NaN as NumPy. With AVX-512 from exp's table (`_expm1_f64_table`), no division;
    elsewhere `_expm1_f64_portable`.

    >>> expm1_f64(1e-10)  # doctest: +SKIP
    1.00000000005e-10
    """
    return _expm1_f64(x)


@vecfn
def exp_f64(x):
    """``exp(x)`` for float64, within 1 ulp; inf, 0 and NaN as NumPy. With AVX-512
    by table: ``2**(j/16)`` from registers (`vector_kernels.py`), a degree-7
    polynomial, one rounding; the clamping and the subnormal rounding on a path
    taken only by 8 lanes holding an |x| of 708 or more (or NaN). Elsewhere
    `_exp_f64_portable`.

    >>> exp_f64(1.0)  # doctest: +SKIP
    2.718281828459045
    """
    return _exp_f64(x)
