"""Throughput of tracegrad's vector math against NumPy's ufuncs and Numba's libm loops.

Each function over 1e7 elements, single thread, three ways:

- **vecmath**: ``for i in prange(n): out[i] = vm_<op>_<dtype>(x[i])`` under
  ``@njit(parallel=True)`` with one thread: the loop a generated program runs over
  1e7 elements (Numba compiles a ``prange`` body apart and optimises it again where
  it links it in, which lets LLVM inline the vector kernels of
  `vector_kernels.py`). sin, cos and tan as generated code calls them: the fast
  variants, with the count of arguments beyond their range (``trig_fast_ok``) that
  would send the loop to a rerun; the ``_exact`` rows are the exact element
  functions, which generated code runs only in that rerun (some |x| beyond
  2**30); the ``copy`` row (``out[i] = x[i]``) is the
  floor memory bandwidth sets, where a cheap function's loop ends up at 1e7
  elements;
- **NumPy**: the ufunc with ``out=`` (SciPy's for erf and logistic), which NumPy
  runs on one thread, with its own SIMD (AVX-512) code where it has some;
- **Numba libm**: the same loop over ``math.<op>``: vectorised by LLVM around one
  scalar libm call per lane.

The calls are interleaved (round robin) and repeated; the table gives medians, in
milliseconds, and the ratios of the medians. The machine may be shared: medians of
interleaved runs keep the ratios fair even when absolute times drift. Also timed:
the W1 kernel (value and gradient of ``sum(sin(x)*exp(-x*x) + tanh(x)*x)``, hand
fused, one thread, the sum allowed to reassociate so the loop vectorises) with the
fast trig functions and a rerun check (as generated code would use them), with the
exact ones, and with libm; NumPy is the hand-derived gradient in NumPy.

    python benchmarks/vecmath_throughput.py                 # the markdown table
    python benchmarks/vecmath_throughput.py --n 1000000 --repeats 5 --ops exp,sin
    python benchmarks/vecmath_throughput.py --n 200000 --repeats 101   # in cache (µs)
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import numba
import numpy as np
import scipy.special

from tracegrad.codegen import vecmath


@numba.njit
def _identity(x):
    return x


# op -> (NumPy function, libm scalar function, arity, input generator(rng, n)); "copy"
# (``out[i] = x[i]``, NumPy's ``positive``) is the floor that memory bandwidth sets
OPS: dict[str, tuple] = {
    "copy": (np.positive, _identity, 1, lambda r, n: r.uniform(-10, 10, n)),
    "exp": (np.exp, math.exp, 1, lambda r, n: r.uniform(-10, 10, n)),
    "expm1": (np.expm1, math.expm1, 1, lambda r, n: r.uniform(-10, 10, n)),
    "log": (np.log, math.log, 1, lambda r, n: r.uniform(0.01, 100, n)),
    "log1p": (np.log1p, math.log1p, 1, lambda r, n: r.uniform(-0.9, 100, n)),
    "log2": (np.log2, math.log2, 1, lambda r, n: r.uniform(0.01, 100, n)),
    "log10": (np.log10, math.log10, 1, lambda r, n: r.uniform(0.01, 100, n)),
    "sin": (np.sin, math.sin, 1, lambda r, n: r.uniform(-10, 10, n)),
    "cos": (np.cos, math.cos, 1, lambda r, n: r.uniform(-10, 10, n)),
    "tan": (np.tan, math.tan, 1, lambda r, n: r.uniform(-10, 10, n)),
    "tanh": (np.tanh, math.tanh, 1, lambda r, n: r.uniform(-5, 5, n)),
    "sinh": (np.sinh, math.sinh, 1, lambda r, n: r.uniform(-5, 5, n)),
    "cosh": (np.cosh, math.cosh, 1, lambda r, n: r.uniform(-5, 5, n)),
    "logistic": (scipy.special.expit, None, 1, lambda r, n: r.uniform(-10, 10, n)),
    "erf": (scipy.special.erf, math.erf, 1, lambda r, n: r.uniform(-3, 3, n)),
    "atan": (np.arctan, math.atan, 1, lambda r, n: r.uniform(-10, 10, n)),
    "asin": (np.arcsin, math.asin, 1, lambda r, n: r.uniform(-1, 1, n)),
    "acos": (np.arccos, math.acos, 1, lambda r, n: r.uniform(-1, 1, n)),
    "sqrt": (np.sqrt, math.sqrt, 1, lambda r, n: r.uniform(0, 100, n)),
    "atan2": (np.arctan2, math.atan2, 2, lambda r, n: r.standard_normal(n)),
    "pow": (np.power, math.pow, 2, None),
}


@numba.njit
def _logistic_libm(x):
    return 1.0 / (1.0 + math.exp(-x))


def unary_loop(f: Callable) -> Callable:
    @numba.njit(error_model="numpy", parallel=True)
    def loop(x, out):
        for i in numba.prange(x.size):
            out[i] = f(x[i])

    return loop


def binary_loop(f: Callable) -> Callable:
    @numba.njit(error_model="numpy", parallel=True)
    def loop(x, y, out):
        for i in numba.prange(x.size):
            out[i] = f(x[i], y[i])

    return loop


def guarded_trig_loop(fast: Callable, ok: Callable) -> Callable:
    """The loop generated code runs for sin, cos or tan: the fast variant, counting
    the arguments beyond its range; a nonzero count reruns with the exact one."""

    @numba.njit(error_model="numpy", parallel=True)
    def loop(x, out):
        misses = 0
        for i in numba.prange(x.size):
            misses += not ok(x[i])
            out[i] = fast(x[i])
        return misses

    return loop


def inputs(op: str, dtype, n: int, rng) -> list[np.ndarray]:
    if op == "pow":
        return [rng.uniform(0.1, 10, n).astype(dtype), rng.uniform(-3, 3, n).astype(dtype)]
    arity, make = OPS[op][2], OPS[op][3]
    return [make(rng, n).astype(dtype) for _ in range(arity)]


def time_interleaved(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each call, the calls run round robin `repeats` times."""
    for call in calls.values():  # warm up: compile, page in
        call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            t0 = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - t0)
    return {name: statistics.median(s) for name, s in samples.items()}


TRIG = ("sin", "cos", "tan")


def measure(op: str, dtype, n: int, repeats: int, rng) -> dict[str, float]:
    """`op` may be sin, cos or tan (as generated code runs them, see the module
    docstring) or ``<op>_exact``, the exact element function."""
    base = op.removesuffix("_exact")
    np_fn, libm_fn, arity, _ = OPS[base]
    args = inputs(base, dtype, n, rng)
    out = np.empty_like(args[0])
    suffix = "f64" if dtype == np.float64 else "f32"
    make = unary_loop if arity == 1 else binary_loop
    if op in TRIG:
        fast, ok = (getattr(vecmath, f"vm_{name}_{suffix}")
                    for name in (f"{op}_fast", "trig_fast_ok"))
        guarded = guarded_trig_loop(fast, ok)
        exact = make(getattr(vecmath, f"vm_{op}_{suffix}"))

        def vec():  # as generated code: the exact loop only if an argument needs it
            if guarded(*args, out):
                exact(*args, out)
    else:
        loop = make(_identity if op == "copy" else getattr(vecmath, f"vm_{base}_{suffix}"))

        def vec():
            loop(*args, out)
    libm = make(libm_fn if libm_fn is not None else _logistic_libm)
    return time_interleaved({
        "vecmath": vec,
        "numpy": lambda: np_fn(*args, out=out),
        "libm": lambda: libm(*args, out),
    }, repeats)


# --- the W1 kernel, hand fused --------------------------------------------------------


# The sum over the loop must be allowed to reassociate, or LLVM cannot vectorise the
# loop at all (an in-order float reduction is sequential). The vector-math functions
# keep their own strict semantics: they are inlined by LLVM with their own flags.
REDUCE = {"reassoc"}


def _w1_kernel(sin, cos, exp, tanh):
    @numba.njit(error_model="numpy", fastmath=REDUCE)
    def value_and_grad(x, grad):
        total = 0.0
        for i in range(x.size):
            xi = x[i]
            s, c, e, t = sin(xi), cos(xi), exp(-xi * xi), tanh(xi)
            total += s * e + t * xi
            grad[i] = (c - 2.0 * xi * s) * e + t + xi * (1.0 - t * t)
        return total

    return value_and_grad


def _w1_kernel_checked(fast, exact):
    """W1 as generated code can run it: fast trig, and a rerun with the exact trig
    if any argument was beyond the fast range (`trig_fast_ok` AND-reduced)."""
    ok_f64 = vecmath.vm_trig_fast_ok_f64

    @numba.njit(error_model="numpy", fastmath=REDUCE)
    def value_and_grad(x, grad):
        total = 0.0
        ok = True
        for i in range(x.size):
            xi = x[i]
            ok &= ok_f64(xi)
            s, c = fast(xi)
            e, t = vecmath.vm_exp_f64(-xi * xi), vecmath.vm_tanh_f64(xi)
            total += s * e + t * xi
            grad[i] = (c - 2.0 * xi * s) * e + t + xi * (1.0 - t * t)
        if not ok:
            return exact(x, grad)
        return total

    return value_and_grad


def measure_w1(n: int, repeats: int, rng) -> dict[str, float]:
    x = rng.standard_normal(n)
    grad = np.empty_like(x)
    exact = _w1_kernel(vecmath.vm_sin_f64, vecmath.vm_cos_f64, vecmath.vm_exp_f64,
                       vecmath.vm_tanh_f64)
    vec = _w1_kernel_checked(vecmath.vm_sincos_fast_f64, exact)
    libm = _w1_kernel(math.sin, math.cos, math.exp, math.tanh)
    def numpy_value_and_grad():
        s, e, t = np.sin(x), np.exp(-x * x), np.tanh(x)
        return np.sum(s * e + t * x), (np.cos(x) - 2.0 * x * s) * e + t + x * (1.0 - t * t)

    return time_interleaved({"vecmath": lambda: vec(x, grad), "exact": lambda: exact(x, grad),
                             "numpy": numpy_value_and_grad, "libm": lambda: libm(x, grad)},
                            repeats)


def table(rows: list[tuple[str, str, dict[str, float]]], n: int) -> str:
    """The markdown table: milliseconds, or microseconds below a million elements
    (a run that fits in cache, ``--n 200000``)."""
    unit, scale = ("ms", 1e3) if n >= 10**6 else ("µs", 1e6)
    lines = [
        f"| function | dtype | vecmath ({unit}) | NumPy ({unit}) | Numba libm ({unit}) "
        "| NumPy / vecmath | libm / vecmath |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for op, dt, t in rows:
        ms = {k: v * scale for k, v in t.items()}
        vec, libm, np_ms = ms["vecmath"], ms["libm"], ms.get("numpy")
        np_cell = "" if np_ms is None else f"{np_ms:.2f}"
        np_ratio = "" if np_ms is None else f"{np_ms / vec:.2f}x"
        lines.append(f"| {op} | {dt} | {vec:.2f} | {np_cell} | {libm:.2f} | {np_ratio} "
                     f"| {libm / vec:.2f}x |")
    return "\n".join(lines) + f"\n\n(n = {n:.0e} elements, one thread, medians.)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10**7, help="elements (default 1e7)")
    parser.add_argument("--repeats", type=int, default=11, help="timed runs of each")
    ops = [*OPS, *(f"{op}_exact" for op in TRIG)]
    parser.add_argument("--ops", default=",".join(ops), help="comma-separated functions")
    parser.add_argument("--dtypes", default="float64,float32")
    args = parser.parse_args()
    numba.set_num_threads(1)
    rng = np.random.default_rng(0)
    rows = []
    for op in args.ops.split(","):
        for dt in args.dtypes.split(","):
            rows.append((op, dt, measure(op, np.dtype(dt), args.n, args.repeats, rng)))
            print(f"  {op} {dt}: " + ", ".join(f"{k} {v * 1e3:.2f} ms"
                                              for k, v in rows[-1][2].items()), flush=True)
    rows.append(("W1 value+grad (fused)", "float64", measure_w1(args.n, args.repeats, rng)))
    print()
    print(table(rows, args.n))


if __name__ == "__main__":
    main()
