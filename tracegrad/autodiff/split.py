"""Splitting a derivative graph into the part that runs once and the part that
runs per direction.

A graph ``D(primals, direction)`` (a pullback with the cotangent as an input, or a
JVP with the tangent as an input) is partitioned into ``F(primals) -> residuals``,
the nodes that do not depend on the direction, and ``B(residuals, direction)``, the
rest. `vjp` runs F once and B per pullback call; Jacobians run B per basis vector.
So primal values the backward pass needs are computed once and shared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tracegrad.autodiff.custom import inline_custom_calls
from tracegrad.ir.graph import Graph, Var
from tracegrad.ir.passes import dead_code_elimination, optimize
from tracegrad.runtime import backends, config
from tracegrad.tracer.pytree import TreeDef, tree_flatten, tree_unflatten
from tracegrad.tracer.trace import trace


@dataclass(frozen=True)
class SplitGraph:
    """``D`` partitioned: `forward` maps primal leaves to ``outputs + residuals``,
    `per_direction` maps ``residuals + direction leaves`` to the derivative leaves."""

    forward: Graph
    per_direction: Graph
    n_outputs: int


def split(graph: Graph, n_primals: int, n_outputs: int) -> SplitGraph:
    """Partition `graph`, whose first `n_primals` inputs are primals and the rest a
    direction, and whose first `n_outputs` outputs are primal results.

    >>> # see tracegrad.api.vjp for the use
    """
    graph = dead_code_elimination(graph)
    primals, direction = graph.inputs[:n_primals], graph.inputs[n_primals:]
    varying = set(direction)
    fwd_nodes, dir_nodes = [], []
    for node in graph.nodes:
        if any(isinstance(a, Var) and a in varying for a in node.inputs):
            varying.update(node.outputs)
            dir_nodes.append(node)
        else:
            fwd_nodes.append(node)
    derivative_outputs = graph.outputs[n_outputs:]
    needed: list[Var] = []
    seen: set[Var] = set()
    for atom in [a for n in dir_nodes for a in n.inputs] + list(derivative_outputs):
        if isinstance(atom, Var) and atom not in varying and atom not in seen:
            seen.add(atom)
            needed.append(atom)
    forward = Graph(tuple(primals), tuple(fwd_nodes),
                    tuple(graph.outputs[:n_outputs]) + tuple(needed))
    per_direction = Graph(tuple(needed) + tuple(direction), tuple(dir_nodes),
                          tuple(derivative_outputs))
    return SplitGraph(forward, per_direction, n_outputs)


class SplitFunction:
    """``fn(primals, direction) -> (outputs, derivative)`` compiled as a `SplitGraph`.

    `prepare(primals, direction_example)` runs the forward part once and returns a
    function of the direction alone that runs only the per-direction part.
    """

    def __init__(self, fn: Callable, name: str, backend: str | None = None) -> None:
        self.fn, self.name = fn, name
        self.backend = backend or config.FLAGS.backend
        self._cache: dict[Any, tuple] = {}

    def prepare(self, primals: Sequence[Any], direction: Any) -> tuple[Any, Callable]:
        """``(outputs, run)`` where ``run(direction)`` gives the derivative."""
        p_leaves, p_tree = tree_flatten(tuple(primals))
        d_leaves, d_tree = tree_flatten(direction)
        key = (p_tree, d_tree, tuple(_sig(x) for x in p_leaves), tuple(_sig(x) for x in d_leaves))
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self._build(primals, direction)
        fwd, per_dir, out_tree, deriv_tree, n_out = entry
        results = fwd(p_leaves)
        outputs, residuals = results[:n_out], results[n_out:]

        def run(direction: Any) -> Any:
            leaves, tree = tree_flatten(direction)
            if tree != d_tree:
                raise TypeError(f"{self.name}: expected a direction of structure {d_tree}, "
                                f"got {tree}")
            return tree_unflatten(deriv_tree, per_dir(list(residuals) + leaves))

        return tree_unflatten(out_tree, outputs), run

    def _build(self, primals: Sequence[Any], direction: Any) -> tuple:
        traced = trace(lambda p, d: self.fn(p, d), (tuple(primals), direction))
        out_tree, deriv_tree = _pair_trees(traced.out_tree)
        n_out = out_tree.num_leaves
        n_primals = tree_flatten(tuple(primals))[1].num_leaves
        parts = split(inline_custom_calls(traced.graph), n_primals, n_out)
        config.dump("adjoint", self.name, str(parts.per_direction))
        checks = config.FLAGS.checks
        fwd = backends.make_executable(self.backend, optimize(parts.forward, checks),
                                       f"{self.name}_fwd")
        per_dir = backends.make_executable(self.backend, optimize(parts.per_direction, checks),
                                           f"{self.name}_dir")
        return fwd, per_dir, out_tree, deriv_tree, n_out


def _pair_trees(tree: TreeDef) -> tuple[TreeDef, TreeDef]:
    if tree.kind is not tuple or len(tree.children) != 2:
        raise TypeError("a split function must return a pair (outputs, derivative)")
    return tree.children[0], tree.children[1]


def _sig(x: Any) -> Any:
    from tracegrad.tracer.trace import leaf_type

    return leaf_type(x)
