"""Argument reduction for sin, cos and tan: ``x = k*(pi/2) + r``, exactly enough.

One method for every finite x, so the loop has no branch to take per lane: a
Payne-Hanek reduction (as in Sleef's ``rempi``, fdlibm's ``__kernel_rem_pio2``)
with the bits of 2/pi that matter for x's exponent read from a table. Writing
``x = M * 2**u`` with M a 53-bit integer, bits of 2/pi of weight ``2**(2-u)`` and
above contribute multiples of 4 to ``x*2/pi``, which do not change the quadrant: the
table row for x's exponent holds the next 212 bits in four 53-bit pieces
``T0..T3``. The products ``x*Tj`` are split exactly with FMA, the multiple of 4 is
dropped, and the rest is summed with error-free additions into ``k + f``,
``|f| <= 1/2``, carried as a double-double. The worst case for doubles leaves
``|r|`` about 2**-61 after cancelling some 62 bits (Muller, "Elementary
Functions", ch. 11): the sum keeps about 150 bits, so r is accurate to
well below an ulp even then.

The table has one row per biased exponent (2048 rows, 64 KiB), built at import
from 2/pi computed with integer arithmetic. Loads from it become gathers.

float32 arguments have their own reductions (end of this file): Cody-Waite to
2**30, then the same Payne-Hanek idea in 64-bit integer arithmetic, with the 96
bits of 2/pi shifted out of four constant words instead of read from the table.

>>> k, r_hi, r_lo = reduce_pio2(1e300)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_prod, two_sum
from tracegrad.codegen.vecmath.intrinsics import (
    as_float64,
    as_int32,
    as_int64,
    fabs,
    floor,
    fma,
    rint,
)
from tracegrad.codegen.vecmath.jit import vecfn

PIO2_HI = 1.5707963267948966  # pi/2 as a double-double
PIO2_LO = 6.123233995736766e-17
# pi/2 in three 53-bit pieces, and 2/pi, for the Cody-Waite reduction
PIO2_1 = 1.5707963267948966
PIO2_2 = 6.123233995736766e-17
PIO2_3 = -1.4973849048591698e-33
TWO_OVER_PI = 0.6366197723675814
# Cody-Waite is exact up to here (n*pi/2 carried to 2**-160, |r| >= 2**-61 for doubles)
FAST_LIMIT = 2.0**30

# x beyond 2**452 are scaled by 2**-600 before the products, and the table rows
# scaled by 2**600, so that no piece of the table underflows.
BIG_EXPONENT = 1023 + 452
SHIFT = 600

_PIECES = 4  # 53-bit pieces of 2/pi per row
_BITS = 53


def _pi_scaled(bits: int) -> int:
    """floor(pi * 2**bits), by Machin's formula in integer arithmetic."""
    guard = bits + 32

    def arctan_inv(n: int) -> int:  # arctan(1/n) * 2**guard
        total, term, k, sign = 0, (1 << guard) // n, 1, 1
        while term:
            total += sign * (term // k)
            term //= n * n
            k += 2
            sign = -sign
        return total

    pi = 16 * arctan_inv(5) - 4 * arctan_inv(239)
    return pi >> 32


def two_over_pi_bits(bits: int) -> int:
    """floor(2/pi * 2**bits): the first `bits` bits of 2/pi after the binary point."""
    extra = 64
    return (2 << (2 * bits + 2 * extra)) // _pi_scaled(bits + extra) >> extra


def build_table() -> np.ndarray:
    """The rows ``T0..T3`` for each biased exponent, shape (4, 2048), float64."""
    total_bits = 1300  # the deepest row reaches bit 969 + 212 of 2/pi
    c = two_over_pi_bits(total_bits)
    table = np.zeros((_PIECES, 2048))
    for e in range(2048):
        u = max(e, 1) - 1075  # x = M * 2**u, M an integer below 2**53
        p0 = min(2 - u, 0)  # the first bit kept has weight 2**(p0 - 1)
        shift = SHIFT if e > BIG_EXPONENT else 0
        for j in range(_PIECES):
            lo = -p0 + _BITS * j  # bits after the binary point to skip
            piece = (c >> (total_bits - lo - _BITS)) & ((1 << _BITS) - 1)
            # an exact double: a 53-bit integer times a power of two
            table[j, e] = np.ldexp(float(piece), p0 - _BITS * (j + 1) + shift)
    return table


TABLE = build_table()
T0, T1, T2, T3 = (np.ascontiguousarray(TABLE[j]) for j in range(_PIECES))


@vecfn
def reduce_pio2(x):
    """``(k, r_hi, r_lo)`` with ``|x| = k*pi/2 + r_hi + r_lo``, k integral in [0, 4).

    For finite x (callers select their result for inf and NaN); k is the
    quadrant, ``|r_hi| <= pi/4`` (a hair more at the rounding boundary).
    """
    e = (as_int64(x) >> 52) & 0x7FF
    xa = fabs(x) * (2.0**-SHIFT if e > BIG_EXPONENT else 1.0)
    h0, l0 = two_prod(xa, T0[e])
    h1, l1 = two_prod(xa, T1[e])
    h2, l2 = two_prod(xa, T2[e])
    h3 = xa * T3[e]
    # drop the multiple of 4 in h0 (exact), then take the integer part out
    a = h0 - 4.0 * floor(h0 * 0.25)
    s, e0 = two_sum(a, l0)
    s, e1 = two_sum(s, h1)
    k = rint(s)
    s = s - k  # exact: |s - k| <= 1/2
    # the fraction: s plus the middle terms (about 2**-50) plus the low ones
    m, ea = two_sum(e0, e1)
    m, eb = two_sum(m, l1)
    m, ec = two_sum(m, h2)
    f, ed = two_sum(s, m)
    f_lo = ((ea + eb) + (ec + ed)) + (l2 + h3)
    f, f_lo = fast_two_sum(f, f_lo)
    # r = f * pi/2 in double-double
    r, r_lo = two_prod(f, PIO2_HI)
    r_lo = fma(f, PIO2_LO, fma(f_lo, PIO2_HI, r_lo))
    r, r_lo = fast_two_sum(r, r_lo)
    return k - 4.0 * floor(k * 0.25), r, r_lo


@vecfn
def reduce_pio2_fast(x):
    """``(k, r_hi, r_lo)`` as `reduce_pio2`, for ``|x| <= FAST_LIMIT`` only.

    Cody and Waite: ``n = rint(|x| 2/pi)``, ``r = |x| - n*(P1 + P2 + P3)`` with
    pi/2 in three 53-bit pieces; the first product cancels exactly (FMA), the
    second is split exactly, so r is a double-double accurate to ~2**-130. Four
    times cheaper than the table-driven reduction: the "fast" trig functions.
    """
    xa = fabs(x)
    n = rint(xa * TWO_OVER_PI)
    r1 = fma(-n, PIO2_1, xa)  # exact
    p2, p2_lo = two_prod(n, PIO2_2)
    s, e = two_sum(r1, -p2)
    r, r_lo = fast_two_sum(s, e - fma(n, PIO2_3, p2_lo))
    return n - 4.0 * floor(n * 0.25), r, r_lo


# --- float32 ------------------------------------------------------------------------
#
# A float32 x is M * 2**(eb - 150), M a 24-bit integer, eb its biased exponent. For
# |x| <= 2**30 the Cody-Waite reduction in float64 is exact enough (the float64
# functions' `reduce_pio2_fast` argument); beyond, the bits of 2/pi from bit
# eb - 151 on matter (the earlier ones contribute multiples of 4 to x*2/pi), and a
# window of 96 of them is shifted out of four 64-bit words held as constants:
# integer shifts and selects, no table loads, since gathers are slow and the
# exponents beyond 2**30 span only 98 bit positions.

F32_FIRST_BIT = 6  # the window of eb = 157 (|x| in [2**30, 2**31)) starts at bit 6


def _words_f32() -> tuple[np.uint64, ...]:
    """Bits 6 to 261 of 2/pi (after the binary point) as four 64-bit words."""
    bits = two_over_pi_bits(F32_FIRST_BIT - 1 + 256) & ((1 << 256) - 1)
    return tuple(np.uint64((bits >> (192 - 64 * i)) & ((1 << 64) - 1)) for i in range(4))


W0, W1, W2, W3 = _words_f32()
_U1, _U32, _U63 = np.uint64(1), np.uint64(32), np.uint64(63)


@vecfn
def quarter_turns_f32(x):
    """``|x| * 2/pi mod 4`` as a 64-bit fixed-point number (2 bits before the point,
    62 after), for a float32 x with ``2**30 < |x| < inf`` (meaningless for others).

    ``M * window`` modulo 2**96 is the fraction we want, scaled by 2**94; its top
    64 bits are ``M * hi + (M * lo) >> 32`` with ``hi`` the first 64 bits of the
    window and ``lo`` the next 32 (the carry from the dropped product bits is
    below 2**-62). Float32's hardest case leaves ``|r|`` about 2**-29, so the
    2**-61 of the fixed point is ample.
    """
    a = as_int32(x) & 0x7FFFFFFF
    p = np.uint64((a >> 23) - 157)  # where the window starts in W0..W3: 0 to 97
    m = np.uint64((a & 0x7FFFFF) | 0x800000)
    second = p >= np.uint64(64)
    s = p & _U63
    wa = W1 if second else W0
    wb = W2 if second else W1
    wc = W3 if second else W2
    # funnel shifts; (w >> 1) >> (63 - s) is w >> (64 - s) without a shift by 64
    hi = (wa << s) | ((wb >> _U1) >> (_U63 - s))
    lo = ((wb << s) | ((wc >> _U1) >> (_U63 - s))) >> _U32
    return m * hi + ((m * lo) >> _U32)


# The two reductions the float32 functions use, each in a Cody-Waite form for
# |x| <= FAST_LIMIT (the fast functions) and a complete one that selects the
# Payne-Hanek result beyond, so that both give the same bits where both apply.
# They keep the sign of x (so the callers need none), and r is a float64 accurate
# to about 2**-50 relatively.

INV_PI = 0.3183098861837907
PIO2_M63 = 1.5707963267948966 * 2.0**-63  # pi/2 per unit of a fixed point << 1
PIO2_M64 = 1.5707963267948966 * 2.0**-64
# n + MAGIC has the parity of an integer |n| < 2**51 in its last bit
MAGIC = 1.5 * 2.0**52
_SIGN = np.uint64(1 << 63)
_QUARTER = np.uint64(1 << 62)
_EIGHTH = np.uint64(1 << 61)
_SIGN_BIT = -(2**63)  # the same bit as an int64


@vecfn
def _sign_bit_f32(x):
    """The sign bit of a float32 x as an int64 mask (that of x as a float64)."""
    return as_int64(np.float64(x)) & _SIGN_BIT


@vecfn
def _beyond_fast_f32(x):
    return (fabs(x) > FAST_LIMIT) & (fabs(x) < np.inf)


@vecfn
def half_turns_fast_f32(x, quarter):
    """``(r, flip)``: ``x + quarter*pi/2 = m*pi + r``, ``|r| <= pi/2`` (a hair
    more at ties), flip the int64 sign-bit mask of ``(-1)**m``; float32 x with
    ``|x| <= FAST_LIMIT``, `quarter` 0 (for sin) or 1 (cos, as sin(x + pi/2)).

    ``n = 2m - quarter`` is below 2**31, so ``x - n*PIO2_1`` is exact (a multiple
    of 2**-52 below 2 in magnitude) and the second step leaves an error of
    ``n * 2**-109`` against an |r| of at least 2**-29 for float32 arguments.
    """
    xd = np.float64(x)
    m = rint(fma(xd, INV_PI, 0.5 * quarter))
    n = 2.0 * m - quarter
    # n is +0.0 for x = -0.0 and n * -PIO2_1 is -0.0: r = x keeps its sign
    r = fma(n, -PIO2_2, fma(n, -PIO2_1, xd))
    return r, as_int64(m + MAGIC) << 63


@vecfn
def half_turns_f32(x, quarter):
    """`half_turns_fast_f32` for every float32 x (NaN r for inf and NaN)."""
    r, flip = half_turns_fast_f32(x, quarter)
    # of |x| + quarter*pi/2: the nearest even number of quarter turns is 2m, the
    # rest, signed, is r; sin(x) = -sin(-x) (cos is even, quarter = 1)
    acc = quarter_turns_f32(x) + (_QUARTER if quarter else np.uint64(0))
    r_big = np.float64(np.int64(acc << _U1)) * PIO2_M63
    flip_big = np.int64((acc + _QUARTER) & _SIGN) ^ (0 if quarter else _sign_bit_f32(x))
    big = _beyond_fast_f32(x)
    return (r_big if big else r), (flip_big if big else flip)


@vecfn
def quadrants_fast_f32(x):
    """``(r, flip)``: ``x = n*pi/2 + r``, ``|r| <= pi/4`` (a hair more), flip the
    int64 sign-bit mask of ``(-1)**n``, for a float32 x with ``|x| <= FAST_LIMIT``."""
    xd = np.float64(x)
    n = rint(fma(xd, TWO_OVER_PI, 0.0))  # +0.0 for -0.0: r keeps the sign of x
    r = fma(n, -PIO2_2, fma(n, -PIO2_1, xd))  # the first step is exact
    return r, as_int64(n + MAGIC) << 63


@vecfn
def quadrants_f32(x):
    """`quadrants_fast_f32` for every float32 x (NaN r for inf and NaN)."""
    r, flip = quadrants_fast_f32(x)
    # of |x|, then r of x = -|x| is -r (n is -n, of the same parity)
    acc = quarter_turns_f32(x)
    r_big = np.float64(np.int64(acc << np.uint64(2))) * PIO2_M64
    r_big = as_float64(as_int64(r_big) ^ _sign_bit_f32(x))
    flip_big = np.int64((acc + _EIGHTH) << _U1 & _SIGN)
    big = _beyond_fast_f32(x)
    return (r_big if big else r), (flip_big if big else flip)
