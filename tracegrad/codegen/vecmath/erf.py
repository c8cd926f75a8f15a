"""erf, float64 and float32.

Two pieces, both computed and one selected (no branch):

- ``|x| < 1``: ``erf(x) = x + x R(x^2)``, a minimax polynomial relative to erf
  (fit ``erf_f64``); x is added exactly last.
- ``1 <= |x| < 6``: ``erf(x) = 1 - exp(Q(|x| - 1))`` with Q a polynomial for
  ``log(erfc(x))`` (fit ``erfc_f64``), whose error is weighted by ``erfc(x)``, the
  size of its effect on erf. ``log(erfc)`` is smooth where ``erfc`` itself is hard
  for polynomials (as in Sleef's erf). From 6 on, erf(x) rounds to 1.

float32 computes in float64 with shorter polynomials and a split at 1.5.

>>> erf_f64(0.5)  # doctest: +SKIP
0.5204998778130465
"""

from __future__ import annotations

import numpy as np

from tracegrad.codegen.vecmath.exp import exp_parts, exp_tail_f32, pow2, reduce_ln2
from tracegrad.codegen.vecmath.intrinsics import copysign, fabs, fma, horner
from tracegrad.codegen.vecmath.jit import vecfn

SPLIT = 1.0  # float64: the polynomial below, 1 - exp(Q(|x| - 1)) above
SPLIT_F32 = 1.5
ONE_FROM = 6.0  # erf(x) rounds to 1 from 5.93 on

# erf(x) = x + x R(x^2) on x^2 <= 1: relative error of the fit 1.3e-19
ERF_F64 = (
    0.1283791670955126,
    -0.3761263890318375,
    0.11283791670954857,
    -0.026866170645072893,
    0.005223977624780861,
    -0.0008548326978741854,
    0.00012055331036886457,
    -1.4925593506565402e-05,
    1.6460972811713617e-06,
    -1.6350025165737188e-07,
    1.4657879458299682e-08,
    -1.1365664483615265e-09,
    5.945259271903151e-11,
)
# log(erfc(x)) = Q(x - 1) on [1, 6]: error in erf 6.6e-18
ERFC_F64 = (
    -1.8496055099332482,
    -2.6389675142347757,
    -0.8431072563594127,
    -0.04156109802507851,
    0.010033825179121714,
    -0.0019779012159167634,
    0.00023731643566391976,
    2.6296323515289316e-05,
    -2.7198964790139397e-05,
    9.671364880487334e-06,
    -2.131926916198818e-06,
    2.0480208414794799e-07,
    5.801699786932545e-08,
    -3.339337449362692e-08,
    8.519348463268294e-09,
    -1.3192065081303644e-09,
    1.193369069564559e-10,
    -4.8655458854414945e-12,
)
# float32: erf(x) = x P(x^2) on x^2 <= 2.25, relative error 8.1e-10 (float32 needs 6e-8)
ERF_F32 = (
    1.128379166176465,
    -0.3761263257538614,
    0.11283718737932084,
    -0.026862889345704438,
    0.005216481955973584,
    -0.0008450583252275958,
    0.00011288873702362413,
    -1.1272981001442924e-05,
    6.144713982926819e-07,
)
# float32: log(erfc(x)) = Q(x - 1.5) on [1.5, 6]: error in erf 3.9e-12
ERFC_F32 = (
    -3.3844920896653883,
    -3.508800784776936,
    -0.8926407121295784,
    -0.02582113297671024,
    0.005995986383331943,
    -0.0012380749606000557,
    0.00019952111400166602,
    -1.799128055956208e-05,
)


@vecfn
def erf_f64(x):
    """``erf(x)`` for float64, within 1 ulp; +-0, +-inf, NaN as SciPy.

    >>> erf_f64(-np.inf)  # doctest: +SKIP
    -1.0
    """
    a = fabs(x)
    small = fma(a, horner(ERF_F64, a * a), a)
    s = (a if a < ONE_FROM else ONE_FROM) - SPLIT
    n, h, t = exp_parts(horner(ERFC_F64, s if s == s else 0.0))
    big = 1.0 - (h + t) * pow2(n)  # erfc, from 2e-17 to 0.16: no under/overflow
    y = copysign(small if a < SPLIT else big, x)
    return y if a == a else x


@vecfn
def erf_f32(x):
    """``erf(x)`` for float32 (in float64 with shorter polynomials, rounded once)."""
    a = np.float64(fabs(x))
    small = a * horner(ERF_F32, a * a)
    s = (a if a < ONE_FROM else ONE_FROM) - SPLIT_F32
    n, r = reduce_ln2(horner(ERFC_F32, s if s == s else 0.0))
    big = 1.0 - (1.0 + fma(r * r, exp_tail_f32(r), r)) * pow2(n)
    y = copysign(np.float32(small if a < SPLIT_F32 else big), x)
    return y if a == a else x
