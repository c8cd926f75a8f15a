"""The optional peer packages, each imported on demand.

A missing package raises `Missing` with the install hint, so its rows read
"missing: ..." instead of failing the run.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from benchmarks.harness import Missing

_HINT = "pip install -e .[bench]"


def _require(name: str, hint: str = _HINT) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Missing(f"{name} not installed ({hint}): {exc}") from None


def torch() -> ModuleType:
    """The `torch` module (CPU build, ``torch==2.13.0``), or `Missing`."""
    return _require("torch", "pip install torch==2.13.0")


def fresh_torch_compile() -> ModuleType:
    """`torch` with Dynamo's caches emptied, so a new `torch.compile` compiles from scratch.

    Dynamo caches compiled frames per code object; without a reset a second size of
    the same workload would reuse (or recompile with dynamic shapes) the first one's.
    """
    torch_ = torch()
    torch_._dynamo.reset()
    return torch_


def jax() -> ModuleType:
    """The `jax` module with 64-bit types enabled (W1 and W5 are float64), or `Missing`."""
    jax_ = _require("jax")
    jax_.config.update("jax_enable_x64", True)
    return jax_


def numba() -> ModuleType:
    """The `numba` module, or `Missing`."""
    return _require("numba", "pip install numba")


def numba_jit(fn: Callable, **options: Any) -> Callable:
    """A fresh `numba.njit` dispatcher of `fn`, so its first call compiles.

    With ``BENCH_NUMBA_CACHE=1`` (set by W6) it caches machine code on disk
    (``cache=True``, under ``NUMBA_CACHE_DIR``), as a latency-minded Numba user would.
    """
    cache = os.environ.get("BENCH_NUMBA_CACHE") == "1"
    return numba().njit(cache=cache, **options)(fn)


def tracegrad() -> ModuleType:
    """The `tracegrad` package, or `Missing` (run from the repository root or install it)."""
    return _require("tracegrad", "pip install -e .")
