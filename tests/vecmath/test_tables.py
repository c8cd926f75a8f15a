"""The constant tables: 2/pi for the trig reduction, and the Remez fits."""

from __future__ import annotations

import decimal
from fractions import Fraction

import numpy as np
import pytest

from tracegrad.codegen.vecmath import reduce_pi

BITS = 1300


def _two_over_pi_by_decimal(bits: int) -> int:
    """floor(2/pi * 2**bits), computed apart from reduce_pi (the decimal module's
    documented recipe for pi, a different series)."""
    with decimal.localcontext() as ctx:
        ctx.prec = bits * 31 // 100 + 30  # decimal digits for `bits` bits, and more
        three = decimal.Decimal(3)
        last, t, s, n, na, d, da = 0, three, 3, 1, 0, 0, 24
        while s != last:
            last = s
            n, na = n + na, na + 8
            d, da = d + da, da + 32
            t = (t * n) / d
            s += t
        return int((2 / +s) * (decimal.Decimal(2) ** bits))


def test_two_over_pi_bits():
    assert reduce_pi.two_over_pi_bits(BITS) == _two_over_pi_by_decimal(BITS)


@pytest.mark.parametrize("e", [0, 1000, 1077, 1078, 1100, 1475, 1476, 2046])
def test_table_row_is_two_over_pi_mod_the_irrelevant_multiples_of_four(e):
    """Row e holds 2/pi without its bits of weight 2**(2-u) and more (x = M 2**u),
    212 bits of it, scaled by 2**600 for the rows of huge x."""
    u = max(e, 1) - 1075
    p0 = min(2 - u, 0)
    scale = reduce_pi.SHIFT if e > reduce_pi.BIG_EXPONENT else 0
    row = sum(Fraction(float(v)) for v in reduce_pi.TABLE[:, e]) / Fraction(2) ** scale
    c = Fraction(_two_over_pi_by_decimal(BITS), 2**BITS)
    unit = Fraction(2) ** p0
    kept = c - (c // unit) * unit
    assert abs(row - kept) <= unit * Fraction(1, 2**211)


def test_remez_fit_levels_the_error_and_beats_taylor():
    mpmath = pytest.importorskip("mpmath")
    from tracegrad.codegen.vecmath import remez

    fit = remez.remez(mpmath.exp, remez.powers(0, 4), (-0.5, 0.5), relative=True)
    taylor = [1, 1, 0.5, 1 / 6, 1 / 24]
    err_fit = remez.rounded_error(mpmath.exp, remez.powers(0, 4), fit.rounded(), (-0.5, 0.5))
    err_taylor = remez.rounded_error(mpmath.exp, remez.powers(0, 4), taylor, (-0.5, 0.5))
    assert err_fit < err_taylor / 10
    assert fit.error == pytest.approx(err_fit, rel=0.05)


def test_a_table_in_the_code_is_what_its_fit_prints():
    """The coefficients in exp.py are those `remez.py exp_f64` produces (all tables:
    ``python -m tracegrad.codegen.vecmath.remez --check``, 20 s)."""
    pytest.importorskip("mpmath")
    from tracegrad.codegen.vecmath import exp, remez

    np.testing.assert_allclose(remez.fit("exp_f64").rounded(), exp.EXP_F64, rtol=1e-12)
    assert set(remez.TABLES) == set(remez.FITS)


@pytest.mark.parametrize("name", ["tanh_f32_table", "pow_f32_table", "pow_f64_table",
                                  "exp_f64_table", "tanh_f64_table"])
def test_a_vector_kernel_table_is_what_its_generator_computes(name):
    """The lookup tables of the vector kernels (`vector_kernels.py`) are exactly what
    `remez.py` computes for them, and float64 pow's reduced argument stays within
    the interval its polynomial was fitted on."""
    pytest.importorskip("mpmath")
    import importlib

    from tracegrad.codegen.vecmath import remez

    make, module, constant = remez.PIECEWISE[name]
    table = getattr(importlib.import_module(f"tracegrad.codegen.vecmath.{module}"), constant)
    assert make() == table
    if name == "pow_f64_table":
        assert remez.pow_f64_bounds()[1] <= remez.POW_F64_R
