"""The NumPy backend: run a `Graph` node by node with each op's NumPy `impl`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tracegrad.ir.graph import Const, Graph, Node


class ExecutionError(RuntimeError):
    """An op failed at run time; the message names the IR node and the user's line."""


def run_graph(graph: Graph, args: Sequence[Any]) -> list[np.ndarray]:
    """Evaluate `graph` on concrete `args`, returning its outputs as arrays.

    >>> import tracegrad as tg
    >>> g = tg.make_ir(lambda x: x * 2.0)(np.ones(2))
    >>> run_graph(g, [np.array([1.0, 2.0])])
    [array([2., 4.])]
    """
    env: dict[Any, np.ndarray] = {}
    for var, arg in zip(graph.inputs, args):
        env[var] = np.asarray(arg)

    def read(atom):
        return atom.value if isinstance(atom, Const) else env[atom]

    for node in graph.nodes:
        try:
            result = node.op.impl(*[read(a) for a in node.inputs], **node.params)
        except Exception as exc:  # re-raise with the IR node attached
            raise ExecutionError(_describe(node, exc)) from exc
        results = result if node.op.multiple_results else (result,)
        for var, value in zip(node.outputs, results):
            value = np.asarray(value)
            if value.dtype != var.type.dtype:
                value = value.astype(var.type.dtype)
            env[var] = value
    return [read(a) for a in graph.outputs]


def _describe(node: Node, exc: Exception) -> str:
    where = f" (traced at {node.where})" if node.where else ""
    return f"{node.op.name} failed{where}: {type(exc).__name__}: {exc}"


def make_executable(graph: Graph, name: str, **options: object) -> Callable[[list], list]:
    """The NumPy backend's executable: `run_graph` bound to `graph` (the code
    generation options ``math`` and ``fastmath`` do not apply to it)."""
    return lambda args: run_graph(graph, args)


def inline_graph(graph: Graph, args: Sequence[Any]) -> list[Any]:
    """Apply `graph`'s nodes to `args` through `bind`: inside a trace its nodes are
    copied into the current graph, on arrays it is evaluated."""
    from tracegrad.ops.primitive import bind

    env: dict[Any, Any] = dict(zip(graph.inputs, args))

    def read(atom):
        return atom.value if isinstance(atom, Const) else env[atom]

    for node in graph.nodes:
        out = bind(node.op, *[read(a) for a in node.inputs], **node.params)
        for var, value in zip(node.outputs, out if node.op.multiple_results else (out,)):
            env[var] = value
    return [read(a) for a in graph.outputs]
