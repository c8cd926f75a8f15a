"""The peer list every workload runs, built from the workload module's builders."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from types import ModuleType
from typing import Any

from benchmarks.harness import Peer
from benchmarks.peers.tracegrad_peers import dynamic_peer, static_peers


def standard_peers(workload: ModuleType, *, static_needs: Sequence[str] = ("compile",
                   "value_and_grad"), dynamic_needs: Sequence[str] = ("tensor",),
                   **bound: Any) -> list[Peer]:
    """NumPy, hand Numba, PyTorch eager, torch.compile, JAX and tracegrad (static on
    every backend, and dynamic), from `workload`'s ``build_numpy``, ``build_numba``,
    ``build_torch``, ``build_torch_compile``, ``build_jax``, ``build_tracegrad`` and
    ``build_tracegrad_dynamic``; keyword arguments in `bound` go to every builder.
    """
    def bind(build):
        return partial(build, **bound) if bound else build

    return [
        Peer("NumPy (hand-derived)", bind(workload.build_numpy), memory="tracemalloc"),
        Peer("Numba (hand kernel)", bind(workload.build_numba)),
        Peer("PyTorch eager", bind(workload.build_torch)),
        Peer("torch.compile", bind(workload.build_torch_compile)),
        Peer("JAX jit", bind(workload.build_jax)),
        *static_peers(bind(workload.build_tracegrad), needs=static_needs),
        dynamic_peer(bind(workload.build_tracegrad_dynamic), needs=dynamic_needs),
    ]
