"""The backward pass: run the grad_fn nodes from the outputs back to the leaves.

`backward` accumulates into ``.grad`` of the leaves (``Tensor.backward``); `grad`
returns the gradients of chosen inputs instead (``torch.autograd.grad``). Nodes run
once all the nodes that feed them gradients have run, later-created first (PyTorch's
order), so a gradient reaching a node through several paths is summed before the
node runs. Without ``retain_graph`` each node frees its saved values after running.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

import numpy as np

from tracegrad.dynamic.graph import AccumulateGrad, Node, accumulate_grad, edge
from tracegrad.dynamic.tensor import Tensor
from tracegrad.tracer.errors import user_error


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(sum of tensors · grad_tensors)/d(leaf) into every leaf's ``.grad``.

    With `inputs`, only those tensors' ``.grad`` are filled.

    >>> import tracegrad as tg
    >>> x = tg.tensor([3.], requires_grad=True)
    >>> backward([x * x]); x.grad
    tensor([6.])
    """
    tensors = _as_list(tensors)
    roots = _roots(tensors, _as_list(grad_tensors, len(tensors)), create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        _run(roots, retain, create_graph)
        return
    inputs = _as_list(inputs)
    captured = _run(roots, retain, create_graph, capture=[edge(t) for t in inputs])
    for t, g in zip(inputs, captured):
        if g is not None:
            accumulate_grad(t, g, create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """The gradients of `outputs` with respect to `inputs`, without touching ``.grad``.

    >>> import tracegrad as tg
    >>> x = tg.tensor([3.], requires_grad=True)
    >>> grad(x ** 3, x)
    (tensor([27.]),)
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise user_error(RuntimeError, f"One of the differentiated Tensors (index {i}) "
                                           "does not require grad")
    roots = _roots(outputs, _as_list(grad_outputs, len(outputs)), create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    captured = _run(roots, retain, create_graph, capture=[edge(t) for t in inputs])
    result = []
    for i, g in enumerate(captured):
        if g is None and not allow_unused:
            raise user_error(
                RuntimeError,
                f"The differentiated Tensor at index {i} appears to not have been used in the "
                "graph. Set allow_unused=True if this is the desired behavior.",
            )
        result.append(g if g is None or isinstance(g, Tensor) else Tensor._wrap(g))
    return tuple(result)


def _as_list(x: Any, n: int | None = None) -> list:
    if x is None:
        return [None] * (n or 0)
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _roots(tensors: list, grads: list, create_graph: bool) -> list[tuple[Node, int, Any]]:
    if len(grads) != len(tensors):
        raise user_error(RuntimeError, f"got {len(grads)} gradients for {len(tensors)} tensors")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise user_error(
                RuntimeError,
                f"element {i} of tensors does not require grad and does not have a grad_fn",
                "make a leaf with requires_grad=True, and do not compute it under tg.no_grad()",
            )
        node, nr = edge(t)
        roots.append((node, nr, _root_grad(i, t, g, create_graph)))
    return roots


def _root_grad(i: int, t: Tensor, g: Any, create_graph: bool) -> Any:
    if g is None:
        if t.numel() != 1:
            raise user_error(
                RuntimeError, "grad can be implicitly created only for scalar outputs",
                "pass the vector of the vector-Jacobian product: y.backward(gradient=v), or "
                "reduce first: y.sum().backward()",
            )
        data = np.ones(t.shape, t.dtype)
        return Tensor._wrap(data) if create_graph else data
    if not isinstance(g, Tensor):
        g = Tensor._wrap(np.asarray(g))
    if g.shape != t.shape:
        raise user_error(
            RuntimeError,
            f"Mismatch in shape: grad_output[{i}] has a shape of {_size(g.shape)} and "
            f"output[{i}] has a shape of {_size(t.shape)}.",
        )
    if g.dtype != t.dtype:
        g = g.to(t.dtype)
    return g if create_graph else g._data


def _size(shape: tuple) -> str:
    return f"Size({list(shape)})"


def _run(roots: list[tuple[Node, int, Any]], retain_graph: bool, create_graph: bool,
         capture: Sequence[tuple[Node, int]] | None = None) -> list:
    """Run the graph from `roots`. With `capture`, return the gradients arriving at
    those ``(node, output_nr)`` edges and run only the nodes that lead to them
    (no leaf ``.grad`` is touched); otherwise accumulate into the leaves."""
    deps, parents = _dependencies([node for node, _, _ in roots])
    needed = None if capture is None else _leading_to({id(n) for n, _ in capture}, parents)
    wanted = {} if capture is None else {(id(n), nr): k for k, (n, nr) in enumerate(capture)}
    captured: list[Any] = [None] * len(wanted)

    buffers: dict[int, list] = {}
    for node, nr, g in roots:
        _add_to(buffers, node, nr, g)
    ready = []
    for node, _, _ in roots:
        if deps.get(id(node), 0) == 0 and all(id(node) != r[1] for r in ready):
            heapq.heappush(ready, (-node._sequence_nr, id(node), node))

    while ready:
        _, _, node = heapq.heappop(ready)
        grads = buffers.pop(id(node), None) or [None] * node.num_outputs
        outs: list = []
        if needed is None or id(node) in needed:
            outs = _execute(node, grads, retain_graph, create_graph, wanted, captured,
                            accumulate=capture is None)
        for (child, nr), g in zip(node.next_functions, outs or [None] * len(node.next_functions)):
            if child is None:
                continue
            if g is not None:
                _add_to(buffers, child, nr, g)
            deps[id(child)] -= 1
            if deps[id(child)] == 0:
                heapq.heappush(ready, (-child._sequence_nr, id(child), child))
    return captured


def _execute(node: Node, grads: list, retain_graph: bool, create_graph: bool,
             wanted: dict, captured: list, accumulate: bool) -> list:
    if all(g is None for g in grads):
        return []
    grads = node.run_pre_hooks(grads, create_graph)
    for nr, g in enumerate(grads):
        k = wanted.get((id(node), nr))
        if k is not None:
            captured[k] = g
    if isinstance(node, AccumulateGrad) and not accumulate:
        return []
    outs = node.apply(grads, create_graph)
    if not retain_graph:
        node.release()
    return outs


def _add_to(buffers: dict, node: Node, nr: int, g: Any) -> None:
    buf = buffers.setdefault(id(node), [None] * node.num_outputs)
    buf[nr] = g if buf[nr] is None else buf[nr] + g


def _dependencies(roots: list[Node]) -> tuple[dict[int, int], dict[int, list[Node]]]:
    """How many edges enter each node reachable from `roots`, and each node's parents."""
    deps: dict[int, int] = {}
    parents: dict[int, list[Node]] = {}
    seen = {id(n) for n in roots}
    stack = list(roots)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            deps[id(child)] = deps.get(id(child), 0) + 1
            parents.setdefault(id(child), []).append(node)
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return deps, parents


def _leading_to(targets: set[int], parents: dict[int, list[Node]]) -> set[int]:
    """The nodes from which one of `targets` can be reached (targets included)."""
    found = set(targets)
    stack = list(targets)
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if id(parent) not in found:
                found.add(id(parent))
                stack.append(id(parent))
    return found
