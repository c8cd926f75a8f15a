"""What outlining buys: serial kernels over vector bodies, in their own function or not.

A generated program runs a kernel serially when its arrays are small (below
``kernel.PARALLEL_WORK``) or when it calls BLAS. On AVX-512, a serial loop over a
function with a vector body (float64 exp, expm1, tanh, sinh, cosh, the logs and
pow of both types, float32 tanh) calls that body once per register and reloads its
tables each time, unless the kernel is outlined (`tracegrad/codegen/outline.py`):
then Numba optimises it again where it links it into the program, and LLVM inlines
the body. This times ``f(x) * 2`` as tracegrad compiles it (outlined, the default),
the same program with the kernel left in the program's body, and NumPy, on one
thread, interleaved, medians; and the first call of each program (its compile,
in fresh cache directories, after a third program has compiled the vector math
they call). sin has no vector body: its two programs are the same.

    python benchmarks/outlining.py                    # n = 20,000: a markdown table
    python benchmarks/outlining.py --n 2000 --repeats 2001
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
# compile times are compile times, not loads from an earlier run's caches
for _var in ("NUMBA_CACHE_DIR", "TRACEGRAD_CACHE_DIR"):
    os.environ[_var] = tempfile.mkdtemp(prefix="tg_outlining_")

import numpy as np  # noqa: E402

import tracegrad as tg  # noqa: E402
from tracegrad.codegen.compile import load  # noqa: E402
from tracegrad.codegen.cpu import generate  # noqa: E402
from tracegrad.runtime.executable import signature  # noqa: E402

CASES = [("exp", np.float64), ("expm1", np.float64), ("log", np.float64),
         ("log1p", np.float64), ("tanh", np.float64), ("cosh", np.float64),
         ("log", np.float32), ("tanh", np.float32), ("power", np.float64),
         ("power", np.float32), ("sin", np.float64)]


def programs(op: str, dtype, n: int, rng) -> dict:
    """``name -> (call, compile seconds)`` for both programs and NumPy, on inputs of
    `n` elements."""
    fn = getattr(np, op)
    x = rng.uniform(0.1, 4.0, n).astype(dtype)
    args = [x, rng.uniform(-2, 2, n).astype(dtype)] if op == "power" else [x]

    def f(*a):
        return fn(*a) * dtype(2)

    graph = tg.compile(f, backend="numpy").lower(*args).optimized
    # compile the vector math both programs call first, so that neither first call
    # below pays for it
    warm = tg.compile(lambda *a: fn(*a) * dtype(3), backend="numpy").lower(*args).optimized
    load(generate(warm, "warm_up", outline_kernels=False).source,
         signature(warm, ()))(*args)
    calls = {}
    for label, outlined in (("in program", False), ("outlined", True)):
        prog = generate(graph, f"{op}_twice", outline_kernels=outlined)
        t0 = time.perf_counter()
        compiled = load(prog.source, signature(graph, prog.consts))
        compiled(*args)
        calls[label] = (lambda c=compiled: c(*args), time.perf_counter() - t0)
    calls["NumPy"] = (lambda: f(*args), 0.0)
    return calls


def measure(n: int, repeats: int) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for op, dtype in CASES:
        calls = programs(op, dtype, n, rng)
        samples = {name: [] for name in calls}
        for _ in range(repeats):
            for name, (call, _) in calls.items():
                t0 = time.perf_counter()
                call()
                samples[name].append(time.perf_counter() - t0)
        med = {name: statistics.median(s) * 1e6 for name, s in samples.items()}
        rows.append({"op": op, "dtype": np.dtype(dtype).name, **med,
                     "compile outlined": calls["outlined"][1],
                     "compile in program": calls["in program"][1]})
    return rows


def table(rows: list[dict], n: int) -> str:
    lines = [f"| `f(x) * 2`, n = {n:,} | dtype | outlined (µs) | in program (µs) | NumPy (µs) "
             "| in program / outlined | NumPy / outlined | first call, outlined / in program (s) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['op']} | {r['dtype']} | {r['outlined']:.2f} | {r['in program']:.2f} "
            f"| {r['NumPy']:.2f} | {r['in program'] / r['outlined']:.2f}x "
            f"| {r['NumPy'] / r['outlined']:.2f}x "
            f"| {r['compile outlined']:.2f} / {r['compile in program']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=1001)
    args = parser.parse_args()
    print(table(measure(args.n, args.repeats), args.n))


if __name__ == "__main__":
    main()
