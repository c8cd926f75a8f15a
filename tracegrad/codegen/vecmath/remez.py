"""Where the polynomial coefficients come from: a Remez exchange in mpmath.

A developer tool, not imported by the vector math at run time (it needs mpmath).
Every coefficient table in this package is printed by `python -m
tracegrad.codegen.vecmath.remez NAME` from the fits in `FITS` (and float32 tanh's
piecewise table by `tanh_f32_table`, float32 and float64 pow's by `pow_f32_table` and
`pow_f64_table`), and ``--check``
compares all of them with the tables in the code (about 20 s).

The method: find the coefficients `c` that minimise the largest weighted error
``max |w(x) * (f(x) - sum(c[k] * basis[k](x)))|`` over an interval by levelling
the error at ``len(basis) + 1`` alternating extrema (the Remez exchange), then
round them to the target precision and report the error of the rounded polynomial.

>>> fit = remez(mpmath.exp, powers(0, 4), (-0.5, 0.5), relative=True)  # doctest: +SKIP
>>> fit.error < 1e-6  # doctest: +SKIP
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
from mpmath import mp, mpf

Fn = Callable[[mpf], mpf]


@dataclass(frozen=True)
class Fit:
    """Coefficients of a fitted polynomial and the weighted error they achieve."""

    coefficients: tuple[mpf, ...]
    error: float  # max |weighted error| of the exact (unrounded) coefficients

    def rounded(self, to: Callable[[mpf], float] = float) -> tuple[float, ...]:
        """The coefficients rounded to the target precision (float64 by default)."""
        return tuple(to(c) for c in self.coefficients)


def powers(first: int, last: int, step: int = 1) -> list[Fn]:
    """The monomials ``x**first, ..., x**last`` as basis functions."""
    return [(lambda x, k=k: x**k) for k in range(first, last + 1, step)]


def _chebyshev_points(a: mpf, b: mpf, count: int) -> list[mpf]:
    # The midpoint is nudged: weights relative to a function vanish where a fitted
    # tail is multiplied by x^k, and the exchange cannot use a point of zero weight.
    pts = [(a + b) / 2 - (b - a) / 2 * mpmath.cos(mpmath.pi * i / (count - 1))
           for i in range(count)]
    return [x + (b - a) * mpf("1e-9") if abs(x) < (b - a) * mpf("1e-30") else x for x in pts]


def _solve(f: Fn, basis: Sequence[Fn], w: Fn, ref: Sequence[mpf]) -> list[mpf]:
    """Coefficients (and the levelled error last) interpolating f with alternating error."""
    n = len(basis)
    rows = [[phi(x) for phi in basis] + [(-1) ** i / w(x)] for i, x in enumerate(ref)]
    sol = mpmath.lu_solve(mpmath.matrix(rows), mpmath.matrix([f(x) for x in ref]))
    return [sol[i] for i in range(n + 1)]


def _alternating_extrema(xs: Sequence[mpf], es: Sequence[mpf], count: int) -> list[int]:
    """Indices of `count` alternating-sign local extrema of the sampled error."""
    runs: list[int] = []
    for i, e in enumerate(es):
        if runs and mpmath.sign(es[runs[-1]]) == mpmath.sign(e):
            if abs(e) > abs(es[runs[-1]]):
                runs[-1] = i
        else:
            runs.append(i)
    # Too many runs: drop the smaller end, which keeps the signs alternating.
    while len(runs) > count:
        if abs(es[runs[0]]) < abs(es[runs[-1]]):
            runs.pop(0)
        else:
            runs.pop()
    return runs


def _refine(err: Fn, lo: mpf, hi: mpf, x: mpf, iters: int = 40) -> mpf:
    """Golden-section search for the extremum of |err| in [lo, hi] near x."""
    sign = mpmath.sign(err(x))
    g = (mpmath.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = sign * err(c), sign * err(d)
    for _ in range(iters):
        if fc > fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = sign * err(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = sign * err(d)
    best = c if fc > fd else d
    return best if sign * err(best) > sign * err(x) else x


def remez(
    f: Fn,
    basis: Sequence[Fn],
    interval: tuple[float, float],
    weight: Fn | None = None,
    *,
    relative: bool = False,
    grid: int = 1500,
    iterations: int = 25,
    dps: int = 60,
) -> Fit:
    """Minimax fit of `f` by ``sum(c[k] * basis[k](x))`` on `interval`.

    The error minimised is ``weight(x) * (f(x) - p(x))``; `relative=True` sets the
    weight to ``1/f(x)``. Returns a `Fit` with the coefficients in `basis` order.

    >>> remez(mpmath.exp, powers(0, 3), (0, 1)).error < 1e-3  # doctest: +SKIP
    True
    """
    with mp.workdps(dps):
        a, b = mpf(interval[0]), mpf(interval[1])
        w = (lambda x: 1 / f(x)) if relative else (weight or (lambda x: mpf(1)))
        n = len(basis)
        ref = _chebyshev_points(a, b, n + 1)
        xs = _chebyshev_points(a, b, grid)
        for _ in range(iterations):
            sol = _solve(f, basis, w, ref)
            coeffs, level = sol[:n], abs(sol[n])

            def err(x, coeffs=coeffs):
                return w(x) * (f(x) - mpmath.fsum(c * phi(x) for c, phi in zip(coeffs, basis)))

            pts = sorted(set(xs) | set(ref))
            es = [err(x) for x in pts]
            idx = _alternating_extrema(pts, es, n + 1)
            if len(idx) < n + 1:
                break  # the error no longer alternates enough: keep the last solution
            ref = [
                _refine(err, pts[max(i - 1, 0)], pts[min(i + 1, len(pts) - 1)], pts[i])
                for i in idx
            ]
            worst = max(abs(err(x)) for x in ref)
            if worst - level <= level * mpf("1e-4"):
                break
        worst = max(max(abs(e) for e in es), worst)
        return Fit(tuple(coeffs), float(worst))


def rounded_error(
    f: Fn, basis: Sequence[Fn], coeffs: Sequence[float], interval: tuple[float, float],
    relative: bool = True, samples: int = 4000,
) -> float:
    """The largest (relative) error of the polynomial with coefficients as rounded."""
    with mp.workdps(60):
        a, b = mpf(interval[0]), mpf(interval[1])
        worst = mpf(0)
        for x in _chebyshev_points(a, b, samples):
            p = mpmath.fsum(mpf(c) * phi(x) for c, phi in zip(coeffs, basis))
            fx = f(x)
            e = abs(fx - p) / (abs(fx) if relative else 1)
            worst = max(worst, e)
        return float(worst)


# --- the fits behind the tables in this package ---------------------------------
#
# Each entry: name -> (target, basis, interval, weight) in the variable the code
# evaluates the polynomial in. Polynomials "q" fit the tail of a series whose first
# terms the code adds exactly, e.g. exp(r) = 1 + r + r*r*q(r).

LN2 = mpmath.log(2)
# Intervals in z = x^2 start just above 0, where the weights (errors relative to
# the function, not to the tail) vanish and the exchange would divide by zero.
TINY = mpf("1e-12")


def _exp_tail(r):
    # (exp(r) - 1 - r) / r^2, with its limit 1/2 at r = 0
    return mpmath.mpf(1) / 2 if r == 0 else (mpmath.expm1(r) - r) / r**2


def _exp_tail3(r):
    # (exp(r) - 1 - r - r^2/2) / r^3, with its limit 1/6 at r = 0
    return mpf(1) / 6 if r == 0 else (mpmath.expm1(r) - r - r * r / 2) / r**3


def _expm1_weight(r):
    # an error d in the tail q3 changes expm1(r) by r^3 d
    return r**3 / mpmath.expm1(r)


def _sin_tail(z):
    # (sin(x) - x) / x^3 with z = x^2
    x = mpmath.sqrt(z)
    return -mpf(1) / 6 if z == 0 else (mpmath.sin(x) - x) / (x * z)


def _cos_tail(z):
    # (cos(x) - 1 + z/2) / z^2 with z = x^2
    return mpf(1) / 24 if z == 0 else (mpmath.cos(mpmath.sqrt(z)) - 1 + z / 2) / z**2


def _log_tail(z):
    # log(1+f) = 2 atanh(s), s = f/(2+f); 2 atanh(s) = 2s + s*R(z), z = s^2
    # R(z) = (2 atanh(s) - 2s) / s
    s = mpmath.sqrt(z)
    return mpf(2) / 3 * z if z == 0 else (2 * mpmath.atanh(s) - 2 * s) / s


# s = f/(2+f) for sqrt(1/2) <= 1+f <= sqrt(2): z = s^2 <= ((sqrt2-1)/(sqrt2+1))^2
LOG_Z_MAX = ((mpmath.sqrt(2) - 1) / (mpmath.sqrt(2) + 1)) ** 2


def _log_weight(z):
    # an error d in R changes log(1+f) = 2s + s R by s d: relative, s d / (2 atanh s)
    s = mpmath.sqrt(z)
    return s / (2 * mpmath.atanh(s))


def _log_tail5(z):
    # (2 atanh(s) - 2s - 2s^3/3) / s^5 with z = s^2: float64 pow's more precise log
    s = mpmath.sqrt(z)
    return mpf(2) / 5 if z == 0 else (2 * mpmath.atanh(s) - 2 * s - 2 * s**3 / 3) / s**5


def _log_tail5_weight(z):
    # an error d in the tail changes log(1+f) = 2 atanh(s) by s^5 d, relative to it
    s = mpmath.sqrt(z)
    return s * z * z / (2 * mpmath.atanh(s))


def _log2_over_s(z):
    # log2(1+f) / s = 2 atanh(s) / (s ln2) with z = s^2: float32 pow's log2
    s = mpmath.sqrt(z)
    return 2 / LN2 if z == 0 else 2 * mpmath.atanh(s) / (s * LN2)


def _exp2m1_over_r(r):
    # (2^r - 1) / r, with its limit ln2 at r = 0
    return LN2 if r == 0 else mpmath.expm1(r * LN2) / r


def _log1p_tail3(r):
    # (log1p(r) - r + r^2/2) / r^3, with its limit 1/3 at r = 0: float64 pow's log
    return mpf(1) / 3 if r == 0 else (mpmath.log1p(r) - r + r * r / 2) / r**3


def _log1p_tail3_weight(r):
    # an error d in the tail changes log1p(r) by r^3 d, relative to log1p(r)
    return abs(r**3 / mpmath.log1p(r)) if r else mpf(0)


def _erf_over_x(z):
    # erf(x)/x with z = x^2
    x = mpmath.sqrt(z)
    return 2 / mpmath.sqrt(mpmath.pi) if z == 0 else mpmath.erf(x) / x


def _erf_over_x_m1(z):
    # erf(x)/x - 1: erf = x + x R(x^2) keeps the leading x exact
    return _erf_over_x(z) - 1


# log(erfc(x)) is fitted in s = x - 1 on [1, 6] (f64) and s = x - 1.5 on [1.5, 6]
# (f32): Horner is then well conditioned near the left end, where erfc is largest
ERFC_CENTER = mpf(1)
ERFC_CENTER_F32 = mpf("1.5")


def _log_erfc(center):
    return lambda s: mpmath.log(mpmath.erfc(s + center))


def _erfc_weight(center):
    # an error d in log(erfc(x)) changes erf(x) = 1 - erfc(x) by about erfc(x) d
    return lambda s: mpmath.erfc(s + center)


def _atan_tail(z):
    x = mpmath.sqrt(z)
    return -mpf(1) / 3 if z == 0 else (mpmath.atan(x) - x) / (x * z)


def _atan_weight(z):
    x = mpmath.sqrt(z)
    return z * x / mpmath.atan(x)


def _asin_weight(z):
    x = mpmath.sqrt(z)
    return z * x / mpmath.asin(x)


def _tanh_tail(z):
    x = mpmath.sqrt(z)
    return -mpf(1) / 3 if z == 0 else (mpmath.tanh(x) - x) / (x * z)


def _sinh_tail(z):
    x = mpmath.sqrt(z)
    return mpf(1) / 6 if z == 0 else (mpmath.sinh(x) - x) / (x * z)


def _asin_tail(z):
    x = mpmath.sqrt(z)
    return mpf(1) / 6 if z == 0 else (mpmath.asin(x) - x) / (x * z)


def _atan_tail_past_third(z):
    # what float32 atan's polynomial leaves to fit beyond its first coefficient,
    # the float32 nearest -1/3: (q(z) - q0) / z for atan(t) = t + t^3 q(t^2)
    return (_atan_tail(z) - ATAN_Q0_F32) / z


def _tan_tail(z):
    # (tan(x) - x) / x^3 with z = x^2
    x = mpmath.sqrt(z)
    return mpf(1) / 3 if z == 0 else (mpmath.tan(x) - x) / (x * z)


def _tan_weight(z):
    # an error d in the tail changes tan(x) = x + x^3 q by x^3 d, relative to tan(x)
    x = mpmath.sqrt(z)
    return z * x / mpmath.tan(x)


def _rational(f: Fn, p_degree: int, q_degree: int) -> list[Fn]:
    """A linear basis for ``f ~ p/q`` with ``q(0) = 1``: ``f = p - f (q - 1)``, whose
    coefficients are p's, then q's beyond the 1. The fit minimises the error of
    ``f q - p``, which is that of ``f - p/q`` weighted by q (near 1 here)."""
    return powers(0, p_degree) + [(lambda z, k=k: -f(z) * z**k) for k in range(1, q_degree + 1)]


ATAN_Q0_F32 = mpf(float(np.float32(-1 / 3)))
# tan's reduced argument reaches pi/4 and a hair more
TAN_Z_MAX = mpf("0.617")


# float32 pow's log2 table: r = z/c - 1 reaches 4/135 on the subinterval above 1
# float32 pow's exp (power.py): r = p - m ln2/32 (+ p_lo), m rounded from p 32/ln2
EXP_POW_F32_R = mpmath.log(2) / 64 + mpf(2) ** -16
# float64 pow's log tables: r = z invc1 invc2 - 1 reaches 0.0020409 (`pow_f64_table`
# prints the bound), on the second level's subinterval j = -7
POW_F64_R = mpf("0.002041")
LOG_F64_R = mpf("0.02963")  # the first level's (float64 log by table)
LOG_F32_R = mpf("0.03101")  # float32 log by table's (`log_f32_bound`)
# and its exp's reduced argument: ln2/32, and the low part of y log|x| (below 2**-12)
EXP_F64_TABLE_R = LN2 / 32 + mpf(2) ** -12
EXPM1_F64_TABLE_R = LN2 / 16 * (1 + mpf(2) ** -20)


FITS: dict[str, tuple] = {
    # exp(r) - 1 = r + r^2/2 + r^3 q(r) on |r| <= ln2/2, error relative to expm1(r)
    # (the stricter of exp's and expm1's needs); float32 results: r + r^2 q(r)
    "exp_f64": (_exp_tail3, powers(0, 9), (-LN2 / 2, LN2 / 2), _expm1_weight),
    "exp_f32": (_exp_tail, powers(0, 5), (-LN2 / 2, LN2 / 2),
                lambda r: r**2 / mpmath.exp(r)),
    # the same in float32 arithmetic (float32 coefficients), one degree lower
    "exp_f32_single": (_exp_tail, powers(0, 4), (-LN2 / 2, LN2 / 2),
                       lambda r: r**2 / mpmath.exp(r)),
    # tanh(x) = x + x^3 q(x^2) on |x| <= 1/8 (float64 by table, below which its
    # 1 - 2/(e + 1) loses too much), relative to tanh
    "tanh_f64_small": (_tanh_tail, powers(0, 5), (TINY, mpf(1) / 64),
                       lambda z: z * mpmath.sqrt(z) / mpmath.tanh(mpmath.sqrt(z))),
    # sinh(x) = x + x^3 q(x^2) on |x| <= 1/2 (float64 by table, where the difference of
    # exp(x)/2 and exp(-x)/2 keeps too little), relative to sinh
    "sinh_f64_small": (_sinh_tail, powers(0, 5), (TINY, mpf(1) / 4),
                       lambda z: z * mpmath.sqrt(z) / mpmath.sinh(mpmath.sqrt(z))),
    # tanh(x) = x + x^3 q(x^2) on |x| <= 0.55 (float32 arithmetic), relative to tanh
    "tanh_f32": (_tanh_tail, powers(0, 4), (TINY, mpf("0.55") ** 2),
                 lambda z: z * mpmath.sqrt(z) / mpmath.tanh(mpmath.sqrt(z))),
    # sin(x) = x + x^3 q(x^2) on |x| <= pi/4, relative to sin(x)
    "sin_f64": (_sin_tail, powers(0, 5), (TINY, (mpmath.pi / 4) ** 2),
                lambda z: z * mpmath.sqrt(z) / mpmath.sin(mpmath.sqrt(z)) if z else mpf(0)),
    # float32 sin and cos (= sin(x + pi/2)) on |x| <= pi/2, one polynomial
    "sin_wide_f32": (_sin_tail, powers(0, 4), (TINY, (mpmath.pi / 2) ** 2),
                     lambda z: z * mpmath.sqrt(z) / mpmath.sin(mpmath.sqrt(z)) if z else mpf(0)),
    # cos(x) = 1 - x^2/2 + x^4 q(x^2) on |x| <= pi/4, relative to cos(x)
    "cos_f64": (_cos_tail, powers(0, 5), (TINY, (mpmath.pi / 4) ** 2),
                lambda z: z**2 / mpmath.cos(mpmath.sqrt(z))),
    # log(1+f) = 2s + s R(s^2), s = f/(2+f), sqrt(1/2) <= 1+f < sqrt(2): R = z*P(z)
    "log_f64": (_log_tail, powers(1, 7), (TINY, LOG_Z_MAX), _log_weight),
    "log_f32": (_log_tail, powers(1, 3), (TINY, LOG_Z_MAX), _log_weight),
    # log(1+f) = 2s + 2s^3/3 + 2s^5/5 + s^7 R(s^2) for pow, relative to R
    # log(1+f) = 2s + 2s^3/3 + s^5 Q(s^2) for float64 pow, relative to log(1+f)
    "log_pow": (_log_tail5, powers(0, 6), (TINY, LOG_Z_MAX), _log_tail5_weight),
    # float32 pow in float64: log2(1+f) = s P(s^2), relative; 2^r = 1 + r Q(r) on
    # |r| <= 1/2, relative to 2^r
    "log2_pow_f32": (_log2_over_s, powers(0, 4), (TINY, LOG_Z_MAX), None),
    "exp2_pow_f32": (_exp2m1_over_r, powers(0, 5), (-0.5, 0.5),
                     lambda r: r / mpmath.power(2, r)),
    # float32 pow by table (AVX-512, power.py), in float32: log1p(r) = r - r^2/2 + r^3
    # P(r) on float32 log's table, relative to log1p; exp(r) = 1 + r + r^2 Q(r),
    # relative to exp(r)
    "log1p_pow_f32_table": (_log1p_tail3, powers(0, 3), (-LOG_F32_R, LOG_F32_R),
                            _log1p_tail3_weight),
    "exp_pow_f32_table": (_exp_tail, powers(0, 1), (-EXP_POW_F32_R, EXP_POW_F32_R),
                          lambda r: r**2 / mpmath.exp(r)),
    # float64 pow by table (AVX-512): log1p(r) = r - r^2/2 + r^3 P(r) on |r| <=
    # POW_F64_R, relative to log1p; float64 exp by table (exp.py, pow's exp too):
    # exp(r) = 1 + r + r^2 Q(r) on |r| <= ln2/32 + 2**-12 (the low part of pow's
    # y log|x| added in), relative to exp(r)
    "log1p_pow_f64_table": (_log1p_tail3, powers(0, 4), (-POW_F64_R, POW_F64_R),
                            _log1p_tail3_weight),
    # float64 log by table (log.py): the same on pow's first level, |r| <= LOG_F64_R
    "log1p_f64_table": (_log1p_tail3, powers(0, 7), (-LOG_F64_R, LOG_F64_R),
                        _log1p_tail3_weight),
    "log1p_f32_table": (_log1p_tail3, powers(0, 2), (-LOG_F32_R, LOG_F32_R),
                        _log1p_tail3_weight),
    "exp_f64_table_poly": (_exp_tail, powers(0, 5), (-EXP_F64_TABLE_R, EXP_F64_TABLE_R),
                          lambda r: r**2 / mpmath.exp(r)),
    # float64 expm1 by exp's table (exp.py), its step rounded toward zero: |r| < ln2/16
    "expm1_f64_table_poly": (_exp_tail, powers(0, 6), (-EXPM1_F64_TABLE_R, EXPM1_F64_TABLE_R),
                            lambda r: r**2 / mpmath.exp(r)),
    # erf(x) = x + x R(x^2) on |x| <= 1 (f64), erf(x) = x P(x^2) on |x| <= 1.5 (f32)
    "erf_f64": (_erf_over_x_m1, powers(0, 12), (0, 1), lambda z: 1 / _erf_over_x(z)),
    "erf_f32": (_erf_over_x, powers(0, 8), (0, mpf("2.25")), None),
    # erf(x) = 1 - exp(Q(x - center)) beyond, Q ~ log(erfc), error measured in erf
    "erfc_f64": (_log_erfc(ERFC_CENTER), powers(0, 17), (0, 5),
                 _erfc_weight(ERFC_CENTER)),
    "erfc_f32": (_log_erfc(ERFC_CENTER_F32), powers(0, 7), (0, 4.5),
                 _erfc_weight(ERFC_CENTER_F32)),
    # atan(t) = t + t^3 q(t^2) on |t| <= 7/16, relative to atan(t)
    "atan_f64": (_atan_tail, powers(0, 10), (TINY, mpf(7) ** 2 / 256), _atan_weight),
    # float32 arithmetic, |t| <= 1/2: the coefficients after the first (see above)
    "atan_f32": (_atan_tail_past_third, powers(0, 4), (TINY, mpf(1) / 4),
                 lambda z: _atan_weight(z) * z),
    # asin(t) = t + t^3 q(t^2) on |t| <= 1/2, relative to asin(t)
    "asin_f64": (_asin_tail, powers(0, 12), (TINY, mpf(1) / 4), _asin_weight),
    "asin_f32": (_asin_tail, powers(0, 5), (TINY, mpf(1) / 4), _asin_weight),
    # tan(x) = x + x^3 p(x^2)/q(x^2) on |x| <= pi/4, relative to tan(x): p's
    # coefficients, then q's after its 1; float32 results (in float64) a lower degree
    "tan_f64": (_tan_tail, _rational(_tan_tail, 4, 2), (TINY, TAN_Z_MAX), _tan_weight),
    "tan_f32": (_tan_tail, _rational(_tan_tail, 1, 2), (TINY, TAN_Z_MAX), _tan_weight),
}


# fit name -> (module, constant) of the table in the code
TABLES = {
    "exp_f64": ("exp", "EXP_F64"), "exp_f32": ("exp", "EXP_F32"),
    "exp_f32_single": ("exp", "EXP_F32_SINGLE"), "tanh_f32": ("hyperbolic", "TANH_F32"),
    "tanh_f64_small": ("hyperbolic", "TANH_F64_SMALL"),
    "sinh_f64_small": ("hyperbolic", "SINH_F64_SMALL"),
    "sin_f64": ("trig", "SIN_F64"),
    "sin_wide_f32": ("trig", "SIN_WIDE_F32"),
    "cos_f64": ("trig", "COS_F64"),
    "log_f64": ("log", "LOG_F64"), "log_f32": ("log", "LOG_F32"), "log_pow": ("power", "LOG_POW"),
    "log2_pow_f32": ("power", "LOG2_POW_F32"), "exp2_pow_f32": ("power", "EXP2_POW_F32"),
    "log1p_pow_f32_table": ("power", "POW_F32_LOG_TAIL"),
    "exp_pow_f32_table": ("power", "POW_F32_EXP_TAIL"),
    "log1p_pow_f64_table": ("power", "POW_F64_LOG"),
    "log1p_f64_table": ("log", "LOG_F64_TAIL"), "log1p_f32_table": ("log", "LOG_F32_TAIL"),
    "exp_f64_table_poly": ("exp", "EXP_F64_TABLE_POLY"),
    "expm1_f64_table_poly": ("exp", "EXPM1_F64_TABLE_POLY"),
    "erf_f64": ("erf", "ERF_F64"), "erf_f32": ("erf", "ERF_F32"),
    "erfc_f64": ("erf", "ERFC_F64"), "erfc_f32": ("erf", "ERFC_F32"),
    "atan_f64": ("inverse_trig", "ATAN_F64"), "atan_f32": ("inverse_trig", "ATAN_F32"),
    "asin_f64": ("inverse_trig", "ASIN_F64"), "asin_f32": ("inverse_trig", "ASIN_F32"),
    "tan_f64": ("trig", "TAN_F64"), "tan_f32": ("trig", "TAN_F32"),
}


# --- piecewise: float32 tanh by table (hyperbolic.py) ----------------------------------
#
# |x| is cut where its bits change in the exponent or the top two mantissa bits: a
# piece [0, 1/16), the quarters of each binade from 1/16 to 8, and [8, 10] (tanh
# rounds to 1 from 9.01 on); 30 pieces, the index is (bits - bits(1/16)) >> 21, + 1.
# On each, tanh(m + r) = c0 + r (c1 + ... + c5 r^4) around the piece's middle m;
# c0 is kept as a float32 pair, so that the last addition rounds once. On [0, 1/16),
# m = 0 and tanh(r) = r + r (c3 r^2 + c5 r^4), the r added exactly.


def tanh_f32_pieces() -> list[tuple[float, float]]:
    """The pieces ``(lo, hi)`` of float32 tanh's table."""
    edges = [0.0] + [2.0**e * (1 + q / 4) for e in range(-4, 3) for q in range(4)]
    return list(zip(edges, edges[1:] + [8.0])) + [(8.0, 10.0)]


def tanh_f32_table() -> dict[str, tuple[float, ...]]:
    """The columns of float32 tanh's table, one entry per piece, rounded to float32
    as the code holds them: ``mid`` (the piece's middle, 0 on the first), ``s`` (1 on
    the first piece, where r itself is added last, else 0), ``c0_hi``, ``c0_lo`` and
    ``c1`` ... ``c5``."""
    columns: dict[str, list[float]] = {k: [] for k in ("mid", "s", "c0_hi", "c0_lo", "c1",
                                                        "c2", "c3", "c4", "c5")}
    for i, (lo, hi) in enumerate(tanh_f32_pieces()):
        if i == 0:  # (tanh(r) - r)/r = c3 r^2 + c5 r^4, relative to tanh(r)
            odd = remez(lambda r: (mpmath.tanh(r) - r) / r, [lambda r: r**2, lambda r: r**4],
                        (TINY, hi), lambda r: r / mpmath.tanh(r), grid=300)
            mid, c0, tail = 0.0, mpf(0), [0, 0, odd.coefficients[0], 0, odd.coefficients[1]]
        else:
            mid = (lo + hi) / 2
            piece = remez(lambda r, m=mid: mpmath.tanh(m + r), powers(0, 5),
                          (lo - mid, hi - mid), relative=True, grid=300)
            c0, tail = piece.coefficients[0], piece.coefficients[1:]
        c0_hi = float(np.float32(c0))
        for name, value in (("mid", mid), ("s", 1.0 if i == 0 else 0.0), ("c0_hi", c0_hi),
                            ("c0_lo", c0 - c0_hi),
                            *((f"c{k + 1}", c) for k, c in enumerate(tail))):
            columns[name].append(float(np.float32(value)))
    return {name: tuple(values) for name, values in columns.items()}


# --- float32 pow by table (power.py) ----------------------------------------------
#
# Its log is float32 log's table (`log_f32_table`); its exp: 2**(j/32) = hi + lo, j =
# 0 ... 31, both rounded to float32.


def pow_f32_table() -> dict[str, tuple[float, ...]]:
    """The columns of float32 pow's exp table, float32 values: ``exp_hi``, ``exp_lo``."""
    with mp.workdps(50):
        exact = [mpmath.power(2, mpf(j) / 32) for j in range(32)]
        hi = [float(np.float32(float(e))) for e in exact]
        lo = [float(np.float32(float(e - mpf(h)))) for e, h in zip(exact, hi)]
    return {"exp_hi": tuple(hi), "exp_lo": tuple(lo)}


# --- float64 pow by table (power.py) ----------------------------------------------
#
# log: level 1 cuts z in [0.69921875, 1.3984375) as float32 pow's log2 does (c1 = 1 on
# the subinterval holding 1); level 2 cuts r1 = z invc1 - 1 (|r1| <= 0.0297) at
# j = round(252 r1), j = -7 ... 7 (the column's entry j & 15), c2 = 1 + j/252. Both
# 1/c are rounded to 24 bits (252 invc1 is then exact too). log(c) is a pair: hi
# on the grid of 2**-42, where k LN2_HI (LN2_HI has 42 bits) and both hi add up
# exactly (|sum| < 2**10), and lo = the rest rounded. exp: 2**(j/16) = hi (1 + tail).

POW_F64_FIRST_BITS = 0x3FE6600000000000  # 0.69921875
POW_F64_LEVEL2 = 252  # K: |r1| K <= 7.47, so that j stays within -7 ... 7
POW_F64_INVC_BITS = 24
POW_F64_LOG_GRID = 42


def _round_bits(value: mpf, bits: int) -> float:
    """`value` rounded to `bits` significant bits."""
    m, e = mpmath.frexp(value)
    return float(mpmath.ldexp(mpmath.nint(mpmath.ldexp(m, bits)), e - bits))


def _log_pair(invc: float) -> tuple[float, float]:
    """``log(1/invc)`` as ``(hi, lo)``: hi a multiple of 2**-42, lo the rest."""
    exact = -mpmath.log(mpf(invc))
    hi = float(mpmath.nint(exact * 2**POW_F64_LOG_GRID) / 2**POW_F64_LOG_GRID)
    return hi, float(exact - hi)


def _pow_f64_level1() -> list[tuple[float, float, float]]:
    """``(lo, hi, invc1)`` of level 1's 16 subintervals of z."""
    out = []
    bits = np.array([POW_F64_FIRST_BITS + i * 2**48 for i in range(17)], np.uint64)
    edges = [float(e) for e in bits.view(np.float64)]
    for lo, hi in zip(edges, edges[1:]):
        c = mpf(1) if lo <= 1.0 < hi else (mpf(lo) + mpf(hi)) / 2
        out.append((lo, hi, 1.0 if c == 1 else _round_bits(1 / c, POW_F64_INVC_BITS)))
    return out


def _pow_f64_level2() -> dict[int, float]:
    """invc2 for j = -7 ... 7."""
    return {j: 1.0 if j == 0 else _round_bits(1 / (1 + mpf(j) / POW_F64_LEVEL2),
                                               POW_F64_INVC_BITS) for j in range(-7, 8)}


def pow_f64_bounds() -> tuple[float, float]:
    """The largest |r1| (level 1) and |r| (both levels) of float64 pow's log."""
    with mp.workdps(50):
        r1 = max(max(abs(mpf(lo) * c - 1), abs(mpf(hi) * c - 1))
                 for lo, hi, c in _pow_f64_level1())
        r = mpf(0)
        for j, c in _pow_f64_level2().items():
            a = max(mpf(j - 0.5) / POW_F64_LEVEL2, -r1)
            b = min(mpf(j + 0.5) / POW_F64_LEVEL2, r1)
            r = max(r, abs((1 + a) * c - 1), abs((1 + b) * c - 1))
        return float(r1), float(r)


def log_f64_table() -> dict[str, tuple[float, ...]]:
    """The columns of float64 log's table (log.py), float64 pow's first level:
    ``invc``, ``logc_hi``, ``logc_lo``."""
    with mp.workdps(50):
        invcs = [c for _, _, c in _pow_f64_level1()]
        pairs = [_log_pair(c) for c in invcs]
    return {"invc": tuple(invcs), "logc_hi": tuple(hi for hi, _ in pairs),
            "logc_lo": tuple(lo for _, lo in pairs)}


# float32 log by table (log.py): z in [0.69921875, 1.3984375) cut into 32 subintervals
# by the top five bits of its float32 mantissa counted from there (c = 1 on the one
# holding 1); invc = 1/c rounded to a multiple of 1/32, which makes r = z invc - 1
# exact in float32 (|r| < 2**-5 where z < 1, 2**-4 above: `log_f32_bound` checks
# every z); log(c) = log(1/invc) as a float32 pair, hi on the grid of 2**-15 where
# k LN2_HI_F32 (15 bits) and hi add up exactly.

LOG_F32_GRID = 15
LOG_F32_INVC_STEP = 32


def log_f32_table() -> dict[str, tuple[float, ...]]:
    """The columns of float32 log's table (log.py), 32 entries rounded to float32:
    ``invc``, ``logc_hi``, ``logc_lo``."""
    first = 0x3F330000
    columns: dict[str, list[float]] = {"invc": [], "logc_hi": [], "logc_lo": []}
    with mp.workdps(50):
        for i in range(32):
            lo, hi = (float(np.array([first + j * 2**18], np.uint32).view(np.float32)[0])
                      for j in (i, i + 1))
            c = mpf(1) if lo <= 1.0 < hi else (mpf(lo) + mpf(hi)) / 2
            invc = float(mpmath.nint(LOG_F32_INVC_STEP / c) / LOG_F32_INVC_STEP)
            exact = -mpmath.log(mpf(invc))
            logc_hi = float(mpmath.nint(exact * 2**LOG_F32_GRID) / 2**LOG_F32_GRID)
            for name, value in (("invc", invc), ("logc_hi", logc_hi),
                                ("logc_lo", float(np.float32(exact - logc_hi)))):
                columns[name].append(value)
    return {name: tuple(values) for name, values in columns.items()}


def log_f32_bound() -> float:
    """The largest |r| = |z invc - 1| of float32 log's table, over every float32 z;
    NaN if any r is not exact in float32."""
    first = 0x3F330000
    z = np.arange(first, first + 2**23, dtype=np.uint32)
    invc = np.array(log_f32_table()["invc"])[(z - first) >> 18]
    z = z.view(np.float32).astype(np.float64)
    r = z * invc - 1  # exact in float64 (24 + 6 bits)
    exact = bool(np.all(r.astype(np.float32).astype(np.float64) == r))
    return float(np.abs(r).max()) if exact else float("nan")


def pow_f64_table() -> dict[str, tuple[float, ...]]:
    """The columns of float64 pow's tables: ``invc1``, ``invc1_k`` (252 invc1),
    ``logc1_hi``, ``logc1_lo`` (level 1, by subinterval), ``invc2``, ``logc2_hi``,
    ``logc2_lo`` (level 2, entry j & 15; entry 8 unused); its exp is `exp_f64_table`'s."""
    level1 = log_f64_table()
    columns = {f"{name[:4]}1{name[4:]}": values for name, values in level1.items()}
    # 252 invc1 (exact: 24 + 6 bits), for level 2's index
    columns["invc1_k"] = tuple(POW_F64_LEVEL2 * c for c in level1["invc"])
    with mp.workdps(50):
        level2 = _pow_f64_level2()
        invcs = [level2.get(j if j < 8 else j - 16, 1.0) for j in range(16)]
        pairs = [_log_pair(c) for c in invcs]
    columns.update({"invc2": tuple(invcs), "logc2_hi": tuple(hi for hi, _ in pairs),
                    "logc2_lo": tuple(lo for _, lo in pairs)})
    return columns


def _sixteenths_of_two(bits: int) -> dict[str, tuple[float, ...]]:
    """2**(j/16) = hi (1 + tail), j = 0 ... 15, hi rounded to `bits` bits."""
    with mp.workdps(50):
        exact = [mpmath.power(2, mpf(j) / 16) for j in range(16)]
        hi = [_round_bits(e, bits) for e in exact]
        return {"hi": tuple(hi), "tail": tuple(float(e / mpf(h) - 1) for e, h in zip(exact, hi))}


def exp_f64_table() -> dict[str, tuple[float, ...]]:
    """The columns of float64 exp's table (exp.py; pow's exp too): 2**(j/16) = hi (1 +
    tail), j = 0 ... 15."""
    return _sixteenths_of_two(53)


def fit(name: str) -> Fit:
    """The fit `name` of `FITS` (relative error where it names no weight)."""
    f, basis, interval, weight = FITS[name]
    return remez(f, basis, interval, weight, relative=weight is None)


def tanh_f64_table() -> dict[str, tuple[float, ...]]:
    """The columns of float64 tanh's table (hyperbolic.py): 2**(j/16) = hi (1 +
    tail), j = 0 ... 15, hi rounded to 52 bits (2**m hi + 1 is then exact)."""
    return _sixteenths_of_two(52)


# generator -> (module, constant) of the lookup tables of the vector kernels, whole
# columns that `check` compares exactly (they are computed, not fitted)
PIECEWISE = {
    "tanh_f32_table": (tanh_f32_table, "hyperbolic", "TANH_F32_TABLE"),
    "pow_f32_table": (pow_f32_table, "power", "POW_F32_EXP_TABLE"),
    "pow_f64_table": (pow_f64_table, "power", "POW_F64_TABLE"),
    "log_f64_table": (log_f64_table, "log", "LOG_F64_TABLE"),
    "log_f32_table": (log_f32_table, "log", "LOG_F32_TABLE"),
    "exp_f64_table": (exp_f64_table, "exp", "EXP_F64_TABLE"),
    "tanh_f64_table": (tanh_f64_table, "hyperbolic", "TANH_F64_TABLE"),
}


def check() -> bool:
    """Whether every table in the code is what its fit gives (to 1e-9 relative)."""
    import importlib

    ok = True
    for name, (module, constant) in TABLES.items():
        table = getattr(importlib.import_module(f"tracegrad.codegen.vecmath.{module}"), constant)
        got = fit(name).rounded()
        if isinstance(table[0], np.float32):  # a table for float32 arithmetic
            got = [float(np.float32(c)) for c in got]
        same = len(got) == len(table) and all(
            abs(a - b) <= 1e-9 * abs(b) for a, b in zip(got, table))
        print(f"{name:10} {module}.{constant}: {'ok' if same else 'DIFFERS'}")
        ok &= same
    for name, (make, module, constant) in PIECEWISE.items():
        table = getattr(importlib.import_module(f"tracegrad.codegen.vecmath.{module}"), constant)
        same = make() == table
        print(f"{name} {module}.{constant}: {'ok' if same else 'DIFFERS'}")
        ok &= same
    r1, r = pow_f64_bounds()
    within = r <= POW_F64_R and r1 <= LOG_F64_R and log_f32_bound() <= LOG_F32_R
    print(f"table bounds within POW_F64_R, LOG_F64_R, LOG_F32_R: {'ok' if within else 'NO'}")
    return ok and within


def main(argv: Sequence[str]) -> None:
    """Print the fitted, rounded coefficient tables named on the command line, or
    with ``--check`` compare every table in the code with its fit."""
    if list(argv) == ["--check"]:
        sys.exit(0 if check() else 1)
    if len(argv) == 1 and argv[0] in PIECEWISE:
        make, _, constant = PIECEWISE[argv[0]]
        if argv[0] == "pow_f64_table":
            print(f"# |r1| <= {pow_f64_bounds()[0]!r}, |r| <= {pow_f64_bounds()[1]!r}")
        print(f"{constant} = {make()!r}")
        return
    for name in argv or FITS:
        result = fit(name)
        print(f"# {name}: max weighted error {result.error:.3e}")
        print(f"{name.upper()} = (")
        for c in result.rounded():
            print(f"    {c!r},")
        print(")")


if __name__ == "__main__":
    main(sys.argv[1:])
