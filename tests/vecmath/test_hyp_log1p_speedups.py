"""sinh and cosh with no division, log1p with one division fewer.

sinh_f64, cosh_f64 and sinh_f32 evaluate ``exp(r)`` and ``exp(-r)`` from one
polynomial split into even and odd parts; log1p_f64 corrects for the rounding of
``1 + x`` with a short polynomial instead of a division, and log1p_f32 needs no
correction at all. The sweeps below go through the places where these shortcuts
could lose accuracy: the boundaries between reduction steps n (cancellation in sinh
is largest just above ln2/2), tiny arguments (sinh is exp's odd part there), the
overflow edge, and for log1p arguments near -1 and past 2**52, where the correction
is dropped, up to the largest double (the exponent k reaches 1024 there).
"""

from __future__ import annotations

import numpy as np
import pytest

from tracegrad.codegen.vecmath.ulp import ulp_error

LN2 = np.log(2.0)
RNG_SEED = 20261122


def _around(points, width: float, n: int, rng) -> np.ndarray:
    """n arguments spread uniformly within ``width`` (relative) of each point."""
    points = np.asarray(points, np.float64)
    scale = rng.uniform(1.0 - width, 1.0 + width, (points.size, n))
    return (points[:, None] * scale).ravel()


def _log_uniform(lo: float, hi: float, n: int, rng) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _hyp_args(rng) -> np.ndarray:
    # k*ln2 - ln2/2 are where n steps; 1 is the old small-argument edge
    edges = (np.arange(1, 1025) - 0.5) * LN2
    edges = edges[edges < 710.0]
    x = np.concatenate([
        _around(edges, 1e-3, 200, rng),
        _log_uniform(1e-300, 1.0, 100_000, rng),
        rng.uniform(0.0, 3.0, 100_000),
        rng.uniform(700.0, 710.475, 20_000),
    ])
    return np.concatenate([x, -x])


def _log1p_args(rng) -> np.ndarray:
    return np.concatenate([
        -1.0 + _log_uniform(1e-16, 0.7, 100_000, rng),  # u far below 1, k < 0
        rng.uniform(-0.3, 0.42, 100_000),  # k = 0: the correction matters most
        _log_uniform(1e-300, 1e-3, 50_000, rng) * rng.choice([-1.0, 1.0], 50_000),
        # 1 + x rounds to 1 or a neighbour: c is as large as the result
        _log_uniform(2.0**-54, 1e-14, 50_000, rng) * rng.choice([-1.0, 1.0], 50_000),
        _log_uniform(1.0, 1e300, 100_000, rng),
        _log_uniform(2.0**50, 2.0**56, 50_000, rng),  # where the correction is dropped
        rng.uniform(1.27e308, 1.7976931348623157e308, 10_000),  # k = 1024
    ])


CASES_F64 = {"sinh": (_hyp_args, np.sinh), "cosh": (_hyp_args, np.cosh),
             "log1p": (_log1p_args, np.log1p)}


@pytest.mark.parametrize("op", sorted(CASES_F64))
def test_float64_within_one_ulp_at_the_hard_places(kernels, op):
    make, ref = CASES_F64[op]
    x = make(np.random.default_rng(RNG_SEED))
    got = kernels.run(op, x)
    want = ref(x.astype(np.longdouble))
    err = ulp_error(got, want, np.float64)
    worst = int(np.argmax(err))
    assert err[worst] < 1.0, f"{op}: {err[worst]:.3f} ulp at {x[worst]!r}: got {got[worst]!r}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log1p_edges_as_numpy(kernels, dtype):
    """-1, below -1, inf, NaN and zeros exactly as NumPy; 2**52 and 2**53 with their
    neighbours and the largest finite numbers within 1 ulp."""
    big = [1e38, 3.4e38] if dtype == np.float32 else [1e308, 1.7e308, 1.7976931348623157e308]
    x = np.array([-1.0, -2.0, -np.inf, np.inf, np.nan, -0.0, 0.0, 2.0**53, 2.0**53 + 2,
                  2.0**52 + 1, 2.0**52 - 1, *big], dtype)
    with np.errstate(all="ignore"):
        want = np.log1p(x)
    got = kernels.run("log1p", x)
    special = ~np.isfinite(want) | (want == 0.0)
    np.testing.assert_array_equal(got[special], want[special])
    signed = special & ~np.isnan(want)  # a NaN's sign is not NumPy's contract
    assert (np.signbit(got[signed]) == np.signbit(want[signed])).all()
    err = ulp_error(got[~special], np.log1p(x[~special].astype(np.longdouble)), dtype)
    assert err.max() < 1.0, f"{err.max():.3f} ulp at {x[~special][np.argmax(err)]!r}"
