"""Accuracy sweep of tracegrad's vector math: max and mean ulp error per function.

For each function and dtype: a million random points (``--points``) spread over the
whole domain (uniform on the common range, log-uniform over the exponent range,
near the edges), plus the hard cases of the tests. The error of every point is
measured against the function in x87 extended precision (NumPy's longdouble, 64-bit
significand: its own error is ~2**-11 ulp of float64). The worst points of each
function (``--recheck``, 200 by default) are then measured again against mpmath at
200 bits, and a random sample of 2000 too, so the reported maximum does not rest on
the C library's long double functions; erf, which has no longdouble version, is
measured against mpmath throughout (on fewer points, ``--erf-points``).

    python benchmarks/vecmath_accuracy.py                  # markdown table
    python benchmarks/vecmath_accuracy.py --points 100000 --ops exp,sin
"""

from __future__ import annotations

import argparse
import math
import time

import mpmath
import numba
import numpy as np

from tracegrad.codegen import vecmath
from tracegrad.codegen.vecmath.ulp import ulp_error

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
MP = {
    "exp": mpmath.exp, "expm1": mpmath.expm1, "log": mpmath.log, "log1p": mpmath.log1p,
    "log2": lambda x: mpmath.log(x, 2), "log10": mpmath.log10, "sin": mpmath.sin,
    "cos": mpmath.cos, "tan": mpmath.tan, "tanh": mpmath.tanh, "sinh": mpmath.sinh,
    "cosh": mpmath.cosh, "logistic": lambda x: 1 / (1 + mpmath.exp(-x)), "erf": mpmath.erf,
    "atan": mpmath.atan, "asin": mpmath.asin, "acos": mpmath.acos, "sqrt": mpmath.sqrt,
    "atan2": mpmath.atan2, "pow": mpmath.power,
}
LONG = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2,
    "log10": np.log10, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
    "sinh": np.sinh, "cosh": np.cosh, "atan": np.arctan, "asin": np.arcsin,
    "acos": np.arccos, "sqrt": np.sqrt, "atan2": np.arctan2, "pow": np.power,
    "logistic": lambda x: np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x))),
}
# SciPy's expit (and so tracegrad's logistic) is 0 where exp(-x) overflows
LOGISTIC_ZERO_BELOW = {F64: -709.782712893384, F32: -88.72283172607422}


def domain(op: str, dtype, n: int, rng) -> tuple[np.ndarray, ...]:
    """n points over the domain of `op`: common range, whole exponent range, edges."""
    f32 = dtype == F32
    big, small = (38, -45) if f32 else (307, -323)

    def logu(m, lo, hi):
        return 10.0 ** rng.uniform(lo, hi, m)

    def signed(v):
        return v * rng.choice([-1.0, 1.0], v.size)

    q = n // 4
    if op in ("exp", "expm1"):
        lo, hi = (-104.0, 89.0) if f32 else (-746.0, 710.0)
        parts = [rng.uniform(lo if op == "exp" else -40, hi, 2 * q), rng.uniform(-1, 1, q),
                 signed(logu(q, small, 0))]
    elif op in ("log", "log2", "log10", "sqrt"):
        parts = [logu(2 * q, small, big), rng.uniform(0.5, 2, q),
                 1 + rng.uniform(-1e-6, 1e-6, q)]
    elif op == "log1p":
        parts = [rng.uniform(-1, 1, q), signed(logu(q, small, 0)), rng.uniform(-1, -0.5, q),
                 logu(q, 0, big)]
    elif op in ("sin", "cos", "tan"):
        parts = [rng.uniform(-10, 10, q), rng.uniform(-1e5, 1e5, q),
                 signed(logu(2 * q, small, big))]
    elif op in ("tanh", "sinh", "cosh", "logistic"):
        parts = [rng.uniform(-3, 3, 2 * q), rng.uniform(-800, 800, q), signed(logu(q, small, 3))]
    elif op == "erf":
        parts = [rng.uniform(-7, 7, 3 * q), signed(logu(q, small, 1))]
    elif op == "atan":
        parts = [rng.uniform(-3, 3, 2 * q), signed(logu(2 * q, small, big))]
    elif op in ("asin", "acos"):
        deep = -8 if f32 else -17
        parts = [rng.uniform(-1, 1, 2 * q), 1 - logu(q // 2, deep, 0), -1 + logu(q // 2, deep, 0),
                 signed(logu(q, small, 0))]
    elif op == "atan2":
        y = rng.standard_normal(n) * logu(n, -5, 5)
        x = rng.standard_normal(n) * logu(n, -5, 5)
        return y.astype(dtype), x.astype(dtype)
    elif op == "pow":
        lim = 38 if f32 else 300
        near = rng.uniform(1.0001, 3, q)
        xs = [rng.uniform(0, 4, q), logu(q, -lim, lim), -rng.uniform(0, 4, q // 2),
              rng.uniform(0.999, 1.001, q - q // 2), near]
        ys = [rng.uniform(-30, 30, q), rng.uniform(-1, 1, q),
              rng.integers(-30, 30, q // 2).astype(float), rng.uniform(-1e4, 1e4, q - q // 2),
              math.log(float(np.finfo(dtype).max)) / np.log(near) * rng.uniform(0.99, 1.01, q)]
        return np.concatenate(xs).astype(dtype), np.concatenate(ys).astype(dtype)
    else:
        raise KeyError(op)
    with np.errstate(over="ignore"):
        return (np.concatenate(parts).astype(dtype),)


def compiled(op: str, dtype):
    f = getattr(vecmath, f"vm_{op}_{'f64' if dtype == F64 else 'f32'}")
    if vecmath.select.OPS[op] == 1:
        @numba.njit(error_model="numpy")
        def loop(x, out):
            for i in range(x.size):
                out[i] = f(x[i])
    else:
        @numba.njit(error_model="numpy")
        def loop(x, y, out):
            for i in range(x.size):
                out[i] = f(x[i], y[i])
    return loop



def mp_reference(op: str, dtype, args: tuple[np.ndarray, ...]) -> np.ndarray:
    """The exact results (mpmath, 200 bits) as longdouble, via decimal strings."""
    out = []
    with mpmath.workprec(200):
        for vals in zip(*args):
            xs = [mpmath.mpf(float(v)) for v in vals]
            if op == "logistic" and float(vals[0]) < LOGISTIC_ZERO_BELOW[dtype]:
                out.append(np.longdouble(0))
                continue
            try:
                v = MP[op](*xs)
                if isinstance(v, mpmath.mpc):  # outside the real domain: NaN
                    raise ValueError
                out.append(np.longdouble(mpmath.nstr(v, 25, min_fixed=-1, max_fixed=-1)))
            except (ValueError, ZeroDivisionError):
                inf = _inf_case(op, vals)
                out.append(np.longdouble(np.nan) if inf is None else inf)
    return np.array(out, np.longdouble)


def _inf_case(op, vals):
    """mpmath raises where IEEE gives +-inf: log(0), pow(0, negative)..."""
    with np.errstate(all="ignore"):
        v = LONG.get(op, lambda *a: np.nan)(*(np.longdouble(float(x)) for x in vals))
    return v if np.isinf(v) else None


def long_reference(op: str, dtype, args: tuple[np.ndarray, ...]) -> np.ndarray:
    long_args = [a.astype(np.longdouble) for a in args]
    with np.errstate(all="ignore"):
        ref = LONG[op](*long_args)
    if op == "logistic":
        ref = np.where(args[0] < LOGISTIC_ZERO_BELOW[dtype], 0.0, ref)
    return ref


def sweep(op: str, dtype, points: int, recheck: int, rng) -> dict:
    args = domain(op, dtype, points, rng)
    loop = compiled(op, dtype)
    got = np.empty_like(args[0])
    loop(*args, got)
    if op == "erf":  # no longdouble erf: mpmath for every point
        err = ulp_error(got, mp_reference(op, dtype, args), dtype)
    else:
        err = ulp_error(got, long_reference(op, dtype, args), dtype)
        # the worst points and a random sample, again against mpmath
        idx = np.unique(np.concatenate([np.argsort(err)[-recheck:],
                                        rng.choice(err.size, 2000, replace=False)]))
        exact = ulp_error(got[idx], mp_reference(op, dtype, tuple(a[idx] for a in args)), dtype)
        err[idx] = exact
    worst = int(np.argmax(err))
    return {"max": float(err[worst]), "mean": float(np.mean(err)), "n": err.size,
            "at": tuple(float(a[worst]) for a in args)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=10**6)
    parser.add_argument("--erf-points", type=int, default=100_000)
    parser.add_argument("--recheck", type=int, default=200)
    parser.add_argument("--ops", default=",".join(MP))
    parser.add_argument("--dtypes", default="float64,float32")
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    rows = []
    for op in args.ops.split(","):
        for dt in args.dtypes.split(","):
            t0 = time.time()
            n = args.erf_points if op == "erf" else args.points
            r = sweep(op, np.dtype(dt), n, args.recheck, rng)
            rows.append((op, dt, r))
            print(f"  {op} {dt}: max {r['max']:.3f} ulp at {r['at']}, mean {r['mean']:.4f} "
                  f"({r['n']} points, {time.time() - t0:.0f} s)", flush=True)
    print()
    print("| function | dtype | points | max ulp | mean ulp | worst at |")
    print("|---|---|---:|---:|---:|---|")
    for op, dt, r in rows:
        at = ", ".join(f"{v:.17g}" for v in r["at"])
        print(f"| {op} | {dt} | {r['n']:,} | {r['max']:.3f} | {r['mean']:.4f} | {at} |")


if __name__ == "__main__":
    main()
