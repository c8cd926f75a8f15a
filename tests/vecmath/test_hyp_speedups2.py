"""tanh_f64 with one division and no branch; sinh, cosh, expm1, log10 and log2 for
float32 in float32 arithmetic.

tanh_f64 is ``(e - 1)/(e + 1)`` with both as double-doubles from one reduction of
``2|x|``: the places to check are the steps of that reduction (where r changes sign
and the pairs are least balanced), tiny arguments (e - 1 must not cancel) and
18 <= |x| < 19.06, where ``e +- 1`` no longer fit a pair and ``1 - 2/e`` takes over.
The float32 functions no longer widen to float64; here every float32 near the edges
of their methods (the dense sweeps and the assembly check: test_float32_sweep.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from tracegrad.codegen.vecmath.ulp import ulp_error

LN2 = np.log(2.0)
RNG_SEED = 20261123
STRIDE = 97


def _tanh_args(rng) -> np.ndarray:
    # 2|x| = (k + 1/2) ln2 are where the reduction's n steps
    steps = (np.arange(0, 60) + 0.5) * LN2 / 2
    x = np.concatenate([
        (steps[:, None] * rng.uniform(1 - 1e-3, 1 + 1e-3, (steps.size, 2000))).ravel(),
        np.exp(rng.uniform(np.log(1e-300), np.log(0.5), 100_000)),
        rng.uniform(0.0, 3.0, 200_000),
        rng.uniform(17.5, 19.2, 100_000),
    ])
    return np.concatenate([x, -x])


def test_tanh_f64_within_one_ulp_at_the_hard_places(kernels):
    x = _tanh_args(np.random.default_rng(RNG_SEED))
    got = kernels.run("tanh", x)
    err = ulp_error(got, np.tanh(x.astype(np.longdouble)), np.float64)
    worst = int(np.argmax(err))
    assert err[worst] < 1.0, f"{err[worst]:.3f} ulp at {x[worst]!r}: got {got[worst]!r}"


def test_tanh_f64_rounds_correctly_where_numpy_rounds_to_one(kernels):
    """tanh(19) = 1 - 6.3e-17 is nearer 1 - 2**-53 than 1 (NumPy's 1.0 is 0.57 ulp off);
    from 19.06 on the result is 1."""
    got = kernels.run("tanh", np.array([19.0, -19.0, 19.07, 1e300]))
    np.testing.assert_array_equal(got, [1 - 2.0**-53, -(1 - 2.0**-53), 1.0, 1.0])


def _around(points, count: int) -> np.ndarray:
    """The `count` float32 numbers on either side of each point, and the point."""
    bits = np.asarray(points, np.float32).view(np.int32)
    steps = np.arange(-count, count + 1, dtype=np.int32)
    return (bits[:, None] + steps).ravel().view(np.float32)


# expm1_f32: n = -24 (where n is held), -17.33 (rounds to -1 below), the n = +-1 steps,
# n = 25 (h - 1/2 no longer exact), n = 128 (2**(n-1) = 2**127), the overflow edge
EXPM1_EDGES = [-18.0, -17.33, -16.98, -0.3466, 0.3466, 1.0397, 17.33, 88.38, 88.7228]
# sinh/cosh_f32: n = 0/1, 2**(-n-2) held at 2**-126 (n = 125), n = 129, overflow
HYP_EDGES = [2.0**-12, 0.3466, 1.0397, 86.3, 89.07, 89.4159]


@pytest.mark.parametrize("op, points", [("expm1", EXPM1_EDGES), ("sinh", HYP_EDGES),
                                        ("cosh", HYP_EDGES)])
def test_float32_edges_every_float(kernels, op, points):
    """Every float32 within 3000 of each edge of the method, both signs for sinh."""
    x = _around(points, 3000)
    x = np.concatenate([x, -x]) if op == "sinh" else x
    got = kernels.run(op, x)
    with np.errstate(over="ignore"):
        want = getattr(np, op)(x.astype(np.float64))
    err = ulp_error(got, want, np.float32)
    worst = int(np.argmax(err))
    assert err[worst] < 1.0, f"{op}: {err[worst]:.3f} ulp at {x[worst]!r}: got {got[worst]!r}"
