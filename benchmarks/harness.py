"""Timing and correctness gate: how one workload case is run against every peer.

A *peer* is one way a user could compute a workload (NumPy with hand-derived
gradients, PyTorch, JAX, Numba, tracegrad...). Its `build(inputs)` prepares
everything that is not part of a call (conversions, closures) and returns `step`,
a no-argument callable that performs one call and returns the outputs to check
(value, gradients...). For every peer, `run_case`:

1. builds it; a `Missing` (package not installed, feature not there yet) or any
   other exception makes the row "missing: <reason>";
2. times the first call on its own (it includes tracing and compiling for the
   compilers); an exception there is reported as missing too, with its first line;
3. checks the first call's outputs against the float64 NumPy reference; a peer whose
   relative error exceeds the tolerance for the workload's dtype is reported WRONG,
   with its error, and is not timed;
4. measures peak memory during one warm call, runs the rest of the warm-up, then
   times `repeats` calls one by one (with the garbage collector off) and keeps
   every sample: the median and min-max are taken from these samples.

Ratios to the fastest peer are taken between rows measured in the same process run.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Norm-wise relative error allowed against the float64 reference, by the dtype the
# workload computes in: float32 results carry ~1e-7 rounding per operation, grown by
# long sums (1e4 terms); float64 ones are exact to ~1e-13 for these workloads.
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


class Missing(Exception):
    """Raised by a peer's `build` when it cannot run here (package or feature absent)."""


@dataclass(frozen=True)
class Timing:
    """The per-call times of one timed series, in seconds, in the order measured."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)


@dataclass
class Peer:
    """One implementation of a workload.

    `build(inputs) -> step` (see the module docstring). `memory` says how peak memory
    is measured: ``"tracemalloc"`` for peers whose arrays come from NumPy's allocator
    (exact), ``"rss"`` for the others (growth of the process's resident-set peak
    during one call: a lower bound, since memory a library already holds is reused).
    """

    name: str
    build: Callable[[dict[str, np.ndarray]], Callable[[], Sequence[Any]]]
    memory: str = "rss"


@dataclass
class Case:
    """One workload at one size: its inputs, float64 reference, peers and timing plan.

    `make_inputs()` returns the inputs (drawn with a fixed seed); `reference(inputs)`
    the float64 outputs every peer is checked against, in the peer's output order
    (`outputs` names them). Each peer receives its own copy of the inputs, so peers
    that update parameters in place do not disturb each other. A peer makes
    ``1 + max(warmup, 1) + repeats`` calls in all (fewer if `budget_s` runs out first).
    """

    workload: str
    label: str
    make_inputs: Callable[[], dict[str, np.ndarray]]
    reference: Callable[[dict[str, np.ndarray]], Sequence[np.ndarray]]
    peers: list[Peer]
    dtype: Any
    outputs: tuple[str, ...] = ("value", "grad")
    warmup: int = 3
    repeats: int = 20
    budget_s: float | None = 5.0
    floor_bytes: int | None = None
    extras: Callable[[Sequence[np.ndarray], int], dict[str, str]] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def tolerance(self) -> float:
        return TOLERANCE[np.dtype(self.dtype)]


@dataclass
class Result:
    """One peer's row: its status and what was measured.

    `status` is ``"ok"``, ``"WRONG"`` (checked and rejected: not timed) or
    ``"missing"`` (could not run; `reason` says why). `errors` holds the relative
    error of each output; `ratio` is filled in once all rows of the case exist.
    `measures` holds named times (seconds) beyond the standard ones (W6's warm and
    whole-process times); `extras` holds other text cells (W3's final loss).
    """

    peer: str
    status: str
    reason: str = ""
    timing: Timing | None = None
    first_call: float | None = None
    peak_bytes: int | None = None
    memory_method: str = ""
    errors: dict[str, float] = field(default_factory=dict)
    ratio: float | None = None
    measures: dict[str, float] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def max_error(self) -> float | None:
        return max(self.errors.values()) if self.errors else None


@dataclass
class CaseResult:
    """Every row of one case, with the case itself (for its label, notes and floor)."""

    case: Case
    results: list[Result]


# --- timing ------------------------------------------------------------------------


def time_calls(
    fn: Callable[[], Any],
    *,
    repeats: int,
    warmup: int = 0,
    budget_s: float | None = None,
    min_repeats: int = 3,
) -> Timing:
    """Call `fn` `warmup` times untimed, then `repeats` times timed one by one.

    If `budget_s` is given, timing stops early once that much time was spent on the
    timed calls and at least `min_repeats` samples exist (slow peers at large sizes).

    >>> t = time_calls(lambda: sum(range(100)), repeats=5, warmup=1)
    >>> len(t.samples)
    5
    """
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()  # a collection inside one sample would be charged to that peer
    try:
        spent = 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            samples.append(dt)
            spent += dt
            if budget_s is not None and spent > budget_s and len(samples) >= min_repeats:
                break
    finally:
        if was_enabled:
            gc.enable()
    return Timing(tuple(samples))


def peak_memory(fn: Callable[[], Any], method: str) -> int | None:
    """Peak extra bytes allocated while `fn()` runs, by `method` (see `Peer`); None if unknown.

    >>> peak_memory(lambda: np.ones(1_000_000), "tracemalloc") >= 8_000_000
    True
    """
    if method == "tracemalloc":
        tracemalloc.start()
        try:
            fn()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    if method == "rss" and _can_reset_rss_peak():
        before = _status_kib("VmRSS")
        _reset_rss_peak()
        fn()
        return max(0, _status_kib("VmHWM") - before) * 1024
    return None


def _can_reset_rss_peak() -> bool:
    # Linux >= 4.0 resets VmHWM when 5 is written to clear_refs.
    try:
        _reset_rss_peak()
        return _status_kib("VmHWM") > 0
    except OSError:
        return False


def _reset_rss_peak() -> None:
    with open(f"/proc/{os.getpid()}/clear_refs", "w") as f:
        f.write("5")


def _status_kib(key: str) -> int:
    with open(f"/proc/{os.getpid()}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise OSError(f"{key} not in /proc/self/status")


# --- correctness -------------------------------------------------------------------


def to_numpy(value: Any) -> np.ndarray:
    """A peer's output as a NumPy array (torch tensors, JAX arrays, tracegrad tensors)."""
    if hasattr(value, "detach"):  # torch / dynamic-mode tensors: drop the graph first
        value = value.detach()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return np.asarray(value)


def relative_error(got: Any, want: np.ndarray) -> float:
    """Norm-wise relative error of `got` against `want`, in float64; inf on shape mismatch.

    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    got = to_numpy(got).astype(np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape or not np.all(np.isfinite(got)):
        return float("inf")
    scale = np.linalg.norm(want.ravel())
    diff = np.linalg.norm((got - want).ravel())
    return float(diff / scale) if scale > 0 else float(diff)


def check(outputs: Sequence[Any], reference: Sequence[np.ndarray],
          names: Sequence[str]) -> dict[str, float]:
    """The relative error of each output against the reference, by output name."""
    outputs = tuple(outputs)
    if len(outputs) != len(reference):
        return {"outputs": float("inf")}
    return {n: relative_error(o, r) for n, o, r in zip(names, outputs, reference)}


# --- one case ----------------------------------------------------------------------


def first_line(exc: BaseException) -> str:
    """``Type: first line of the message`` of an exception, for a one-line table cell."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_peer(case: Case, peer: Peer, inputs: dict[str, np.ndarray],
             reference: Sequence[np.ndarray]) -> Result:
    """Build, check and time one peer on one case (steps 1-4 of the module docstring)."""
    try:
        step = peer.build({k: np.array(v, copy=True) for k, v in inputs.items()})
        t0 = time.perf_counter()
        outputs = step()
        first = time.perf_counter() - t0
    except Missing as exc:
        return Result(peer.name, "missing", reason=str(exc))
    except Exception as exc:  # a peer that fails to build or run is not a harness error
        return Result(peer.name, "missing", reason=first_line(exc))

    try:
        errors = check(outputs, reference, case.outputs)
    except Exception as exc:  # outputs that are not arrays at all
        return Result(peer.name, "WRONG", reason=f"unreadable outputs: {first_line(exc)}")
    if not all(e <= case.tolerance for e in errors.values()):
        worst = max(errors, key=errors.get)
        return Result(peer.name, "WRONG", errors=errors,
                      reason=f"{worst} off by {errors[worst]:.2g} (tolerance {case.tolerance:g})")

    # The first warm-up call also measures memory; the last timed call's outputs
    # feed the case's extra columns (e.g. the final loss of a training run).
    last: list[Any] = []
    timed = step
    if case.extras:
        def timed() -> None:
            last[:] = step()
    try:
        peak = peak_memory(step, peer.memory)
        timing = time_calls(timed, repeats=case.repeats, warmup=max(case.warmup - 1, 0),
                            budget_s=case.budget_s)
    except Exception as exc:  # right once, then broken: say so rather than stop the run
        return Result(peer.name, "missing", errors=errors,
                      reason=f"failed after the first call: {first_line(exc)}")
    calls = 1 + max(case.warmup, 1) + len(timing.samples)
    extras = case.extras([to_numpy(o) for o in last], calls) if case.extras else {}
    return Result(
        peer.name, "ok", timing=timing, first_call=first, peak_bytes=peak,
        memory_method=peer.memory if peak is not None else "", errors=errors, extras=extras,
    )


def run_case(case: Case, peers: Sequence[str] | None = None,
             progress: Callable[[str], None] | None = None) -> CaseResult:
    """Run every peer of `case` (or those whose names contain one of `peers`).

    >>> # see tests/benchmarks/test_harness.py for a complete tiny case
    """
    inputs = case.make_inputs()
    reference = [np.asarray(r, dtype=np.float64) for r in case.reference(
        {k: np.asarray(v, dtype=np.float64) if np.issubdtype(np.asarray(v).dtype, np.floating)
         else v for k, v in inputs.items()})]
    results = []
    for peer in case.peers:
        if peers and not any(p.lower() in peer.name.lower() for p in peers):
            continue
        if progress:
            progress(f"{case.workload} {case.label}: {peer.name}")
        results.append(run_peer(case, peer, inputs, reference))
        gc.collect()
    set_ratios(results)
    return CaseResult(case, results)


def set_ratios(results: Sequence[Result]) -> None:
    """Fill `ratio` = median / fastest median among the rows that were timed.

    Cases without timed series (W6) compare first-call times instead.
    """
    ok = [r for r in results if r.status == "ok"]
    if any(r.timing for r in ok):
        def key(r: Result) -> float | None:
            return r.timing.median if r.timing else None
    else:
        def key(r: Result) -> float | None:
            return r.first_call
    ok = [r for r in ok if key(r) is not None]
    if not ok:
        return
    fastest = min(key(r) for r in ok)
    for r in ok:
        r.ratio = key(r) / fastest if fastest > 0 else None
