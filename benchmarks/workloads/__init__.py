"""The workloads, one module each, in the order the tables are printed.

Each module has `NAME`, `TITLE` and either `cases(quick) -> list[Case]` (run by
`benchmarks.harness.run_case`) or `run(quick, peers, progress) -> list[CaseResult]`
(W6, which runs its peers in fresh processes).
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES = {
    "W1": "w1_elementwise",
    "W2": "w2_mlp",
    "W3": "w3_polyfit",
    "W4": "w4_softmax",
    "W5": "w5_hessian",
    "W6": "w6_latency",
}


def load(name: str) -> ModuleType:
    """The module of workload `name` ("W1".."W6")."""
    return importlib.import_module(f"benchmarks.workloads.{MODULES[name]}")
