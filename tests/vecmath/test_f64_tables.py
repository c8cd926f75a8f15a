"""float64 exp, tanh, sinh and cosh by table (AVX-512), and the table-free versions
other CPUs run.

exp's table kernel takes a slower path for a register of 8 lanes holding an |x| of
708 or more or a NaN (clamping, and the subnormal rounding): results there must be
within 1 ulp down to the smallest subnormal, inf, 0 and NaN as NumPy, and the other
lanes of such a register must come out bit for bit as they do without it. tanh's
changes method at |x| = 1/8 (odd polynomial below, ``1 - 2/(exp(2|x|) + 1)`` above)
and saturates from 19.06; its table's 52-bit entries keep ``2**m hi + 1`` exact up to
m = 51 (|x| ~ 17.7). sinh and cosh sum quarters of exp(|x|) and exp(-|x|) and double
the sum, so that they overflow exactly where the result does (|x| > 710.47); sinh
changes method at |x| = 1/2. The table-free versions are no longer what the loops on this
machine call, so they are swept here directly (`test_accuracy.py` and
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
NUMPY = {"exp": np.exp, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh}

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
    np.testing.assert_array_equal(got[special], expected[special])
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def _inputs(op: str, rng) -> np.ndarray:
    """exp: the whole range, registers of arguments near overflow and in the
    subnormal range only (the slower path throughout); tanh, sinh, cosh: the whole
    range, around the change of method (and tanh's end of the exact sums), near
    overflow, tiny arguments."""
    if op == "exp":
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


@pytest.mark.parametrize("op", ["exp", "tanh", "sinh", "cosh"])
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


@pytest.mark.parametrize("op", ["exp", "tanh", "sinh", "cosh"])
def test_without_tables_within_one_ulp(op):
    """The table-free versions, which CPUs without AVX-512 run, on the same inputs."""
    numba = pytest.importorskip("numba")
    from tracegrad.codegen.vecmath import exp, hyperbolic

    portable = (exp._exp_f64_portable if op == "exp"
                else getattr(hyperbolic, f"_{op}_f64_portable"))

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = portable(x[i])

    x = _inputs(op, np.random.default_rng(RNG_SEED + 2))
    got = np.empty_like(x)
    loop(x, got)
    _check(op, got, x)
