"""Dense float32 sweeps: every float32 function checked on every 97th float32 of its
domain (all binades, subnormal arguments and results included) against the float64
function, whose own error is ~2**-29 ulp of float32, for the 1-ulp bound; and the
functions computed in float32 arithmetic (16 lanes of zmm) checked in the assembly
for any widening to float64.

The exhaustive sweeps (every float32, run by hand) measured: exp 0.79, log 0.525
(by table; 0.84 without), tanh 0.69 (by table; 0.83 without), expm1 0.79, sinh 0.84,
cosh 0.73, log10 0.530 (0.76 without), log2 0.531 (0.82 without), atan 0.62, asin
0.62, acos 0.63, tan 0.5005 ulp.
"""

from __future__ import annotations

import platform

import numpy as np
import pytest

from tracegrad.codegen.vecmath.ulp import ulp_error

STRIDE = 97  # every 97th float32 bit pattern: ~2.2e7 points for a whole half-line


def _floats_between(lo: float, hi: float, stride: int = STRIDE) -> np.ndarray:
    """Every `stride`-th float32 in [lo, hi] (both positive)."""
    bits = np.arange(np.float32(lo).view(np.int32), np.float32(hi).view(np.int32), stride,
                     dtype=np.int32)
    return bits.view(np.float32)


def _both_signs(lo: float, hi: float, stride: int = STRIDE) -> np.ndarray:
    x = _floats_between(lo, hi, stride)
    return np.concatenate([x, -x])


CASES = {
    # function: (arguments, float64 reference); past the overflow edges, inf
    "exp": (lambda: _both_signs(1e-9, 104.0), np.exp),
    "expm1": (lambda: np.concatenate([_floats_between(1e-45, 95.0),
                                      -_floats_between(1e-45, 120.0)]), np.expm1),
    "log": (lambda: _both_signs(1e-45, 3.4e38), np.log),
    "log2": (lambda: _floats_between(1e-45, 3.4e38), np.log2),
    "log10": (lambda: _floats_between(1e-45, 3.4e38), np.log10),
    "log1p": (lambda: np.concatenate([_floats_between(1e-45, 3.4e38),
                                      -_floats_between(1e-45, 1.0)]), np.log1p),
    "tanh": (lambda: _both_signs(1e-9, 10.0), np.tanh),
    "sinh": (lambda: _both_signs(1e-45, 95.0), np.sinh),
    "cosh": (lambda: _both_signs(1e-45, 95.0), np.cosh),
    "tan": (lambda: _both_signs(1e-45, 3.4e38, 193), np.tan),
    "atan": (lambda: _both_signs(1e-45, 3.4e38), np.arctan),
    "asin": (lambda: _both_signs(1e-45, 1.0), np.arcsin),
    "acos": (lambda: _both_signs(1e-45, 1.0), np.arccos),
}
# computed in float32 arithmetic: no conversion to float64 in the loop
IN_FLOAT32 = ["exp", "expm1", "log", "log2", "log10", "log1p", "tanh", "sinh", "cosh",
              "atan", "atan2", "asin", "acos", "pow"]


@pytest.mark.parametrize("op", sorted(CASES))
def test_dense_float32_sweep_within_one_ulp(kernels, op):
    make, ref = CASES[op]
    x = make()
    got = kernels.run(op, x)
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    err = ulp_error(got, want, np.float32)
    worst = int(np.argmax(err))
    assert err[worst] < 1.0, f"{op}: {err[worst]:.3f} ulp at {x[worst]!r}: got {got[worst]!r}"


@pytest.mark.parametrize("op", ["tanh", "log", "log2", "log10", "log1p"])
def test_without_tables_within_one_ulp(op):
    """The table-free float32 versions, which CPUs without AVX-512 run, on the sweep
    too."""
    numba = pytest.importorskip("numba")
    from tracegrad.codegen.vecmath import hyperbolic, log

    portable = getattr(hyperbolic if op == "tanh" else log, f"_{op}_f32_portable")

    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.size):
            out[i] = portable(x[i])

    make, ref = CASES[op]
    x = make()
    got = np.empty_like(x)
    loop(x, got)
    with np.errstate(all="ignore"):
        err = ulp_error(got, ref(x.astype(np.float64)), np.float32)
    assert err.max() < 1.0, f"{op}: {err.max():.3f} ulp at {x[np.argmax(err)]!r}"


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 assembly")
@pytest.mark.parametrize("op", IN_FLOAT32)
def test_float32_loop_stays_in_float32(kernels, op):
    """No conversion to float64 in the loop: the work is done on 16 float32 lanes."""
    from tests.vecmath.test_vectorised import asm_of

    body = asm_of(kernels(op, np.float32))
    assert "cvtps2pd" not in body and "cvtss2sd" not in body, f"{op}: widens to float64"
