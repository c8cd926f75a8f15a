"""Graph rewrites the code generator applies before scheduling.

- `inline_calls`: a `custom_vjp_call` node runs its traced function graph in the
  forward direction (its user-supplied VJP only matters to autodiff, which has
  already run), so it is replaced by a copy of that graph's nodes.
- `unroll_small_contractions` (its own module): contractions over a few values, or
  with a few outputs, become elementwise products and sums that fuse.
- `fold_dot_transposes`: ``transpose(dot_general(a, b))`` that swaps the two free
  parts of the result is ``dot_general(b, a)``; BLAS then writes the layout that
  is read (the adjoint of a matmul produces this pattern for weight gradients).
"""

from __future__ import annotations

from collections import Counter

from tracegrad.ir.graph import Atom, Graph, Node, Params, Var

INLINED = frozenset({"custom_vjp_call"})


def prepare(graph: Graph) -> Graph:
    """All rewrites, in order (the IR passes again after small contractions are
    written out: their slices and reshapes simplify)."""
    from tracegrad.codegen.small_contractions import unroll_small_contractions
    from tracegrad.ir.passes import optimize

    graph = inline_calls(graph)
    unrolled = unroll_small_contractions(graph)
    if unrolled is not graph:
        graph = optimize(unrolled)
    return fold_dot_transposes(graph)


def inline_calls(graph: Graph) -> Graph:
    """`graph` with every `custom_vjp_call` replaced by its function's nodes.

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: x * 2.0)(np.ones(2))
    >>> inline_calls(g) is g
    True
    """
    if not any(n.op.name in INLINED for n in graph.nodes):
        return graph
    subst: dict[Var, Atom] = {}
    nodes: list[Node] = []
    for node in graph.nodes:
        inputs = tuple(_get(a, subst) for a in node.inputs)
        if node.op.name not in INLINED:
            nodes.append(_with_inputs(node, inputs))
            continue
        inner = inline_calls(node.params["call"].graph)
        table: dict[Var, Atom] = dict(zip(inner.inputs, inputs))
        for n in inner.nodes:  # fresh variables: the same call may be inlined twice
            outs = tuple(Var(v.type) for v in n.outputs)
            table.update(zip(n.outputs, outs))
            nodes.append(Node(n.op, tuple(_get(a, table) for a in n.inputs), n.params, outs,
                              n.where))
        for out, atom in zip(node.outputs, inner.outputs):
            subst[out] = _get(atom, table)
    return Graph(graph.inputs, tuple(nodes), tuple(_get(a, subst) for a in graph.outputs))


def fold_dot_transposes(graph: Graph) -> Graph:
    """`graph` with ``transpose(dot_general(a, b))`` computed as ``dot_general(b, a)``
    where the transpose swaps the free parts and is the product's only use."""
    uses = Counter(a for n in graph.nodes for a in n.inputs if isinstance(a, Var))
    uses.update(a for a in graph.outputs if isinstance(a, Var))
    dots = {n.outputs[0]: n for n in graph.nodes if n.op.name == "dot_general"}
    swapped: dict[Var, Node] = {}  # transpose output -> the swapped product
    for n in graph.nodes:
        if n.op.name != "transpose" or n.inputs[0] not in dots or uses[n.inputs[0]] != 1:
            continue
        dot = dots[n.inputs[0]]
        (cx, cy), (bx, by) = dot.params["contracting"], dot.params["batch"]
        if bx or by:
            continue
        x, y = dot.inputs
        nx_free = x.type.ndim - len(cx)
        ny_free = y.type.ndim - len(cy)
        want = tuple(range(nx_free, nx_free + ny_free)) + tuple(range(nx_free))
        if tuple(n.params["perm"]) != want:
            continue
        params = Params(dot.params, contracting=(tuple(cy), tuple(cx)))
        swapped[n.outputs[0]] = Node(dot.op, (y, x), params, n.outputs, dot.where)
    if not swapped:
        return graph
    dropped = {dots[n.inputs[0]] for n in graph.nodes if n.outputs[0] in swapped}
    nodes = []
    for n in graph.nodes:
        if n in dropped:
            continue
        nodes.append(swapped.get(n.outputs[0], n))
    return Graph(graph.inputs, tuple(nodes), graph.outputs)


def _get(a: Atom, table: dict) -> Atom:
    return table.get(a, a) if isinstance(a, Var) else a


def _with_inputs(node: Node, inputs: tuple) -> Node:
    if all(a is b for a, b in zip(inputs, node.inputs)):
        return node
    return Node(node.op, inputs, node.params, node.outputs, node.where)
