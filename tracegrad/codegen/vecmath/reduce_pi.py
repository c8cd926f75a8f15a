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

>>> k, r_hi, r_lo = reduce_pio2(1e300)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.dd import fast_two_sum, two_prod, two_sum
from tracegrad.codegen.vecmath.intrinsics import as_int64, fabs, floor, fma, rint
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
def reduce_pio2_f32(x):
    """``(k, r)`` as `reduce_pio2` for a float32 x (given as float64), r in float64.

    A float32 x is ``M * 2**u`` with M below 2**24, not 2**53: the row 29
    exponents further on starts the bits of 2/pi where they begin to matter for
    it, so two pieces (106 bits) reach deep enough (x*T1 is below 2**-27 and its
    rounding below 2**-80), and only two table loads are needed.
    """
    e = ((as_int64(x) >> 52) & 0x7FF) + 29
    xa = fabs(x)
    h0, l0 = two_prod(xa, T0[e])
    h1 = xa * T1[e]
    a = h0 - 4.0 * floor(h0 * 0.25)
    s, e0 = two_sum(a, l0)
    k = rint(s)
    f = (s - k) + (e0 + h1)
    return k - 4.0 * floor(k * 0.25), f * PIO2_HI


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


@vecfn
def reduce_pio2_fast_f32(x):
    """``(k, r)`` as `reduce_pio2_f32`, for ``|x| <= FAST_LIMIT`` only (r in float64)."""
    xa = fabs(x)
    n = rint(xa * TWO_OVER_PI)
    r = fma(-n, PIO2_2, fma(-n, PIO2_1, xa))  # the first step is exact
    return n - 4.0 * floor(n * 0.25), r
