"""Error-free transformations: sums and products carried as a pair of floats.

A value ``hi + lo`` with ``|lo| <= ulp(hi)/2`` holds about twice the precision of a
float ("double-double"). The functions below compute the exact rounding error of a
sum or a product, so reductions and final corrections can be carried out to well
below one ulp. All are a few additions or one FMA: they vectorise.

>>> two_sum(1.0, 1e-20)  # doctest: +SKIP
(1.0, 1e-20)
"""

from __future__ import annotations

from tracegrad.codegen.vecmath.intrinsics import fma
from tracegrad.codegen.vecmath.jit import vecfn


@vecfn
def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e == a + b`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


@vecfn
def fast_two_sum(a, b):
    """``(s, e)`` as `two_sum`, valid when ``|a| >= |b|`` (or a == 0) (Dekker)."""
    s = a + b
    return s, b - (s - a)


@vecfn
def two_prod(a, b):
    """``(p, e)`` with ``p = fl(a * b)`` and ``p + e == a * b`` exactly (one FMA)."""
    p = a * b
    return p, fma(a, b, -p)
