"""Facts about the machine and software a benchmark run measured, for RESULTS.md.

Memory bandwidth is measured, not looked up: the best of several large
``np.copyto`` calls, counting the bytes read plus the bytes written (the STREAM
"copy" convention). W1's bandwidth floor divides the bytes it must move by it.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
PACKAGES = ("numpy", "scipy", "numba", "llvmlite", "torch", "jax", "jaxlib", "matplotlib")


@dataclass
class Machine:
    """What RESULTS.md says about where and with what the figures were taken."""

    date: str
    cpu: str
    cores: int
    usable_cores: int
    memory_gib: float
    bandwidth: float  # bytes per second, copy (read + write)
    load: float  # 1-minute load average when the run started: > ~0.5 means a busy machine
    python: str
    platform: str
    versions: dict[str, str] = field(default_factory=dict)
    threads: dict[str, str] = field(default_factory=dict)


def copy_bandwidth(nbytes: int = 256 * 2**20, repeats: int = 5, threads: int = 1) -> float:
    """Bytes per second moved by the best of `repeats` copies of `nbytes` (read + write).

    With `threads` > 1 the copy is split into that many slices copied at once
    (``np.copyto`` releases the GIL), as the parallel peers use several cores.

    >>> copy_bandwidth(2**20, 2) > 1e8
    True
    """
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch every page once before timing
    edges = np.linspace(0, src.size, threads + 1).astype(int)
    slices = [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]
    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats):
            t0 = time.perf_counter()
            list(pool.map(lambda s: np.copyto(dst[s], src[s]), slices))
            best = min(best, time.perf_counter() - t0)
    return 2 * src.nbytes / best


def describe(quick: bool = False) -> Machine:
    """Measure and collect the machine facts (a second or two).

    The bandwidth is the better of a one-thread and an all-cores copy.
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    repeats = 3 if quick else 10
    return Machine(
        date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        cpu=_cpu_model(),
        cores=os.cpu_count() or 0,
        usable_cores=usable,
        memory_gib=_memory_bytes() / 2**30,
        bandwidth=max(copy_bandwidth(repeats=repeats, threads=t) for t in {1, usable}),
        python=platform.python_version(),
        platform=platform.platform(),
        versions=versions(),
        load=os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"),
        threads={v: os.environ.get(v, "unset") for v in THREAD_VARS},
    )


def versions() -> dict[str, str]:
    """Installed versions of tracegrad (with its git commit) and of every peer package."""
    out = {"tracegrad": _tracegrad_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _tracegrad_version() -> str:
    try:
        import tracegrad
        version = tracegrad.__version__
    except Exception:  # tracegrad mid-edit or absent: say so rather than fail the run
        version = "unimportable"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=root,
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version} ({commit})" if commit else version


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
