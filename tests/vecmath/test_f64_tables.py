"""float64 exp, expm1, tanh, sinh, cosh, log, log2, log10 and log1p by table
(AVX-512), and the table-free versions other CPUs run.

exp's table kernel takes a slower path for a register of 8 lanes holding an |x| of 708
or more or a NaN (clamping, and the subnormal rounding): results there must be within 1
ulp down to the smallest subnormal, inf, 0 and NaN as NumPy, and the other lanes of such
a register must come out bit for bit as they do without it. tanh's changes method at |x|
= 1/8 (odd polynomial below, ``1 - 2/(exp(2|x|) + 1)`` above) and saturates from 19.06;
its table's 52-bit entries keep ``2**m hi + 1`` exact up to m = 51 (|x| ~ 17.7). sinh
and cosh sum quarters of exp(|x|) and exp(-|x|) and double the sum, so that they
overflow exactly where the result does (|x| > 710.47); sinh changes method at |x| = 1/2.
expm1 rounds its table step toward zero, so that 2**e - 1 and exp(r) - 1 never cancel
(tested where they would have), and takes a slower path for a register holding |x| <
2**-54, x <= -40, x >= 709, inf or NaN. log, log2 and log10 cut their argument at the
table's subintervals (the one holding 1 has c = 1, where the result must keep its
relative accuracy), and take a slower path for a register holding a zero, negative,
subnormal, inf or NaN argument; log1p adds the rounding error of 1 + x, as large as the
result just above its tiny threshold. The table-free versions are no longer what the
loops on this machine call, so they are swept here directly (`test_accuracy.py` and
`test_special_values.py` check the ``vm_`` functions too).
"""

from __future__ import annotations

import numpy as np
import pytest

from tracegrad.codegen.vecmath.ulp import ulp_error

F64 = np.dtype(np.float64)
RNG_SEED = 20261123
SPECIALS = {
    "exp": [np.nan, np.inf, -np.inf, 0.0, -0.0, 709.782712893384, 709.7827128933841,
            -745.1332191019411, -745.1332191019412, -708.3964185322641, 708.0, -708.0,
            1e-300, -1e-300, 5e-324, 1e308, -1e308],
    "sinh": [np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -1e-310, 0.5, np.nextafter(0.5, 0),
             -0.5, 709.78, 710.47, 710.48, -710.475, 711.0, 1e300, -1e300],
    "tanh": [np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -1e-310, 0.125, np.nextafter(0.125, 0),
             -0.125, 17.7, 19.06, 19.07, 19.5, -19.5, 30.0, 1e300],
}
SPECIALS["cosh"] = SPECIALS["sinh"]
# around 1 (the subinterval with c = 1 reaches from 0.98 to 1.03), the edges of the
# normal range, powers of two and of ten (exact results for log2 and log10)
SPECIALS["log"] = SPECIALS["log2"] = SPECIALS["log10"] = [
    np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, -5e-324, 5e-324, 1e-310, 2.2250738585072014e-308,
    np.nextafter(2.2250738585072014e-308, 0), 1.7976931348623157e308, 1.0,
    np.nextafter(1.0, 0), np.nextafter(1.0, 2), 0.98046875, 1.0234375, 0.69921875,
    1.3984375, 0.5, 2.0, 2.0**-1074, 2.0**1023, 10.0, 1000.0, 1e22, 1e-5]
# log1p: around its tiny threshold 2**-54, where 1 + x rounds to 1 +- an ulp (its
# rounding error as large as the result), near -1, and up to the largest float
SPECIALS["log1p"] = [
    np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, -1.5, -5e-324, 5e-324, 1e-310, 2.0**-54,
    np.nextafter(2.0**-54, 0), -(2.0**-54), -5.5586646954801816e-17, 2.0**-53,
    1.8016679801225498e-16, -0.5, np.nextafter(-1.0, 0), 1.0, 1e308, 1.7976931348623157e308]
# expm1: its tiny threshold, the table steps near 0 (where 2**e - 1 and exp(r) - 1
# would cancel if e were rounded to nearest), -1 from -38 on, overflow from 709.78
SPECIALS["expm1"] = [
    np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -1e-310, 2.0**-54, -(2.0**-54),
    np.nextafter(2.0**-54, 0), 0.022129647651998208, -0.06408081272947025,
    -0.9916470406042317, 0.059261112000835336, np.log(2) / 16, -np.log(2) / 16,
    -37.0, -38.5, -40.0, -41.0, 709.0, 709.78, 709.79, 710.0, 1e300, -1e300]
NUMPY = {"exp": np.exp, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh,
         "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
         "expm1": np.expm1}
LOGS = ("log", "log2", "log10", "log1p")

if np.finfo(np.longdouble).nmant < 60:  # pragma: no cover - not x86 Linux
    pytest.skip("needs an extended-precision longdouble as reference", allow_module_level=True)


def _check(op: str, got: np.ndarray, x: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        err = ulp_error(got, NUMPY[op](x.astype(np.longdouble)), F64)
        expected = NUMPY[op](x)
    worst = int(np.argmax(err))
    assert err[worst] <= 1.0, f"{op}: {err[worst]:.3f} ulp at x={x[worst]!r}: got {got[worst]!r}"
    special = ~np.isfinite(expected) | (expected == 0)
    if op == "tanh":  # +-1 exactly from 19.06 on, where the correctly rounded result is
        special |= np.abs(x) >= 19.1
    if op in LOGS:  # exact results: 0 at 1, k at 2**k, n at 10**n
        special |= expected == np.round(expected)
    np.testing.assert_array_equal(got[special], expected[special])
    # the sign of a NaN means nothing (NumPy's log of a negative number is -NaN)
    signed = ~np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(got[signed]), np.signbit(expected[signed]))


def _inputs(op: str, rng) -> np.ndarray:
    """exp: the whole range, registers of arguments near overflow and in the
    subnormal range only (the slower path throughout); tanh, sinh, cosh: the whole
    range, around the change of method (and tanh's end of the exact sums), near
    overflow, tiny arguments; the logs: the whole range, near 1, across the table's
    subintervals, subnormals (the slower path)."""
    if op == "expm1":
        parts = [rng.uniform(-45, 710, 40_000), rng.uniform(-1.5, 1.5, 16_000),
                 rng.uniform(-0.1, 0.1, 8_000), rng.uniform(708, 709.8, 4_000),
                 rng.uniform(-42, -36, 4_000),
                 2.0 ** rng.uniform(-60, -1, 8_000) * rng.choice([-1.0, 1.0], 8_000)]
    elif op == "log1p":
        parts = [rng.uniform(-1, 1, 40_000), np.expm1(rng.uniform(-40, 709, 16_000)),
                 -1 + 2.0 ** rng.uniform(-53, -1, 8_000), rng.uniform(-0.06, 0.06, 8_000),
                 2.0 ** rng.uniform(-60, -20, 8_000) * rng.choice([-1.0, 1.0], 8_000)]
    elif op in LOGS:
        parts = [2.0 ** rng.uniform(-1022, 1024, 40_000), 1 + rng.uniform(-0.05, 0.05, 8_000),
                 1 + rng.uniform(-1e-9, 1e-9, 4_000), rng.uniform(0.69, 1.41, 8_000),
                 2.0 ** rng.uniform(-1074, -1022, 4_000)]
    elif op == "exp":
        parts = [rng.uniform(-746, 710, 40_000), rng.uniform(-746, -708, 8_000),
                 rng.uniform(708, 709.8, 8_000), rng.uniform(-1, 1, 8_000)]
    elif op in ("sinh", "cosh"):
        parts = [rng.uniform(-711, 711, 40_000), rng.uniform(-3, 3, 8_000),
                 rng.uniform(0.45, 0.55, 8_000), rng.uniform(705, 711, 8_000),
                 10.0 ** rng.uniform(-320, 0, 8_000) * rng.choice([-1.0, 1.0], 8_000)]
    else:
        parts = [rng.uniform(-20, 20, 40_000), rng.uniform(0.1, 0.15, 8_000),
                 rng.uniform(17, 19.2, 8_000),
                 10.0 ** rng.uniform(-320, 0, 8_000) * rng.choice([-1.0, 1.0], 8_000)]
    return np.concatenate([*parts, SPECIALS[op]])


@pytest.mark.parametrize("op", ["exp", "expm1", "tanh", "sinh", "cosh", *LOGS])
def test_table_kernel_within_one_ulp_and_special_values_as_numpy(kernels, op):
    x = _inputs(op, np.random.default_rng(RNG_SEED))
    _check(op, kernels.run(op, x), x)


def test_exp_special_lanes_leave_the_others_alone(kernels):
    """A register holding a special lane (NaN, inf, |x| >= 708) takes the slower
    path; its ordinary lanes come out bit for bit as on the fast one."""
    rng = np.random.default_rng(RNG_SEED + 1)
    x = rng.uniform(-700, 700, 4096)
    plain = kernels.run("exp", x)
    changed = x.copy()
    lane = np.arange(0, x.size, 8) + rng.integers(0, 8, x.size // 8)
    changed[lane] = rng.choice([np.nan, np.inf, -np.inf, 709.5, -740.0], lane.size)
    mixed = kernels.run("exp", changed)
    keep = np.ones(x.size, bool)
    keep[lane] = False
    np.testing.assert_array_equal(mixed[keep], plain[keep])


@pytest.mark.parametrize("op", LOGS)
def test_log_special_lanes_leave_the_others_alone(kernels, op):
    """As for exp: a register holding a zero, negative, subnormal, inf or NaN argument
    takes the slower path, and its ordinary lanes come out bit for bit the same."""
    rng = np.random.default_rng(RNG_SEED + 3)
    x = 2.0 ** rng.uniform(-1000, 1000, 4096)
    plain = kernels.run(op, x)
    changed = x.copy()
    lane = np.arange(0, x.size, 8) + rng.integers(0, 8, x.size // 8)
    changed[lane] = rng.choice([np.nan, np.inf, 0.0, -2.5, 1e-310], lane.size)
    mixed = kernels.run(op, changed)
    keep = np.ones(x.size, bool)
    keep[lane] = False
    np.testing.assert_array_equal(mixed[keep], plain[keep])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(mixed[lane][changed[lane] != 1e-310],
                                      NUMPY[op](changed[lane][changed[lane] != 1e-310]))


@pytest.mark.parametrize("op", ["exp", "expm1", "tanh", "sinh", "cosh", *LOGS])
def test_without_tables_within_one_ulp(op):
    """The table-free versions, which CPUs without AVX-512 run, on the same inputs."""
    numba = pytest.importorskip("numba")
    from tracegrad.codegen.vecmath import exp, hyperbolic, log

    module = exp if op in ("exp", "expm1") else log if op in LOGS else hyperbolic
    portable = getattr(module, f"_{op}_f64_portable")

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = portable(x[i])

    x = _inputs(op, np.random.default_rng(RNG_SEED + 2))
    got = np.empty_like(x)
    loop(x, got)
    _check(op, got, x)
