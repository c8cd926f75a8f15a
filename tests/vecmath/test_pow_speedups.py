"""pow with its shortcuts: a leaner double-double log, and float32 pow in plain float64.

float64 pow keeps only ``2s`` and ``s z (2/3 + z Q)`` of its log as pairs, so its
error is largest where ``s^2`` is (|x| near sqrt(2) * 2**k) and y log|x| is near
+-745, which multiplies the log's relative error into the result; exp takes the
low part of the product and scales in two factors, so results near overflow and
in the subnormal range are checked too. float32 pow is ``2**(y log2|x|)`` in
float64 with the sign, NaN and scaling done on the bits: exact powers of two must
stay exact (the underflow tie 2**-150 rounds to 0), NaN payloads must not turn
into numbers, and the sign of a negative base follows the parity of y up to the
largest floats. The special cases are compared with NumPy on a wider grid than
test_special_values.py's. On AVX-512 both pows are table kernels with a slower path
for registers holding a special case (float32's in float32 pairs on 16 lanes, whose
exp must take log's low part in before it rounds to a table step: x near 1 with a
large y); the table-free versions other CPUs run are swept directly.
"""

from __future__ import annotations

import numpy as np
import pytest

from tracegrad.codegen.vecmath.ulp import ulp_error

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
RNG_SEED = 20261122

if np.finfo(np.longdouble).nmant < 60:  # pragma: no cover - not x86 Linux
    pytest.skip("needs an extended-precision longdouble as reference", allow_module_level=True)


def _reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.power(x.astype(np.longdouble), y.astype(np.longdouble))


def _worst(got, x, y, dtype) -> tuple[float, str]:
    err = ulp_error(got, _reference(x, y), dtype)
    i = int(np.argmax(err))
    return float(err[i]), f"x={x[i]!r} y={y[i]!r} got {got[i]!r}"


def _amplified(dtype, rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """|x| around sqrt(2) 2**k and sqrt(1/2) (the ends of the log's reduction, where
    its error is largest) and near 1, with y such that y log|x| is close to the
    overflow and underflow thresholds: the log's error multiplied the most."""
    top = float(np.log(np.finfo(dtype).max))
    bottom = float(np.log(np.finfo(dtype).smallest_subnormal))
    k = rng.integers(-8, 9, n)
    edge = np.where(rng.random(n) < 0.5, np.sqrt(2.0), np.sqrt(0.5))
    x = np.concatenate([edge * 2.0**k * rng.uniform(0.999, 1.001, n),
                        1.0 + rng.uniform(-1e-3, 1e-3, n)])
    x = x.astype(dtype).astype(np.float64)
    x = x[x != 1.0]
    target = np.where(rng.random(x.size) < 0.5, top, bottom) * rng.uniform(0.98, 1.0, x.size)
    y = (target / np.log(x)).astype(dtype)
    return x.astype(dtype), y


@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_largest_amplification_within_one_ulp(kernels, dtype):
    x, y = _amplified(dtype, np.random.default_rng(RNG_SEED), 40_000)
    x = np.concatenate([x, -x])
    y = np.concatenate([y, np.rint(y)])  # integer y, so that negative x is defined
    got = kernels.run("pow", x, y)
    err, where = _worst(got, x, y, dtype)
    assert err < 1.0, f"{err:.3f} ulp at {where}"


@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_whole_range_within_one_ulp(kernels, dtype):
    """x over every binade (subnormal included), y small and large, both signs."""
    rng = np.random.default_rng(RNG_SEED + 1)
    fi = np.finfo(dtype)
    n = 200_000
    lo, hi = np.log2(float(fi.smallest_subnormal)), np.log2(float(fi.max))
    x = (2.0 ** rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)).astype(dtype)
    y = np.concatenate([rng.integers(-40, 40, n // 2).astype(np.float64),
                        rng.uniform(-3, 3, n // 4), rng.uniform(-1e3, 1e3, n - n // 2 - n // 4)])
    y = y.astype(dtype)
    got = kernels.run("pow", x, y)
    err, where = _worst(got, x, y, dtype)
    assert err < 1.0, f"{err:.3f} ulp at {where}"


def test_float32_exact_powers_of_two_stay_exact(kernels):
    """2**r with r = 0 is exactly 1, so 2**k (and the tie 2**-150, which rounds to
    0 by ties-to-even, as np.power does) comes out exact."""
    k = np.arange(-160, 140, dtype=np.float64)
    x = np.full(k.size, 2.0, np.float32)
    y = k.astype(np.float32)
    with np.errstate(over="ignore", under="ignore"):
        want = np.power(x, y)
    np.testing.assert_array_equal(kernels.run("pow", x, y), want)
    x4 = np.full(k.size, 0.25, np.float32)
    with np.errstate(over="ignore", under="ignore"):
        want4 = np.power(x4, (k / 2).astype(np.float32))
    np.testing.assert_array_equal(kernels.run("pow", x4, (k / 2).astype(np.float32)), want4)


@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_nan_payloads_stay_nan(kernels, dtype):
    """NaNs with payload bits (low ones included) give NaN, not a number built from
    their bits, except where C99 returns 1."""
    itype = np.int64 if dtype == F64 else np.int32
    quiet = 0x7FF8000000000000 if dtype == F64 else 0x7FC00000
    payloads = np.array([quiet, quiet | 1, quiet | 0xFFF, quiet | 0x5555], itype)
    nans = payloads.view(dtype)
    nans = np.concatenate([nans, -nans])  # the sign bit set, payloads kept
    others = np.array([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -3.0, np.inf, -np.inf, 1e30], dtype)
    x = np.concatenate([np.repeat(nans, others.size), np.tile(others, nans.size)])
    y = np.concatenate([np.tile(others, nans.size), np.repeat(nans, others.size)])
    got = kernels.run("pow", x, y)
    one = (y == 0) | (x == 1)
    assert np.isnan(got[~one]).all(), f"not NaN at {np.stack([x, y], 1)[~one & ~np.isnan(got)]}"
    np.testing.assert_array_equal(got[one], 1.0)


def _special_grid(dtype) -> tuple[np.ndarray, np.ndarray]:
    fi = np.finfo(dtype)
    big_odd = 2.0**24 - 1 if dtype == F32 else 2.0**53 - 1
    values = [0.0, 1.0, 2.0, 0.5, 3.0, 2.5, 1e-30, 1e30, np.inf, float(fi.max),
              float(fi.tiny), float(fi.smallest_subnormal), 1 + float(fi.eps),
              1 - float(fi.epsneg), big_odd, big_odd + 1, 2 * big_odd + 4, 7.0, 0.1, 126.0,
              127.0, 128.0, 149.0, 150.0, 1023.0, 1024.0, 1074.0, 1075.0, 2.0**62, 1e38]
    with np.errstate(over="ignore"):
        v = np.array(values, np.float64).astype(dtype)
    v = np.concatenate([v, -v, np.array([np.nan], dtype)])
    a, b = np.meshgrid(v, v)
    return a.ravel(), b.ravel()


@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_special_grid_as_numpy(kernels, dtype):
    """Zeros, infinities and NaNs exactly as np.power (signs included), on a grid
    with odd and even integers up to and past the last odd one, the over- and
    underflow exponents, subnormals and the numbers next to 1; the rest within an
    ulp."""
    x, y = _special_grid(dtype)
    got = kernels.run("pow", x, y)
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    special = ~np.isfinite(want) | (want == 0)
    same = (got == want) & (np.signbit(got) == np.signbit(want))
    bad = special & ~same & ~(np.isnan(got) & np.isnan(want))
    assert not bad.any(), f"inputs {np.stack([x, y], 1)[bad][:8]}: got {got[bad][:8]}"
    err = ulp_error(got[~special], _reference(x[~special], y[~special]), dtype)
    assert err.max() <= 1.0, f"{err.max():.3f} ulp"


# --- float32 pow by table (AVX-512) and its table-free fallback ---------------------------


def _random_pairs_f32(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 bit patterns for x (every binade, both signs, subnormals,
    now and then 0, inf and NaN) and y of every size: half of them integers (so that
    negative x is defined), a quarter small, a quarter with y log2|x| near the
    over- and underflow thresholds."""
    bits = rng.integers(0, 0x7F800001, n, dtype=np.int64).astype(np.uint32)
    x = bits.view(np.float32) * rng.choice(np.float32([-1, 1]), n)
    lg = np.log2(np.abs(x.astype(np.float64)), where=x != 0, out=np.ones(n))
    target = rng.choice([128.0, -126.0, -149.0], n) * rng.uniform(0.97, 1.03, n)
    y = np.concatenate([
        np.rint(rng.uniform(-200, 200, n // 4)),
        np.rint(target[: n // 4] / lg[: n // 4]),
        rng.uniform(-4, 4, n // 4),
        target[3 * n // 4:] / lg[3 * n // 4:],
    ])[:n]
    with np.errstate(over="ignore"):
        return x, y.astype(np.float32)


def _mismatched_specials(got, want) -> np.ndarray:
    """Where `want` (float32) is NaN, inf or 0 and `got` is not the same (sign
    included): a mask."""
    special = ~np.isfinite(want) | (want == 0)
    same = (got == want) & (np.signbit(got) == np.signbit(want))
    return special & ~(same | (np.isnan(got) & np.isnan(want)))


def test_float32_random_pairs_within_one_ulp(kernels):
    """2e6 random pairs over the whole range (see `_random_pairs_f32`): within an ulp
    of the float64 np.power, NaN, inf and 0 where it has them (signs included)."""
    x, y = _random_pairs_f32(np.random.default_rng(RNG_SEED + 2), 2_000_000)
    got = kernels.run("pow", x, y)
    with np.errstate(all="ignore"):
        want = np.power(x.astype(np.float64), y.astype(np.float64))
        w32 = want.astype(np.float32)
    bad = _mismatched_specials(got, w32)
    assert not bad.any(), f"at {np.stack([x, y], 1)[bad][:8]}: got {got[bad][:8]}"
    special = ~np.isfinite(w32) | (w32 == 0)
    err = ulp_error(got[~special], want[~special], F32)
    i = int(np.argmax(err))
    assert err[i] < 1.0, f"{err[i]:.3f} ulp at x={x[~special][i]!r} y={y[~special][i]!r}"


def test_float32_amplified_within_one_ulp(kernels):
    """x across the log table's subintervals near 1 (and any binade), y such that y
    log|x| lies anywhere between underflow and overflow: the log's relative error is
    multiplied by up to 104 there, and log's low part times y reaches 0.15, which the
    exp's reduction must take in before it picks a table step."""
    rng = np.random.default_rng(RNG_SEED + 5)
    n = 400_000
    x = np.concatenate([1 + rng.uniform(-0.06, 0.06, n // 2),
                        2.0 ** rng.uniform(-126, 127, n // 2)]).astype(np.float32)
    target = rng.uniform(-103, 88, n)
    with np.errstate(divide="ignore"):
        y = (target / np.log(x.astype(np.float64))).astype(np.float32)
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    worst, where = _worst(kernels.run("pow", x, y), x, y, F32)
    assert worst < 1.0, f"{worst:.3f} ulp at {where}"


# --- float64 pow by table (AVX-512) and its table-free fallback ---------------------------


def _random_pairs_f64(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random float64 bit patterns for x (every binade, both signs, subnormals, now
    and then 0, inf and NaN) and y: a fifth integers (so that negative x is
    defined), a fifth small, a fifth of every size from 2**-60 to 2**64, two fifths
    with y log|x| near the overflow and underflow thresholds (half of them
    integers)."""
    bits = rng.integers(0, 0x7FF0000000000001, n, dtype=np.int64)
    x = bits.view(np.float64) * rng.choice([-1.0, 1.0], n)
    lg = np.log(np.abs(x), where=(x != 0) & (np.abs(x) != 1), out=np.ones(n))
    target = rng.choice([709.78, -708.4, -745.1], n) * rng.uniform(0.99, 1.01, n)
    q = n // 5
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.concatenate([
            np.rint(rng.uniform(-300, 300, q)),
            rng.uniform(-4, 4, q),
            rng.choice([-1.0, 1.0], q) * 2.0 ** rng.uniform(-60, 64, q),
            np.rint(target[3 * q: 4 * q] / lg[3 * q: 4 * q]),
            target[4 * q:] / lg[4 * q:],
        ])
    return x, y


def _check_pow(got, x, y) -> None:
    """NaN, inf and 0 exactly where np.power has them (signs included), within an ulp
    of the extended-precision reference elsewhere."""
    with np.errstate(all="ignore"):
        want = np.power(x, y)
    bad = _mismatched_specials(got, want)
    assert not bad.any(), f"at {np.stack([x, y], 1)[bad][:8]}: got {got[bad][:8]}"
    special = ~np.isfinite(want) | (want == 0)
    err, where = _worst(got[~special], x[~special], y[~special], got.dtype)
    assert err < 1.0, f"{err:.3f} ulp at {where}"


def test_float64_random_pairs_within_one_ulp(kernels):
    """1e6 random pairs over the whole range (see `_random_pairs_f64`), then with |x|,
    so that most registers of 8 take the table kernel's ordinary path."""
    x, y = _random_pairs_f64(np.random.default_rng(RNG_SEED + 5), 500_000)
    x, y = np.concatenate([x, np.abs(x)]), np.concatenate([y, y])
    _check_pow(kernels.run("pow", x, y), x, y)


def test_float64_ordinary_path_amplified_within_one_ulp(kernels):
    """The table kernel's ordinary path (x > 0 normal, |y| < 2**16, where log|x| is
    not normalised) where it amplifies the log's error the most: y log x near the
    over- and underflow thresholds, x within 3% of 1 (the second-level subintervals
    next to 1, where log x is smallest) and over every binade."""
    rng = np.random.default_rng(RNG_SEED + 8)
    x = np.concatenate([1 + rng.uniform(-0.03, 0.03, 100_000), 2.0 ** rng.uniform(-1000, 1000,
                                                                                  100_000)])
    x = x[np.abs(np.log(x)) > 0.0115]  # |y| < 2**16
    target = np.where(rng.random(x.size) < 0.5, 709.78, -745.13) * rng.uniform(0.98, 1.0, x.size)
    y = target / np.log(x)
    err, where = _worst(kernels.run("pow", x, y), x, y, F64)
    assert err < 1.0, f"{err:.3f} ulp at {where}"


@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_special_lanes_leave_the_others_alone(kernels, dtype):
    """The table kernel takes a slower path for a register (8 float64 or 16 float32
    lanes) holding a special case (x <= 0, inf or NaN, a float64 subnormal x, a huge
    |y|): the other lanes of that register come out bit for bit as they do without
    it."""
    lanes = 64 // dtype.itemsize
    specials = ([("x", -2.0), ("x", 1e-310), ("y", 1e10)] if dtype == F64
                else [("x", -2.0), ("y", 3e7)])
    rng = np.random.default_rng(RNG_SEED + (6 if dtype == F64 else 3))
    x = rng.uniform(0.01, 100, 4096).astype(dtype)
    y = rng.uniform(-150, 150, 4096).astype(dtype) / (1 if dtype == F64 else 7.5)
    plain = kernels.run("pow", x, y)
    changed = {"x": x.copy(), "y": y.copy()}
    lane = np.arange(0, x.size, lanes) + rng.integers(0, lanes, x.size // lanes)
    for k, (which, value) in enumerate(specials):
        changed[which][lane[k::len(specials)]] = value
    mixed = kernels.run("pow", changed["x"], changed["y"])
    keep = np.ones(x.size, bool)
    keep[lane] = False
    np.testing.assert_array_equal(mixed[keep], plain[keep])


@pytest.mark.parametrize("dtype", [F64, F32], ids=["f64", "f32"])
def test_without_tables_within_one_ulp(dtype):
    """The table-free pow, which CPUs without AVX-512 run, on the random pairs, the
    amplified cases and the special grid."""
    numba = pytest.importorskip("numba")
    from tracegrad.codegen.vecmath import power

    portable = power._pow_f64_portable if dtype == F64 else power._pow_f32_portable

    @numba.njit(error_model="numpy")
    def loop(x, y, out):
        for i in range(x.size):
            out[i] = portable(x[i], y[i])

    rng = np.random.default_rng(RNG_SEED + (7 if dtype == F64 else 4))
    xa, ya = _amplified(dtype, rng, 20_000)
    xr, yr = (_random_pairs_f64 if dtype == F64 else _random_pairs_f32)(rng, 200_000)
    xg, yg = _special_grid(dtype)
    x, y = np.concatenate([xa, xr, xg]), np.concatenate([ya, yr, yg])
    got = np.empty_like(x)
    loop(x, y, got)
    _check_pow(got, x, y)
