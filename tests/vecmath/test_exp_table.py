"""float64 exp by table (AVX-512) and the table-free exp other CPUs run.

The table kernel takes a slower path for a register of 8 lanes holding an |x| of
708 or more or a NaN (clamping, and the subnormal rounding): results there must be
within 1 ulp down to the smallest subnormal, inf, 0 and NaN as NumPy, and the other
lanes of such a register must come out bit for bit as they do without it. The
table-free exp is no longer what the loops on this machine call, so it is swept here
directly (`test_accuracy.py` and `test_special_values.py` check `vm_exp_f64`).
"""

from __future__ import annotations

import numpy as np
import pytest

from tracegrad.codegen.vecmath.ulp import ulp_error

F64 = np.dtype(np.float64)
RNG_SEED = 20261123
SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 709.782712893384, 709.7827128933841,
                     -745.1332191019411, -745.1332191019412, -708.3964185322641, 708.0,
                     -708.0, 1e-300, -1e-300, 5e-324, 1e308, -1e308])

if np.finfo(np.longdouble).nmant < 60:  # pragma: no cover - not x86 Linux
    pytest.skip("needs an extended-precision longdouble as reference", allow_module_level=True)


def _check(got: np.ndarray, x: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        err = ulp_error(got, np.exp(x.astype(np.longdouble)), F64)
        expected = np.exp(x)
    worst = int(np.argmax(err))
    assert err[worst] <= 1.0, f"{err[worst]:.3f} ulp at x={x[worst]!r}: got {got[worst]!r}"
    special = ~np.isfinite(expected) | (expected == 0)
    np.testing.assert_array_equal(got[special], expected[special])


def _inputs(rng) -> np.ndarray:
    """The whole range, registers of arguments near overflow and in the subnormal
    range only (the slower path throughout), and the special values."""
    return np.concatenate([rng.uniform(-746, 710, 40_000), rng.uniform(-746, -708, 8_000),
                           rng.uniform(708, 709.8, 8_000), rng.uniform(-1, 1, 8_000), SPECIALS])


def test_table_kernel_within_one_ulp_and_special_values_as_numpy(kernels):
    x = _inputs(np.random.default_rng(RNG_SEED))
    _check(kernels.run("exp", x), x)


def test_special_lanes_leave_the_others_alone(kernels):
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


def test_without_tables_within_one_ulp():
    """The table-free exp, which CPUs without AVX-512 run, on the same inputs."""
    numba = pytest.importorskip("numba")
    from tracegrad.codegen.vecmath.exp import _exp_f64_portable

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = _exp_f64_portable(x[i])

    x = _inputs(np.random.default_rng(RNG_SEED + 2))
    got = np.empty_like(x)
    loop(x, got)
    _check(got, x)
