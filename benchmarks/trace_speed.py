"""How fast is tracing? Trace a 10,000-node function and report µs per node.

A Python loop is unrolled at trace time into one long chain of nodes, so this
measures the per-op cost of the tracer (``__array_ufunc__``, promotion, `bind`,
type rules, the builder). Target: under 1 s for 10,000 nodes.

    python benchmarks/trace_speed.py             # median of 5 runs
    python benchmarks/trace_speed.py --profile   # plus a cProfile of one run
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

import numpy as np

import tracegrad as tg

TARGET_SECONDS = 1.0


def unrolled(x: np.ndarray, w: np.ndarray, steps: int = 5000) -> np.ndarray:
    """Two nodes per step (sin, mul): 10,000 nodes for the default 5000 steps."""
    for _ in range(steps):
        x = np.sin(x) * w
    return x


def time_trace(runs: int = 5) -> tuple[int, float]:
    """The node count and the median seconds of `runs` traces of `unrolled`.

    >>> nodes, seconds = time_trace(runs=1)  # doctest: +SKIP
    """
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=8), rng.uniform(0.5, 1.0, size=8)
    trace = tg.make_ir(unrolled)
    times, nodes = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        graph = trace(x, w)
        times.append(time.perf_counter() - start)
        nodes = len(graph.nodes)
    return nodes, statistics.median(times)


def profile_one_trace(top: int = 20) -> None:
    """Print the `top` functions by cumulative and by own time for one trace."""
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=8), rng.uniform(0.5, 1.0, size=8)
    profiler = cProfile.Profile()
    profiler.runcall(tg.make_ir(unrolled), x, w)
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also cProfile one trace")
    args = parser.parse_args()

    nodes, seconds = time_trace(args.runs)
    verdict = "meets" if seconds < TARGET_SECONDS else "MISSES"
    print(f"traced {nodes} nodes in {seconds:.3f} s (median of {args.runs}): "
          f"{seconds / nodes * 1e6:.1f} µs/node; {verdict} the {TARGET_SECONDS:.0f} s target")
    if args.profile:
        profile_one_trace()


if __name__ == "__main__":
    main()
