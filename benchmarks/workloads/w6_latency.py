"""W6 first-call latency: trace + differentiate + compile + run, in a fresh process.

For W1 (n=1e6) and W2 (N=64; not with ``--quick``), each compiling peer (and NumPy,
as the cost of a bare process) runs in a new Python process twice: first with empty
cache directories (cold), then again with the directories the first run filled
(warm). The caches: tracegrad's ``TRACEGRAD_CACHE_DIR``, Numba's ``NUMBA_CACHE_DIR``
(the hand kernels then use ``cache=True``), JAX's persistent compilation cache and
Inductor's. tracegrad[cpu] runs both with its default tiered execution (the
interpreter answers while the program compiles in the background) and with
``TRACEGRAD_TIERED=0`` (the first call waits for the compile). The child process
times the peer's first call and checks it against the reference; the parent also
times the whole process (interpreter start, imports, inputs, call, exit) and the
time from starting it to its first result (the child's wall clock at the result).

The child is this module: ``python -m benchmarks.workloads.w6_latency W1 "JAX jit"``.
The repository's own packages are byte-compiled first, and the children may write
bytecode, as for the peers' installed packages: a process that compiles
tracegrad's modules from source (``PYTHONDONTWRITEBYTECODE=1``) spends about
0.15 s more on imports here.
"""

from __future__ import annotations

import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

from benchmarks.harness import Case, CaseResult, Result, check, first_line, set_ratios
from benchmarks.workloads import w1_elementwise, w2_mlp

NAME = "W6"
TITLE = "W6 first-call latency in a fresh process (trace + differentiate + compile + run)"
MARK = "W6-RESULT "
TIMEOUT_S = 600

# The latency cases: the workload and size whose first call is measured.
CASES: dict[str, Callable[[], Case]] = {
    "W1": lambda: w1_elementwise.case(10**6, quick=True),
    "W2": lambda: w2_mlp.case(64, quick=True),
}

# --quick measures W1 only: each torch.compile row costs ~20 s of cold compiling.
QUICK = ("W1",)

# Peers whose first call compiles (plus NumPy, the floor: a process that only runs).
COMPILERS = ("NumPy", "Numba", "torch.compile", "JAX", "tracegrad[")


def cache_env(cache_dir: str) -> dict[str, str]:
    """The environment that points every compiler's on-disk cache into `cache_dir`."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("TRACEGRAD_TIERED", None)  # the default; `run` adds the untiered row
    env.update({
        "TRACEGRAD_CACHE_DIR": os.path.join(cache_dir, "tracegrad"),
        "NUMBA_CACHE_DIR": os.path.join(cache_dir, "numba"),
        "BENCH_NUMBA_CACHE": "1",
        "JAX_COMPILATION_CACHE_DIR": os.path.join(cache_dir, "jax"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        "TORCHINDUCTOR_CACHE_DIR": os.path.join(cache_dir, "inductor"),
        "PYTHONPATH": os.pathsep.join(
            [_repo_root()] + [p for p in [env.get("PYTHONPATH")] if p]),
    })
    return env


def run_child(workload: str, peer: str, env: dict[str, str]) -> tuple[dict, float]:
    """Run one fresh process for (`workload`, `peer`); its JSON report (with
    ``to_result``, the seconds from the start to the first result) and wall time."""
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.workloads.w6_latency", workload, peer],
        env=env, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=_repo_root())
    wall = time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            report = json.loads(line[len(MARK):])
            if "result_at" in report:
                report["to_result"] = report["result_at"] - started
            return report, wall
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"status": "missing", "reason": f"child exited {proc.returncode}: {tail}"}, wall


def measure(workload: str, peer: str, extra_env: dict[str, str] | None = None,
            label: str | None = None) -> Result:
    """The W6 row of one peer: cold and warm first call and process time."""
    label = label or peer
    with tempfile.TemporaryDirectory(prefix="tracegrad-bench-w6-") as cache_dir:
        env = {**cache_env(cache_dir), **(extra_env or {})}
        cold, cold_wall = run_child(workload, peer, env)
        if cold["status"] != "ok":
            return Result(label, cold["status"], reason=cold.get("reason", ""),
                          errors=cold.get("errors", {}))
        warm, warm_wall = run_child(workload, peer, env)
    measures = {"cold to first result": cold["to_result"], "cold process": cold_wall}
    if warm["status"] == "ok":
        measures.update({"warm first call": warm["first_call"],
                         "warm to first result": warm["to_result"], "warm process": warm_wall})
    return Result(label, "ok", first_call=cold["first_call"], errors=cold["errors"],
                  measures=measures)


def run(quick: bool, peers: list[str] | None = None,
        progress: Callable[[str], None] | None = None) -> list[CaseResult]:
    """Every latency case, each peer in fresh processes (see the module docstring)."""
    for package in ("tracegrad", "benchmarks"):
        compileall.compile_dir(os.path.join(_repo_root(), package), quiet=1)
    out = []
    for workload, make in CASES.items():
        if quick and workload not in QUICK:
            continue
        case = make()
        case.workload, case.label = NAME, f"{workload} {case.label}"
        case.floor_bytes = None  # a bandwidth floor says nothing about compile time
        case.notes = [f"first call of {workload} ({case.label.split(' ', 1)[1]}) in a new "
                      "process; cold = empty caches, warm = caches from the cold run; "
                      "to first result = from starting the process to the first call's "
                      "result; process = the whole child process, interpreter start, "
                      "imports and exit included (for tracegrad[cpu], exit waits for its "
                      "background compile); untiered = TRACEGRAD_TIERED=0, the first "
                      "call waits for the compile."]
        results = []
        for peer in case.peers:
            if not any(c in peer.name for c in COMPILERS):
                continue
            if peers and not any(p.lower() in peer.name.lower() for p in peers):
                continue
            variants = [(None, peer.name)]
            if peer.name == "tracegrad[cpu]":
                variants.append(({"TRACEGRAD_TIERED": "0"}, f"{peer.name} untiered"))
            for extra_env, label in variants:
                if progress:
                    progress(f"{NAME} {case.label}: {label}")
                try:
                    results.append(measure(workload, peer.name, extra_env, label))
                except subprocess.TimeoutExpired:
                    results.append(Result(label, "missing",
                                          reason=f"timed out after {TIMEOUT_S} s"))
        set_ratios(results)
        out.append(CaseResult(case, results))
    return out


def child(workload: str, peer_name: str) -> dict:
    """In the fresh process: build the peer, time its first call, check it."""
    case = CASES[workload]()
    peer = next(p for p in case.peers if p.name == peer_name)
    inputs = case.make_inputs()
    try:
        step = peer.build(inputs)
        t0 = time.perf_counter()
        outputs = step()
        first = time.perf_counter() - t0
        result_at = time.time()
    except Exception as exc:  # Missing included: the parent reports the reason
        return {"status": "missing", "reason": str(exc) if type(exc).__name__ == "Missing"
                else first_line(exc)}
    reference = case.reference({k: np.asarray(v, np.float64) for k, v in
                                case.make_inputs().items()})
    errors = check(outputs, reference, case.outputs)
    status = "ok" if all(e <= case.tolerance for e in errors.values()) else "WRONG"
    return {"status": status, "first_call": first, "result_at": result_at, "errors": errors,
            "reason": "" if status == "ok" else "wrong result on the first call"}


def _repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


if __name__ == "__main__":
    print(MARK + json.dumps(child(sys.argv[1], sys.argv[2])), flush=True)
