"""erf, float64 and float32.

Two pieces, both computed and one selected (no branch):

- ``|x| < 1``: ``erf(x) = x + x R(x^2)``, a minimax polynomial relative to erf
  (fit ``erf_f64``); x is added exactly last.
- ``1 <= |x| < 6``: ``erf(x) = 1 - exp(Q(|x| - 3.5))`` with Q a polynomial for
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
from tracegrad.codegen.vecmath.intrinsics import copysign, fabs, fma
from tracegrad.codegen.vecmath.jit import vecfn

ERFC_CENTER = 3.5
SPLIT = 1.0
ERFC_CENTER_F32 = 3.75
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
# log(erfc(x)) = Q(x - 3.5) on [1, 6]: error in erf 6.6e-18
ERFC_F64 = (
    -14.112437402141515,
    -7.26609958826216,
    -0.9667530544648643,
    -0.005225659154573573,
    0.0008736812830256574,
    -0.0001473087342002323,
    2.438386706799476e-05,
    -3.867960324616651e-06,
    6.243322067044373e-07,
    -5.2354999515055805e-08,
    1.0944639731022994e-08,
    -1.7188422118904527e-08,
    -1.6747948901143628e-08,
    -9.091232707303244e-09,
    -3.144640494671835e-09,
    -6.81444248893727e-10,
    -8.744879496891444e-11,
    -4.865545973039132e-12,
)
# float32 results: 8.1e-10 relative, and 3.9e-12 in erf (float32 needs 6e-8)
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
ERFC_F32 = (
    -15.989494418804842,
    -7.750610614705363,
    -0.9709139562547897,
    -0.005219786131116207,
    4.616010968900565e-05,
    -0.00045723793889424494,
    -8.384155542513893e-05,
    -1.7991280615412398e-05,
)


@vecfn
def _horner(c, x):
    """``c[0] + c[1] x + ... `` for a constant tuple c (unrolled by Numba)."""
    acc = c[len(c) - 1]
    for i in range(len(c) - 2, -1, -1):
        acc = fma(acc, x, c[i])
    return acc


@vecfn
def erf_f64(x):
    """``erf(x)`` for float64, within 1 ulp; +-0, +-inf, NaN as SciPy.

    >>> erf_f64(-np.inf)  # doctest: +SKIP
    -1.0
    """
    a = fabs(x)
    small = fma(a, _horner(ERF_F64, a * a), a)
    s = (a if a < ONE_FROM else ONE_FROM) - ERFC_CENTER
    n, h, t = exp_parts(_horner(ERFC_F64, s if s == s else 0.0))
    big = 1.0 - (h + t) * pow2(n)  # erfc, from 2e-17 to 0.16: no under/overflow
    y = copysign(small if a < SPLIT else big, x)
    return y if a == a else x


@vecfn
def erf_f32(x):
    """``erf(x)`` for float32 (in float64 with shorter polynomials, rounded once)."""
    a = np.float64(fabs(x))
    small = a * _horner(ERF_F32, a * a)
    s = (a if a < ONE_FROM else ONE_FROM) - ERFC_CENTER_F32
    n, r = reduce_ln2(_horner(ERFC_F32, s if s == s else 0.0))
    big = 1.0 - (1.0 + fma(r * r, exp_tail_f32(r), r)) * pow2(n)
    y = copysign(np.float32(small if a < SPLIT_F32 else big), x)
    return y if a == a else x
